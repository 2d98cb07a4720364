"""Second factors and passkeys of humans (reference §6.7), and the migration extensions.

Lists show READY factors only and, as ZITADEL's v1 handler does, filter by
user id alone (not by organisation). Removals, TOTP import, OTP enabling and
passkey registration codes load the user in the caller's organisation and run
in one transaction with their events.
"""
import base64
import binascii
import dataclasses

import pyotp
from cryptography.fernet import Fernet, InvalidToken

from . import codes, events, notifications
from .db import transaction
from .errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound, user_not_found
from .ids import new_id
from .mgmt_tables import AuthFactor, AuthFactorState
from .user_changes import finish, load_human

MFA_KINDS = ("otp", "u2f", "otp_sms", "otp_email")
OTP_MISSING = "Multifactor OTP (OneTimePassword) doesn't exist"
WEBAUTHN_MISSING = "WebAuthN Token could not be found"


@dataclasses.dataclass(frozen=True)
class Removal:
    event_type: str
    text: str
    error_id: str
    key: str


REMOVALS = {
    "otp": Removal("user.human.mfa.otp.removed", OTP_MISSING, "COMMAND-Hd9sd", "Errors.User.MFA.OTP.NotExisting"),
    "otp_sms": Removal("user.human.mfa.otp.sms.removed", OTP_MISSING, "COMMAND-Sr3h3",
                       "Errors.User.MFA.OTP.NotExisting"),
    "otp_email": Removal("user.human.mfa.otp.email.removed", OTP_MISSING, "COMMAND-b312D",
                         "Errors.User.MFA.OTP.NotExisting"),
    "u2f": Removal("user.human.mfa.u2f.token.removed", WEBAUTHN_MISSING, "COMMAND-DAfb2",
                   "Errors.User.WebAuthN.NotFound"),
    "passkey": Removal("user.human.passwordless.token.removed", WEBAUTHN_MISSING, "COMMAND-DAfb2",
                       "Errors.User.WebAuthN.NotFound"),
}


def _ready(user_id, kinds):
    return list(AuthFactor.select().where((AuthFactor.user == user_id) & AuthFactor.kind.in_(list(kinds))
                                          & (AuthFactor.state == AuthFactorState.READY))
                .order_by(AuthFactor.created_at, AuthFactor.id))


def list_factors(user_id):
    """READY second factors of a user, whichever organisation it is in (ZITADEL's quirk)."""
    return _ready(user_id, MFA_KINDS)


def list_passkeys(user_id):
    return _ready(user_id, ("passkey",))


def remove(org_id, user_id, kind, editor, token_id=None):
    """Remove the user's factor of kind (u2f and passkeys by token id); unknown is the kind's 404."""
    removal = REMOVALS[kind]

    def missing():
        return NotFound(removal.text, removal.error_id, removal.key)
    with transaction():
        user = load_human(org_id, user_id, missing)
        query = AuthFactor.select().where((AuthFactor.user == user.id) & (AuthFactor.kind == kind))
        if token_id is not None:
            query = query.where(AuthFactor.id == token_id)
        row = query.first()
        if row is None:
            raise missing()
        row.delete_instance()
        return finish(user, events.append("user", user.id, user.org_id, removal.event_type, editor,
                                          {"id": row.id} if token_id is not None else None))


# ---- extensions: migrating factors in ------------------------------------------------------

def _human(org_id, user_id):
    return load_human(org_id, user_id, lambda: user_not_found("COMMAND-MM9fs"))


def _add(user, kind, editor, event_types, secret=None, name=None):
    row = AuthFactor.create(id=new_id(), user=user.id, kind=kind, state=AuthFactorState.READY, secret=secret,
                            name=name)
    last = None
    for event_type in event_types:
        last = events.append("user", user.id, user.org_id, event_type, editor)
    row.created_at = row.changed_at = last.created_at
    row.sequence = last.id
    row.save()
    return finish(user, last)


def normal_totp_secret(secret):
    """A base32 TOTP secret as authenticator apps export it (spaces, lower case and padding tolerated)."""
    text = "".join((secret or "").split()).upper().rstrip("=")
    try:
        raw = base64.b32decode(text + "=" * (-len(text) % 8))
    except (binascii.Error, ValueError):
        raw = b""
    # RFC 4226 asks for at least 128 bits; shorter secrets are guessable.
    if len(raw) < 16:
        raise InvalidArgument("The TOTP secret must be base32 of at least 128 bits", "MGMT-TOTP1",
                              "Errors.User.MFA.OTP.InvalidSecret")
    return text


