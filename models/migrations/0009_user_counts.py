"""A running count of each organisation's users, kept by the database itself.

An unfiltered list (GET /Users?startIndex=999901) must report totalResults, and
counting a million index entries took most of a deep page's time. Triggers keep
the count, so every way a user is added or removed (API, Bulk, import, an
organisation's cascade) is covered without the code having to remember it.

The count is split into rows per writer (PostgreSQL: per server process) so that
concurrent transactions creating users do not queue on one row; the total is
the sum of an organisation's rows. A transaction's rows all share one shard, so
two transactions never lock shard rows in opposite orders.

Triggers go with their table: a later migration that rebuilds "user" (peewee's
SQLite migrator does for some column changes) must create them again.
"""

TABLE = """
CREATE TABLE IF NOT EXISTS "user_count" (
    "org_id" VARCHAR(32) NOT NULL,
    "type" SMALLINT NOT NULL,
    "shard" SMALLINT NOT NULL,
    "n" BIGINT NOT NULL,
    PRIMARY KEY ("org_id", "type", "shard")
)"""

SEED = """
INSERT INTO "user_count" ("org_id", "type", "shard", "n")
SELECT "org_id", "type", 0, COUNT(*) FROM "user" GROUP BY "org_id", "type"
"""

SQLITE = [
    """CREATE TRIGGER IF NOT EXISTS "user_count_added" AFTER INSERT ON "user" BEGIN
        INSERT OR IGNORE INTO "user_count" VALUES (NEW."org_id", NEW."type", 0, 0);
        UPDATE "user_count" SET "n" = "n" + 1
            WHERE "org_id" = NEW."org_id" AND "type" = NEW."type" AND "shard" = 0;
    END""",
    """CREATE TRIGGER IF NOT EXISTS "user_count_removed" AFTER DELETE ON "user" BEGIN
        UPDATE "user_count" SET "n" = "n" - 1
            WHERE "org_id" = OLD."org_id" AND "type" = OLD."type" AND "shard" = 0;
    END""",
]

# Statement-level triggers see all rows of a multi-row INSERT (an import batch) at once.
POSTGRES = [
    """CREATE OR REPLACE FUNCTION "user_count_change"() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            INSERT INTO "user_count" ("org_id", "type", "shard", "n")
            SELECT "org_id", "type", mod(pg_backend_pid(), 16), COUNT(*) FROM "added"
            GROUP BY "org_id", "type" ORDER BY "org_id", "type"
            ON CONFLICT ("org_id", "type", "shard") DO UPDATE SET "n" = "user_count"."n" + EXCLUDED."n";
        ELSE
            INSERT INTO "user_count" ("org_id", "type", "shard", "n")
            SELECT "org_id", "type", mod(pg_backend_pid(), 16), -COUNT(*) FROM "removed"
            GROUP BY "org_id", "type" ORDER BY "org_id", "type"
            ON CONFLICT ("org_id", "type", "shard") DO UPDATE SET "n" = "user_count"."n" + EXCLUDED."n";
        END IF;
        RETURN NULL;
    END $$""",
    'DROP TRIGGER IF EXISTS "user_count_added" ON "user"',
    """CREATE TRIGGER "user_count_added" AFTER INSERT ON "user" REFERENCING NEW TABLE AS "added"
        FOR EACH STATEMENT EXECUTE PROCEDURE "user_count_change"()""",
    'DROP TRIGGER IF EXISTS "user_count_removed" ON "user"',
    """CREATE TRIGGER "user_count_removed" AFTER DELETE ON "user" REFERENCING OLD TABLE AS "removed"
        FOR EACH STATEMENT EXECUTE PROCEDURE "user_count_change"()""",
]


def _postgres(db):
    return type(db).__name__.startswith("Postgres")


def up(migrator, db):
    if _postgres(db):
        # No user may be added or removed between the seeding count and the triggers.
        db.execute_sql('LOCK TABLE "user" IN SHARE ROW EXCLUSIVE MODE')
    db.execute_sql(TABLE)
    db.execute_sql('DELETE FROM "user_count"')
    db.execute_sql(SEED)
    for statement in POSTGRES if _postgres(db) else SQLITE:
        db.execute_sql(statement)


def down(migrator, db):
    db.execute_sql('DROP TRIGGER IF EXISTS "user_count_added"' + (' ON "user"' if _postgres(db) else ""))
    db.execute_sql('DROP TRIGGER IF EXISTS "user_count_removed"' + (' ON "user"' if _postgres(db) else ""))
    if _postgres(db):
        db.execute_sql('DROP FUNCTION IF EXISTS "user_count_change"()')
    db.execute_sql('DROP TABLE IF EXISTS "user_count"')
