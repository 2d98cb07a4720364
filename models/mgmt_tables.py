"""Tables of the management API's domain: credentials, codes, links, policies, notifications.

Kept apart from models/tables.py (the users' read model); created by
migration 0002_management (0004 adds notification.sealed).
"""
import peewee as pw

from .tables import BaseModel, DateTimeField, Org, User, utcnow


class AuthFactorState:
    """ZITADEL's AuthFactorState numbers."""

    NOT_READY = 1
    READY = 2


class PasswordPolicy(BaseModel):
    """An organisation's own password complexity policy; without a row the default applies."""

    org = pw.ForeignKeyField(Org, primary_key=True, on_delete="CASCADE")
    min_length = pw.SmallIntegerField()
    has_lowercase = pw.BooleanField()
    has_uppercase = pw.BooleanField()
    has_number = pw.BooleanField()
    has_symbol = pw.BooleanField()
    created_at = DateTimeField(default=utcnow)
    changed_at = DateTimeField(default=utcnow)
    sequence = pw.BigIntegerField(default=0)


class AuthFactor(BaseModel):
    """A second factor or passkey of a human: kind otp, u2f, otp_sms, otp_email or passkey."""

    id = pw.CharField(primary_key=True, max_length=32)
    user = pw.ForeignKeyField(User, backref="auth_factors", on_delete="CASCADE")
    kind = pw.CharField(max_length=16)
    state = pw.SmallIntegerField()
    name = pw.CharField(max_length=200, null=True)
    # TOTP shared secret (base32): the server must know it to check codes.
    secret = pw.TextField(null=True)
    created_at = DateTimeField(default=utcnow)
    changed_at = DateTimeField(default=utcnow)
    sequence = pw.BigIntegerField(default=0)

    class Meta:
        indexes = ((("user", "kind"), False),)


class IdpLink(BaseModel):
    """A social login: the user's identity at an external identity provider."""

    user = pw.ForeignKeyField(User, backref="idp_links", on_delete="CASCADE")
    idp_id = pw.CharField(max_length=200)
    idp_name = pw.CharField(max_length=200, null=True)
    idp_type = pw.SmallIntegerField(default=0)
    provided_user_id = pw.CharField(max_length=200)
    provided_user_name = pw.CharField(max_length=200, null=True)
    created_at = DateTimeField(default=utcnow)
    sequence = pw.BigIntegerField(default=0)

    class Meta:
        indexes = ((("idp_id", "provided_user_id"), True),)


class UserCode(BaseModel):
    """A one-time code (init, email, phone, password_reset, passwordless); only its hash is kept."""

    id = pw.CharField(primary_key=True, max_length=32)
    user = pw.ForeignKeyField(User, backref="codes", on_delete="CASCADE")
    kind = pw.CharField(max_length=32)
    code_hash = pw.CharField(max_length=64)
    expires_at = DateTimeField()
    created_at = DateTimeField(default=utcnow)
    sequence = pw.BigIntegerField(default=0)

    class Meta:
        indexes = ((("user", "kind"), False),)


class Notification(BaseModel):
    """Outbox of messages for users; delivered to the webhook, retried until it answers 2xx."""

    id = pw.BigAutoField()
    org_id = pw.CharField(max_length=32)
    # No foreign key: a notification outlives the user it was for.
    user_id = pw.CharField(max_length=200)
    kind = pw.CharField(max_length=64)
    payload = pw.TextField()
    # Fernet token of the code (and link) for the webhook; never a plain secret (migration 0004).
    sealed = pw.TextField(null=True)
    status = pw.CharField(max_length=16, default="pending")
    attempts = pw.IntegerField(default=0)
    next_attempt_at = DateTimeField(default=utcnow)
    last_error = pw.TextField(null=True)
    created_at = DateTimeField(default=utcnow)
    delivered_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("status", "next_attempt_at"), False),)


MGMT_TABLES = [PasswordPolicy, AuthFactor, IdpLink, UserCode, Notification]
