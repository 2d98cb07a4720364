"""The auth epoch (0012) moves only for changes a kept principal can depend on.

* A user's state, organisation or removal moves it for machine users only.
  Only machine users hold bearer tokens (PATs and issued tokens are refused to
  humans), so no kept principal depends on a human's row, as 0013 found for
  metadata. Until now every deactivation, reactivation and deletion an IdP
  synced moved the epoch, and every worker then resolved its callers' tokens
  again: during a deactivation run, the IdP's own token was read back from the
  database on almost every request. A user's type never changes, so the
  condition cannot race with anything.
* PostgreSQL: 0012's statement-level triggers (roles, tokens, signing keys)
  bump only when their statement touched a row. Removing any user deletes from
  member and the two token tables by cascade, and each of those statements
  used to bump even with nothing to delete.
"""

MACHINE = 2  # models.tables.UserType.MACHINE, frozen here as migrations are
BUMP = 'UPDATE "auth_epoch" SET "value" = "value" + 1 WHERE "shard" = 0'

# (trigger name, event, condition); the body is 0012's bump
USER_TRIGGERS = (
    ("auth_epoch_user_changed", 'UPDATE OF "state", "org_id"',
     'OLD."state" IS NOT NEW."state" OR OLD."org_id" IS NOT NEW."org_id"'),
    ("auth_epoch_user_removed", "DELETE", None),
)

# 0012's statement-level triggers on PostgreSQL: (name, table, event)
STATEMENT_TRIGGERS = (
    ("auth_epoch_member_added", "member", "INSERT"),
    ("auth_epoch_member_changed", "member", "UPDATE"),
    ("auth_epoch_member_removed", "member", "DELETE"),
    ("auth_epoch_pat_changed", "personal_access_token", "UPDATE"),
    ("auth_epoch_pat_removed", "personal_access_token", "DELETE"),
    ("auth_epoch_token_changed", "access_token", "UPDATE"),
    ("auth_epoch_token_removed", "access_token", "DELETE"),
    ("auth_epoch_key_added", "signing_key", "INSERT"),
    ("auth_epoch_key_changed", "signing_key", "UPDATE"),
    ("auth_epoch_key_removed", "signing_key", "DELETE"),
)

# The rows a statement touched are its transition table, named "touched" by every trigger using this.
POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION "auth_epoch_bump_if_rows"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM "touched") THEN
        INSERT INTO "auth_epoch" ("shard", "value") VALUES (mod(pg_backend_pid(), 16), 1)
        ON CONFLICT ("shard") DO UPDATE SET "value" = "auth_epoch"."value" + 1;
    END IF;
    RETURN NULL;
END $$"""


def _user_conditions(narrowed):
    for name, event, changed in USER_TRIGGERS:
        row = "OLD" if event == "DELETE" else "NEW"
        parts = [f'{row}."type" = {MACHINE}'] if narrowed else []
        parts += [f"({changed})"] if changed else []
        yield name, event, " AND ".join(parts) or None


def _sqlite(db, narrowed):
    for name, event, when in _user_conditions(narrowed):
        db.execute_sql(f'DROP TRIGGER IF EXISTS "{name}"')
        condition = f" WHEN {when}" if when else ""
        db.execute_sql(f'CREATE TRIGGER "{name}" AFTER {event} ON "user"{condition} BEGIN {BUMP}; END')


def _postgres(db, narrowed):
    for name, event, when in _user_conditions(narrowed):
        db.execute_sql(f'DROP TRIGGER IF EXISTS "{name}" ON "user"')
        # With a condition the trigger fires per row; 0012's bare DELETE trigger fired once per statement.
        level = ("FOR EACH ROW WHEN (" + when.replace(" IS NOT ", " IS DISTINCT FROM ") + ")") if when \
            else "FOR EACH STATEMENT"
        db.execute_sql(f'CREATE TRIGGER "{name}" AFTER {event} ON "user" {level} '
                       'EXECUTE PROCEDURE "auth_epoch_bump"()')
    if narrowed:
        db.execute_sql(POSTGRES_FUNCTION)
    for name, table, event in STATEMENT_TRIGGERS:
        db.execute_sql(f'DROP TRIGGER IF EXISTS "{name}" ON "{table}"')
        if narrowed:
            touched = "OLD" if event == "DELETE" else "NEW"
            db.execute_sql(f'CREATE TRIGGER "{name}" AFTER {event} ON "{table}" REFERENCING {touched} TABLE AS '
                           '"touched" FOR EACH STATEMENT EXECUTE PROCEDURE "auth_epoch_bump_if_rows"()')
        else:
            db.execute_sql(f'CREATE TRIGGER "{name}" AFTER {event} ON "{table}" FOR EACH STATEMENT '
                           'EXECUTE PROCEDURE "auth_epoch_bump"()')
    if not narrowed:
        db.execute_sql('DROP FUNCTION IF EXISTS "auth_epoch_bump_if_rows"()')


def _is_postgres(db):
    return type(db).__name__.startswith("Postgres")


def up(migrator, db):
    (_postgres if _is_postgres(db) else _sqlite)(db, narrowed=True)


def down(migrator, db):
    (_postgres if _is_postgres(db) else _sqlite)(db, narrowed=False)
