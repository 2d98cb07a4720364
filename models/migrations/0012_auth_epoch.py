"""A counter that moves whenever a bearer token's answer could change: the auth epoch.

Workers keep the principal a token resolved to (auth/principal_cache.py) and
trust it only while this counter has not moved, so a revoked token, a removed
role or a deactivated user still takes effect on the very next request, in
every worker and every instance sharing the database. Triggers move it, so
every way such a change happens (API, Bulk, import, an organisation's cascade)
is covered without the code having to remember it.

What moves it: a user's state or organisation changing, a user removed; any
change to roles (member); a personal or issued access token changed or removed
(revocation, expiry pruning, a deleted credential); any change to signing keys.
New tokens do not: no worker can hold an answer for a token it never saw.

PostgreSQL: the counter is split into rows per server process, as user_count
is, so that concurrent deactivations do not queue on one row; readers sum them.
A bump is part of the changing transaction, so a reader that reads the epoch
first and the token's rows after can never keep an answer older than its epoch.
"""

TABLE = """
CREATE TABLE IF NOT EXISTS "auth_epoch" (
    "shard" SMALLINT NOT NULL PRIMARY KEY,
    "value" BIGINT NOT NULL
)"""

SEED = 'INSERT INTO "auth_epoch" ("shard", "value") VALUES (0, 0)'

# (trigger name, table, event, SQLite WHEN clause or None)
TRIGGERS = [
    ("auth_epoch_user_changed", "user", 'UPDATE OF "state", "org_id"',
     'OLD."state" IS NOT NEW."state" OR OLD."org_id" IS NOT NEW."org_id"'),
    ("auth_epoch_user_removed", "user", "DELETE", None),
    ("auth_epoch_member_added", "member", "INSERT", None),
    ("auth_epoch_member_changed", "member", "UPDATE", None),
    ("auth_epoch_member_removed", "member", "DELETE", None),
    ("auth_epoch_pat_changed", "personal_access_token", "UPDATE", None),
    ("auth_epoch_pat_removed", "personal_access_token", "DELETE", None),
    ("auth_epoch_token_changed", "access_token", "UPDATE", None),
    ("auth_epoch_token_removed", "access_token", "DELETE", None),
    ("auth_epoch_key_added", "signing_key", "INSERT", None),
    ("auth_epoch_key_changed", "signing_key", "UPDATE", None),
    ("auth_epoch_key_removed", "signing_key", "DELETE", None),
]


def _sqlite_trigger(name, table, event, when):
    condition = f" WHEN {when}" if when else ""
    return (f'CREATE TRIGGER IF NOT EXISTS "{name}" AFTER {event} ON "{table}"{condition} BEGIN '
            'UPDATE "auth_epoch" SET "value" = "value" + 1 WHERE "shard" = 0; END')


POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION "auth_epoch_bump"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO "auth_epoch" ("shard", "value") VALUES (mod(pg_backend_pid(), 16), 1)
    ON CONFLICT ("shard") DO UPDATE SET "value" = "auth_epoch"."value" + 1;
    RETURN NULL;
END $$"""


def _postgres_trigger(name, table, event, when):
    # A user's state change is one row among many updates of "user": only it bumps (row level).
    # Elsewhere one bump per statement is enough, even for a statement that touched no row.
    if when:
        level = "FOR EACH ROW WHEN (" + when.replace(" IS NOT ", " IS DISTINCT FROM ") + ")"
    else:
        level = "FOR EACH STATEMENT"
    return [f'DROP TRIGGER IF EXISTS "{name}" ON "{table}"',
            f'CREATE TRIGGER "{name}" AFTER {event} ON "{table}" {level} EXECUTE PROCEDURE "auth_epoch_bump"()']


def _postgres(db):
    return type(db).__name__.startswith("Postgres")


def up(migrator, db):
    db.execute_sql(TABLE)
    db.execute_sql('DELETE FROM "auth_epoch"')
    db.execute_sql(SEED)
    if _postgres(db):
        db.execute_sql(POSTGRES_FUNCTION)
        for trigger in TRIGGERS:
            for statement in _postgres_trigger(*trigger):
                db.execute_sql(statement)
    else:
        for trigger in TRIGGERS:
            db.execute_sql(_sqlite_trigger(*trigger))


def down(migrator, db):
    for name, table, _, _ in TRIGGERS:
        db.execute_sql(f'DROP TRIGGER IF EXISTS "{name}"' + (f' ON "{table}"' if _postgres(db) else ""))
    if _postgres(db):
        db.execute_sql('DROP FUNCTION IF EXISTS "auth_epoch_bump"()')
    db.execute_sql('DROP TABLE IF EXISTS "auth_epoch"')
