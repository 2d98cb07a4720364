"""Appending to the event log (the only writer of the Event table)."""
import json

from .db import has_returning, insert_rows
from .tables import Event, utcnow


def append(aggregate_type, aggregate_id, org_id, event_type, editor_id, payload=None, at=None):
    """Append one event inside the caller's transaction; returns it (id = sequence)."""
    return append_many(aggregate_type, aggregate_id, org_id, editor_id, [(event_type, payload)], at)[0]


def append_many(aggregate_type, aggregate_id, org_id, editor_id, planned, at=None):
    """Append several events of one aggregate in one statement; returns them in order.

    planned is a list of (event_type, payload). One round trip instead of one per
    event; the ids come back through RETURNING and rise in the order of the rows.
    """
    at = at or utcnow()
    rows = [{"aggregate_type": aggregate_type, "aggregate_id": aggregate_id, "org_id": org_id, "type": event_type,
             "editor_id": editor_id, "created_at": at,
             "payload": json.dumps(payload or {}, separators=(",", ":"), default=str)}
            for event_type, payload in planned]
    return [Event(id=event_id, **row) for event_id, row in zip(insert_events(rows), rows, strict=True)]


def insert_events(rows):
    """Insert event rows (dicts of Event's fields, payload as JSON text); their ids, in the order of the rows.

    One statement for all of them: a multi-row INSERT numbers its rows in order,
    so the ids RETURNING gives back, sorted, are the rows' ids.
    """
    if not has_returning():  # SQLite before 3.35
        return [Event.create(**row).id for row in rows]
    return sorted(insert_rows(Event, rows, returning="id"))


def history(aggregate_id, org_id, *, after=0, limit=None, ascending=False):
    query = Event.select().where(
        (Event.aggregate_id == aggregate_id) & (Event.org_id == org_id) & (Event.id > after)
    )
    query = query.order_by(Event.id.asc() if ascending else Event.id.desc())
    if limit:
        query = query.limit(limit)
    return list(query)
