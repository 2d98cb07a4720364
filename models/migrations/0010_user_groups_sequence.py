"""A user's SCIM version also moves when its group memberships change.

The User resource lists its groups, so adding the user to a group changes the
resource: its ETag must change too, or a conditional GET answers 304 with stale
groups. Membership events belong to the group's history, not the user's, so
they are kept apart from the user's own sequence: the SCIM version is the
larger of the two.

Plain ALTER TABLE on purpose: peewee's SQLite migrator rebuilds the table for a
NOT NULL column, which would drop the user_count triggers of 0009 (and copy a
million rows).
"""


def up(migrator, db):
    db.execute_sql('ALTER TABLE "user" ADD COLUMN "groups_sequence" BIGINT NOT NULL DEFAULT 0')


def down(migrator, db):
    db.execute_sql('ALTER TABLE "user" DROP COLUMN "groups_sequence"')
