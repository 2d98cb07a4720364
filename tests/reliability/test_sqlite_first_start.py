"""Several processes starting at once on a SQLite database that does not exist yet.

gunicorn boots its workers together, and each opens the database as it starts. A
worker that fails to start stops the whole server ("Worker failed to boot"), so the
first start must not depend on which worker gets there first. On its own database
file, whatever TEST_DATABASE says: the embedded default is the one created on first start.
"""
import multiprocessing
import sqlite3

import pytest

from models.db import sqlite_url

PROCESSES = 3
ROUNDS = 12  # without the fix, about one round in six failed


def _start(url, barrier, results):
    from app import create_app
    from config import Settings

    barrier.wait()
    try:
        create_app(Settings(database_url=url))
        results.put("started")
    except Exception as error:  # noqa: BLE001 - reported to the test, which shows it
        results.put(f"{type(error).__name__}: {error}")


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_workers_starting_together_on_a_new_database_all_start(tmp_path, round_):
    context = multiprocessing.get_context("spawn")
    url = sqlite_url(tmp_path / "new.db")
    barrier, results = context.Barrier(PROCESSES), context.Queue()
    processes = [context.Process(target=_start, args=(url, barrier, results)) for _ in range(PROCESSES)]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    assert outcomes == ["started"] * PROCESSES

    connection = sqlite3.connect(tmp_path / "new.db")
    try:  # the mode every connection relies on (readers beside the writer), kept in the file
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        connection.close()
