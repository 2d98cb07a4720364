"""Management API: password policies, auth factors, IdP links, one-time codes, notification outbox.

Frozen copies of models/mgmt_tables.py as of this migration (see 0001).
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

    class User(Base):
        id = pw.CharField(primary_key=True, max_length=200)

    class PasswordPolicy(Base):
        org = pw.ForeignKeyField(Org, primary_key=True, on_delete="CASCADE")
        min_length = pw.SmallIntegerField()
        has_lowercase = pw.BooleanField()
        has_uppercase = pw.BooleanField()
        has_number = pw.BooleanField()
        has_symbol = pw.BooleanField()
        created_at = pw.DateTimeField(default=now)
        changed_at = pw.DateTimeField(default=now)
        sequence = pw.BigIntegerField(default=0)

    class AuthFactor(Base):
        id = pw.CharField(primary_key=True, max_length=32)
        user = pw.ForeignKeyField(User, on_delete="CASCADE")
        kind = pw.CharField(max_length=16)
        state = pw.SmallIntegerField()
        name = pw.CharField(max_length=200, null=True)
        secret = pw.TextField(null=True)
        created_at = pw.DateTimeField(default=now)
        changed_at = pw.DateTimeField(default=now)
        sequence = pw.BigIntegerField(default=0)

        class Meta:
            indexes = ((("user", "kind"), False),)

    class IdpLink(Base):
        user = pw.ForeignKeyField(User, on_delete="CASCADE")
        idp_id = pw.CharField(max_length=200)
        idp_name = pw.CharField(max_length=200, null=True)
        idp_type = pw.SmallIntegerField(default=0)
        provided_user_id = pw.CharField(max_length=200)
        provided_user_name = pw.CharField(max_length=200, null=True)
        created_at = pw.DateTimeField(default=now)
        sequence = pw.BigIntegerField(default=0)

        class Meta:
            indexes = ((("idp_id", "provided_user_id"), True),)

    class UserCode(Base):
        id = pw.CharField(primary_key=True, max_length=32)
        user = pw.ForeignKeyField(User, on_delete="CASCADE")
        kind = pw.CharField(max_length=32)
        code_hash = pw.CharField(max_length=64)
        expires_at = pw.DateTimeField()
        created_at = pw.DateTimeField(default=now)
        sequence = pw.BigIntegerField(default=0)

        class Meta:
            indexes = ((("user", "kind"), False),)

    class Notification(Base):
        id = pw.BigAutoField()
        org_id = pw.CharField(max_length=32)
        user_id = pw.CharField(max_length=200)
        kind = pw.CharField(max_length=64)
        payload = pw.TextField()
        status = pw.CharField(max_length=16, default="pending")
        attempts = pw.IntegerField(default=0)
        next_attempt_at = pw.DateTimeField(default=now)
        last_error = pw.TextField(null=True)
        created_at = pw.DateTimeField(default=now)
        delivered_at = pw.DateTimeField(null=True)

        class Meta:
            indexes = ((("status", "next_attempt_at"), False),)

    db.create_tables([PasswordPolicy, AuthFactor, IdpLink, UserCode, Notification])


def down(migrator, db):
    for table in ("notification", "user_code", "idp_link", "auth_factor", "password_policy"):
        db.execute_sql(f'DROP TABLE IF EXISTS "{table}"')
