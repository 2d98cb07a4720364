"""The token service's HTTP adapter: /oauth/v2/token, /introspect, /revoke, /keys and OIDC discovery.

Errors are RFC 6749 JSON (`{"error", "error_description"}`), never the SCIM or
management shapes. The endpoints that check client credentials are
rate-limited per client and per address (flask-limiter): 429 with Retry-After.
"""
import json
import logging

import peewee
from authlib.oauth2.rfc6749.util import extract_basic_authorization
from flask import Blueprint, current_app, jsonify, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from joserfc import jws
from joserfc.errors import JoseError
from werkzeug.exceptions import HTTPException

from models import signing_keys

from . import server as token_service

log = logging.getLogger("gateway.oauth")
PATHS = ("/oauth/", "/.well-known/")
JWKS_MAX_AGE = 60

BLUEPRINT = "oauth"
limiter = Limiter(key_func=get_remote_address, headers_enabled=True, strategy="fixed-window")


def is_oauth_path(path):
    return path.startswith(PATHS)


def oauth_error(status, error, description, headers=None):
    response = jsonify({"error": error, "error_description": description})
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    response.headers.update(headers or {})
    return response


def render_http_error(error: HTTPException):
    if error.code == 429:
        return oauth_error(429, "invalid_request", f"too many requests ({error.description}); retry later")
    if error.code == 404:
        return oauth_error(404, "invalid_request", "no such endpoint")
    if error.code == 405:
        return oauth_error(405, "invalid_request", "method not allowed on this endpoint")
    if error.code >= 500:
        return oauth_error(error.code, "server_error", error.name)
    return oauth_error(error.code, "invalid_request", error.description or error.name)


def _client_key():
    """The client a token request names, unverified (only a rate-limit bucket)."""
    client_id = _basic_client_id() or request.form.get("client_id") or _assertion_issuer(request.form.get("assertion"))
    return "client:" + (client_id or "-")[:200]


def _basic_client_id():
    # authlib's parser, so the bucket names the client authlib will authenticate; werkzeug's
    # request.authorization raises ValueError on a non-ASCII header.
    try:
        client_id, _ = extract_basic_authorization(request.headers)
    except ValueError:
        return None  # the request is refused as invalid_client (server.authenticate_basic)
    return client_id


def _assertion_issuer(assertion):
    """The `iss` of an assertion, read without verifying it; None for anything unreadable."""
    if not isinstance(assertion, str):
        return None
    try:
        claims = json.loads(jws.extract_compact(assertion.encode("utf-8")).payload)
    except (JoseError, ValueError, RecursionError):
        return None
    issuer = claims.get("iss") if isinstance(claims, dict) else None
    return issuer if isinstance(issuer, str) else None


def _per_client():
    return current_app.config["SETTINGS"].token_rate_limit_per_client


def _per_address():
    return current_app.config["SETTINGS"].token_rate_limit_per_address


def _limited(view):
    view = limiter.limit(_per_client, key_func=_client_key)(view)
    return limiter.limit(_per_address, key_func=get_remote_address)(view)


def _server():
    return current_app.extensions["gateway_oauth"]


@_limited
def token():
    return _server().create_token_response()


@_limited
def introspect():
    return _server().create_endpoint_response("introspection")


@_limited
def revoke():
    return _server().create_endpoint_response("revocation")


def keys():
    response = jsonify({"keys": signing_keys.published()})
    # Relying parties refetch when they meet an unknown kid (a new process or a rotation).
    response.headers["Cache-Control"] = f"public, max-age={JWKS_MAX_AGE}"
    return response


def discovery():
    base = token_service.issuer()
    return jsonify({
        "issuer": base,
        "token_endpoint": base + "/oauth/v2/token",
        "introspection_endpoint": base + "/oauth/v2/introspect",
        "revocation_endpoint": base + "/oauth/v2/revoke",
        "jwks_uri": base + "/oauth/v2/keys",
        "grant_types_supported": ["client_credentials", "urn:ietf:params:oauth:grant-type:jwt-bearer"],
        "response_types_supported": [],
        "token_endpoint_auth_methods_supported": token_service.SECRET_METHODS,
        "introspection_endpoint_auth_methods_supported": token_service.SECRET_METHODS,
        "revocation_endpoint_auth_methods_supported": token_service.SECRET_METHODS,
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_signing_alg_values_supported": list(token_service.ASSERTION_ALGORITHMS),
        "scopes_supported": ["openid", "profile", "urn:zitadel:iam:org:project:id:zitadel:aud"],
    })


def _error_handlers(bp):
    bp.register_error_handler(HTTPException, render_http_error)

    @bp.errorhandler(peewee.OperationalError)
    def database_down(error):
        log.error("database unavailable: %s", error)
        return oauth_error(503, "temporarily_unavailable", "the database is unavailable; retry shortly",
                           {"Retry-After": "5"})

    @bp.errorhandler(Exception)
    def unexpected(error):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return oauth_error(500, "server_error", "internal server error")


def blueprint():
    bp = Blueprint(BLUEPRINT, __name__)
    bp.add_url_rule("/oauth/v2/token", view_func=token, methods=["POST"])
    bp.add_url_rule("/oauth/v2/introspect", view_func=introspect, methods=["POST"])
    bp.add_url_rule("/oauth/v2/revoke", view_func=revoke, methods=["POST"])
    bp.add_url_rule("/oauth/v2/keys", view_func=keys, methods=["GET"])
    bp.add_url_rule("/.well-known/openid-configuration", view_func=discovery, methods=["GET"])
    _error_handlers(bp)
    return bp


def init_app(app):
    """Register the token service on app: routes, authlib server, rate limiter."""
    settings = app.config["SETTINGS"]
    # authlib logs every issued token at DEBUG: keep its loggers above that whatever LOG_LEVEL says.
    logging.getLogger("authlib").setLevel(max(logging.INFO, logging.getLogger().getEffectiveLevel()))
    app.config.setdefault("RATELIMIT_STORAGE_URI", settings.ratelimit_storage_uri)
    app.extensions["gateway_oauth"] = token_service.create_server(app)
    _limiter_on_token_service_only(app)
    app.register_blueprint(blueprint())


def _limiter_on_token_service_only(app):
    """Initialise the limiter with its request hooks on the token service's blueprint only.

    Flask-Limiter hooks every request of the app; only the token service has limits,
    and the hooks cost a SCIM lookup about a twentieth of its time.
    """
    registries = (app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs)
    before = [list(registry.get(None, ())) for registry in registries]
    limiter.init_app(app)
    for registry, kept in zip(registries, before, strict=True):
        added = [hook for hook in registry.get(None, ()) if hook not in kept]
        registry[None] = kept
        registry.setdefault(BLUEPRINT, []).extend(added)
