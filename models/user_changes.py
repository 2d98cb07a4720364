"""The shape of every single-user write: load in the org, check, append one event, move the sequence."""
import dataclasses
import datetime

from . import events
from .db import transaction
from .errors import NotFound
from .users import _load, _save


@dataclasses.dataclass
class Stamp:
    """Sequence and time of the state a write left behind, when it appended no event."""

    id: int
    created_at: datetime.datetime


def stamp_of(row):
    return Stamp(row.sequence, row.changed_at)


def finish(user, event, fields=()):
    """Save fields of a loaded user with event (its last) as the user's sequence; returns the event."""
    user.sequence, user.changed_at = event.id, event.created_at
    _save(user, [*fields, type(user).sequence, type(user).changed_at])
    return event


def record(user, event_type, editor, payload=None, fields=()):
    """Append event_type for a loaded user and save fields with its new sequence; returns the event."""
    return finish(user, events.append("user", user.id, user.org_id, event_type, editor, payload), fields)


def load_human(org_id, user_id, missing):
    """The human user of org_id, locked for writing; missing() is raised for unknown users and machines.

    Each endpoint answers a user it cannot find with its own error (reference §6.5-§6.7).
    """
    try:
        user = _load(org_id, user_id)
    except NotFound:
        raise missing() from None
    if not user.is_human:
        raise missing()
    return user


def change_user(org_id, user_id, editor, not_found_id, apply):
    """One transaction: load the user, let apply(user) check and change it, record its event.

    apply returns (event type, payload, changed fields) or None for "nothing to record".
    """
    with transaction():
        user = _load(org_id, user_id, not_found_id=not_found_id)
        outcome = apply(user)
        if outcome is None:
            return None
        event_type, payload, fields = outcome
        return record(user, event_type, editor, payload, fields)
