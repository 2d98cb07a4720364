"""The published public halves of the service's JWT signing keys (the JWKS).

Each gateway process signs with a key pair of its own (auth/signing.py) and
publishes only the public key here; every process and instance verifies any
other's tokens with these rows.
"""
import datetime
import json

from .credential_tables import SigningKey
from .db import transaction
from .tables import utcnow

# Rows are deleted this long after they stop being published.
KEEP_EXPIRED = datetime.timedelta(days=1)


def publish(kid, public_jwk: dict, expires_at):
    now = utcnow()
    with transaction():
        SigningKey.delete().where(SigningKey.expires_at < now - KEEP_EXPIRED).execute()
        SigningKey.create(kid=kid, public_jwk=json.dumps(public_jwk, sort_keys=True), created_at=now,
                          expires_at=expires_at)


def find(kid):
    """(public JWK dict, expires_at) of a published, unexpired key, or None."""
    if not isinstance(kid, str) or len(kid) > 64:
        return None
    row = SigningKey.get_or_none((SigningKey.kid == kid) & (SigningKey.expires_at > utcnow()))
    return (json.loads(row.public_jwk), row.expires_at) if row else None


def published():
    """Public JWKs of every key that may have signed a still-valid token, newest first."""
    rows = SigningKey.select().where(SigningKey.expires_at > utcnow()).order_by(SigningKey.created_at.desc())
    return [json.loads(row.public_jwk) for row in rows]
