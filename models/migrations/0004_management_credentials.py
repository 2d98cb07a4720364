"""Management API credentials and notification delivery: the sealed secrets of an outbox row.

`notification.sealed` holds the one-time code (and a link with it) encrypted
with Fernet, for the webhook deliverer only (see models/notifications.py).
"""
import peewee as pw
from playhouse.migrate import migrate


def up(migrator, db):
    migrate(migrator.add_column("notification", "sealed", pw.TextField(null=True)))


def down(migrator, db):
    migrate(migrator.drop_column("notification", "sealed"))
