"""Initial schema: organisations, users, metadata, search index, event log, members, PATs.

The models are a frozen copy of models/tables.py as of this migration, so that
later changes to the application models never change what this step creates.
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

    class Org(Base):
        id = pw.CharField(primary_key=True, max_length=32)
        name = pw.CharField(max_length=200, unique=True)
        is_default = pw.BooleanField(default=False)
        created_at = pw.DateTimeField(default=now)
        changed_at = pw.DateTimeField(default=now)
        sequence = pw.BigIntegerField(default=0)

    class User(Base):
        id = pw.CharField(primary_key=True, max_length=200)
        org = pw.ForeignKeyField(Org, on_delete="CASCADE")
        type = pw.SmallIntegerField()
        state = pw.SmallIntegerField()
        username = pw.CharField(max_length=200)
        username_key = pw.CharField(max_length=200)
        created_at = pw.DateTimeField(default=now)
        changed_at = pw.DateTimeField(default=now)
        sequence = pw.BigIntegerField(default=0)
        first_name = pw.CharField(max_length=200, null=True)
        last_name = pw.CharField(max_length=200, null=True)
        nick_name = pw.CharField(max_length=200, null=True)
        display_name = pw.CharField(max_length=200, null=True)
        first_name_key = pw.CharField(max_length=200, null=True)
        last_name_key = pw.CharField(max_length=200, null=True)
        nick_name_key = pw.CharField(max_length=200, null=True)
        display_name_key = pw.CharField(max_length=200, null=True)
        preferred_language = pw.CharField(max_length=255, null=True)
        gender = pw.SmallIntegerField(default=0)
        email = pw.CharField(max_length=320, null=True)
        email_key = pw.CharField(max_length=320, null=True)
        email_verified = pw.BooleanField(default=False)
        phone = pw.CharField(max_length=64, null=True)
        phone_verified = pw.BooleanField(default=False)
        password_hash = pw.TextField(null=True)
        password_change_required = pw.BooleanField(default=False)
        password_changed_at = pw.DateTimeField(null=True)
        name = pw.CharField(max_length=200, null=True)
        description = pw.CharField(max_length=500, null=True)
        access_token_type = pw.SmallIntegerField(default=0)

        class Meta:
            indexes = (
                (("org", "username_key"), True),
                (("org", "email_key"), False),
                (("org", "created_at"), False),
            )

    class UserMetadata(Base):
        user = pw.ForeignKeyField(User, on_delete="CASCADE")
        key = pw.CharField(max_length=200)
        value = pw.BlobField()
        created_at = pw.DateTimeField(default=now)
        changed_at = pw.DateTimeField(default=now)
        sequence = pw.BigIntegerField(default=0)

        class Meta:
            indexes = ((("user", "key"), True),)

    class UserAttr(Base):
        user = pw.ForeignKeyField(User, on_delete="CASCADE")
        org_id = pw.CharField(max_length=32)
        attr = pw.CharField(max_length=200)
        entry = pw.SmallIntegerField(default=0)
        type = pw.CharField(max_length=200, null=True)
        primary = pw.BooleanField(default=False)
        display = pw.TextField(null=True)
        value = pw.TextField(null=True)
        value_key = pw.TextField(null=True)

        class Meta:
            indexes = (
                (("org_id", "attr", "value"), False),
                (("org_id", "attr", "value_key"), False),
            )

    class Event(Base):
        id = pw.BigAutoField()
        aggregate_type = pw.CharField(max_length=32)
        aggregate_id = pw.CharField(max_length=200)
        org_id = pw.CharField(max_length=32)
        type = pw.CharField(max_length=100)
        editor_id = pw.CharField(max_length=200, null=True)
        created_at = pw.DateTimeField(default=now)
        payload = pw.TextField(default="{}")

        class Meta:
            indexes = ((("aggregate_id", "id"), False),)

    class Member(Base):
        user = pw.ForeignKeyField(User, on_delete="CASCADE")
        scope = pw.CharField(max_length=32)
        roles = pw.TextField()
        created_at = pw.DateTimeField(default=now)
        changed_at = pw.DateTimeField(default=now)
        sequence = pw.BigIntegerField(default=0)

        class Meta:
            indexes = ((("user", "scope"), True), (("scope",), False))

    class PersonalAccessToken(Base):
        id = pw.CharField(primary_key=True, max_length=32)
        user = pw.ForeignKeyField(User, on_delete="CASCADE")
        token_hash = pw.CharField(max_length=64, unique=True)
        expires_at = pw.DateTimeField()
        scopes = pw.TextField(default="")
        created_at = pw.DateTimeField(default=now)
        sequence = pw.BigIntegerField(default=0)

    db.create_tables([Org, User, UserMetadata, UserAttr, Event, Member, PersonalAccessToken])


def down(migrator, db):
    for table in ("personal_access_token", "member", "event", "user_attr", "user_metadata", "user", "org"):
        db.execute_sql(f'DROP TABLE IF EXISTS "{table}"')
