"""Drop two foreign-key indexes that another index already covers.

Peewee indexes every foreign key. `user(org_id)` is a prefix of the unique
(org_id, username_key) index and of (org_id, id); `user_metadata(user_id)` is a
prefix of the unique (user_id, key). Lookups, joins and the cascades from a
deleted organisation or user use those as well, so the two single-column
indexes only cost writes: one index entry per user and one per metadata row,
4 of the 22 index entries an Okta-style user (three metadata rows) wrote.
"""
INDEXES = (("user", "user_org_id", "org_id"), ("user_metadata", "user_metadata_user_id", "user_id"))


def up(migrator, db):
    for _table, name, _column in INDEXES:
        db.execute_sql(f'DROP INDEX IF EXISTS "{name}"')


def down(migrator, db):
    for table, name, column in INDEXES:
        db.execute_sql(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ("{column}")')
