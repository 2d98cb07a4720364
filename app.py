"""The gateway's Flask application: `gunicorn app:app`, or create_app() in tests."""
import logging
import os

import peewee
from flask import Flask, jsonify, request
from flask.sessions import NullSession, SessionInterface
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import BaseConverter

import management
import oauth
import request_context
import scim
from auth import bootstrap
from body_limit import BodyLimit
from config import Settings
from management import errors as management_errors
from models import consistency, orgs
from models.db import (
    UNAVAILABLE_ERRORS,
    db,
    drop_connection,
    is_connection_error,
    migrate,
    open_database,
    schema_lock,
    sqlite_url,
)
from models.errors import DomainError
from models.ids import reseed
from models.orgs import ensure_default_org
from scim import errors as scim_errors
from transfer import cli as transfer_cli

log = logging.getLogger("gateway")


class OrgIdConverter(BaseConverter):
    """Organisation ids are numeric, which keeps /scim/v2/<orgId>/... apart from /scim/v2/Users/..."""

    regex = r"[0-9]{1,32}"


def _prepare_database(settings, instance_path):
    url = settings.database_url or sqlite_url(os.path.join(instance_path, "gateway.db"))
    database = open_database(url)
    orgs.configure(settings.org_domain_suffix)
    with database.connection_context(), schema_lock(database):
        migrate(database)
        orgs.assign_missing_domains()
        org = ensure_default_org()
        if settings.admin_token:
            bootstrap.ensure_admin_token(org, settings.admin_token)
    return database


def _scim_error_handlers(app, settings):
    def is_scim():
        return request.path.startswith("/scim/")

    @app.errorhandler(scim_errors.ScimError)
    def scim_error(error):
        return scim_errors.render(error)

    @app.errorhandler(DomainError)
    def domain_error(error):
        if is_scim():
            return scim_errors.render(scim_errors.from_domain(error))
        return jsonify({"code": 2, "message": error.message}), 500

    @app.errorhandler(HTTPException)
    def http_error(error):
        # Unknown routes and methods belong to no blueprint, so their handlers never see them.
        if management.is_management_path(request.path):
            return management_errors.render_http_error(error)
        if oauth.is_oauth_path(request.path):
            return oauth.render_http_error(error)
        if is_scim():
            detail = {404: "no such endpoint", 405: "method not allowed on this endpoint",
                      413: f"the request body exceeds the limit of {settings.max_body_bytes} bytes",
                      }.get(error.code, error.description)
            # RFC 7644 §3.12 defines tooMany for 400 only; its 413 example has no scimType.
            scim_type = {400: "invalidValue"}.get(error.code)
            return scim_errors.render(scim_errors.ScimError(error.code, detail, scim_type))
        return error

    def database_down(error):
        if not is_connection_error(error):
            return unexpected(error)
        # The server is down or restarting: answer at once (no hang), and reconnect on the next request.
        log.error("database unavailable: %s", error)
        drop_connection()
        if management.is_management_path(request.path):
            response = management_errors.render(management_errors.UNAVAILABLE,
                                                "the database is unavailable; retry shortly")
        else:
            response = scim_errors.render(scim_errors.ScimError(503, "the database is unavailable; retry shortly"))
        response.headers["Retry-After"] = "5"
        return response

    for error_class in UNAVAILABLE_ERRORS:
        app.register_error_handler(error_class, database_down)

    @app.errorhandler(Exception)
    def unexpected(error):
        log.exception("unhandled error on %s %s", request.method, request.path)
        if is_scim():
            return scim_errors.render(scim_errors.ScimError(500, "internal server error"))
        return jsonify({"code": 13, "message": "An internal error occurred"}), 500


class _NoSessions(SessionInterface):
    """No cookie sessions: every caller presents a bearer token. Flask's default interface builds
    a fresh NullSession on every request; one, which refuses any write, serves them all."""

    _null = NullSession()

    def open_session(self, app, request):
        return self._null

    def save_session(self, app, session, response):
        pass


class GatewayFlask(Flask):
    """Flask, asking once per view or hook (not on every call) whether it is a coroutine.

    Flask's ensure_sync, its documented override point, inspects each function each time
    it calls it: five times per request here, and this gateway has no async views.
    """

    session_interface = _NoSessions()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._ensured = {}

    def ensure_sync(self, func):
        try:
            return self._ensured[func]
        except KeyError:
            ensured = self._ensured[func] = super().ensure_sync(func)
            return ensured
        except TypeError:  # an unhashable callable
            return super().ensure_sync(func)


def create_app(settings: Settings | None = None):
    settings = settings or Settings.from_env()
    request_context.configure_logging(settings.log_level)
    app = GatewayFlask(__name__, instance_relative_config=True)
    app.config["SETTINGS"] = settings
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.url_map.converters["scim_org"] = OrgIdConverter
    if settings.trusted_proxies:
        # Behind TLS-terminating proxies: take the client address, scheme and host from their
        # X-Forwarded-* headers (rate limits per address, links, issuer), trusting only that many hops.
        hops = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)
    app.wsgi_app = BodyLimit(app.wsgi_app, settings.max_body_bytes)
    app.url_map.strict_slashes = False
    reseed()
    _prepare_database(settings, app.instance_path)

    request_context.install(app)

    @app.before_request
    def open_connection():
        # One connection per worker thread, kept across requests (opening one
        # costs more than most queries). Not for the probes: liveness must not
        # fail with the database, and readiness reports it in its own answer.
        if request.endpoint not in ("healthz", "readyz"):
            db.connect(reuse_if_open=True)

    @app.get("/healthz")
    def healthz():
        return jsonify({"status": "ok"})

    @app.get("/readyz")
    def readyz():
        try:
            db.connect(reuse_if_open=True)
            db.execute_sql("SELECT 1")
        except (peewee.DatabaseError, peewee.InterfaceError) as error:
            log.warning("readiness check failed: %s", error)
            # A dead connection kept would fail every later probe on this thread
            # even once the database is back (an unready pod gets no other traffic).
            drop_connection()
            return jsonify({"status": "database unavailable"}), 503
        return jsonify({"status": "ready"})

    for blueprint in scim.blueprints():
        app.register_blueprint(blueprint)
    app.register_blueprint(management.blueprint())
    oauth.init_app(app)
    _scim_error_handlers(app, settings)

    app.cli.add_command(transfer_cli.users)

    @app.cli.command("migrate")
    def migrate_command():
        """Bring the database schema up to date (loading the app already does; this reports it)."""
        print("database schema is up to date")

    @app.cli.command("check-consistency")
    def check_consistency_command():
        """Verify that the tables and the event log agree (run after a crash); exit 1 on problems."""
        with db.connection_context():
            problems = consistency.check()
        for problem in problems:
            print(problem)
        print(f"{len(problems)} problems")
        raise SystemExit(1 if problems else 0)

    @app.cli.command("create-admin-token")
    def create_admin_token():
        """Create a personal access token for the bootstrap administrator and print it once."""
        with db.connection_context():
            token = bootstrap.new_admin_token(ensure_default_org())
        print(token)

    return app


def __getattr__(name):
    # `gunicorn app:app` and `flask --app app` get an application configured
    # from the environment; importing this module (tests) creates nothing.
    if name == "app":
        globals()["app"] = create_app()
        return globals()["app"]
    raise AttributeError(name)
