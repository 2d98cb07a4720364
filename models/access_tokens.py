"""Access tokens of the token service: issuing, finding, revoking; and the clients that ask for them.

A token row records the credential (client secret or machine key) it was
obtained with, so deleting that credential revokes it. Opaque tokens are
stored as SHA-256 hashes only; JWT access tokens are found by their `jti`.
"""
import datetime
import hashlib
import secrets

import peewee as pw

from .credential_tables import AccessToken, MachineKey, MachineSecret
from .db import PreparedQuery, storable
from .ids import new_id
from .search import fold
from .tables import User, UserState, UserType, utcnow

# Opaque access tokens start with this, so that the bearer validator looks in
# one table only (PATs have no prefix).
OPAQUE_PREFIX = "gwat_"
USABLE_STATES = (UserState.ACTIVE, UserState.INITIAL)
# One token request in this many also deletes long-expired rows, so the table does not grow forever.
PRUNE_EVERY = 64
PRUNE_AFTER = datetime.timedelta(hours=1)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def usable(user) -> bool:
    """Deactivated and locked users cannot obtain or use tokens (reference §6.3)."""
    return user is not None and user.state in USABLE_STATES


def client_by_client_id(client_id):
    """(machine user, its MachineSecret or None) for a client_id, or None.

    client_id is ZITADEL's clientId, the machine user's login name (its
    userName, unique per organisation); a userName held in two organisations
    names no single client, and then the user id works as client_id.
    """
    if not client_id or not storable(client_id, User.username_key.max_length):
        return None
    base = (User.select(User, MachineSecret)
            .join(MachineSecret, pw.JOIN.LEFT_OUTER, on=(MachineSecret.user == User.id), attr="secret_row")
            .where(User.type == UserType.MACHINE))
    found = list(base.where(User.username_key == fold(client_id)).limit(2))
    if len(found) != 1:
        found = list(base.where(User.id == client_id))
    if len(found) != 1:
        return None
    user = found[0]
    secret = getattr(user, "secret_row", None)
    return user, secret if secret is not None and secret.id is not None else None


def machine_user(user_id):
    return User.get_or_none((User.id == user_id) & (User.type == UserType.MACHINE))


def valid_key(user_id, key_id):
    """The unexpired machine key key_id of user_id, or None."""
    if not storable(key_id, MachineKey.id.max_length):
        return None
    return MachineKey.get_or_none((MachineKey.id == key_id) & (MachineKey.user == user_id)
                                  & (MachineKey.expires_at > utcnow()))


def new_token_id():
    return new_id()


def new_opaque_token():
    return OPAQUE_PREFIX + secrets.token_urlsafe(32)


def record_token(token_id, user_id, credential_kind, credential_id, scopes, lifetime_seconds, *, opaque_token=None):
    """Store an issued token (only the hash of an opaque one); returns the row."""
    now = utcnow()
    if secrets.randbelow(PRUNE_EVERY) == 0:
        AccessToken.delete().where(AccessToken.expires_at < now - PRUNE_AFTER).execute()
    return AccessToken.create(
        id=token_id, user=user_id, token_hash=token_hash(opaque_token) if opaque_token else None,
        credential_kind=credential_kind, credential_id=credential_id, scopes=scopes or "", issued_at=now,
        expires_at=now + datetime.timedelta(seconds=lifetime_seconds),
    )


_BY_HASH = PreparedQuery(lambda hashed: AccessToken.select(AccessToken, User).join(User)
                         .where(AccessToken.token_hash == hashed).limit(1))
_BY_ID = PreparedQuery(lambda token_id: AccessToken.select(AccessToken, User).join(User)
                       .where(AccessToken.id == token_id).limit(1))


def _first(rows):
    return rows[0] if rows else None


def find_opaque(token):
    """The token row (user loaded) of an opaque access token, whatever its state, or None."""
    if not token.startswith(OPAQUE_PREFIX):
        return None
    return _first(_BY_HASH.rows(token_hash(token)))


def find_by_id(token_id):
    """The token row (user loaded) of a JWT access token's jti, or None."""
    if not isinstance(token_id, str) or len(token_id) > 32:
        return None
    return _first(_BY_ID.rows(token_id))


def is_active(row) -> bool:
    return row is not None and not row.revoked and row.expires_at > utcnow() and usable(row.user)


def revoke(row):
    AccessToken.update(revoked=True).where(AccessToken.id == row.id).execute()


def revoke_credential(credential_id):
    """Revoke every token obtained with a credential (inside the caller's transaction)."""
    AccessToken.update(revoked=True).where(
        (AccessToken.credential_id == credential_id) & (AccessToken.revoked == False)  # noqa: E712
    ).execute()
