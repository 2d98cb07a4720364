"""The OAuth 2.0 token service on authlib: client credentials, JWT profile (RFC 7523),
introspection (RFC 7662) and revocation (RFC 7009), for machine users.

A machine user is the OAuth client: with its client secret (client_id = its
userName, ZITADEL's clientId) or with a JWT assertion signed by one of its
machine keys (iss = sub = its id, kid = the key id). Its accessTokenType picks
the kind of access token: opaque (stored hashed) or a JWT signed by the
service (auth/signing.py).
"""
import datetime
import time

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import (
    ClientMixin,
    InvalidClientError,
    InvalidGrantError,
    OAuth2Error,
    UnsupportedTokenTypeError,
)
from authlib.oauth2.rfc6749.authenticate_client import authenticate_client_secret_basic
from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant
from authlib.oauth2.rfc6749.util import extract_basic_authorization
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7523 import JWTBearerGrant
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from flask import current_app
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

from auth import signing
from auth.permissions import has_permission
from auth.principal import JWT, OPAQUE, resolve
from models import access_tokens, assertion_replay
from models.credential_tables import CredentialKind
from models.db import transaction
from models.machine_credentials import secret_matches
from models.members import roles_of
from request_context import public_origin

SECRET_METHODS = ["client_secret_basic", "client_secret_post"]
# Signature algorithms accepted on assertions: RSA only, as machine keys are RSA keys.
ASSERTION_ALGORITHMS = ("RS256", "RS384", "RS512")
# ZITADEL: an assertion's iat must not be older than one hour.
MAX_ASSERTION_AGE = 3600
JWT_ACCESS_TOKEN = 1
MAX_SCOPE_LENGTH = 2000


def settings():
    return current_app.config["SETTINGS"]


def issuer():
    """ISSUER, else the request's base URL: the `iss` of our tokens and the `aud` assertions must name."""
    return public_origin()


class MachineClient(ClientMixin):
    """A machine user acting as an OAuth client; `credential` is what it authenticated with."""

    def __init__(self, user, secret_row=None):
        self.user, self.secret_row = user, secret_row
        self.credential = None

    def get_client_id(self):
        return self.user.username

    def get_default_redirect_uri(self):
        return None

    def get_allowed_scope(self, scope):
        return " ".join((scope or "").split())[:MAX_SCOPE_LENGTH]

    def check_redirect_uri(self, redirect_uri):
        return False

    def check_client_secret(self, client_secret):
        if self.secret_row is None or not secret_matches(self.secret_row, client_secret):
            return False
        self.credential = (CredentialKind.SECRET, self.secret_row.id)
        return True

    def check_endpoint_auth_method(self, method, endpoint):
        return method in SECRET_METHODS

    def check_response_type(self, response_type):
        return False

    def check_grant_type(self, grant_type):
        return grant_type in (ClientCredentialsGrant.GRANT_TYPE, JWTBearerGrant.GRANT_TYPE)


def authenticate_basic(query_client, oauth_request):
    """authlib's client_secret_basic, but Basic credentials that are not base64 of UTF-8 are an
    invalid_client: authlib lets its parser's UnicodeDecodeError or ValueError escape (a 500)."""
    try:
        extract_basic_authorization(oauth_request.headers)
    except ValueError:
        raise InvalidClientError(status_code=401, description="The Basic credentials are not base64 of UTF-8 "
                                                               "client_id:client_secret.") from None
    return authenticate_client_secret_basic(query_client, oauth_request)


def query_client(client_id):
    found = access_tokens.client_by_client_id(client_id)
    if found is None or not access_tokens.usable(found[0]):
        return None
    return MachineClient(*found)


