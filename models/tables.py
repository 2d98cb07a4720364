"""Peewee tables: the read model of users and organisations, and the event log.

The event log is append-only and is the history of every aggregate; the other
tables hold the current state. Both are written in the same transaction by
the operations in models/users.py and friends, never directly by adapters.
"""
import datetime

import peewee as pw

from .db import db


def utcnow():
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


class DateTimeField(pw.DateTimeField):
    """peewee's DateTimeField, reading the text SQLite gives back without strptime.

    peewee writes a naive datetime as str(value): "YYYY-MM-DD HH:MM:SS", with ".ffffff"
    when it has microseconds. datetime.fromisoformat reads exactly those forms, many times
    faster than the strptime formats peewee tries in turn (three per row rendered); any
    other value (PostgreSQL's datetimes included) is read by peewee as before.
    """

    def python_value(self, value):
        if type(value) is str and len(value) in (19, 26) and value[10] == " ":
            try:
                return datetime.datetime.fromisoformat(value)
            except ValueError:
                pass
        return super().python_value(value)


class BaseModel(pw.Model):
    class Meta:
        database = db
        legacy_table_names = False


class Org(BaseModel):
    id = pw.CharField(primary_key=True, max_length=32)
    name = pw.CharField(max_length=200, unique=True)
    # primary domain, generated from the name (migration 0011): login names are userName@domain
    domain = pw.CharField(max_length=253, null=True, unique=True)
    is_default = pw.BooleanField(default=False)
    created_at = DateTimeField(default=utcnow)
    changed_at = DateTimeField(default=utcnow)
    sequence = pw.BigIntegerField(default=0)


class UserState:
    """ZITADEL's UserState enum numbers (stored as is)."""

    ACTIVE = 1
    INACTIVE = 2
    LOCKED = 4
    INITIAL = 6
    NAMES = {1: "USER_STATE_ACTIVE", 2: "USER_STATE_INACTIVE", 4: "USER_STATE_LOCKED", 6: "USER_STATE_INITIAL"}


class UserType:
    HUMAN = 1
    MACHINE = 2


class User(BaseModel):
    id = pw.CharField(primary_key=True, max_length=200)
    # index=False: (org, username_key) and (org, id) serve org_id lookups (migration 0015).
    org = pw.ForeignKeyField(Org, backref="users", on_delete="CASCADE", index=False)
    type = pw.SmallIntegerField()
    state = pw.SmallIntegerField()
    username = pw.CharField(max_length=200)
    # casefolded username: the unique key and the index for case-insensitive lookups
    username_key = pw.CharField(max_length=200)
    created_at = DateTimeField(default=utcnow)
    changed_at = DateTimeField(default=utcnow)
    # sequence of the last event of this user: details.sequence and ListUserChanges
    sequence = pw.BigIntegerField(default=0)
    # sequence of the last group event that added or removed this user (migration 0010)
    groups_sequence = pw.BigIntegerField(default=0)

    # human
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
    password_changed_at = DateTimeField(null=True)

    # machine
    name = pw.CharField(max_length=200, null=True)
    description = pw.CharField(max_length=500, null=True)
    access_token_type = pw.SmallIntegerField(default=0)

    class Meta:
        indexes = (
            (("org", "username_key"), True),
            (("org", "email_key"), False),
            (("org", "created_at"), False),
            (("org", "id"), False),  # keyset (cursor) paging, migration 0007
        )
        # Also: machine users by username_key alone, a partial index (migration 0008).

    @property
    def is_human(self):
        return self.type == UserType.HUMAN

    @property
    def version(self):
        """SCIM meta.version: the resource includes its groups, so their changes count too."""
        return max(self.sequence, self.groups_sequence or 0)


class UserMetadata(BaseModel):
    """ZITADEL user metadata: key -> bytes. SCIM-only attributes live here too."""

    # index=False: the unique (user, key) serves user_id lookups (migration 0015).
    user = pw.ForeignKeyField(User, backref="metadata", on_delete="CASCADE", index=False)
    key = pw.CharField(max_length=200)
    value = pw.BlobField()
    created_at = DateTimeField(default=utcnow)
    changed_at = DateTimeField(default=utcnow)
    sequence = pw.BigIntegerField(default=0)

    class Meta:
        indexes = ((("user", "key"), True),)


