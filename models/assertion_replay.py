"""One use per JWT-profile assertion (RFC 7523 §3, item 7): the used-assertion register.

Each assertion the token service accepts is recorded here, in the transaction
that issues its access token, under its identity: `jti:<jti>` when it has a
`jti` claim, else `sha256:<hash of the whole assertion>`. Identities are kept
per issuer (the machine user), so one user cannot burn another's jti. A unique
index on (issuer, identity) makes the second use fail, even when two requests
race: the loser's insert waits for the winner's transaction and then violates
the index. Nothing here is secret: a jti is an identifier, and a hash of a
signed assertion cannot be turned back into it.

A row is needed only while its assertion could otherwise still be accepted:
until its `exp`, and no later than `iat` + the maximum assertion age. Rows past
that (plus the verifier's clock leeway) are deleted a few at a time on insert.
"""
import datetime
import hashlib

import peewee as pw

from .db import db, is_postgres
from .tables import BaseModel, DateTimeField, utcnow

MAX_JTI_LENGTH = 200
# Rows this long past their expiry go: longer than any clock leeway of the verifier.
PURGE_AFTER = datetime.timedelta(minutes=5)
# At most this many expired rows are deleted per insert, so no token request pays for a backlog.
PURGE_BATCH = 100


class AssertionReplayed(Exception):
    """The assertion was already used to obtain a token."""


class InvalidJti(ValueError):
    """The assertion's jti claim is not a non-empty string (RFC 7519 §4.1.7)."""


class UsedAssertion(BaseModel):
    """An assertion that obtained a token; expires_at: past it the assertion is refused anyway."""

    id = pw.BigAutoField()
    issuer = pw.CharField(max_length=200)
    identity = pw.CharField(max_length=MAX_JTI_LENGTH + 8)
    expires_at = DateTimeField()
    used_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("issuer", "identity"), True), (("expires_at",), False))


def identity_of(assertion: str, claims) -> str:
    """`jti:<jti>` for an assertion with a jti claim, else `sha256:<hash of the assertion>`."""
    jti = claims.get("jti")
    if jti is None:
        return "sha256:" + hashlib.sha256(assertion.encode("utf-8")).hexdigest()
    if not isinstance(jti, str) or not jti:
        raise InvalidJti("the jti claim must be a non-empty string")
    if len(jti) > MAX_JTI_LENGTH:
        # Still one identity per jti, in bounded space.
        return "jti-sha256:" + hashlib.sha256(jti.encode("utf-8")).hexdigest()
    return "jti:" + jti


def _epoch_to_utc(seconds) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(seconds, datetime.UTC).replace(tzinfo=None)


def use_once(assertion: str, claims, max_age_seconds: int):
    """Record that `assertion` (already verified, `claims` its payload) is being used.

    Call inside the transaction that issues the token, so a failed issue leaves
    the assertion unused. Raises AssertionReplayed when it was used before (the
    caller's transaction stays usable: the insert runs in a savepoint), and
    InvalidJti for a jti that is not a non-empty string.
    """
    identity = identity_of(assertion, claims)
    issuer = claims["iss"]
    expires_at = _epoch_to_utc(min(claims["exp"], claims["iat"] + max_age_seconds))
    _purge_expired()
    try:
        with db.atomic():
            UsedAssertion.insert(issuer=issuer, identity=identity, expires_at=expires_at,
                                 used_at=utcnow()).execute()
    except pw.IntegrityError:
        raise AssertionReplayed(identity) from None


def _purge_expired():
    """Delete up to PURGE_BATCH rows expired for longer than PURGE_AFTER."""
    stale = (UsedAssertion.select(UsedAssertion.id)
             .where(UsedAssertion.expires_at < utcnow() - PURGE_AFTER)
             .order_by(UsedAssertion.expires_at).limit(PURGE_BATCH))
    if is_postgres():
        # Rows another token request is already deleting are left to it: no waiting, no deadlock.
        stale = stale.for_update("FOR UPDATE SKIP LOCKED")
    UsedAssertion.delete().where(UsedAssertion.id.in_(stale)).execute()
