"""Fixtures for fault tests: a private PostgreSQL server the test may take down."""
import os
import shutil
import subprocess
import tempfile

import psycopg2
import pytest

from tests.support.live_server import REPO_ROOT, free_port

SCRIPT = REPO_ROOT / "scripts" / "pg-test-server"


class PrivatePostgres:
    def __init__(self, state_dir):
        self.env = {**os.environ, "PG_TEST_DIR": str(state_dir), "PG_TEST_PORT": str(free_port())}

    def run(self, command):
        completed = subprocess.run(["bash", str(SCRIPT), command], env=self.env, capture_output=True, text=True,
                                   timeout=120, stdin=subprocess.DEVNULL)
        assert completed.returncode == 0, completed.stderr
        return completed.stdout.strip()

    def database(self, name):
        admin_url = self.run("url")
        connection = psycopg2.connect(admin_url)
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        connection.close()
        return admin_url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture
def private_postgres():
    # Not under pytest's private temp folder: the server runs as the postgres user, which
    # must reach it (and PostgreSQL's socket path must stay short).
    parent = tempfile.mkdtemp(prefix="gw-pg-")
    os.chmod(parent, 0o755)
    server = PrivatePostgres(os.path.join(parent, "state"))
    server.run("start")
    try:
        yield server
    finally:
        server.run("stop")
        shutil.rmtree(parent, ignore_errors=True)
