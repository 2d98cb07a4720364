"""Checks that the current-state tables and the event log tell the same story.

Run after a crash (or any time) with `flask --app app check-consistency`:
- every user and group has the event that created it, and its sequence is the
  id of its latest event (a half-written change would break one of these);
- no user or group whose latest event removed it still exists;
- a user's search index rows are exactly what its metadata implies;
- the kept user counts (totalResults of unfiltered lists) match the user table;
- no group member has a groups_sequence of 0 (which says it never was in a group).
Each problem is reported; an empty list means consistent.
"""
import peewee as pw

from .tables import Event, Group, GroupMember, User, UserAttr, UserCount, UserMetadata
from .users import SCIM_PREFIX, _scim_attr_rows

BATCH = 1000
CREATED = {"user": ("user.human.added", "user.machine.added"), "group": ("group.added",)}
REMOVED = {"user": "user.removed", "group": "group.removed"}


def _latest(kind):
    return (Event.select(Event.aggregate_id, pw.fn.MAX(Event.id).alias("latest"))
            .where(Event.aggregate_type == kind).group_by(Event.aggregate_id).alias(f"latest_{kind}"))


def _aggregate_problems(kind, table):
    problems = []
    latest = _latest(kind)
    query = (table.select(table.id, table.sequence, latest.c.latest)
             .join(latest, pw.JOIN.LEFT_OUTER, on=(latest.c.aggregate_id == table.id)).tuples())
    for row_id, sequence, last in query:
        if last is None:
            problems.append(f"{kind} {row_id} has no events")
        elif last != sequence:
            problems.append(f"{kind} {row_id} is at sequence {sequence} but its latest event is {last}")
    created = Event.select(Event.aggregate_id).where(Event.type.in_(CREATED[kind]))
    for row_id, in table.select(table.id).where(table.id.not_in(created)).tuples():
        problems.append(f"{kind} {row_id} has no creation event")
    removed_last = (Event.select(Event.aggregate_id)
                    .join(latest, on=((latest.c.aggregate_id == Event.aggregate_id) & (latest.c.latest == Event.id)))
                    .where(Event.type == REMOVED[kind]))
    for row_id, in table.select(table.id).where(table.id.in_(removed_last)).tuples():
        problems.append(f"{kind} {row_id} still exists after its {REMOVED[kind]} event")
    return problems


def _index_problems():
    problems, last_id = [], ""
    while True:
        users = list(User.select(User.id, User.org, User.email, User.phone)
                     .where(User.id > last_id).order_by(User.id).limit(BATCH))
        if not users:
            return problems
        ids = [u.id for u in users]
        expected = {uid: set() for uid in ids}
        meta = UserMetadata.select(UserMetadata.user, UserMetadata.key, UserMetadata.value).where(
            UserMetadata.user.in_(ids) & UserMetadata.key.startswith(SCIM_PREFIX))
        by_user = {u.id: u for u in users}
        for row in meta:
            for attr_row in _scim_attr_rows(by_user[row.user_id], row.key, bytes(row.value)):
                expected[row.user_id].add(_key(attr_row))
        for user in users:
            # Users without a stored SCIM e-mail/phone list are indexed with their one address.
            for attr, column in (("emails", user.email), ("phoneNumbers", user.phone)):
                if column and not any(k[0] == attr for k in expected[user.id]):
                    row = {"attr": attr, "entry": 0, "type": None, "primary": True, "value": column}
                    expected[user.id].add(_key(row))
        actual = {uid: set() for uid in ids}
        for row in UserAttr.select().where(UserAttr.user.in_(ids)).dicts():
            actual[row["user"]].add(_key(row))
        for uid in ids:
            if actual[uid] != expected[uid]:
                problems.append(f"user {uid}: search index does not match its metadata")
        last_id = ids[-1]


def _count_problems():
    actual = dict(((org, kind), n) for org, kind, n in
                  User.select(User.org, User.type, pw.fn.COUNT(User.id)).group_by(User.org, User.type).tuples())
    kept = dict(((org, kind), int(n)) for org, kind, n in
                UserCount.select(UserCount.org_id, UserCount.type, pw.fn.SUM(UserCount.n))
                .group_by(UserCount.org_id, UserCount.type).tuples())
    return [f"org {org} has {actual.get((org, kind), 0)} users of type {kind} but counts {kept.get((org, kind), 0)}"
            for org, kind in sorted(actual.keys() | kept.keys())
            if actual.get((org, kind), 0) != kept.get((org, kind), 0)]


def _membership_problems():
    members = GroupMember.select(GroupMember.user).where(GroupMember.user == User.id)
    return [f"user {user_id} is a group member but its groups_sequence is 0"
            for user_id, in User.select(User.id).where((User.groups_sequence == 0) & pw.fn.EXISTS(members)).tuples()]


def _key(row):
    return (row["attr"], row["entry"], row["type"], bool(row["primary"]), row["value"])


def check():
    """Every inconsistency found, as a list of sentences."""
    return (_aggregate_problems("user", User) + _aggregate_problems("group", Group) + _index_problems()
            + _count_problems() + _membership_problems())
