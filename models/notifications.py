"""The notification outbox: messages for users, written in the transaction that causes them.

A row's payload never holds a one-time code. When a webhook is configured,
the code (and a link carrying it) is sealed with Fernet into the row's
`sealed` column, to be opened only by the deliverer (models/notify_delivery.py);
without a webhook the row is only a record (status `logged`), logged without
secrets, and no code is kept at all: codes are otherwise stored as hashes only.
"""
import base64
import dataclasses
import json
import logging

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from . import codes, events
from .mgmt_tables import Notification

log = logging.getLogger("gateway.notifications")

PENDING, LOGGED, DELIVERED = "pending", "logged", "delivered"

# What each one-time code is for: (event type, code kind, notification kind).
INIT = ("user.human.initialization.code.added", "init", "user.initialization")
EMAIL_CODE = ("user.human.email.code.added", "email", "user.email.verification")
PHONE_CODE = ("user.human.phone.code.added", "phone", "user.phone.verification")
PASSWORD_RESET = ("user.human.password.code.added", "password_reset", "user.password.reset")
PASSKEY_LINK = ("user.human.passwordless.initialization.code.requested", "passwordless",
                "user.passwordless.registration")
# A fixed HKDF label: the sealing key derived from the webhook secret is not the signing key itself.
_HKDF_INFO = b"gateway notification outbox sealing key v1"


@dataclasses.dataclass
class Outbox:
    """Where notifications go: a webhook (url + HMAC secret) or nowhere; the key that seals codes."""

    webhook_url: str | None = None
    webhook_secret: str | None = None
    cipher: Fernet | None = None
    lease_seconds: int = 60

    @property
    def delivers(self):
        return bool(self.webhook_url)


_outbox = Outbox()


def sealing_key(encryption_key=None, webhook_secret=None):
    """The Fernet key: NOTIFY_ENCRYPTION_KEY as given, else derived from the webhook secret by HKDF-SHA256."""
    if encryption_key:
        return encryption_key.encode("ascii")
    if not webhook_secret:
        return None
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(
        webhook_secret.encode("utf-8"))
    return base64.urlsafe_b64encode(derived)


def configure(webhook_url=None, webhook_secret=None, encryption_key=None, lease_seconds=60):
    """Set up the outbox from the settings (the application does this once at start)."""
    global _outbox
    if webhook_url and not webhook_secret:
        raise ValueError("NOTIFY_WEBHOOK_URL needs NOTIFY_WEBHOOK_SECRET (deliveries are signed with it)")
    key = sealing_key(encryption_key, webhook_secret)
    try:
        cipher = Fernet(key) if key else None
    except ValueError:
        raise ValueError("NOTIFY_ENCRYPTION_KEY must be a Fernet key (32 url-safe base64-encoded bytes)") from None
    _outbox = Outbox(webhook_url or None, webhook_secret or None, cipher, lease_seconds)
    return _outbox


def outbox():
    return _outbox


def seal(secrets):
    return _outbox.cipher.encrypt(json.dumps(secrets, separators=(",", ":")).encode("utf-8")).decode("ascii")


def unseal(sealed):
    """The secrets of a row, or {} if there are none or they cannot be opened (a changed key)."""
    if not sealed or _outbox.cipher is None:
        return {}
    try:
        return json.loads(_outbox.cipher.decrypt(sealed.encode("ascii")))
    except (InvalidToken, ValueError):
        return {}


def enqueue(user, kind, event, secrets=None, **content):
    """Record one notification for user (inside the caller's transaction).

    secrets (the plain code, a link with it) travel only sealed, and only to a webhook.
    """
    payload = {"kind": kind, "userId": user.id, "orgId": user.org_id, "userName": user.username,
               "email": user.email, "phone": user.phone, "sequence": str(event.id),
               "createdAt": event.created_at.isoformat() + "Z", **content}
    delivers = _outbox.delivers and _outbox.cipher is not None
    row = Notification.create(org_id=user.org_id, user_id=user.id, kind=kind,
                              payload=json.dumps(payload, separators=(",", ":")),
                              sealed=seal(secrets) if secrets and delivers else None,
                              status=PENDING if delivers else LOGGED,
                              created_at=event.created_at, next_attempt_at=event.created_at)
    if not delivers:
        # The record is all there is without a webhook: say so in the log, without any secret.
        log.info("notification %s recorded (no webhook): kind=%s user=%s org=%s", row.id, kind, user.id, user.org_id)
    return row


def send_code(user, editor, purpose, extra_secrets=None, **content):
    """Append the purpose's event, issue its one-time code and queue its notification with the code.

    extra_secrets(code_row, plain) may add secrets built from the code (a link). Returns (event, code row, plain).
    """
    event_type, code_kind, kind = purpose
    event = events.append("user", user.id, user.org_id, event_type, editor, content or None)
    row, plain = codes.issue(user, code_kind, event)
    secrets = {"code": plain, **(extra_secrets(row, plain) if extra_secrets else {})}
    enqueue(user, kind, event, secrets, codeId=row.id, expiresAt=row.expires_at.isoformat() + "Z", **content)
    return event, row, plain
