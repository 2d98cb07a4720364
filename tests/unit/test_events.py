"""events.append_many and insert_events: one INSERT ... RETURNING where the database has it, one INSERT per
event where it does not (SQLite before 3.35); both give the same events, in order."""
import sqlite3
import uuid

import peewee
import pytest

import models.events
from models import events
from models.db import db, transaction
from models.events import insert_events
from models.orgs import create_org
from models.tables import Event, utcnow


@pytest.fixture
def org_id(app):
    with db.connection_context():
        return create_org(f"events-{uuid.uuid4().hex[:10]}", editor=None).id


@pytest.mark.parametrize("returning", [True, False], ids=["returning", "one-insert-each"])
def test_append_many_returns_the_stored_events_in_order(org_id, monkeypatch, returning):
    if not returning:
        monkeypatch.setattr(models.events, "has_returning", lambda: False)
    planned = [("user.human.added", {"userName": "e"}), ("user.metadata.set", {"key": "a"}),
               ("user.metadata.set", {"key": "b"}), ("user.deactivated", None)]
    aggregate = uuid.uuid4().hex
    with db.connection_context(), transaction():
        appended = events.append_many("user", aggregate, org_id, "editor-1", planned)
    assert [e.type for e in appended] == [t for t, _ in planned]
    ids = [e.id for e in appended]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    with db.connection_context():
        stored = list(Event.select().where(Event.aggregate_id == aggregate).order_by(Event.id))
    assert [(e.id, e.type, e.payload, e.editor_id) for e in stored] == [
        (e.id, e.type, e.payload, e.editor_id) for e in appended]
    assert stored[1].payload == '{"key":"a"}' and stored[3].payload == "{}"


def test_insert_events_gives_each_row_its_id_past_the_bound_values_of_one_statement(app):
    with db.connection_context():
        sqlite = isinstance(db.obj, peewee.SqliteDatabase)
        if sqlite:
            # Room for 3 events per statement: the rows go in as several INSERTs, each under the limit.
            kept = db.obj.connection().setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 3 * 7)
        try:
            aggregate = uuid.uuid4().hex
            rows = [{"aggregate_type": "user", "aggregate_id": f"{aggregate}-{n}", "org_id": "o", "type": f"t.{n}",
                     "editor_id": None, "created_at": utcnow(), "payload": "{}"} for n in range(10)]
            with db.atomic():
                ids = insert_events(rows)
        finally:
            if sqlite:
                db.obj.connection().setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, kept)
        assert ids == sorted(ids) and len(set(ids)) == 10
        assert [Event.get_by_id(event_id).aggregate_id for event_id in ids] == [row["aggregate_id"] for row in rows]
