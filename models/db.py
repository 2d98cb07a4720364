"""The one database handle, how to open it, and how schema migrations run.

SQLite (the embedded default) and PostgreSQL (scale-out) are both first-class:
everything above this module is written once for both.
"""
import contextlib
import fcntl
import logging
import os
from pathlib import Path
from urllib.parse import urlparse

import peewee
from playhouse.db_url import connect
from playhouse.migrations import Runner

log = logging.getLogger(__name__)

db = peewee.DatabaseProxy()

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# Arbitrary, fixed key for pg_advisory_lock: serialises migrations across
# gunicorn workers and across gateway instances sharing one PostgreSQL.
_PG_MIGRATION_LOCK = 7_342_001


def sqlite_url(path):
    return f"sqlite:///{Path(path).resolve()}"


def open_database(url):
    """Open the database named by url and bind it to the shared proxy."""
    scheme = urlparse(url).scheme
    if scheme.startswith("sqlite"):
        path = urlparse(url).path
        if path and path != "/:memory:":
            os.makedirs(os.path.dirname(path), exist_ok=True)
        database = connect(
            url,
            # Every write transaction takes the write lock up front, so two
            # workers never deadlock upgrading a read lock to a write lock.
            lock_type="IMMEDIATE",
            pragmas={
                "journal_mode": "wal",
                "synchronous": "normal",
                "foreign_keys": 1,
                "busy_timeout": 10_000,
                "cache_size": -32_000,
                # LIKE is case-sensitive, as in PostgreSQL; case-insensitive
                # matching goes through casefolded columns.
                "case_sensitive_like": 1,
            },
        )
    elif scheme.startswith("postgres"):
        database = connect(url)
    else:
        raise ValueError(f"unsupported DATABASE_URL scheme {scheme!r}")
    db.initialize(database)
    return database


# What a lost database connection raises: the server is down or restarting.
UNAVAILABLE_ERRORS = (peewee.OperationalError, peewee.InterfaceError)


def is_connection_error(error):
    """Whether a database error means the server cannot be reached now (retrying may help),
    as opposed to a statement it refused (a bug: retrying would not help)."""
    if isinstance(error, peewee.InterfaceError):
        return True
    original = error.__cause__ or (error.args[0] if error.args and isinstance(error.args[0], Exception) else error)
    if hasattr(original, "pgcode"):  # psycopg2
        code = original.pgcode
        # no SQLSTATE: the connection itself failed; 08: connection exception; 57P: shutdown
        return code is None or code.startswith("08") or code.startswith("57P")
    text = str(original).lower()
    return any(part in text for part in (
        "database is locked", "unable to open", "disk i/o",  # SQLite
        "server closed the connection", "could not connect", "connection refused", "terminating connection",
        "connection to server", "the database system is",  # PostgreSQL, when the error has no SQLSTATE
    ))


def drop_connection():
    """Forget this worker's connection after it failed, so the next request opens a new one."""
    try:
        db.close()
    except Exception:  # noqa: BLE001 - a dead connection may fail even to close; it is dropped either way
        db.obj._state.reset()


def is_postgres():
    return isinstance(db.obj, peewee.PostgresqlDatabase)


def transaction():
    """One write transaction (all domain changes run inside one)."""
    return db.atomic()


@contextlib.contextmanager
def schema_lock(database):
    """Held while the schema is migrated and first-start data is created."""
    if isinstance(database, peewee.PostgresqlDatabase):
        database.execute_sql("SELECT pg_advisory_lock(%s)", (_PG_MIGRATION_LOCK,))
        try:
            yield
        finally:
            database.execute_sql("SELECT pg_advisory_unlock(%s)", (_PG_MIGRATION_LOCK,))
    else:
        # SQLite: a lock file beside the database file covers every worker.
        lock_path = f"{database.database}.migrate.lock"
        with open(lock_path, "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def migrate(database):
    """Bring the schema up to date; call with schema_lock held."""
    applied = Runner(database, directory=str(MIGRATIONS_DIR)).up()
    for name in applied:
        log.info("applied migration %s", name)
    return applied
