"""Groups of users: create, change, remove, and membership changes.

Membership changes touch only the rows they name, so adding or removing one
member costs the same in a group of ten or of a million. Every change runs in
one transaction and appends its events to the group's history.
"""
import dataclasses

import peewee as pw

from . import events
from .db import load_row, prepared_rows, save_fields, transaction
from .errors import AlreadyExists, InvalidArgument, NotFound, VersionMismatch
from .ids import new_id
from .search import fold
from .tables import Group, GroupMember, User, UserType, utcnow

# Largest id list sent in one IN (...) (SQLite allows 32766 parameters).
CHUNK = 500


@dataclasses.dataclass
class GroupChange:
    """What a PATCH does to a group, in order: attributes, then member operations."""

    display_name: str | None = None
    external_id: str | None = None
    set_external_id: bool = False
    # ("add" | "remove" | "replace", [user ids]); "remove" with None removes every member
    member_ops: list = dataclasses.field(default_factory=list)


def _chunks(values):
    values = list(values)
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]


def _check_name(display_name):
    name = (display_name or "").strip()
    if not name:
        raise InvalidArgument("displayName is required", "GROUP-n4me", "Errors.Group.Invalid")
    if len(name) > 255:
        raise InvalidArgument("displayName is too long (at most 255 characters)", "GROUP-l0ng", "Errors.Group.Invalid")
    return name


def _check_external_id(external_id):
    if external_id is not None and len(external_id) > 255:
        raise InvalidArgument("externalId is too long (at most 255 characters)", "GROUP-l0ng", "Errors.Group.Invalid")
    return external_id


def _already_exists():
    return AlreadyExists("Group already exists", "GROUP-uniq", "Errors.Group.AlreadyExists")


def _not_found():
    return NotFound("Group could not be found", "GROUP-n0tf", "Errors.Group.NotFound")


def check_members(org_id, user_ids):
    """Every id must be a human user of the org; returns the ids without duplicates, in order."""
    unique = list(dict.fromkeys(user_ids))
    found = set()
    for chunk in _chunks(unique):
        query = User.select(User.id).where(
            User.id.in_(chunk) & (User.org == org_id) & (User.type == UserType.HUMAN))
        found.update(u.id for u in query)
    missing = [uid for uid in unique if uid not in found]
    if missing:
        shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
        raise InvalidArgument(f"unknown member ids: {shown}", "GROUP-m3mb", "Errors.Group.MemberNotFound")
    return unique


def _add_members(group, user_ids, editor):
    new = set(user_ids)
    for chunk in _chunks(user_ids):
        present = GroupMember.select(GroupMember.user).where(
            (GroupMember.group == group.id) & GroupMember.user.in_(chunk))
        new -= {m.user_id for m in present}
    if not new:
        return None
    now = utcnow()
    rows = [{"group": group.id, "user": uid, "created_at": now} for uid in user_ids if uid in new]
    try:
        for start in range(0, len(rows), CHUNK):
            GroupMember.insert_many(rows[start:start + CHUNK]).execute()
    except pw.IntegrityError:
        # PostgreSQL: a user removed by a concurrent request after check_members saw it (the foreign key).
        # The whole change is rolled back, as if the removal had come first.
        raise InvalidArgument("unknown member ids: a member was removed meanwhile", "GROUP-m3mb",
                              "Errors.Group.MemberNotFound") from None
    event = events.append("group", group.id, group.org_id, "group.member.added", editor,
                          {"userIds": [r["user"] for r in rows]})
    _members_changed(new, event)
    return event


def _remove_members(group, user_ids, editor):
    removed = []
    for chunk in _chunks(user_ids):
        present = [m.user_id for m in GroupMember.select(GroupMember.user).where(
            (GroupMember.group == group.id) & GroupMember.user.in_(chunk))]
        if present:
            GroupMember.delete().where((GroupMember.group == group.id) & GroupMember.user.in_(present)).execute()
            removed += present
    if not removed:
        return None
    event = events.append("group", group.id, group.org_id, "group.member.removed", editor, {"userIds": removed})
    _members_changed(removed, event)
    return event


def _members_changed(user_ids, event):
    """The users' groups attribute changed: move their SCIM version (and lastModified) on.

    user_ids is a list of ids, or a subquery selecting them.
    """
    chunks = _chunks(user_ids) if isinstance(user_ids, list) else [user_ids]
    for chunk in chunks:
        User.update(groups_sequence=event.id, changed_at=event.created_at).where(User.id.in_(chunk)).execute()


def _remove_all_members(group, editor):
    current = [m.user_id for m in GroupMember.select(GroupMember.user).where(GroupMember.group == group.id)]
    return _remove_members(group, current, editor) if current else None


def _replace_members(group, user_ids, editor):
    """Make the membership exactly user_ids: the whole list is the request, so it is read once."""
    current = {m.user_id for m in GroupMember.select(GroupMember.user).where(GroupMember.group == group.id)}
    wanted = set(user_ids)
    last = _remove_members(group, [uid for uid in current if uid not in wanted], editor)
    return _add_members(group, [uid for uid in user_ids if uid not in current], editor) or last


def _touch(group, event):
    group.sequence, group.changed_at = event.id, event.created_at
    save_fields(group, [Group.sequence, Group.changed_at])


def _save_names(group):
    try:
        with transaction():  # a savepoint, so a clash leaves the outer transaction usable
            save_fields(group, [Group.display_name, Group.display_name_key, Group.external_id])
    except pw.IntegrityError:
        raise _already_exists() from None


