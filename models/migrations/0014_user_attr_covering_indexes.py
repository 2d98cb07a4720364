"""The user_attr lookups hold the user id in their indexes (covering indexes).

An IdP looks every user up by externalId or by a work email on every sync:
`user.id IN (SELECT user_id FROM user_attr WHERE org_id = ? AND attr = ? AND value = ?)`.
With (org_id, attr, value) alone, each match also read its user_attr row for
user_id (and type, for `emails[type eq "work"]`): one more page, which at a
million users is rarely in the worker's cache. With the id (and the type) in
the index, the index answers the subquery alone.
"""
INDEXES = (
    ("user_attr_org_id_attr_value", "user_attr_org_id_attr_value_user_id", ("org_id", "attr", "value", "user_id")),
    ("user_attr_org_id_attr_value_key", "user_attr_org_id_attr_value_key_user_id_type",
     ("org_id", "attr", "value_key", "user_id", "type")),
)


def _create(db, name, columns):
    quoted = ", ".join(f'"{column}"' for column in columns)
    db.execute_sql(f'CREATE INDEX IF NOT EXISTS "{name}" ON "user_attr" ({quoted})')


def up(migrator, db):
    for old, new, columns in INDEXES:
        _create(db, new, columns)
        db.execute_sql(f'DROP INDEX IF EXISTS "{old}"')


def down(migrator, db):
    for old, new, columns in INDEXES:
        _create(db, old, columns[:3])
        db.execute_sql(f'DROP INDEX IF EXISTS "{new}"')
