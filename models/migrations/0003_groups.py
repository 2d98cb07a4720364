"""SCIM groups and their memberships (frozen copies of models/tables.py Group and GroupMember)."""
import datetime

import peewee as pw


def up(migrator, db):
    def now():
        return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)

    class Base(pw.Model):
        class Meta:
            database = db
            legacy_table_names = False

    class Org(Base):
        id = pw.CharField(primary_key=True, max_length=32)

    class User(Base):
        id = pw.CharField(primary_key=True, max_length=200)

    class Group(Base):
        id = pw.CharField(primary_key=True, max_length=32)
        org = pw.ForeignKeyField(Org, on_delete="CASCADE")
        display_name = pw.CharField(max_length=255)
        display_name_key = pw.CharField(max_length=255)
        external_id = pw.CharField(max_length=255, null=True)
        created_at = pw.DateTimeField(default=now)
        changed_at = pw.DateTimeField(default=now)
        sequence = pw.BigIntegerField(default=0)

        class Meta:
            indexes = (
                (("org", "display_name_key"), True),
                (("org", "external_id"), False),
            )

    class GroupMember(Base):
        group = pw.ForeignKeyField(Group, on_delete="CASCADE")
        user = pw.ForeignKeyField(User, on_delete="CASCADE")
        created_at = pw.DateTimeField(default=now)

        class Meta:
            primary_key = pw.CompositeKey("group", "user")
            indexes = ((("user",), False),)

    db.create_tables([Group, GroupMember])


def down(migrator, db):
    for table in ("group_member", "group"):
        db.execute_sql(f'DROP TABLE IF EXISTS "{table}"')
