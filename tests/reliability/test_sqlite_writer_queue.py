"""SQLite writers queue on a lock file beside the database (models.db.write_transaction).

On its own database file, whatever TEST_DATABASE says: the queue exists only for SQLite.
"""
import fcntl
import threading
import time

import peewee
import pytest

from models import db as db_module
from models.db import WRITER_LOCK_SUFFIX, write_transaction


class Row(peewee.Model):
    n = peewee.IntegerField()


@pytest.fixture
def database(tmp_path):
    database = peewee.SqliteDatabase(str(tmp_path / "queue.db"), pragmas={"journal_mode": "wal"})
    database.bind([Row])
    database.create_tables([Row])
    yield database
    database.close()


def _hold_lock(database):
    handle = open(f"{database.database}{WRITER_LOCK_SUFFIX}", "a")  # noqa: SIM115 - closed by the caller
    fcntl.flock(handle, fcntl.LOCK_EX)
    return handle


def _insert_in_thread(database, n, done):
    def run():
        with write_transaction(database):
            Row.create(n=n)
        done.set()
        database.close()
    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_a_writer_waits_while_another_holds_the_lock_and_goes_on_when_it_is_released(database):
    holder = _hold_lock(database)
    done = threading.Event()
    thread = _insert_in_thread(database, 1, done)
    assert not done.wait(0.3), "the writer went in while another held the lock"
    fcntl.flock(holder, fcntl.LOCK_UN)
    holder.close()
    assert done.wait(2), "the writer did not go on once the lock was free"
    thread.join()
    assert [r.n for r in Row.select()] == [1]


def test_two_threads_of_one_process_exclude_each_other(database):
    inside, release = threading.Event(), threading.Event()

    def first():
        with write_transaction(database):
            Row.create(n=1)
            inside.set()
            release.wait(5)
        database.close()

    holder = threading.Thread(target=first)
    holder.start()
    assert inside.wait(2)
    done = threading.Event()
    second = _insert_in_thread(database, 2, done)
    assert not done.wait(0.3), "a second thread of the process went in beside the first"
    release.set()
    assert done.wait(2)
    holder.join()
    second.join()
    assert sorted(r.n for r in Row.select()) == [1, 2]


def test_a_writer_gives_up_after_the_busy_timeout_and_writes_nothing(database, monkeypatch):
    monkeypatch.setattr(db_module, "_BUSY_TIMEOUT_MS", 200)
    holder = _hold_lock(database)
    try:
        started = time.monotonic()
        with pytest.raises(peewee.OperationalError, match="database is locked"), write_transaction(database):
            Row.create(n=1)
        assert 0.2 <= time.monotonic() - started < 2
    finally:
        holder.close()
    assert Row.select().count() == 0


def test_a_nested_transaction_leaves_the_lock_to_the_outer_one(database):
    with write_transaction(database):
        with write_transaction(database):
            Row.create(n=1)
        probe = open(f"{database.database}{WRITER_LOCK_SUFFIX}", "a")  # noqa: SIM115
        with pytest.raises(BlockingIOError):
            fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
        Row.create(n=2)
    fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free once the outer transaction is over
    probe.close()
    assert sorted(r.n for r in Row.select()) == [1, 2]


def test_a_failed_transaction_releases_the_lock_and_keeps_nothing(database):
    with pytest.raises(RuntimeError), write_transaction(database):
        Row.create(n=1)
        raise RuntimeError("boom")
    done = threading.Event()
    _insert_in_thread(database, 2, done).join(2)
    assert done.is_set()
    assert [r.n for r in Row.select()] == [2]


def test_writers_checkpoint_now_and_then_once_the_lock_is_free(database, monkeypatch):
    """SQLite's own checkpoint runs inside a commit, with every other writer waiting (models.db._queued)."""
    monkeypatch.setattr(db_module, "_CHECKPOINT_EVERY", 3)
    monkeypatch.setattr(db_module._writer_locks, "writes", 0, raising=False)
    probe = open(f"{database.database}{WRITER_LOCK_SUFFIX}", "a")  # noqa: SIM115 - closed below
    seen = []

    def lock_is_free():
        try:
            fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(probe, fcntl.LOCK_UN)
        return True

    database.connection().set_trace_callback(
        lambda sql: seen.append(lock_is_free()) if "wal_checkpoint" in sql else None)
    for n in range(7):
        with write_transaction(database):
            Row.create(n=n)
    database.connection().set_trace_callback(None)
    probe.close()
    assert seen == [True, True]  # after the 3rd and the 6th, with no writer holding the lock
    assert Row.select().count() == 7


def test_sqlite_leaves_its_own_checkpoint_for_a_wal_much_larger_than_its_default(tmp_path):
    bound = db_module.db.obj
    database = db_module.open_database(f"sqlite:///{tmp_path / 'pragmas.db'}")
    try:
        assert database.execute_sql("PRAGMA wal_autocheckpoint").fetchone()[0] == 10_000
    finally:
        database.close()
        db_module.db.initialize(bound)  # (open_database binds the shared proxy)
