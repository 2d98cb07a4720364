"""The auth epoch (0012) also moves when a machine user's metadata changes.

A SCIM caller's own metadata holds its switches (provisioningDomain,
ignorePasswordOnCreate); workers keep them with the caller's principal, so a
change must reach every worker on its next request, like a role change does.
Only machine users hold bearer tokens, and their metadata changes rarely, so
a human's metadata (written on every SCIM sync) leaves the epoch alone.
"""

TABLE = "user_metadata"
EVENTS = (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD"))
MACHINE = 2  # models.tables.UserType.MACHINE, frozen here as migrations are


def _name(event):
    return f"auth_epoch_machine_metadata_{event.lower()}"


def _sqlite_trigger(event, row):
    return (f'CREATE TRIGGER IF NOT EXISTS "{_name(event)}" AFTER {event} ON "{TABLE}" '
            f'WHEN (SELECT "type" FROM "user" WHERE "id" = {row}."user_id") = {MACHINE} BEGIN '
            'UPDATE "auth_epoch" SET "value" = "value" + 1 WHERE "shard" = 0; END')


# A trigger's WHEN cannot hold a subquery in PostgreSQL: the function checks the user's type.
POSTGRES_FUNCTION = f"""
CREATE OR REPLACE FUNCTION "auth_epoch_machine_metadata"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed_user VARCHAR;
BEGIN
    IF TG_OP = 'DELETE' THEN changed_user := OLD."user_id"; ELSE changed_user := NEW."user_id"; END IF;
    IF EXISTS (SELECT 1 FROM "user" WHERE "id" = changed_user AND "type" = {MACHINE}) THEN
        INSERT INTO "auth_epoch" ("shard", "value") VALUES (mod(pg_backend_pid(), 16), 1)
        ON CONFLICT ("shard") DO UPDATE SET "value" = "auth_epoch"."value" + 1;
    END IF;
    RETURN NULL;
END $$"""


def _postgres(db):
    return type(db).__name__.startswith("Postgres")


def up(migrator, db):
    if _postgres(db):
        db.execute_sql(POSTGRES_FUNCTION)
        for event, _ in EVENTS:
            db.execute_sql(f'DROP TRIGGER IF EXISTS "{_name(event)}" ON "{TABLE}"')
            db.execute_sql(f'CREATE TRIGGER "{_name(event)}" AFTER {event} ON "{TABLE}" FOR EACH ROW '
                           'EXECUTE PROCEDURE "auth_epoch_machine_metadata"()')
    else:
        for event, row in EVENTS:
            db.execute_sql(_sqlite_trigger(event, row))


def down(migrator, db):
    for event, _ in EVENTS:
        db.execute_sql(f'DROP TRIGGER IF EXISTS "{_name(event)}"' + (f' ON "{TABLE}"' if _postgres(db) else ""))
    if _postgres(db):
        db.execute_sql('DROP FUNCTION IF EXISTS "auth_epoch_machine_metadata"()')
