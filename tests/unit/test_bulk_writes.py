"""models.db.bulk_writes: SQLite statement journals in memory for an import, and only for it."""
import pytest

from models.db import bulk_writes, db, is_postgres

MEMORY = 2


def _temp_store():
    # PostgreSQL has no statement journal files: bulk_writes must send it nothing (a PRAGMA would fail there).
    return None if is_postgres() else db.obj.execute_sql("PRAGMA temp_store").fetchone()[0]


def _one():
    return db.obj.execute_sql("SELECT 1").fetchone()[0]


def test_statement_journals_are_in_memory_inside_and_back_to_the_default_after(app):
    with db.connection_context():
        before = _temp_store()
        assert before != MEMORY
        with bulk_writes():
            assert _temp_store() == (None if is_postgres() else MEMORY)
            assert _one() == 1
        assert _temp_store() == before
        assert _one() == 1


def test_the_default_comes_back_when_the_import_fails(app):
    with db.connection_context():
        before = _temp_store()
        with pytest.raises(RuntimeError), bulk_writes():
            raise RuntimeError("a failed import")
        assert _temp_store() == before
        assert _one() == 1
