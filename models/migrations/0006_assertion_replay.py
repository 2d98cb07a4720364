"""Replay protection of JWT-profile assertions: the used-assertion register.

Frozen copy of models/assertion_replay.py's table as of this migration (see 0001).
"""
import datetime

import peewee as pw


def up(migrator, db):
    def now():
        return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)

    class Base(pw.Model):
        class Meta:
            database = db
            legacy_table_names = False

    class UsedAssertion(Base):
        id = pw.BigAutoField()
        issuer = pw.CharField(max_length=200)
        identity = pw.CharField(max_length=208)
        expires_at = pw.DateTimeField()
        used_at = pw.DateTimeField(default=now)

        class Meta:
            indexes = ((("issuer", "identity"), True), (("expires_at",), False))

    db.create_tables([UsedAssertion])


def down(migrator, db):
    db.execute_sql('DROP TABLE IF EXISTS "used_assertion"')
