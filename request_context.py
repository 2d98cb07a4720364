"""Per-request plumbing every API shares: request ids in logs and security headers.

Every response carries an X-Request-Id (the caller's, when it sent a sane
one, else a new one) and every log line written while serving the request
names it, so an operator can follow one request through the logs. Responses
are never cached (they carry identities and may carry secrets shown once)
and are not MIME-sniffed.
"""
import logging
import random
import re

from flask import abort, current_app, has_request_context, request

_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def public_origin():
    """Where callers reach us: ISSUER when set, else this request's scheme://host and mount path.

    Built from the request's own ASCII host; werkzeug's host_url also decodes it to an IRI,
    at a cost every rendered resource would pay several times.
    """
    issuer = current_app.config["SETTINGS"].issuer
    if issuer:
        return issuer
    current = request._get_current_object()  # (one context lookup, not three)
    return f"{current.scheme}://{current.host}{current.root_path}"


_base_factory = logging.getLogRecordFactory()


def _record_with_request_id(*args, **kwargs):
    # On every record, so that any handler (ours, gunicorn's, an operator's) can show it.
    record = _base_factory(*args, **kwargs)
    record.request_id = request_id(request.environ) if has_request_context() else "-"
    return record


def request_id(environ):
    """The id of the request of environ: the caller's X-Request-Id when sane, else a new one (kept in environ)."""
    assigned = environ.get(_REQUEST_ID_KEY)
    if assigned is None:
        incoming = environ.get("HTTP_X_REQUEST_ID", "")
        # An id names a request in logs; it needs to be unique, not secret, and the random module
        # (reseeded in each forked worker) is cheaper than a system call per request.
        assigned = environ[_REQUEST_ID_KEY] = (
            incoming if _SANE_ID.match(incoming) else f"{random.getrandbits(128):032x}")
    return assigned


LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def configure_logging(level):
    logging.setLogRecordFactory(_record_with_request_id)
    root = logging.getLogger()
    # Replace the handler we installed before (create_app may run more than once in a process).
    for old in [h for h in root.handlers if getattr(h, "_gateway", False)]:
        root.removeHandler(old)
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler._gateway = True
    root.addHandler(handler)
    root.setLevel(level)


def install(app):
    @app.before_request
    def refuse_unreadable_urls():
        # Each API renders these 400s in its own error format. Read from the raw environ:
        # PostgreSQL cannot store NUL characters; one in a path or query would reach the driver
        # as a string it refuses, and it reaches the decoded path or query only as itself or as %00.
        environ = request.environ
        query = environ.get("QUERY_STRING", "")
        if "\x00" in environ.get("PATH_INFO", "") or "%00" in query or "\x00" in query:
            abort(400, description="NUL characters are not allowed in URLs")
        # Werkzeug decodes the raw query string as UTF-8 and raises on anything else (a 500);
        # percent-escaped bytes are fine, only raw ones can be invalid.
        if not query.isascii():
            try:
                query.encode("latin-1").decode("utf-8")
            except UnicodeError:
                abort(400, description="the query string is not valid UTF-8")

    app.wsgi_app = _Hardened(app.wsgi_app)


# The environ key under which a request's id reaches _Hardened.
_REQUEST_ID_KEY = "gateway.request_id"
_SECURITY_ITEMS = [(name.lower(), (name, value)) for name, value in SECURITY_HEADERS.items()]


class _Hardened:
    """Adds the security headers and X-Request-Id to every response, at the WSGI level.

    Here, not in an after_request hook: it also covers a response Flask did not build through
    its hooks, and a header list is extended as it is (these are constants and checked ids),
    without werkzeug validating each header on every request.
    """

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        assigned = request_id(environ)

        def start(status, headers, exc_info=None):
            present = {name.lower() for name, _ in headers}  # a route may set its own Cache-Control
            headers.extend(item for lowered, item in _SECURITY_ITEMS if lowered not in present)
            if "x-request-id" in present:
                headers[:] = [item for item in headers if item[0].lower() != "x-request-id"]
            headers.append(("X-Request-Id", assigned))
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, start)
