"""Live servers for the conformance suites.

Each server is the real gateway: ``python -m gunicorn app:app -w 2`` started from the
repository root on a free loopback port, with a fresh database from
``tests/support/databases.py`` (``TEST_DATABASE=sqlite|postgres``) and a random
``ADMIN_TOKEN``.

Fixtures:

* ``live_server`` (session): one server shared by the suites that clean up after
  themselves (scim2-tester, scim-sanity).
* ``fresh_live_server`` (module): a server with its own empty database for the module
  that asks for it, stopped at the end of the module (newman, the Okta spec test).
* ``live_server_factory`` (session): ``live_server_factory("hint")`` starts another one;
  ``server.stop()`` stops it early, and every server left is stopped at the end.

Set ``SCIM_TEST_TARGET=reference`` (and ``SCIM_REFERENCE_PYTHON`` to a Python that has
``scim2-server`` installed) to run the same suites against python-scim's reference
server, through ``scripts/ref_scim_server.py``; that is how the harness itself is
checked.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from tests.support import databases  # noqa: E402

SCIM_PATH = "/scim/v2"
STARTUP_TIMEOUT = float(os.environ.get("SCIM_TEST_STARTUP_TIMEOUT", "30"))
TARGET_APP = "app"
TARGET_REFERENCE = "reference"


def server_target() -> str:
    """Which server the conformance suites run against: ``app`` or ``reference``."""
    target = os.environ.get("SCIM_TEST_TARGET", TARGET_APP).strip().lower() or TARGET_APP
    if target not in (TARGET_APP, TARGET_REFERENCE):
        raise pytest.UsageError(f"SCIM_TEST_TARGET={target!r}: use {TARGET_APP!r} or {TARGET_REFERENCE!r}")
    return target


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    """A running server; ``scim_url`` is the SCIM base URL (no trailing slash)."""

    base_url: str
    scim_url: str
    token: str
    database_url: str | None
    log_path: Path
    process: subprocess.Popen = field(repr=False)
    target: str = TARGET_APP

    @property
    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def log_tail(self, lines: int = 80) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no server log)"
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        proc = self.process
        if proc.poll() is None:
            # gunicorn: SIGTERM is a graceful shutdown of the master and its workers.
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        if self.database_url is not None:
            databases.drop_database(self.database_url)
            self.database_url = None


def _server_command(target: str, port: int, token: str) -> list[str]:
    if target == TARGET_REFERENCE:
        python = os.environ.get("SCIM_REFERENCE_PYTHON", "")
        if not python:
            raise pytest.UsageError(
                "SCIM_TEST_TARGET=reference needs SCIM_REFERENCE_PYTHON, a Python with "
                "scim2-server installed (python3 -m venv /tmp/refvenv && "
                "/tmp/refvenv/bin/pip install scim2-server)"
            )
        command = [
            python,
            str(REPO_ROOT / "scripts" / "ref_scim_server.py"),
            "--port",
            str(port),
            "--token",
            token,
        ]
        if os.environ.get("SCIM_REFERENCE_USERS_ONLY", "1") == "1":
            command.append("--users-only")
        return command
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "app:app",
        "-b",
        f"127.0.0.1:{port}",
        "-w",
        "2",
        "--access-logfile",
        "-",
        "--error-logfile",
        "-",
        # gunicorn 27 opens a control socket at a fixed path (~/.gunicorn/gunicorn.ctl):
        # several test servers run at once, so none of them gets one.
        "--no-control-socket",
    ]


def _wait_until_healthy(server: LiveServer) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    last_error = "no answer yet"
    while time.monotonic() < deadline:
        code = server.process.poll()
        if code is not None:
            raise RuntimeError(f"the server exited with code {code} while starting")
        try:
            response = requests.get(server.base_url + "/healthz", timeout=2)
            if response.status_code == 200:
                return
            last_error = f"GET /healthz answered {response.status_code}"
        except requests.RequestException as exc:
            last_error = f"{type(exc).__name__}: {exc}"
        time.sleep(0.1)
    raise RuntimeError(f"no 200 from /healthz within {STARTUP_TIMEOUT:.0f} s ({last_error})")


def start_live_server(name_hint: str, log_dir: Path) -> LiveServer:
    """Start a server with a fresh database; fail the test with its log if it won't start."""
    target = server_target()
    token = "test-admin-" + secrets.token_urlsafe(24)
    database_url = databases.fresh_database_url(name_hint) if target == TARGET_APP else None
    env = dict(os.environ)
    env.update(
        {
            "ADMIN_TOKEN": token,
            "PYTHONUNBUFFERED": "1",
        }
    )
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    log_path = Path(tempfile.mkstemp(prefix=f"{name_hint}-", suffix=".log", dir=log_dir)[1])

    # A port picked by free_port() can be taken before the server binds it: retry.
    error: Exception | None = None
    for _attempt in range(3):
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        command = _server_command(target, port, token)
        with open(log_path, "ab") as log:
            process = subprocess.Popen(
                command,
                cwd=REPO_ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        server = LiveServer(
            base_url=base_url,
            scim_url=base_url + SCIM_PATH,
            token=token,
            database_url=database_url,
            log_path=log_path,
            process=process,
            target=target,
        )
        try:
            _wait_until_healthy(server)
            return server
        except RuntimeError as exc:
            error = exc
            server.database_url = None  # keep the database for the next attempt
            server.stop()
            if "Address already in use" not in server.log_tail(200):
                break
    if database_url is not None:
        databases.drop_database(database_url)
    pytest.fail(
        f"Could not start the server for {name_hint!r}: {error}\n"
        f"command: {' '.join(command).replace(token, '<token>')} (cwd {REPO_ROOT})\n"
        f"--- server log ({log_path}) ---\n{server.log_tail()}",
        pytrace=False,
    )


_SUMMARY = pytest.StashKey[list]()


@pytest.fixture
def conformance_summary(request):
    """``conformance_summary(line)`` adds a line to the 'conformance summary' section
    printed at the end of the run (whatever the output capture), to quote results."""

    def add(line: str) -> None:
        backend = databases.selected_backend() if server_target() == TARGET_APP else "reference server"
        request.config.stash.setdefault(_SUMMARY, []).append(f"[{backend}] {line}")

    return add


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    lines = config.stash.get(_SUMMARY, [])
    if lines:
        terminalreporter.section("conformance summary")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def server_log_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("server-logs")


@pytest.fixture(scope="session")
def live_server_factory(server_log_dir):
    started: list[LiveServer] = []

    def start(name_hint: str = "conformance") -> LiveServer:
        server = start_live_server(name_hint, server_log_dir)
        started.append(server)
        return server

    yield start
    for server in reversed(started):
        server.stop()


@pytest.fixture(scope="session")
def live_server(live_server_factory) -> LiveServer:
    return live_server_factory("shared")


@pytest.fixture(scope="module")
def fresh_live_server(request, live_server_factory):
    server = live_server_factory(request.module.__name__.rsplit(".", 1)[-1])
    yield server
    server.stop()


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The project's ``shared/`` folder: ``SCIM_SHARED_DIR``, else ``<repo>/../shared``."""
    configured = os.environ.get("SCIM_SHARED_DIR")
    path = Path(configured) if configured else REPO_ROOT.parent / "shared"
    if not path.is_dir():
        pytest.fail(
            f"shared folder not found at {path} (set SCIM_SHARED_DIR to its location)",
            pytrace=False,
        )
    return path.resolve()
