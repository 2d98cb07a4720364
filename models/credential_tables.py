"""Tables of machine-user credentials and of the token service (migration 0005_credentials).

Kept apart from models/tables.py and models/mgmt_tables.py. Nothing here holds
a usable secret: client secrets and opaque tokens are SHA-256 hashes (they are
long random strings, so a fast hash is enough and keeps the token endpoint and
every API request cheap), machine keys are public keys only, and the service's
own signing keys are published public halves (the private halves never leave
the process that made them, see auth/signing.py).
"""
import peewee as pw

from .tables import BaseModel, DateTimeField, User, utcnow


class KeyType:
    """ZITADEL's KeyType numbers."""

    JSON = 1


class CredentialKind:
    """Where an access token came from: deleting that credential revokes the token."""

    SECRET = "secret"
    KEY = "key"


class MachineSecret(BaseModel):
    """The client secret of a machine user (at most one); a new secret is a new row with a new id."""

    id = pw.CharField(primary_key=True, max_length=32)
    user = pw.ForeignKeyField(User, unique=True, backref="machine_secret", on_delete="CASCADE")
    secret_hash = pw.CharField(max_length=64)
    created_at = DateTimeField(default=utcnow)
    sequence = pw.BigIntegerField(default=0)


class MachineKey(BaseModel):
    """A machine key: the PEM (SubjectPublicKeyInfo) public key that verifies the user's JWT assertions."""

    id = pw.CharField(primary_key=True, max_length=32)
    user = pw.ForeignKeyField(User, backref="machine_keys", on_delete="CASCADE")
    type = pw.SmallIntegerField(default=KeyType.JSON)
    public_key = pw.TextField()
    expires_at = DateTimeField()
    created_at = DateTimeField(default=utcnow)
    sequence = pw.BigIntegerField(default=0)

    class Meta:
        indexes = ((("user", "created_at"), False),)


class AccessToken(BaseModel):
    """An access token issued by /oauth/v2/token, opaque or JWT (then id is its `jti`).

    Opaque tokens are found by token_hash, JWTs by id; both with one indexed
    query. credential_* name the secret or key the token was obtained with.
    """

    id = pw.CharField(primary_key=True, max_length=32)
    user = pw.ForeignKeyField(User, backref="access_tokens", on_delete="CASCADE")
    token_hash = pw.CharField(max_length=64, unique=True, null=True)
    credential_kind = pw.CharField(max_length=8)
    credential_id = pw.CharField(max_length=32)
    scopes = pw.TextField(default="")
    issued_at = DateTimeField(default=utcnow)
    expires_at = DateTimeField()
    revoked = pw.BooleanField(default=False)

    class Meta:
        indexes = ((("credential_id",), False), (("expires_at",), False))


class SigningKey(BaseModel):
    """Public half of one of the service's JWT signing keys, published in the JWKS until expires_at."""

    kid = pw.CharField(primary_key=True, max_length=64)
    public_jwk = pw.TextField()
    created_at = DateTimeField(default=utcnow)
    # Past this moment no token signed with the key can still be valid.
    expires_at = DateTimeField(index=True)


CREDENTIAL_TABLES = [MachineSecret, MachineKey, AccessToken, SigningKey]