def create_group(org_id, display_name, editor, *, external_id=None, member_ids=()):
    name = _check_name(display_name)
    external_id = _check_external_id(external_id)
    try:
        with transaction():
            if Group.select().where((Group.org == org_id) & (Group.display_name_key == fold(name))).exists():
                raise _already_exists()
            members = check_members(org_id, member_ids)
            now = utcnow()
            group = Group.create(id=new_id(), org=org_id, display_name=name, display_name_key=fold(name),
                                 external_id=external_id, created_at=now, changed_at=now)
            last = events.append("group", group.id, org_id, "group.added", editor,
                                 {"displayName": name, "externalId": external_id}, at=now)
            last = _add_members(group, members, editor) or last
            _touch(group, last)
            return group
    except pw.IntegrityError:
        raise _already_exists() from None


def _load(org_id, group_id, expected_versions=None):
    """The group, locked for writing, at one of the expected versions (an If-Match list; None: any)."""
    group = get_group(org_id, group_id, lock=True)
    if expected_versions is not None and group.version not in expected_versions:
        raise VersionMismatch(f"the group is at version {group.version}, not one of those expected",
                              "GROUP-Version", "Errors.Group.VersionMismatch")
    return group


def get_group(org_id, group_id, *, lock=False):
    group = load_row(Group, org_id, group_id, lock=lock)
    if group is None:
        raise _not_found()
    return group


def _apply(group, change, editor):
    last = None
    renamed = change.display_name is not None and _check_name(change.display_name) != group.display_name
    external_changed = change.set_external_id and _check_external_id(change.external_id) != group.external_id
    if renamed or external_changed:
        if renamed:
            group.display_name = _check_name(change.display_name)
            group.display_name_key = fold(group.display_name)
        if external_changed:
            group.external_id = change.external_id
        _save_names(group)
        last = events.append("group", group.id, group.org_id, "group.changed", editor,
                             {"displayName": group.display_name, "externalId": group.external_id})
    for op, user_ids in change.member_ops:
        if op == "remove" and user_ids is None:
            last = _remove_all_members(group, editor) or last
            continue
        members = check_members(group.org_id, user_ids) if op != "remove" else list(dict.fromkeys(user_ids))
        handler = {"add": _add_members, "remove": _remove_members, "replace": _replace_members}[op]
        last = handler(group, members, editor) or last
    if last is not None:
        _touch(group, last)
    return group


def update_group(org_id, group_id, change_for, editor, *, expected_versions=None):
    """Apply change_for(group) -> GroupChange with the group locked; all or nothing."""
    with transaction():
        group = _load(org_id, group_id, expected_versions)
        return _apply(group, change_for(group), editor)


def replace_group(org_id, group_id, display_name, editor, *, external_id=None, member_ids=(),
                  expected_versions=None):
    """PUT: every writable attribute, the member list included."""
    change = GroupChange(display_name=display_name, external_id=external_id, set_external_id=True,
                         member_ops=[("replace", list(member_ids))])
    with transaction():
        return _apply(_load(org_id, group_id, expected_versions), change, editor)


def delete_group(org_id, group_id, editor, *, expected_versions=None):
    with transaction():
        group = _load(org_id, group_id, expected_versions)
        event = events.append("group", group.id, org_id, "group.removed", editor,
                              {"displayName": group.display_name})
        # The members lose this group from their groups attribute.
        _members_changed(GroupMember.select(GroupMember.user).where(GroupMember.group == group.id), event)
        group.delete_instance()


def members_of(group_ids):
    """{group_id: [(user_id, display)]} in one query."""
    result = {gid: [] for gid in group_ids}
    if not group_ids:
        return result
    query = (GroupMember.select(GroupMember.group, User.id, User.display_name, User.username)
             .join(User).where(GroupMember.group.in_(list(group_ids))).order_by(GroupMember.created_at, User.id))
    for row in query:
        result[row.group_id].append((row.user.id, row.user.display_name or row.user.username))
    return result


def has_more_members_than(group_id, limit):
    """Whether the group has more than limit members, reading at most limit + 1 index entries."""
    probe = GroupMember.select(GroupMember.user).where(GroupMember.group == group_id).offset(limit).limit(1)
    return probe.exists()


def groups_of_users(users):
    """groups_of for loaded users, without asking about those that cannot have any.

    A user's groups_sequence moves with every change of its memberships (_members_changed),
    so a user at 0 has never been in a group; most users of a directory are in none.
    """
    result = groups_of([u.id for u in users if u.groups_sequence])
    return {u.id: result.get(u.id, []) for u in users}


def groups_of(user_ids):
    """{user_id: [(group_id, display_name)]} in one query."""
    result = {uid: [] for uid in user_ids}
    if not user_ids:
        return result
    user_ids = list(user_ids)
    rows = prepared_rows(("groups_of", len(user_ids)), lambda *ids: (
        GroupMember.select(GroupMember.user, Group.id, Group.display_name).join(Group)
        .where(GroupMember.user.in_(ids)).order_by(Group.display_name_key).tuples()), user_ids)
    for user_id, group_id, display_name in rows:
        result[user_id].append((group_id, display_name))
    return result


def leave_all_groups(user, editor):
    """Record, in each group of a user about to be removed, that the member left."""
    query = Group.select().join(GroupMember).where(GroupMember.user == user.id)
    for group in query:
        event = events.append("group", group.id, group.org_id, "group.member.removed", editor,
                              {"userIds": [user.id], "reason": "user.removed"})
        _touch(group, event)
