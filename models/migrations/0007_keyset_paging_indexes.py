"""Indexes for cursor (keyset) paging of SCIM lists: (org_id, id) on users and groups.

A cursor page with no sortBy is WHERE org_id = ? AND id > ? ORDER BY id LIMIT n;
with this index the database starts at the key and reads n rows, so a deep page
costs what the first one does. Without it, every page sorted all of the
organisation's rows past the key.
"""


def up(migrator, db):
    migrator.migrate(
        migrator.add_index("user", ("org_id", "id"), False),
        migrator.add_index("group", ("org_id", "id"), False),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_index("user", "user_org_id_id"),
        migrator.drop_index("group", "group_org_id_id"),
    )