# TOTP secrets must be readable to check codes, so they cannot be hashed: they are stored
# sealed with Fernet under MFA_ENCRYPTION_KEY, and never in plain text.
_cipher = None


def configure(encryption_key):
    """Set the key that seals TOTP secrets (the application does this once at start)."""
    global _cipher
    try:
        _cipher = Fernet(encryption_key.encode("ascii")) if encryption_key else None
    except ValueError:
        raise ValueError("MFA_ENCRYPTION_KEY must be a Fernet key (32 url-safe base64-encoded bytes)") from None


def _seal(secret):
    if _cipher is None:
        raise FailedPrecondition("Importing TOTP secrets needs MFA_ENCRYPTION_KEY, so that they are stored encrypted",
                                 "MGMT-TOTP2", "Errors.User.MFA.OTP.NoEncryptionKey")
    return _cipher.encrypt(secret.encode("ascii")).decode("ascii")


def _open(sealed):
    if not sealed or _cipher is None:
        return None
    try:
        return _cipher.decrypt(sealed.encode("ascii")).decode("ascii")
    except InvalidToken:
        return None


def import_totp(org_id, user_id, secret, editor):
    """Extension: a TOTP secret from another system becomes the user's READY OTP factor."""
    secret = _seal(normal_totp_secret(secret))
    with transaction():
        user = _human(org_id, user_id)
        if AuthFactor.select().where((AuthFactor.user == user.id) & (AuthFactor.kind == "otp")).exists():
            raise AlreadyExists("Multifactor OTP (OneTimePassword) is already set up", "COMMAND-do9se",
                                "Errors.User.MFA.OTP.AlreadyReady")
        return _add(user, "otp", editor, ("user.human.mfa.otp.added", "user.human.mfa.otp.verified"), secret=secret)


def verify_totp(user_id, code):
    """Whether code is the current TOTP of the user's READY OTP factor (one step of clock drift allowed)."""
    row = AuthFactor.get_or_none((AuthFactor.user == user_id) & (AuthFactor.kind == "otp")
                                 & (AuthFactor.state == AuthFactorState.READY))
    secret = _open(row.secret) if row else None
    return bool(secret and pyotp.TOTP(secret).verify(code, valid_window=1))


# kind -> (needs, event type, already-set-up id, not-ready id), as ZITADEL's AddHumanOTPSMS/Email
OTP_CHANNELS = {
    "otp_sms": ("phone_verified", "user.human.mfa.otp.sms.added", "COMMAND-Ad3g2", "COMMAND-Q54j2"),
    "otp_email": ("email_verified", "user.human.mfa.otp.email.added", "COMMAND-MKL2s", "COMMAND-KLJ2d"),
}


def enable_otp(org_id, user_id, kind, editor):
    """Extension: OTP over SMS or e-mail for a user whose phone / e-mail is verified."""
    verified_field, event_type, exists_id, not_ready_id = OTP_CHANNELS[kind]
    with transaction():
        user = _human(org_id, user_id)
        if AuthFactor.select().where((AuthFactor.user == user.id) & (AuthFactor.kind == kind)).exists():
            raise AlreadyExists("Multifactor OTP (OneTimePassword) is already set up", exists_id,
                                "Errors.User.MFA.OTP.AlreadyReady")
        if not getattr(user, verified_field):
            raise FailedPrecondition("Multifactor OTP (OneTimePassword) isn't ready", not_ready_id,
                                     "Errors.User.MFA.OTP.NotReady")
        return _add(user, kind, editor, (event_type,))


# ---- passkey registration links -------------------------------------------------------------

def passwordless_code(user, editor):
    """A passkey registration code returned to the caller: (event, code row, plain code)."""
    event = events.append("user", user.id, user.org_id, "user.human.passwordless.initialization.code.added", editor)
    row, plain = codes.issue(user, "passwordless", event)
    return event, row, plain


def add_passwordless_link(org_id, user_id, editor, link_for, *, send=False):
    """AddPasswordlessRegistration (returned) or SendPasswordlessRegistration (sent to the user).

    link_for(code row, plain code) builds the link (the adapter knows the origin and template).
    Returns (event, code row, plain code).
    """
    with transaction():
        user = load_human(org_id, user_id, lambda: user_not_found("COMMAND-Dsh3i"))
        if send:
            event, row, plain = notifications.send_code(
                user, editor, notifications.PASSKEY_LINK, extra_secrets=lambda r, p: {"link": link_for(r, p)})
        else:
            event, row, plain = passwordless_code(user, editor)
        finish(user, event)
        return event, row, plain
