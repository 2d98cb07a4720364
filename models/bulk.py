"""Batched creation of many human users (seeding, imports).

The same rules as models/users.create_human, written for throughput: each
batch is one transaction with multi-row inserts. Every imported user gets one
`user.human.added` event (naming its metadata keys) instead of one event per
attribute. Users whose userName already exists in the org are skipped, so
re-running an import creates nothing twice.
"""
import json

from .db import transaction
from .ids import new_id
from .passwords import hash_password
from .tables import Event, User, UserAttr, UserMetadata, UserState, UserType, utcnow
from .users import _human_columns, _profile_payload, _scim_attr_rows

BATCH = 1000


def import_humans(org_id, inputs, editor, *, batch_size=BATCH):
    """Create users from HumanInput values; returns (created ids, skipped usernames)."""
    created, skipped = [], []
    for start in range(0, len(inputs), batch_size):
        batch_created, batch_skipped = _import_batch(org_id, inputs[start:start + batch_size], editor)
        created += batch_created
        skipped += batch_skipped
    return created, skipped


def _import_batch(org_id, batch, editor):
    now = utcnow()
    prepared = [(data, _human_columns(data)) for data in batch]
    with transaction():
        keys = [columns["username_key"] for _, columns in prepared]
        existing = {
            u.username_key for u in User.select(User.username_key).where(
                (User.org == org_id) & User.username_key.in_(keys))
        }
        users, events, metadata, attrs, skipped, seen = [], [], [], [], [], set()
        for data, columns in prepared:
            if columns["username_key"] in existing or columns["username_key"] in seen:
                skipped.append(columns["username"])
                continue
            seen.add(columns["username_key"])
            user_id = new_id()
            row = dict(columns, id=user_id, org=org_id, type=UserType.HUMAN, created_at=now, changed_at=now,
                       state=UserState.ACTIVE if data.active else UserState.INACTIVE)
            if data.password:
                row.update(password_hash=hash_password(data.password), password_changed_at=now,
                           password_change_required=data.password_change_required)
            users.append(row)
            payload = dict(_profile_payload(columns), metadata=sorted(data.metadata))
            events.append({"aggregate_type": "user", "aggregate_id": user_id, "org_id": org_id,
                           "type": "user.human.added", "editor_id": editor, "created_at": now,
                           "payload": json.dumps(payload, separators=(",", ":"), default=str)})
            shadow = _Shadow(user_id, org_id)
            for key, value in data.metadata.items():
                metadata.append({"user": user_id, "key": key, "value": value, "created_at": now, "changed_at": now})
                attrs.extend(_scim_attr_rows(shadow, key, value))
            present = {a["attr"] for a in attrs if a["user"] == user_id}
            for attr, column in (("emails", columns["email"]), ("phoneNumbers", columns["phone"])):
                if column and attr not in present:
                    attrs.extend(_scim_attr_rows(
                        shadow, "urn:zitadel:scim:" + attr, json.dumps([{"value": column, "primary": True}])))
        if not users:
            return [], skipped
        for table, rows in ((User, users), (Event, events), (UserMetadata, metadata), (UserAttr, attrs)):
            for start in range(0, len(rows), 500):
                table.insert_many(rows[start:start + 500]).execute()
        ids = [u["id"] for u in users]
        # Each imported user has exactly one event: its id is the user's sequence.
        User.update(sequence=Event.select(Event.id).where(Event.aggregate_id == User.id)).where(
            User.id.in_(ids)).execute()
        UserMetadata.update(sequence=Event.select(Event.id).where(Event.aggregate_id == UserMetadata.user)).where(
            UserMetadata.user.in_(ids)).execute()
    return ids, skipped


class _Shadow:
    """Just enough of a User for _scim_attr_rows."""

    def __init__(self, user_id, org_id):
        self.id, self.org_id = user_id, org_id

