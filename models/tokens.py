"""Personal access tokens: random opaque strings, stored only as SHA-256 hashes.

A token has 256 bits of entropy, so a fast hash is the right tool (a slow
password hash would only slow every request without adding safety).
"""
import datetime
import hashlib
import secrets

from . import events
from .db import PreparedQuery, transaction
from .ids import new_id
from .tables import PersonalAccessToken, User, utcnow

FAR_FUTURE = datetime.datetime(9999, 12, 31, 23, 59, 59)
PAT_SCOPES = "openid profile urn:zitadel:iam:user:metadata urn:zitadel:iam:user:resourceowner"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def generate_token() -> str:
    return secrets.token_urlsafe(32)


def add_pat(user, editor, *, expires_at=None, token=None, pat_id=None):
    """Create a PAT for a machine user; returns (row, plain token). The token is shown once."""
    token = token or generate_token()
    with transaction():
        event = events.append("user", user.id, user.org_id, "user.personal.access.token.added", editor)
        row = PersonalAccessToken.create(
            id=pat_id or new_id(), user=user.id, token_hash=token_hash(token),
            expires_at=expires_at or FAR_FUTURE, scopes=PAT_SCOPES, created_at=event.created_at, sequence=event.id,
        )
        User.update(sequence=event.id, changed_at=event.created_at).where(User.id == user.id).execute()
    return row, token


def replace_pat_token(row, token, editor):
    """Give an existing PAT a new secret value (used for the ADMIN_TOKEN bootstrap)."""
    with transaction():
        event = events.append("user", row.user_id, row.user.org_id, "user.personal.access.token.rotated", editor)
        PersonalAccessToken.update(token_hash=token_hash(token), sequence=event.id).where(
            PersonalAccessToken.id == row.id
        ).execute()


_PAT_BY_HASH = PreparedQuery(lambda hashed: PersonalAccessToken.select(PersonalAccessToken, User).join(User)
                             .where(PersonalAccessToken.token_hash == hashed).limit(1))


def find_pat(token):
    """The unexpired PAT row for a presented token (with .user loaded), or None."""
    rows = _PAT_BY_HASH.rows(token_hash(token))
    if not rows or rows[0].expires_at < utcnow():
        return None
    return rows[0]
