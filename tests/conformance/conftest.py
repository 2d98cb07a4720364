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
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from tests.support import databases  # noqa: E402
from tests.support.live_server import (  # noqa: E402
    TARGET_APP,
    LiveServer,
    server_target,
    start_live_server,
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
