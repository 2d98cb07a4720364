"""Batched creation of many human users (seeding, imports).

The same rules as models/users.create_human, written for throughput: each
batch is one transaction with multi-row inserts. Every imported user gets one
`user.human.added` event (naming its metadata keys) instead of one event per
attribute. Users whose userName already exists in the org are skipped, so
re-running an import creates nothing twice.

Work is split in two: prepare_human turns one HumanInput into its rows without
touching the database (so an import can run it in parallel processes), and
import_humans writes prepared users in batches.
"""
import dataclasses
import json

from .db import insert_rows, prepared_rows, transaction
from .events import insert_events
from .ids import new_id
from .passwords import hash_password
from .policies import DEFAULT, Complexity, check_against, complexity
from .tables import User, UserAttr, UserMetadata, UserState, UserType, utcnow
from .users import HumanInput, human_columns, index_rows, profile_payload

BATCH = 1000


@dataclasses.dataclass
class PreparedHuman:
    """One user's rows, minus what only the writer knows (ids, org, time)."""

    columns: dict
    payload: str
    metadata: list  # (key, value)
    attrs: list  # user_attr rows without user and org_id


def prepare_human(data: HumanInput, policy: Complexity = DEFAULT) -> PreparedHuman:
    """Rows for one user; raises DomainError for a user create_human would refuse.

    policy is the organisation's password complexity, read once by the caller.
    """
    if data.password:
        check_against(policy, data.password)
    columns = human_columns(data)
    columns["state"] = UserState.ACTIVE if data.active else UserState.INACTIVE
    if data.password:
        columns.update(password_hash=hash_password(data.password),
                       password_change_required=data.password_change_required)
    written = ("state", "password_hash", "password_change_required")
    profile = profile_payload({k: v for k, v in columns.items() if k not in written})
    payload = json.dumps(dict(profile, metadata=sorted(data.metadata)), separators=(",", ":"), default=str)
    attrs = index_rows(_Shadow(columns), data.metadata.items())
    for row in attrs:
        del row["user"], row["org_id"]
    return PreparedHuman(columns, payload, list(data.metadata.items()), attrs)


def import_humans(org_id, inputs, editor, *, batch_size=BATCH):
    """Create users from HumanInput or PreparedHuman values; returns (created ids, skipped usernames)."""
    created, skipped = [], []
    policy = complexity(org_id) if not all(isinstance(item, PreparedHuman) for item in inputs) else DEFAULT
    for start in range(0, len(inputs), batch_size):
        batch = [item if isinstance(item, PreparedHuman) else prepare_human(item, policy)
                 for item in inputs[start:start + batch_size]]
        batch_created, batch_skipped = _import_batch(org_id, batch, editor)
        created += batch_created
        skipped += batch_skipped
    return created, skipped


def existing_username_keys(org_id, keys):
    """Those of the username keys (fold(userName)) that a user of org_id already has."""
    # Prepared per number of keys: peewee building an IN of thousands of values took longer than the query.
    return {key for (key,) in prepared_rows(("imported_keys", len(keys)), lambda org, *values: User.select(
        User.username_key).where((User.org == org) & User.username_key.in_(values)).tuples(), [org_id, *keys])}


def _import_batch(org_id, batch, editor):
    now = utcnow()
    with transaction():
        existing = existing_username_keys(org_id, [prepared.columns["username_key"] for prepared in batch])
        users, events, metadata, attrs, skipped, seen = [], [], [], [], [], set()
        for prepared in batch:
            columns = prepared.columns
            key = columns["username_key"]
            if key in existing or key in seen:
                skipped.append(columns["username"])
                continue
            seen.add(key)
            user_id = new_id()
            row = dict(columns, id=user_id, org=org_id, type=UserType.HUMAN, created_at=now, changed_at=now)
            if "password_hash" in columns:
                row["password_changed_at"] = now
            users.append(row)
            events.append({"aggregate_type": "user", "aggregate_id": user_id, "org_id": org_id,
                           "type": "user.human.added", "editor_id": editor, "created_at": now,
                           "payload": prepared.payload})
            for meta_key, value in prepared.metadata:
                metadata.append({"user": user_id, "key": meta_key, "value": value, "created_at": now,
                                 "changed_at": now})
            for attr in prepared.attrs:
                attrs.append(dict(attr, user=user_id, org_id=org_id))
        if not users:
            return [], skipped
        # Each imported user has exactly one event: its id is the sequence of the user and of its metadata.
        sequences = dict(zip((user["id"] for user in users), insert_events(events), strict=True))
        for row in users:
            row["sequence"] = sequences[row["id"]]
        for row in metadata:
            row["sequence"] = sequences[row["user"]]
        for table, rows in ((User, users), (UserMetadata, metadata), (UserAttr, attrs)):
            insert_rows(table, rows)
    return [user["id"] for user in users], skipped


class _Shadow:
    """Just enough of a User for index_rows, before it has an id or an organisation."""

    def __init__(self, columns):
        self.id = self.org_id = None
        self.email, self.phone = columns["email"], columns["phone"]
