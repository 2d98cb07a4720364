"""Which database the tests run on, and throwaway databases for them.

``TEST_DATABASE`` selects the backend:

* ``sqlite`` (the default): every database is a file in a new temporary folder.
* ``postgres``: every database is created with ``CREATE DATABASE`` on the server that
  ``TEST_POSTGRES_URL`` points at. That URL names an existing database on the server
  (for instance ``postgresql://postgres@127.0.0.1:55432/postgres``); it is used only for
  ``CREATE DATABASE`` / ``DROP DATABASE``. ``scripts/pg-test-server start`` starts a
  throwaway server and ``scripts/pg-test-server url`` prints that URL.

``fresh_database_url(name_hint)`` returns the ``DATABASE_URL`` of a new, empty database;
``drop_database(url)`` removes it again. ``temporary_database(name_hint)`` is the two of
them as a context manager.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from models.db import sqlite_files

SQLITE = "sqlite"
POSTGRES = "postgres"

_BACKEND_ALIASES = {
    "": SQLITE,
    "sqlite": SQLITE,
    "sqlite3": SQLITE,
    "postgres": POSTGRES,
    "postgresql": POSTGRES,
    "pg": POSTGRES,
}

# Every temporary folder and database this module makes starts with this, so that
# drop_database() never removes anything it did not create.
PREFIX = "scimgw_test"

_START_POSTGRES_HINT = (
    "Start a throwaway PostgreSQL server and point the tests at it:\n"
    "    scripts/pg-test-server start\n"
    '    export TEST_POSTGRES_URL="$(scripts/pg-test-server url)"\n'
    "(or run `make test`, which does both)."
)


class DatabaseConfigError(RuntimeError):
    """The test database settings are missing or wrong."""


def selected_backend() -> str:
    """Return ``"sqlite"`` or ``"postgres"``, as chosen by ``TEST_DATABASE``."""
    raw = os.environ.get("TEST_DATABASE", "").strip().lower()
    try:
        return _BACKEND_ALIASES[raw]
    except KeyError:
        raise DatabaseConfigError(
            f"TEST_DATABASE={raw!r} is not understood: use 'sqlite' (default) or 'postgres'."
        ) from None


def postgres_admin_url() -> str:
    """Return ``TEST_POSTGRES_URL``, or fail with instructions when it is unset."""
    url = os.environ.get("TEST_POSTGRES_URL", "").strip()
    if not url:
        raise DatabaseConfigError(
            "TEST_DATABASE=postgres needs TEST_POSTGRES_URL, the URL of an existing "
            "database on a PostgreSQL server the tests may create databases on, e.g. "
            "postgresql://postgres@127.0.0.1:55432/postgres.\n" + _START_POSTGRES_HINT
        )
    if urlsplit(url).scheme not in ("postgres", "postgresql"):
        raise DatabaseConfigError(f"TEST_POSTGRES_URL must be a postgresql:// URL, not {url!r}.")
    return url


def _slug(name_hint: str, limit: int) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", name_hint.lower()).strip("_")
    return (slug or "db")[:limit]


def fresh_database_url(name_hint: str = "test") -> str:
    """Create a new, empty database and return its URL (a ``DATABASE_URL`` value)."""
    backend = selected_backend()
    if backend == SQLITE:
        folder = tempfile.mkdtemp(prefix=f"{PREFIX}_{_slug(name_hint, 30)}_")
        path = Path(folder, "gateway.db").resolve()
        # sqlite:// + an absolute path gives the four slashes peewee's db_url expects.
        return f"sqlite:///{path}"
    return _create_postgres_database(name_hint)


def drop_database(url: str) -> None:
    """Remove a database made by :func:`fresh_database_url`. Missing ones are ignored."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        _drop_sqlite(parts.path)
    elif parts.scheme in ("postgres", "postgresql"):
        _drop_postgres(parts.path.lstrip("/"))
    else:
        raise DatabaseConfigError(f"Unknown database URL scheme in {url!r}.")


@contextlib.contextmanager
def temporary_database(name_hint: str = "test") -> Iterator[str]:
    """Yield the URL of a fresh database, and drop it afterwards."""
    url = fresh_database_url(name_hint)
    try:
        yield url
    finally:
        drop_database(url)


# -- SQLite -------------------------------------------------------------------------


def _drop_sqlite(path: str) -> None:
    # urlsplit("sqlite:////tmp/x/gateway.db").path == "//tmp/x/gateway.db"
    db_file = Path("/" + path.lstrip("/"))
    folder = db_file.parent
    if not folder.name.startswith(PREFIX + "_"):
        # Not one of ours: remove only the database file and its journals.
        for file in sqlite_files(db_file):
            file.unlink(missing_ok=True)
        return
    shutil.rmtree(folder, ignore_errors=True)


# -- PostgreSQL -----------------------------------------------------------------------


def _connect_admin():
    import psycopg2  # imported here so that SQLite-only runs do not need the driver

    admin_url = postgres_admin_url()
    try:
        conn = psycopg2.connect(admin_url, connect_timeout=10)
    except psycopg2.OperationalError as exc:
        raise DatabaseConfigError(
            f"Cannot connect to TEST_POSTGRES_URL={admin_url!r}: {exc}".rstrip() + "\n" + _START_POSTGRES_HINT
        ) from exc
    conn.autocommit = True  # CREATE/DROP DATABASE cannot run inside a transaction
    return conn


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _create_postgres_database(name_hint: str) -> str:
    # PostgreSQL truncates identifiers at 63 bytes; keep the random part intact.
    name = f"{PREFIX}_{_slug(name_hint, 24)}_{os.getpid()}_{secrets.token_hex(4)}"
    conn = _connect_admin()
    try:
        with conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE {_quote_ident(name)} TEMPLATE template0 ENCODING 'UTF8'")
    finally:
        conn.close()
    parts = urlsplit(postgres_admin_url())
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))


def _drop_postgres(name: str) -> None:
    if not name.startswith(PREFIX + "_"):
        raise DatabaseConfigError(f"Refusing to drop database {name!r}: it was not made by the tests.")
    conn = _connect_admin()
    try:
        with conn.cursor() as cur:
            if conn.server_version >= 130000:
                cur.execute(f"DROP DATABASE IF EXISTS {_quote_ident(name)} WITH (FORCE)")
            else:
                cur.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()",
                    (name,),
                )
                cur.execute(f"DROP DATABASE IF EXISTS {_quote_ident(name)}")
    finally:
        conn.close()
