"""Serve the python-scim reference server (``scim2-server``) the way our gateway is served.

The conformance harness in ``tests/conformance`` is checked against this server when
``SCIM_TEST_TARGET=reference`` (see ``tests/conformance/conftest.py``). It mounts the
in-memory SCIM service under ``/scim/v2`` and answers ``GET /healthz`` like the
gateway does, so every runner sees the same URLs with both servers.

It needs ``scim2-server`` from PyPI, which is *not* one of the project's requirements:
run it with the Python of a separate virtualenv, e.g.::

    python3 -m venv /tmp/refvenv && /tmp/refvenv/bin/pip install scim2-server
    /tmp/refvenv/bin/python scripts/ref_scim_server.py --port 8081 --token secret

Usage: ref_scim_server.py --port PORT --token TOKEN [--host 127.0.0.1] [--users-only]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import secrets
import sys
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

MOUNT = "/scim"  # scim2-server serves its endpoints under "<script name>/v2"


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - signature of the base class
        sys.stderr.write("ref-scim %s\n" % (format % args))


def build_app(token: str, users_only: bool):
    from scim2_models import ScimProvider
    from scim2_server.memory import InMemoryStorage
    from scim2_server.service import ScimService
    from scim2_server.testserver.application import (
        BEARER_TOKEN_SCHEME,
        BearerTokenApplication,
    )
    from scim2_server.utils import (
        load_default_resource_types,
        load_default_schemas,
        load_default_service_provider_config,
    )

    resource_types = load_default_resource_types()
    if users_only:
        resource_types = {"User": resource_types["User"]}
    config = load_default_service_provider_config()
    config.authentication_schemes = [
        *(config.authentication_schemes or []),
        BEARER_TOKEN_SCHEME,
    ]
    provider = ScimProvider.from_discovery(load_default_schemas().values(), resource_types.values(), config=config)
    scim = BearerTokenApplication(
        InMemoryStorage(),
        provider,
        service=ScimService(provider, secret=secrets.token_urlsafe(32)),
        bearer_tokens=[token],
    )

    def app(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/healthz":
            body = json.dumps({"status": "ok"}).encode()
            start_response(
                "200 OK",
                [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
            )
            return [body]
        if path == MOUNT or path.startswith(MOUNT + "/"):
            environ = dict(environ)
            environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + MOUNT
            environ["PATH_INFO"] = path[len(MOUNT) :]
            return scim(environ, start_response)
        body = json.dumps(
            {
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
                "status": "404",
                "detail": "Not found",
            }
        ).encode()
        start_response(
            "404 Not Found",
            [("Content-Type", "application/scim+json"), ("Content-Length", str(len(body)))],
        )
        return [body]

    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument(
        "--users-only",
        action="store_true",
        help="publish only the User resource type (as the gateway does for now)",
    )
    args = parser.parse_args(argv)
    app = build_app(args.token, args.users_only)
    with make_server(args.host, args.port, app, server_class=_ThreadingServer, handler_class=_QuietHandler) as server:
        print(f"reference SCIM server on http://{args.host}:{args.port}{MOUNT}/v2", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()


if __name__ == "__main__":
    main()
