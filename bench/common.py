"""Helpers shared by the benchmarks: seeding, starting gunicorn, running wrk."""
import contextlib
import json
import os
import shutil
import signal
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


def write_users(path, count):
    """The import file of count Okta-style users, as JSON Lines (what `flask users import` reads)."""
    with open(path, "w", encoding="utf-8") as out:
        for start in range(0, count, 10_000):
            out.write("".join(json.dumps(okta_body(i), separators=(",", ":")) + "\n"
                              for i in range(start, min(count, start + 10_000))))


def seed_cli(database_url, path, admin_token, batch=5000):
    """Import the users of path with `flask --app app users import` (the deployed CLI); returns seconds."""
    env = {**os.environ, "DATABASE_URL": database_url, "ADMIN_TOKEN": admin_token}
    started = time.perf_counter()
    done = subprocess.run([str(Path(sys.executable).parent / "flask"), "--app", "app", "users", "import", str(path),
                           "--format", "jsonl", "--batch", str(batch)],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"import failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return time.perf_counter() - started


class Server:
    """A gunicorn process serving target (module:app) on a loopback port with the project's gunicorn.conf.py.

    It runs in a session of its own, so that stop() ends the master and its workers together.
    """

    def __init__(self, target, env=None, workers=None, name=None, port=None):
        self.name = name or target
        self.port = port or free_port()
        # stays open for the server's lifetime; closed in stop()
        self.log = tempfile.NamedTemporaryFile(prefix="bench-gunicorn-", suffix=".log", delete=False)  # noqa: SIM115
        command = GUNICORN + [target, "-b", f"127.0.0.1:{self.port}"]
        if workers:
            command += ["-w", str(workers)]
        self.process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **(env or {})},
                                        stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def workers(self):
        """Process ids of the master's worker processes."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in children.read_text().split()]
        except OSError:
            return []

    def cpu_seconds(self):
        """CPU time (user and system) the workers have used so far, in seconds."""
        total = 0
        for pid in self.workers():
            try:
                stat = Path(f"/proc/{pid}/stat").read_text()
            except OSError:
                continue
            fields = stat.rpartition(")")[2].split()  # from field 3 (state) on: utime is field 14, stime 15
            total += int(fields[11]) + int(fields[12])
        return total / os.sysconf("SC_CLK_TCK")

    def peak_rss_mb(self):
        """Peak resident set size (VmHWM) of each worker, in MiB."""
        peaks = []
        for pid in self.workers():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
        return peaks

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def wait(self, path="/scim/v2/Users", timeout=60, headers=None):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                request = urllib.request.Request(self.url + path, headers=headers or {})
                with urllib.request.urlopen(request, timeout=10):
                    return
            except Exception:
                if self.process.poll() is not None:
                    break
                time.sleep(0.3)
        raise RuntimeError(f"server did not start; log in {self.log.name}:\n{Path(self.log.name).read_text()[-3000:]}")

    def stop(self):
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(25)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        else:
            # the master is gone; make sure no worker of its session is left
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        self.log.close()


def run_wrk(url, script, env, duration, connections, threads=2, timeout_s=30):
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    handle, result = tempfile.mkstemp(prefix="bench-wrk-", suffix=".json")
    os.close(handle)
    threads = min(threads, connections)
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", f"--timeout={timeout_s}s",
               "-s", str(script), url]
    try:
        subprocess.run(command, env={**os.environ, **env, "BENCH_RESULT": result, "BENCH_THREADS": str(threads)},
                       check=True, stdout=subprocess.DEVNULL, timeout=duration + timeout_s + 60)
        figures = json.loads(Path(result).read_text())
    finally:
        os.unlink(result)
    figures["rps"] = figures["requests"] / figures["seconds"]
    figures.setdefault("errors", figures.get("socket_errors", 0))
    return figures
