"""The one database handle, how to open it, and how schema migrations run.

SQLite (the embedded default) and PostgreSQL (scale-out) are both first-class:
everything above this module is written once for both.
"""
import collections
import contextlib
import dataclasses
import fcntl
import functools
import logging
import os
import secrets
import sqlite3
import threading
import time
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
# How long a SQLite writer waits for another to finish before giving up (then 503).
_BUSY_TIMEOUT_MS = 10_000
_AUTOCHECKPOINT_PAGES = 10_000  # (see _CHECKPOINT_EVERY)
# What sits beside a SQLite database file: SQLite's journals, then this module's lock files.
WRITER_LOCK_SUFFIX = "-writer.lock"
MIGRATION_LOCK_SUFFIX = ".migrate.lock"
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal", WRITER_LOCK_SUFFIX, MIGRATION_LOCK_SUFFIX)


def sqlite_files(path):
    """A SQLite database file and every file beside it that belongs to it (to remove them all)."""
    return [Path(f"{path}{suffix}") for suffix in ("", *SQLITE_SIDE_FILES)]


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
            # (No journal_mode: the WAL mode is kept in the file, and set by migrate().)
            pragmas={
                "synchronous": "normal",
                "foreign_keys": 1,
                "busy_timeout": _BUSY_TIMEOUT_MS,
                "cache_size": -32_000,
                # Writers checkpoint after they let go of the writer lock (see _queued); SQLite's
                # own checkpoint, inside the commit, is only the bound for a writer that does not.
                "wal_autocheckpoint": _AUTOCHECKPOINT_PAGES,
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


def storable(text, max_length):
    """A string both databases take as a parameter: no NUL, no lone surrogate, not too long.

    A value from a client that is not one can name no row, and PostgreSQL's driver would
    refuse it in a query (a 500) rather than find nothing.
    """
    if not isinstance(text, str) or len(text) > max_length or "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def is_postgres():
    return isinstance(db.obj, peewee.PostgresqlDatabase)


def has_returning():
    """Whether INSERT ... RETURNING works: PostgreSQL, and SQLite from 3.35 (Peewee assumes it does not
    on SQLite unless told, so an explicit .returning() is what uses it)."""
    return is_postgres() or sqlite3.sqlite_version_info >= (3, 35)


@contextlib.contextmanager
def bulk_writes():
    """Around a bulk writer (the import): on SQLite, statement journals stay in memory.

    A multi-row INSERT that fires triggers (the user count; the auth epoch's check
    on each metadata row) inside a transaction keeps a statement journal, and past
    64 KiB SQLite spills it to a temporary file: that file's writes were a sixth of
    a 100,000-user import's time. The server's statements are small and rarely
    spill (86 files in 3,000 POST /Users), and there temp_store=MEMORY would also
    keep a large sort's spill in the worker's memory, so it stays the default.
    """
    if is_postgres():
        yield
        return
    db.obj.execute_sql("PRAGMA temp_store = MEMORY")
    try:
        yield
    finally:
        db.obj.execute_sql("PRAGMA temp_store = DEFAULT")


def transaction():
    """One write transaction (all domain changes run inside one)."""
    return write_transaction(db.obj)


def write_transaction(database):
    """transaction() on a given database: on SQLite, the outermost one first queues for the writer lock."""
    if isinstance(database, peewee.SqliteDatabase) and not database.in_transaction():
        lock = _writer_lock(database)
        if lock is not None:
            return _queued(database, lock)
    return database.atomic()


# SQLite lets one writer in at a time. A writer that finds the lock taken sleeps in SQLite's
# busy handler, 1 ms, then 2, 5, 10..., however soon the holder is done (a user is created in
# a fraction of a millisecond): under concurrent writes the workers slept through a third of
# the CPU. So writers queue on a lock file beside the database, checked at a finer grain; the
# busy timeout stays the bound on the wait.
_WRITER_POLL_FIRST, _WRITER_POLL_MAX = 0.000_05, 0.000_5
_writer_locks = threading.local()
# SQLite checkpoints the WAL inside the commit that takes it past wal_autocheckpoint pages: the
# pages go back into the database file and both files are synced while the writer lock is still
# held, and every other writer waits (about a tenth of a user's creation under concurrent writes).
# So a writer checkpoints once every so many of its transactions, after it let go of the lock:
# a PASSIVE checkpoint lets the other writers go on meanwhile.
_CHECKPOINT_EVERY = 100


def _writer_lock(database):
    """This thread's handle on the database's writer lock file, or None for an in-memory database."""
    path = database.database
    if not path or path == ":memory:" or path.startswith("file:"):
        return None
    # A handle of its own per process and per thread: flock excludes only other handles.
    key = (os.getpid(), path)
    handles = getattr(_writer_locks, "handles", None)
    if handles is None:
        handles = _writer_locks.handles = {}
    handle = handles.get(key)
    if handle is None:
        handle = handles[key] = open(f"{path}{WRITER_LOCK_SUFFIX}", "a")  # noqa: SIM115 - held for the thread's life
    return handle


@contextlib.contextmanager
def _queued(database, handle):
    deadline = time.monotonic() + _BUSY_TIMEOUT_MS / 1000
    delay = _WRITER_POLL_FIRST
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise peewee.OperationalError("database is locked (waited for the writer lock)") from None
            time.sleep(delay)
            delay = min(delay * 2, _WRITER_POLL_MAX)
    try:
        with database.atomic():
            yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
    _checkpoint_now_and_then(database)


def _checkpoint_now_and_then(database):
    """Every _CHECKPOINT_EVERY write transactions of this thread, a checkpoint outside the writer lock."""
    writes = getattr(_writer_locks, "writes", 0) + 1
    _writer_locks.writes = 0 if writes >= _CHECKPOINT_EVERY else writes
    if writes >= _CHECKPOINT_EVERY:
        # PASSIVE never waits: frames a reader still needs are left to the next one. The
        # transaction is committed by now, so a failure here must not fail the request.
        try:
            database.execute_sql("PRAGMA wal_checkpoint(PASSIVE)")
        except peewee.OperationalError as error:
            log.warning("WAL checkpoint skipped: %s", error)


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
        lock_path = f"{database.database}{MIGRATION_LOCK_SUFFIX}"
        with open(lock_path, "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def migrate(database):
    """Bring the schema up to date; call with schema_lock held."""
    if isinstance(database, peewee.SqliteDatabase):
        _use_wal(database)
    applied = Runner(database, directory=str(MIGRATIONS_DIR)).up()
    for name in applied:
        log.info("applied migration %s", name)
    return applied


def _use_wal(database):
    """Put a SQLite database in WAL mode (readers beside the writer); the file keeps it.

    Here, under the schema lock, rather than as a pragma of every new connection: the
    switch takes an exclusive lock, and two connections asking for it at once deadlock,
    one of them failing at once whatever the busy timeout. gunicorn boots its workers
    together, and a worker failing to start stops the whole server.
    """
    mode = database.execute_sql("PRAGMA journal_mode = wal").fetchone()[0]
    if mode != "wal" and database.database != ":memory:":
        log.warning("SQLite kept journal mode %s instead of WAL: readers will wait for writers", mode)


# Value types that each plain field type's db_value returns unchanged.
_UNCHANGED = {
    peewee.CharField: (str,), peewee.TextField: (str,),
    peewee.IntegerField: (int,), peewee.BigIntegerField: (int,), peewee.AutoField: (int,),
    peewee.BooleanField: (bool,), peewee.FloatField: (float,),
    # peewee wraps bytes in the driver's Binary; both drivers take bytes as a BLOB / bytea as they are.
    peewee.BlobField: (bytes,),
}


_MISSING = object()


def _unchanged_types(field):
    if isinstance(field, peewee.ForeignKeyField):
        return _unchanged_types(field.rel_field)
    return _UNCHANGED.get(type(field), ())


def _stored(field, kinds, value):
    """value as field.db_value gives it, calling db_value only where it can change it (kinds: _unchanged_types)."""
    return value if value is None or type(value) in kinds else field.db_value(value)


def _quote(database, name):
    return peewee.quote((name,), database.quote)


@functools.lru_cache(maxsize=256)
def _insert_statement(model, names, returning, database):
    """The parts of insert_rows' statement for these columns, built once."""
    fields = model._meta.fields
    unknown = names - set(fields)
    if unknown:
        raise ValueError(f"unknown fields for {model.__name__}: {sorted(unknown)}")
    names = names | {name for name, field in fields.items() if field.default is not None}
    ordered = [fields[name] for name in fields if name in names]
    # db_value only where it can change the value: most are plain strings or None.
    unchanged = [_unchanged_types(field) for field in ordered]
    table = _quote(database, model._meta.table_name)
    columns = ", ".join(_quote(database, field.column_name) for field in ordered)
    suffix = f" RETURNING {_quote(database, fields[returning].column_name)}" if returning else ""
    return ordered, unchanged, table, columns, suffix


def insert_rows(model, rows, returning=None):
    """Insert many rows (dicts of field name to value) with one prepared statement.

    What peewee's insert_many does, for bulk imports and hot write paths:
    building SQL for every value through peewee cost more than the database's
    own work, so the statement is built once and the rows go through the
    driver's batch call. Values go through each field's db_value and missing
    fields get their defaults, as with insert_many. With returning (a field),
    the rows go in as one multi-row INSERT and that field's values come back,
    in the order the database assigned them (callers sort ids).
    """
    if not rows:
        return []
    database = model._meta.database
    if isinstance(database, peewee.DatabaseProxy):
        database = database.obj
    names = frozenset().union(*(row.keys() for row in rows))
    ordered, unchanged, table, columns, suffix = _insert_statement(model, names, returning, database)
    # What _stored does, inlined: an import converts some 200 values per user here.
    slots = [(field.name, kinds, field.db_value, field.default)
             for field, kinds in zip(ordered, unchanged, strict=True)]
    values = []
    for row in rows:
        record = []
        for name, kinds, db_value, default in slots:
            value = row.get(name, _MISSING)
            if value is _MISSING:
                value = default() if callable(default) else default
            record.append(value if value is None or type(value) in kinds else db_value(value))
        values.append(tuple(record))
    cursor = database.cursor()
    # The driver's errors as peewee's (IntegrityError...), as every other statement raises them.
    with peewee.__exception_wrapper__:
        if isinstance(database, peewee.PostgresqlDatabase):
            from psycopg2.extras import execute_values

            found = execute_values(cursor, f"INSERT INTO {table} ({columns}) VALUES %s{suffix}", values,
                                   page_size=max(1000, len(values)), fetch=bool(returning))
            return [row[0] for row in found] if returning else []
        placeholders = "(" + ", ".join(database.param for _ in ordered) + ")"
        if not returning:
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES {placeholders}", values)
            return []
        # As many rows per statement as SQLite's limit on bound values allows (32,766 in a default build).
        limit = database.connection().getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        per_statement = max(1, limit // len(ordered))
        found = []
        for start in range(0, len(values), per_statement):
            part = values[start:start + per_statement]
            cursor.execute(f"INSERT INTO {table} ({columns}) VALUES {', '.join([placeholders] * len(part))}{suffix}",
                           [value for record in part for value in record])
            found += cursor.fetchall()
        return [row[0] for row in found]


@functools.lru_cache(maxsize=256)
def _update_statement(model, names, database):
    """UPDATE of these columns of one row by primary key, with each field's unchanged types."""
    fields = model._meta.fields
    ordered = [fields[name] for name in names]
    key = model._meta.primary_key
    assignments = ", ".join(f"{_quote(database, field.column_name)} = {database.param}" for field in ordered)
    sql = (f"UPDATE {_quote(database, model._meta.table_name)} SET {assignments} "
           f"WHERE {_quote(database, key.column_name)} = {database.param}")
    return sql, [(field, _unchanged_types(field)) for field in (*ordered, key)]


def save_fields(instance, fields):
    """Write these fields of a loaded row (what peewee's save(only=fields) does).

    Peewee built the UPDATE anew on every call, at several times the cost of
    running it; a write path saves its row once per request.
    """
    database = db.obj
    sql, converters = _update_statement(type(instance), tuple(field.name for field in fields), database)
    values = [_stored(field, kinds, instance.__data__.get(field.name)) for field, kinds in converters]
    with peewee.__exception_wrapper__:
        database.cursor().execute(sql, values)
    instance._dirty.difference_update(field.name for field in fields)


# Markers stand in for values while peewee builds a statement. The random part keeps a
# client's own strings (a filter value) from ever being taken for one.
_MARKER_SALT = secrets.token_hex(6)
# Statements built, by (database, shape); bounded, since shapes come from clients' filters.
_STATEMENTS_MAX = 1024


def _marker(n):
    return f"\x1eprepared-{_MARKER_SALT}-{n}\x1e"


_MARKERS = [_marker(n) for n in range(64)]


def marker(n):
    """The stand-in for the n-th value of a prepared statement (see prepared_rows)."""
    return _MARKERS[n] if n < len(_MARKERS) else _marker(n)


class _Statements:
    """Built statements, least recently used dropped first."""

    def __init__(self, size):
        self._size = size
        self._built = collections.OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            built = self._built.get(key)
            if built is not None:
                self._built.move_to_end(key)
            return built

    def put(self, key, built):
        with self._lock:
            self._built[key] = built
            if len(self._built) > self._size:
                self._built.popitem(last=False)


_statements = _Statements(_STATEMENTS_MAX)
# A shape whose query changes a marker (a field that converts the value) runs unprepared.
_UNPREPARABLE = object()


@dataclasses.dataclass
class _Built:
    database: object
    query: object
    sql: str
    params: list
    slots: list  # for each parameter, the index of the value bound there, or None (a constant)
    in_order: bool = False  # the parameters are the values, in order (most statements): bound as given
    # For the other shapes (joins): what peewee's row reader works out from the first result's
    # columns (which fields, which converters), the same for every run; peewee would redo it on each.
    reader_state: dict | None = None
    # For the plain shapes (tuples, or instances of one model), a function building from all
    # rows at once what peewee's reader builds one row at a time (see _row_builder).
    build_rows: object = None


def _prepare(database, build, count):
    markers = [marker(n) for n in range(count)]
    try:
        query = build(*markers)
        sql, params = database.get_sql_context().sql(query).query()
    except (ValueError, TypeError):
        return _UNPREPARABLE  # a field refused a marker for a value
    slots = [markers.index(param) if isinstance(param, str) and param in markers else None for param in params]
    if {slot for slot in slots if slot is not None} != set(range(count)):
        return _UNPREPARABLE
    return _Built(database, query, sql, params, slots, in_order=slots == list(range(count)))


# Field types whose python_value gives back, unchanged, what either driver returns for a value
# peewee stored (a str for text, an int for integers, the driver's own bytes or memoryview for a
# blob); BooleanField is not one (SQLite gives 0/1).
_PLAIN_READS = (peewee.CharField, peewee.TextField, peewee.IntegerField, peewee.BigIntegerField,
                peewee.SmallIntegerField, peewee.AutoField, peewee.BlobField)


def _reads_unchanged(field):
    if isinstance(field, peewee.ForeignKeyField):
        return _reads_unchanged(field.rel_field)
    return type(field) in _PLAIN_READS


def _row_builder(reader):
    """rows -> results, as the initialised peewee reader would give them; None for other shapes.

    Peewee builds each row through its iterator and each model instance through
    __init__ and one setattr per column; for a row of "user" that cost several
    times the indexed lookup itself. Only the two plain shapes are taken over:
    tuples, and instances of the one model selected (no join to fill in).
    """
    converters = [None if _reads_unchanged(field) else convert
                  for field, convert in zip(reader.fields, reader.converters, strict=True)]
    if type(reader) is peewee.ModelTupleCursorWrapper:
        if not any(converters):
            return list
        return lambda rows: [tuple([value if convert is None else convert(value)
                                    for convert, value in zip(converters, row, strict=True)]) for row in rows]
    if type(reader) is not peewee.ModelObjectCursorWrapper or not reader.is_model:
        return None
    model = reader.constructor
    if any(field is None or field.model is not model for field in reader.fields):
        return None
    names = [field.name for field in reader.fields]
    converted = [(index, names[index], convert) for index, convert in enumerate(converters) if convert is not None]

    def build(rows):
        built = []
        for row in rows:
            instance = model.__new__(model)  # what Model.__init__(__no_default__=1) sets up
            instance.__data__ = data = dict(zip(names, row, strict=True))
            for index, name, convert in converted:
                data[name] = convert(row[index])
            instance._dirty = set()
            instance.__rel__ = {}
            built.append(instance)
        return built
    return build


def _read(built, cursor):
    if built.build_rows is not None:
        return built.build_rows(cursor.fetchall())
    reader = built.query._get_cursor_wrapper(cursor)
    if built.reader_state is not None:
        reader.__dict__.update(built.reader_state)
        reader.initialized = True
        return list(reader)
    before = set(reader.__dict__)
    # Set up from the cursor's description, which both drivers give with no rows too; peewee
    # would wait for a first row, and a shape that finds none would never be set up.
    reader.initialize()
    reader.initialized = True
    rows = list(reader)
    built.build_rows = _row_builder(reader)
    if built.build_rows is None:  # a join: peewee's own reader, set up as this first run left it
        built.reader_state = {k: v for k, v in reader.__dict__.items() if k not in before}
    return rows


def prepared_rows(shape, build, values, unprepared=None):
    """The rows of the query build(*values) returns, with its SQL built once per shape.

    Building SQL through peewee costs more than running the indexed lookups every
    request makes (the token's row, a filter by userName, a page's metadata).
    build(*markers) must give the same SQL, with each marker (see marker()) where
    the value goes, for every values of that shape; shape is any hashable that names
    the query and whatever changes its SQL. The rows are what the query itself would
    give (model instances, joins filled in, or tuples).

    A shape that cannot be prepared (unhashable, or a field that converts a marker)
    runs the query unprepared() returns, built with the values themselves (by default
    build(*values)).
    """
    database = db.obj
    direct = unprepared or (lambda: build(*values))
    try:
        key = (id(database), shape)
        built = _statements.get(key)
    except TypeError:  # an unhashable shape (a list in it): nothing to reuse
        return list(direct())
    if built is None or (built is not _UNPREPARABLE and built.database is not database):
        built = _prepare(database, build, len(values))
        _statements.put(key, built)
    if built is _UNPREPARABLE:
        return list(direct())
    if built.in_order:
        bound = values
    else:
        bound = [param if slot is None else values[slot] for param, slot in zip(built.params, built.slots, strict=True)]
    return _read(built, database.execute_sql(built.sql, bound))


def load_row(model, org_id, row_id, *, lock=False):
    """The row of model with that id in org_id, or None; its statement is built once.

    Every write and every GET by id starts here; peewee building the SELECT of a
    31-column user took longer than the database running it. lock takes the row's
    write lock on PostgreSQL, so that concurrent writers queue up (SQLite write
    transactions are serialised already: BEGIN IMMEDIATE).
    """
    lock = lock and is_postgres()

    def query(key, org):
        selected = model.select().where((model.id == key) & (model.org == org)).limit(1)
        return selected.for_update() if lock else selected
    rows = prepared_rows(("load_row", model, lock), query, [row_id, org_id])
    return rows[0] if rows else None


class PreparedQuery:
    """A fixed-shape query whose SQL peewee builds once per database; each run binds new values.

    build(*markers) returns the peewee query with a marker in place of each value;
    values must be strings (ids, hashes), which the fields pass through unchanged.
    """

    def __init__(self, build):
        self._build = build

    def rows(self, *values):
        """The query's results (model instances, joins filled in) for these values."""
        return prepared_rows(self, self._build, values)
