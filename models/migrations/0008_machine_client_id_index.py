"""An index for the token service's client lookup: machine users by userName, across organisations.

ZITADEL's clientId is the machine user's userName, and a token request names no
organisation, so the lookup cannot use the (org_id, username_key) index: at a
million users every client-credentials grant scanned the user table. Only machine
users are indexed (a partial index), so creating human users pays nothing for it.
"""


def up(migrator, db):
    db.execute_sql('CREATE INDEX IF NOT EXISTS "user_machine_username_key" ON "user" ("username_key") WHERE "type" = 2')


def down(migrator, db):
    db.execute_sql('DROP INDEX IF EXISTS "user_machine_username_key"')
