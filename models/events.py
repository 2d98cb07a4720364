"""Appending to the event log (the only writer of the Event table)."""
import json

from .tables import Event, utcnow


def append(aggregate_type, aggregate_id, org_id, event_type, editor_id, payload=None, at=None):
    """Append one event inside the caller's transaction; returns it (id = sequence)."""
    return Event.create(
        aggregate_type=aggregate_type,
        aggregate_id=aggregate_id,
        org_id=org_id,
        type=event_type,
        editor_id=editor_id,
        created_at=at or utcnow(),
        payload=json.dumps(payload or {}, separators=(",", ":"), default=str),
    )


def history(aggregate_id, org_id, *, after=0, limit=None, ascending=False):
    query = Event.select().where(
        (Event.aggregate_id == aggregate_id) & (Event.org_id == org_id) & (Event.id > after)
    )
    query = query.order_by(Event.id.asc() if ascending else Event.id.desc())
    if limit:
        query = query.limit(limit)
    return list(query)
