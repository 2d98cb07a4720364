"""Reference server for the benchmarks: python-scim's `scim2-server`, preloaded with the bench users.

    gunicorn bench.scim2_app:app      (BENCH_SCIM2_USERS=users.jsonl, BENCH_SCIM2_SECRET=...)

It is the `scim2-server` command's application (default RFC 7643 schemas and resource types, its
default service provider configuration, in-memory storage) as a WSGI callable, so that it runs
under the same gunicorn settings as the gateway. Its storage lives in the process: each gunicorn
worker loads the users of BENCH_SCIM2_USERS (JSON Lines of SCIM users) on start, through the same
validation and storage calls as POST /Users, with the predictable ids `u0000000`, `u0000001`, …
(line order), so that the suite can address them. Paths are served under /scim/v2 as the gateway's.
"""
import itertools
import os
import sys
import time
import uuid

from scim2_server.memory import InMemoryStorage
from scim2_server.service import ScimService
from scim2_server.testserver.application import BearerTokenApplication
from scim2_server.utils import load_default_provider

PREFIX = "/scim"


class BenchStorage(InMemoryStorage):
    """In-memory storage whose ids are u<line> while preloading, random afterwards."""

    def __init__(self):
        super().__init__()
        self.preload_ids = None

    def generate_id(self, resource_type, resource):
        if self.preload_ids is not None:
            return f"u{next(self.preload_ids):07d}"
        return uuid.uuid4().hex


def preload(storage, service, path):
    """Create every user of a JSON Lines file, as POST /Users would (validation included)."""
    user_type = service.resource_type_at("/Users")
    storage.preload_ids = itertools.count()
    started = time.perf_counter()
    count = 0
    with service.provider, storage.operation(), open(path, "rb") as lines:
        for line in lines:
            resource = service.read_creation(user_type, line, "application/scim+json")
            storage.create(user_type, resource)
            count += 1
    storage.preload_ids = None
    print(f"scim2-server worker {os.getpid()}: preloaded {count} users in {time.perf_counter() - started:.1f} s",
          file=sys.stderr, flush=True)


def build():
    provider = load_default_provider()
    service = ScimService(provider, secret=os.environ.get("BENCH_SCIM2_SECRET") or "bench")
    storage = BenchStorage()
    if os.environ.get("BENCH_SCIM2_USERS"):
        preload(storage, service, os.environ["BENCH_SCIM2_USERS"])
    token = os.environ.get("BENCH_TOKEN")
    scim = BearerTokenApplication(storage, provider, service=service, bearer_tokens=[token] if token else [])

    def application(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith(PREFIX + "/"):
            environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + PREFIX
            environ["PATH_INFO"] = path[len(PREFIX):]
        return scim(environ, start_response)

    return application


app = build()
