"""One-time codes (initialisation, verification, password reset, passkey registration).

A code is 12 random letters and digits (about 71 bits), so a SHA-256 of it is
enough to keep it safe at rest; the plain code leaves only in the notification
or the API answer that creates it.
"""
import datetime
import hashlib
import secrets
import string

from .ids import new_id
from .mgmt_tables import UserCode

ALPHABET = string.ascii_letters + string.digits
CODE_LENGTH = 12
LIFETIMES = {"init": 72 * 3600, "email": 3600, "phone": 3600, "password_reset": 3600, "passwordless": 3600}


def code_hash(code):
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def issue(user, kind, event):
    """Replace the user's open code of this kind with a new one; returns (row, plain code)."""
    code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    UserCode.delete().where((UserCode.user == user.id) & (UserCode.kind == kind)).execute()
    row = UserCode.create(
        id=new_id(), user=user.id, kind=kind, code_hash=code_hash(code), created_at=event.created_at,
        expires_at=event.created_at + datetime.timedelta(seconds=LIFETIMES[kind]), sequence=event.id,
    )
    return row, code