class ClientCredentials(ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = SECRET_METHODS


class JWTProfile(JWTBearerGrant):
    """RFC 7523 with ZITADEL's rules: kid = a machine key of iss, sub = iss, aud = the issuer, recent iat;
    and each assertion obtains one token only (models/assertion_replay.py)."""

    CLAIMS_OPTIONS = {"iss": {"essential": True}, "sub": {"essential": True}, "aud": {"essential": True},
                      "exp": {"essential": True}, "iat": {"essential": True}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._kid = None
        self._client = None
        self._assertion = self._claims = None

    def process_assertion_claims(self, assertion):
        claims = super().process_assertion_claims(assertion)
        self._assertion, self._claims = assertion, claims
        return claims

    def extract_assertion(self, assertion):
        try:
            headers, claims = super().extract_assertion(assertion)
        except RecursionError:
            # authlib catches ValueError only; JSON nested deeper than the interpreter's stack is not one.
            raise InvalidGrantError(description="Invalid JWT payload.") from None
        # Refuse before any key is touched: no `none`, no HMAC keyed with a public key.
        if headers.get("alg") not in ASSERTION_ALGORITHMS:
            raise InvalidGrantError(description="The assertion must be signed with RS256 by a machine key.")
        if not isinstance(headers.get("kid"), str) or not headers["kid"]:
            raise InvalidGrantError(description="The assertion names no key (kid).")
        self._kid = headers["kid"]
        return headers, claims

    def resolve_issuer_client(self, issuer_id):
        if self._client is None or self._client.user.id != issuer_id:
            user = access_tokens.machine_user(issuer_id)
            self._client = MachineClient(user) if access_tokens.usable(user) else None
        return self._client

    def resolve_client_public_key(self, client):
        key = access_tokens.valid_key(client.user.id, self._kid)
        if key is None:
            raise InvalidGrantError(description="The key of the assertion is unknown, expired or deleted.")
        client.credential = (CredentialKind.KEY, key.id)
        try:
            return RSAKey.import_key(key.public_key)
        except (JoseError, ValueError):
            raise InvalidGrantError(description="The key of the assertion cannot be used.") from None

    def get_audiences(self):
        base = issuer()
        return [base, base + "/", base + "/oauth/v2/token"]

    def verify_claims(self, claims):
        super().verify_claims(claims)
        issued_at, now = claims.get("iat"), time.time()
        if not isinstance(issued_at, int | float) or issued_at < now - MAX_ASSERTION_AGE \
                or issued_at > now + self.LEEWAY:
            raise InvalidGrantError(description="The assertion's iat must be within the last hour.")
        if claims.get("sub") != claims.get("iss"):
            raise InvalidGrantError(description="The assertion's sub must be its iss (the machine user id).")

    def authenticate_user(self, subject):
        client = self._client
        return client.user if client is not None and client.user.id == subject else None

    def has_granted_permission(self, client, user):
        return client.user.id == user.id

    def create_token_response(self):
        """Record the assertion as used and issue its token in one transaction: a second use is refused.

        Two requests racing with one assertion meet at the register's unique index: one
        token, one invalid_grant.
        """
        if self.request.client.user.access_token_type == JWT_ACCESS_TOKEN:
            config = settings()
            signing.prepare(rotation_seconds=config.signing_key_rotation,
                            token_lifetime_seconds=config.jwt_access_token_lifetime)
        try:
            with transaction():
                assertion_replay.use_once(self._assertion, self._claims, MAX_ASSERTION_AGE)
                return super().create_token_response()
        except assertion_replay.AssertionReplayed:
            raise InvalidGrantError(description="The assertion has already been used; "
                                                "sign a new one (with a new jti) for each token request.") from None
        except assertion_replay.InvalidJti:
            raise InvalidGrantError(description="The assertion's jti must be a non-empty string.") from None


def generate_token(grant_type, client, user=None, scope=None, expires_in=None, include_refresh_token=False):
    """Issue and record an access token of the kind the machine user asked for (accessTokenType).

    The row is written here, not in save_token, because a JWT's jti is the row id.
    """
    config, owner = settings(), client.user
    credential_kind, credential_id = client.credential
    token_id = access_tokens.new_token_id()
    if owner.access_token_type == JWT_ACCESS_TOKEN:
        lifetime = config.jwt_access_token_lifetime
        now = int(time.time())
        claims = {"iss": issuer(), "sub": owner.id, "aud": [owner.username, issuer()], "client_id": owner.username,
                  "iat": now, "nbf": now, "exp": now + lifetime, "jti": token_id,
                  "urn:zitadel:iam:user:resourceowner:id": owner.org_id}
        if scope:
            claims["scope"] = scope
        token = signing.sign(claims, rotation_seconds=config.signing_key_rotation,
                             token_lifetime_seconds=lifetime)
        access_tokens.record_token(token_id, owner.id, credential_kind, credential_id, scope, lifetime)
    else:
        lifetime = config.opaque_access_token_lifetime
        token = access_tokens.new_opaque_token()
        access_tokens.record_token(token_id, owner.id, credential_kind, credential_id, scope, lifetime,
                                   opaque_token=token)
    answer = {"access_token": token, "token_type": "Bearer", "expires_in": lifetime}
    if scope:
        answer["scope"] = scope
    return answer


def save_token(token, oauth_request):
    """Nothing left to do: generate_token recorded the token."""


class UnsupportedTokenType(OAuth2Error):
    """authlib answers an unknown token_type_hint with 401; RFC 7009 §2.2.1 returns this error as
    RFC 6749 §5.2 does, with 400: the client did authenticate."""

    error = "unsupported_token_type"
    status_code = 400


class TokenTypeHint:
    """Introspection and revocation: an unknown token_type_hint is a 400."""

    def check_params(self, request, client):
        try:
            super().check_params(request, client)
        except UnsupportedTokenTypeError:
            raise UnsupportedTokenType(description="token_type_hint must be one of: "
                                                   + ", ".join(self.SUPPORTED_TOKEN_TYPES)) from None


class KnownToken:
    """A token the introspection or revocation endpoint found (authlib's TokenMixin)."""

    def __init__(self, bearer):
        self.bearer = bearer

    def check_client(self, client):
        return self.bearer.user.id == client.user.id

    def is_expired(self):
        return False

    def is_revoked(self):
        return False


class Introspection(TokenTypeHint, IntrospectionEndpoint):
    CLIENT_AUTH_METHODS = SECRET_METHODS

    def query_token(self, token_string, token_type_hint):
        # The one bearer validator: what it refuses is inactive here too.
        bearer = resolve(token_string)
        return KnownToken(bearer) if bearer is not None else None

    def check_permission(self, token, client, request):
        """A client introspects its own tokens, and any token of an org where it may read users."""
        if token.check_client(client):
            return True
        return has_permission(roles_of(client.user.id), token.bearer.user.org_id, "user.read")

    def introspect_token(self, token):
        bearer, owner = token.bearer, token.bearer.user
        row = bearer.row
        issued = row.issued_at if bearer.kind in (JWT, OPAQUE) else row.created_at
        payload = {"active": True, "sub": owner.id, "username": owner.username, "client_id": owner.username,
                   "token_type": "Bearer", "iss": issuer(), "exp": _epoch(row.expires_at), "iat": _epoch(issued),
                   "urn:zitadel:iam:user:resourceowner:id": owner.org_id}
        if row.scopes:
            payload["scope"] = row.scopes
        return payload


def _epoch(naive_utc):
    return int(naive_utc.replace(tzinfo=datetime.UTC).timestamp())


class Revocation(TokenTypeHint, RevocationEndpoint):
    """Revokes access tokens of the calling client (personal access tokens are removed through the API)."""

    CLIENT_AUTH_METHODS = SECRET_METHODS

    def query_token(self, token_string, token_type_hint):
        bearer = resolve(token_string)
        if bearer is None or bearer.kind not in (JWT, OPAQUE):
            return None
        return KnownToken(bearer)

    def revoke_token(self, token, request):
        access_tokens.revoke(token.bearer.row)


class GatewayAuthorizationServer(AuthorizationServer):
    def init_app(self, app, query_client=None, save_token=None):
        super().init_app(app, query_client, save_token)
        self.register_token_generator("default", generate_token)


def create_server(app):
    server = GatewayAuthorizationServer()
    server.init_app(app, query_client=query_client, save_token=save_token)
    server.register_client_auth_method("client_secret_basic", authenticate_basic)
    server.register_grant(ClientCredentials)
    server.register_grant(JWTProfile)
    server.register_endpoint(Introspection)
    server.register_endpoint(Revocation)
    return server
