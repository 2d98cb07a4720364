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


class Store:
    """Direct read access to a gateway's database, beside the running servers."""

    def __init__(self, url):
        from playhouse.db_url import connect

        self.url = url
        self.database = connect(url)

    def scalar(self, sql, *params):
        placeholder = "%s" if "postgres" in type(self.database).__name__.lower() else "?"
        cursor = self.database.execute_sql(sql.replace("?", placeholder), params)
        return cursor.fetchone()[0]

    def close(self):
        self.database.close()


@pytest.fixture
def gateway(tmp_path):
    """A gunicorn gateway on a fresh database of the selected backend, and a Store on that database."""
    from tests.support import databases
    from tests.support.live_server import start_live_server

    url = databases.fresh_database_url("reliability")
    servers = []

    def start(workers=2, token=None):
        server = start_live_server("reliability", tmp_path, database_url=url, workers=workers, token=token)
        servers.append(server)
        return server

    store = Store(url)
    yield start, store
    store.close()
    for server in servers:
        server.stop()
    databases.drop_database(url)
