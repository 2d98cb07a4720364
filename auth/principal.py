"""Resolving a bearer token to the calling user: the single validator of every API.

Three kinds of bearer are accepted, each with one indexed query:
personal access tokens (by hash), opaque access tokens of /oauth/v2/token
(prefixed, by hash) and JWT access tokens of /oauth/v2/token (signature
checked against the cached published keys, then the token row by its jti).
The row check is what makes revocation, a deleted secret or key and a
deactivated or locked user take effect at once, for JWTs too.
"""
import dataclasses
import datetime

from flask import current_app, has_app_context

from models import access_tokens
from models.errors import Unauthenticated
from models.members import roles_of
from models.tables import utcnow
from models.tokens import find_pat

from . import signing
from .principal_cache import PrincipalCache

PAT, OPAQUE, JWT = "pat", "opaque", "jwt"


@dataclasses.dataclass
class Principal:
    user_id: str
    org_id: str
    roles: dict
    token_kind: str
    user: object = None
    # The caller's own metadata (its SCIM switches), once read; kept with the principal only for
    # machine users, whose metadata changes move the auth epoch (migration 0013).
    metadata: dict | None = None

    @property
    def editor_id(self):
        return self.user_id


@dataclasses.dataclass
class Bearer:
    """A valid bearer token: its user, kind and (for access tokens) its row."""

    user: object
    kind: str
    row: object = None
    claims: dict | None = None


def parse_authorization(header):
    """The token from an Authorization header; raises Unauthenticated with ZITADEL's texts."""
    if not header:
        raise Unauthenticated("auth header missing", "", "")
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("invalid auth header", "AUTH-toLo1", "Errors.Token.Invalid")
    return token


def _configured_issuer():
    if not has_app_context():
        return None
    settings = current_app.config.get("SETTINGS")
    return settings.issuer if settings else None


def resolve(token):
    """The Bearer of a token that is valid right now, or None (unknown, expired, revoked, user unusable)."""
    if signing.looks_like_jwt(token):
        try:
            claims = signing.verify(token, _configured_issuer())
        except signing.InvalidToken:
            claims = None
        if claims is not None:
            row = access_tokens.find_by_id(claims["jti"])
            if access_tokens.is_active(row) and row.user_id == claims["sub"]:
                return Bearer(row.user, JWT, row, claims)
            return None
    row = access_tokens.find_opaque(token)
    if row is not None:
        return Bearer(row.user, OPAQUE, row) if access_tokens.is_active(row) else None
    pat = find_pat(token)
    if pat is not None and access_tokens.usable(pat.user) and pat.expires_at > utcnow():
        return Bearer(pat.user, PAT, pat)
    return None


def _resolve_principal(token):
    """(Principal, the time it stops being valid) for a token valid now, or None."""
    bearer = resolve(token)
    if bearer is None:
        return None
    user = bearer.user
    expires_at = bearer.row.expires_at
    if bearer.claims is not None:
        expires_at = min(expires_at, datetime.datetime.fromtimestamp(bearer.claims["exp"] + signing.LEEWAY,
                                                                     datetime.UTC).replace(tzinfo=None))
    principal = Principal(user_id=user.id, org_id=user.org_id, roles=roles_of(user.id), token_kind=bearer.kind,
                          user=user)
    return principal, expires_at


def _principals():
    cache = current_app.extensions.get("principal_cache")
    if cache is None:  # (setdefault alone would build a cache on every request)
        cache = current_app.extensions.setdefault("principal_cache", PrincipalCache())
    return cache


def authenticate(header):
    """The Principal of an Authorization header; raises Unauthenticated.

    Kept between requests while nothing that decides it has changed (auth/principal_cache.py).
    """
    token = parse_authorization(header)
    principal = _principals().get(token, lambda: _resolve_principal(token))
    # Deactivated and locked users cannot use their credentials (reference §6.3).
    if principal is None:
        raise Unauthenticated("Errors.Token.Invalid", "AUTH-7fs1e", "Errors.Token.Invalid")
    return principal
