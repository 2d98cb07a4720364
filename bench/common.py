"""Helpers shared by the benchmarks: seeding, starting gunicorn, running wrk."""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = [sys.executable, "-m", "gunicorn"]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def okta_body(i):
    """A user as Okta creates it (no password)."""
    user_name = f"user{i:07d}@example.com"
    return {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": user_name,
        "name": {"givenName": f"Given{i}", "familyName": f"Family{i}"},
        "emails": [{"primary": True, "value": user_name, "type": "work"}],
        "displayName": f"Given{i} Family{i}",
        "locale": "en-US",
        "externalId": f"00u{i:010d}",
        "groups": [],
        "active": True,
    }


def seed(database_url, count, admin_token, batch=5000):
    """Create count users in the default org through the domain's batched import."""
    from app import create_app
    from config import Settings
    from models.bulk import import_humans
    from models.db import db
    from models.orgs import default_org
    from scim.casting import from_scim
    from scim.validation import validate_user

    create_app(Settings(database_url=database_url, admin_token=admin_token))
    started = time.perf_counter()
    with db.connection_context():
        org = default_org()
        for start in range(0, count, batch):
            inputs = [from_scim(validate_user(okta_body(i))) for i in range(start, min(count, start + batch))]
            import_humans(org.id, inputs, editor=None)
    return time.perf_counter() - started


class Server:
    """A gunicorn process serving target (module:app) on a loopback port with the project's gunicorn.conf.py."""

    def __init__(self, target, env=None, workers=None):
        self.port = free_port()
        # stays open for the server's lifetime; closed in stop()
        self.log = tempfile.NamedTemporaryFile(prefix="bench-gunicorn-", suffix=".log", delete=False)  # noqa: SIM115
        command = GUNICORN + [target, "-b", f"127.0.0.1:{self.port}"]
        if workers:
            command += ["-w", str(workers)]
        self.process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **(env or {})},
                                        stdout=self.log, stderr=subprocess.STDOUT)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def wait(self, path="/scim/v2/Users", timeout=60, headers=None):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                request = urllib.request.Request(self.url + path, headers=headers or {})
                with urllib.request.urlopen(request, timeout=2):
                    return
            except Exception:
                if self.process.poll() is not None:
                    break
                time.sleep(0.3)
        raise RuntimeError(f"server did not start; log in {self.log.name}:\n{Path(self.log.name).read_text()[-3000:]}")

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def run_wrk(url, script, env, duration, connections, threads=2):
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk (bench/run installs it)")
    handle, result = tempfile.mkstemp(prefix="bench-wrk-", suffix=".json")
    os.close(handle)
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "-s", str(script), url]
    subprocess.run(command, env={**os.environ, **env, "BENCH_RESULT": result}, check=True,
                   stdout=subprocess.DEVNULL)
    figures = json.loads(Path(result).read_text())
    figures["rps"] = figures["requests"] / figures["seconds"]
    return figures