class UserAttr(BaseModel):
    """Search index of SCIM attribute values kept in metadata (externalId, emails...).

    Derived from metadata in the same transaction that writes it, so that SCIM
    filters on these attributes are indexed SQL rather than a scan. One row per
    value of a multi-valued attribute (entry is its position).
    """

    user = pw.ForeignKeyField(User, backref="attrs", on_delete="CASCADE")
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
            # with user_id (and type) in them, these indexes alone answer a lookup (migration 0014)
            (("org_id", "attr", "value", "user"), False),
            (("org_id", "attr", "value_key", "user", "type"), False),
        )


class UserCount(BaseModel):
    """How many users of a type an organisation has, kept by triggers (migration 0009).

    An organisation's count is the sum of its rows; the rows only spread concurrent writers.
    """

    org_id = pw.CharField(max_length=32)
    type = pw.SmallIntegerField()
    shard = pw.SmallIntegerField()
    n = pw.BigIntegerField()

    class Meta:
        primary_key = pw.CompositeKey("org_id", "type", "shard")


class Event(BaseModel):
    """Append-only log; id is the sequence number, assigned by the database."""

    id = pw.BigAutoField()
    aggregate_type = pw.CharField(max_length=32)
    aggregate_id = pw.CharField(max_length=200)
    org_id = pw.CharField(max_length=32)
    type = pw.CharField(max_length=100)
    editor_id = pw.CharField(max_length=200, null=True)
    created_at = DateTimeField(default=utcnow)
    payload = pw.TextField(default="{}")

    class Meta:
        indexes = ((("aggregate_id", "id"), False),)


class Member(BaseModel):
    """Administrator roles of a user: instance-wide (scope 'iam') or in one org."""

    user = pw.ForeignKeyField(User, backref="memberships", on_delete="CASCADE")
    scope = pw.CharField(max_length=32)
    roles = pw.TextField()
    created_at = DateTimeField(default=utcnow)
    changed_at = DateTimeField(default=utcnow)
    sequence = pw.BigIntegerField(default=0)

    class Meta:
        indexes = ((("user", "scope"), True), (("scope",), False))

    @property
    def role_list(self):
        return self.roles.split()


class PersonalAccessToken(BaseModel):
    id = pw.CharField(primary_key=True, max_length=32)
    user = pw.ForeignKeyField(User, backref="pats", on_delete="CASCADE")
    # SHA-256 of the token; the token itself is never stored
    token_hash = pw.CharField(max_length=64, unique=True)
    expires_at = DateTimeField()
    scopes = pw.TextField(default="")
    created_at = DateTimeField(default=utcnow)
    sequence = pw.BigIntegerField(default=0)


class Group(BaseModel):
    """A SCIM group of users (flat: members are users, not groups)."""

    id = pw.CharField(primary_key=True, max_length=32)
    org = pw.ForeignKeyField(Org, backref="groups", on_delete="CASCADE")
    display_name = pw.CharField(max_length=255)
    # casefolded displayName: the unique key and the index for case-insensitive lookups
    display_name_key = pw.CharField(max_length=255)
    external_id = pw.CharField(max_length=255, null=True)
    created_at = DateTimeField(default=utcnow)
    changed_at = DateTimeField(default=utcnow)
    sequence = pw.BigIntegerField(default=0)

    @property
    def version(self):
        return self.sequence

    class Meta:
        indexes = (
            (("org", "display_name_key"), True),
            (("org", "external_id"), False),
            (("org", "id"), False),  # keyset (cursor) paging, migration 0007
        )


class GroupMember(BaseModel):
    """One membership; adding or removing a member touches only its own row."""

    group = pw.ForeignKeyField(Group, backref="memberships", on_delete="CASCADE")
    user = pw.ForeignKeyField(User, backref="group_memberships", on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        primary_key = pw.CompositeKey("group", "user")
        indexes = ((("user",), False),)


ALL_TABLES = [Org, User, UserMetadata, UserAttr, Event, Member, PersonalAccessToken, Group, GroupMember]
