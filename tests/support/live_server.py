"""Real gateway processes for tests: gunicorn on a free loopback port.

``start_live_server(name_hint, log_dir)`` starts ``python -m gunicorn app:app -w 2``
from the repository root with a fresh database (``tests/support/databases.py``) or
the ``database_url`` given, and a random ``ADMIN_TOKEN``; ``server.stop()`` stops it
(and drops a database it created). Used by the conformance suites and the
reliability tests.
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

from tests.support import databases

REPO_ROOT = Path(__file__).resolve().parents[2]
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


def _server_command(target: str, port: int, token: str, workers: int = 2) -> list[str]:
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
        str(workers),
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


def start_live_server(name_hint: str, log_dir: Path, *, database_url: str | None = None,
                      workers: int = 2, token: str | None = None) -> LiveServer:
    """Start a server with a fresh database (or database_url, which it then leaves alone).

    Fails the test with the server's log if it won't start.
    """
    target = server_target()
    token = token or "test-admin-" + secrets.token_urlsafe(24)
    owned = database_url is None and target == TARGET_APP
    if owned:
        database_url = databases.fresh_database_url(name_hint)
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
        command = _server_command(target, port, token, workers)
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
            database_url=database_url if owned else None,
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
    if owned:
        databases.drop_database(database_url)
    pytest.fail(
        f"Could not start the server for {name_hint!r}: {error}\n"
        f"command: {' '.join(command).replace(token, '<token>')} (cwd {REPO_ROOT})\n"
        f"--- server log ({log_path}) ---\n{server.log_tail()}",
        pytrace=False,
    )
