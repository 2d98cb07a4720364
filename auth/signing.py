"""The service's own JWT signing keys: sign access tokens, verify them anywhere.

Design (README "Token service"): every gateway process (gunicorn worker)
generates its own RSA key pair in memory on first use and publishes only the
public key, with its kid (RFC 7638 thumbprint), in the database
(models/signing_keys.py). The private key never leaves the process: nothing to
configure, nothing secret in the database or in a setting. Every worker and
every instance sharing the database verifies any other's tokens through the
published public keys, which it caches by kid (a public key never changes
under its kid). A process rotates to a new key every signing_key_rotation
seconds; a key stays published until the last token it signed has expired,
so the JWKS lists each live process's current key and, for one token
lifetime after a rotation, its previous one.
"""
import dataclasses
import datetime
import os
import threading
import time

from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

from models import signing_keys

ALGORITHM = "RS256"
TOKEN_TYPE = "at+jwt"
KEY_BITS = 2048
# Clock skew allowed between gateway instances.
LEEWAY = 60


class InvalidToken(Exception):
    """The JWT is not an access token signed by this service, or has expired."""


@dataclasses.dataclass
class _ProcessKey:
    pid: int
    kid: str
    key: RSAKey
    rotate_at: float


_lock = threading.Lock()
_current: _ProcessKey | None = None
# kid -> (public RSAKey, expiry as epoch seconds)
_public: dict[str, tuple[RSAKey, float]] = {}


def _utc(epoch):
    return datetime.datetime.fromtimestamp(epoch, datetime.UTC).replace(tzinfo=None)


def _signing_key(rotation_seconds, token_lifetime_seconds):
    global _current
    now = time.time()
    with _lock:
        current = _current
        # A forked worker must not sign with its parent's key: it makes its own.
        if current is None or current.pid != os.getpid() or now >= current.rotate_at:
            key = RSAKey.generate_key(KEY_BITS, private=True)
            kid = key.thumbprint()
            public = {**key.as_dict(private=False), "kid": kid, "alg": ALGORITHM, "use": "sig"}
            # The last token this key signs is signed before rotate_at and lives token_lifetime.
            expires = now + rotation_seconds + token_lifetime_seconds + LEEWAY
            signing_keys.publish(kid, public, _utc(expires))
            _public[kid] = (RSAKey.import_key(public), expires)
            current = _current = _ProcessKey(os.getpid(), kid, key, now + rotation_seconds)
        return current


def prepare(*, rotation_seconds, token_lifetime_seconds):
    """Make (and publish, committed) this process's current key now, so that signing inside a
    caller's transaction does not publish a key that a rollback would unpublish."""
    _signing_key(rotation_seconds, token_lifetime_seconds)


def sign(claims, *, rotation_seconds, token_lifetime_seconds):
    current = _signing_key(rotation_seconds, token_lifetime_seconds)
    header = {"alg": ALGORITHM, "typ": TOKEN_TYPE, "kid": current.kid}
    return jwt.encode(header, claims, current.key, algorithms=[ALGORITHM])


def looks_like_jwt(token):
    return token.startswith("eyJ") and token.count(".") == 2


def _public_key(kid):
    cached = _public.get(kid)
    if cached is not None and cached[1] > time.time():
        return cached[0]
    found = signing_keys.find(kid)
    if found is None:
        raise InvalidToken("unknown key")
    public, expires_at = found
    key = RSAKey.import_key(public)
    _public[kid] = (key, expires_at.replace(tzinfo=datetime.UTC).timestamp())
    return key


def verify(token, issuer=None):
    """The claims of a valid, unexpired access token signed by any gateway process; else InvalidToken."""
    try:
        header = jws.extract_compact(token.encode("ascii")).headers()
    except (JoseError, ValueError, UnicodeEncodeError):
        raise InvalidToken("malformed") from None
    # Only our own algorithm: no `none`, no HMAC with a public key as the secret.
    if header.get("alg") != ALGORITHM or header.get("typ") != TOKEN_TYPE or not isinstance(header.get("kid"), str):
        raise InvalidToken("not an access token of this service")
    key = _public_key(header["kid"])
    try:
        claims = jwt.decode(token, key, algorithms=[ALGORITHM]).claims
        options = {"exp": {"essential": True}, "jti": {"essential": True}, "sub": {"essential": True}}
        if issuer:
            options["iss"] = {"essential": True, "value": issuer}
        jwt.JWTClaimsRegistry(leeway=LEEWAY, **options).validate(claims)
    except (JoseError, ValueError) as error:
        raise InvalidToken(str(error)) from None
    return claims
