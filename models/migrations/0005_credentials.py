"""Machine-user credentials and the token service: secrets, keys, access tokens, signing keys.

Frozen copies of models/credential_tables.py as of this migration (see 0001).
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

    class User(Base):
        id = pw.CharField(primary_key=True, max_length=200)

    class MachineSecret(Base):
        id = pw.CharField(primary_key=True, max_length=32)
        user = pw.ForeignKeyField(User, unique=True, on_delete="CASCADE")
        secret_hash = pw.CharField(max_length=64)
        created_at = pw.DateTimeField(default=now)
        sequence = pw.BigIntegerField(default=0)

    class MachineKey(Base):
        id = pw.CharField(primary_key=True, max_length=32)
        user = pw.ForeignKeyField(User, on_delete="CASCADE")
        type = pw.SmallIntegerField(default=1)
        public_key = pw.TextField()
        expires_at = pw.DateTimeField()
        created_at = pw.DateTimeField(default=now)
        sequence = pw.BigIntegerField(default=0)

        class Meta:
            indexes = ((("user", "created_at"), False),)

    class AccessToken(Base):
        id = pw.CharField(primary_key=True, max_length=32)
        user = pw.ForeignKeyField(User, on_delete="CASCADE")
        token_hash = pw.CharField(max_length=64, unique=True, null=True)
        credential_kind = pw.CharField(max_length=8)
        credential_id = pw.CharField(max_length=32)
        scopes = pw.TextField(default="")
        issued_at = pw.DateTimeField(default=now)
        expires_at = pw.DateTimeField()
        revoked = pw.BooleanField(default=False)

        class Meta:
            indexes = ((("credential_id",), False), (("expires_at",), False))

    class SigningKey(Base):
        kid = pw.CharField(primary_key=True, max_length=64)
        public_jwk = pw.TextField()
        created_at = pw.DateTimeField(default=now)
        expires_at = pw.DateTimeField(index=True)

    db.create_tables([MachineSecret, MachineKey, AccessToken, SigningKey])


def down(migrator, db):
    for table in ("signing_key", "access_token", "machine_key", "machine_secret"):
        db.execute_sql(f'DROP TABLE IF EXISTS "{table}"')
