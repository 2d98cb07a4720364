"""Operations that create, change and remove users.

Every operation runs in one transaction, appends its events, and moves the
user's sequence to the last event's id, whichever API called it. Protocol
adapters call these; they never write tables themselves.
"""
import dataclasses
import json

import peewee as pw

from . import events
from .db import insert_rows, load_row, prepared_rows, save_fields, transaction
from .errors import AlreadyExists, InvalidArgument, VersionMismatch, user_already_exists, user_not_found
from .groups import leave_all_groups
from .ids import new_id
from .passwords import hash_password
from .policies import check_password
from .search import fold
from .tables import User, UserAttr, UserMetadata, UserState, UserType, utcnow

SCIM_PREFIX = "urn:zitadel:scim:"
# Metadata keys (after the prefix) whose values are JSON: multi-valued or complex SCIM attributes.
JSON_ATTRS = {
    "emails", "phoneNumbers", "ims", "photos", "addresses", "entitlements", "roles",
    "x509Certificates", "enterprise:manager",
}
# Longest value copied into the search index; longer ones are kept but not searchable.
MAX_INDEXED_VALUE = 1024

PROFILE_FIELDS = ("first_name", "last_name", "nick_name", "display_name", "preferred_language", "gender")
# Name columns with a casefolded twin (<name>_key) for case-insensitive search.
FOLDED_NAMES = ("first_name", "last_name", "nick_name", "display_name")


@dataclasses.dataclass
class HumanInput:
    """The writable state of a human user, as one protocol-neutral value."""

    username: str
    first_name: str | None = None
    last_name: str | None = None
    nick_name: str | None = None
    display_name: str | None = None
    preferred_language: str | None = None
    gender: int = 0
    email: str | None = None
    email_verified: bool = False
    phone: str | None = None
    phone_verified: bool = False
    # plain text, hashed here; None leaves the password as it is
    password: str | None = None
    password_change_required: bool = False
    active: bool = True
    metadata: dict = dataclasses.field(default_factory=dict)


def raise_if_id_clash(error):
    """A caller-chosen user id that is already taken (ZITADEL's COMMAND-k2una)."""
    if "PRIMARY" in str(error).upper() or "pkey" in str(error) or "user.id" in str(error):
        raise AlreadyExists("Errors.User.AlreadyExisting", "COMMAND-k2una", "Errors.User.AlreadyExisting") from None


def is_username_clash(error):
    """Whether an IntegrityError is the (org, casefolded userName) unique index."""
    return "username_key" in str(error)


def _check_username(username):
    username = (username or "").strip()
    if not username:
        raise InvalidArgument("Username is empty", "USER-2n8fs", "Errors.User.Username.Empty")
    if len(username) > 200:
        raise InvalidArgument("Username is too long (at most 200 characters)", "USER-2n8ft",
                              "Errors.User.Username.Invalid")
    return username


# Longest accepted value of each human column (the columns' sizes).
LIMITS = {"first_name": 200, "last_name": 200, "nick_name": 200, "display_name": 200,
          "preferred_language": 255, "email": 320, "phone": 64}


def _check_lengths(data):
    for field, limit in LIMITS.items():
        value = getattr(data, field)
        if value is not None and len(value) > limit:
            raise InvalidArgument(f"{field} is too long (at most {limit} characters)", "USER-Lim1t",
                                  "Errors.User.Invalid", field=field)


def human_columns(data):
    """The users-table columns of a HumanInput (casefolded twins included), its lengths checked."""
    username = _check_username(data.username)
    _check_lengths(data)
    return {
        "username": username,
        "username_key": fold(username),
        "first_name": data.first_name,
        "last_name": data.last_name,
        "nick_name": data.nick_name,
        "display_name": data.display_name,
        "preferred_language": data.preferred_language,
        "gender": data.gender or 0,
        "email": data.email,
        "email_key": fold(data.email) if data.email else None,
        **{f"{name}_key": fold(getattr(data, name)) for name in FOLDED_NAMES},
        "email_verified": bool(data.email and data.email_verified),
        "phone": data.phone,
        "phone_verified": bool(data.phone and data.phone_verified),
    }


def _scim_attr_rows(user, key, value):
    """Index rows for one metadata entry, if it is a SCIM attribute."""
    if not key.startswith(SCIM_PREFIX):
        return []
    attr = key[len(SCIM_PREFIX):]
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    if attr in JSON_ATTRS:
        try:
            parsed = json.loads(text)
        except ValueError:
            return []
        entries = parsed if isinstance(parsed, list) else [parsed]
    else:
        entries = [{"value": text}]
    rows = []
    for position, entry in enumerate(entries):
        if not isinstance(entry, dict):
            entry = {"value": entry}
        raw = entry.get("value", entry.get("formatted"))
        raw = None if raw is None else str(raw)
        if raw is not None and len(raw) > MAX_INDEXED_VALUE:
            continue
        rows.append({
            "user": user.id, "org_id": user.org_id, "attr": attr, "entry": position,
            "type": None if entry.get("type") is None else str(entry.get("type"))[:200],
            "primary": entry.get("primary") is True,
            "display": None if entry.get("display") is None else str(entry.get("display"))[:MAX_INDEXED_VALUE],
            "value": raw, "value_key": fold(raw) if raw is not None else None,
        })
    return rows


def reindex(user):
    """Rebuild the search rows of one user from its metadata.

    A user without a stored SCIM e-mail (or phone) list, e.g. one created
    through the management API, is indexed with its one address, so that SCIM
    filters on emails find every user.
    """
    UserAttr.delete().where(UserAttr.user == user.id).execute()
    insert_rows(UserAttr, index_rows(user, metadata_of([user.id])[user.id].items()))


def index_rows(user, metadata):
    """The search rows of a user with the given (key, value) metadata."""
    rows = []
    for key, value in metadata:
        rows.extend(_scim_attr_rows(user, key, value))
    present = {row["attr"] for row in rows}
    for attr, column in (("emails", user.email), ("phoneNumbers", user.phone)):
        if column and attr not in present:
            rows.extend(_scim_attr_rows(user, SCIM_PREFIX + attr, json.dumps([{"value": column, "primary": True}])))
    return rows


def _touch(user, event):
    user.sequence = event.id
    user.changed_at = event.created_at


def _load(org_id, user_id, *, lock=True, not_found_id="COMMAND-3M9ds"):
    user = load_row(User, org_id, user_id, lock=lock)
    if user is None:
        raise user_not_found(not_found_id)
    return user


def _check_version(user, expected_versions):
    """expected_versions: the versions the caller accepts (an If-Match list), or None for any."""
    if expected_versions is not None and user.version not in expected_versions:
        raise VersionMismatch(
            f"the user was changed since the version expected; the current version is {user.version}",
            "COMMAND-Version", "Errors.User.VersionMismatch",
        )


def _write_metadata(user, metadata, editor, replace_prefix=None, current=None):
    """Set the given keys (None value = remove); with replace_prefix, drop other keys under it.

    current: the user's metadata as this transaction read it (read here when not given);
    it is brought up to date with what was written.
    """
    if current is None:
        current = metadata_of([user.id])[user.id]
    changes = {k: v for k, v in metadata.items() if current.get(k) != v}
    if replace_prefix is not None:
        for key in current:
            if key.startswith(replace_prefix) and key not in metadata:
                changes[key] = None
    last = None
    for key in sorted(changes):
        value = changes[key]
        if value is None:
            if key not in current:
                continue
            last = events.append("user", user.id, user.org_id, "user.metadata.removed", editor, {"key": key})
            UserMetadata.delete().where((UserMetadata.user == user.id) & (UserMetadata.key == key)).execute()
            del current[key]
        else:
            last = events.append("user", user.id, user.org_id, "user.metadata.set", editor, {"key": key})
            if key in current:
                UserMetadata.update(value=value, changed_at=last.created_at, sequence=last.id).where(
                    (UserMetadata.user == user.id) & (UserMetadata.key == key)
                ).execute()
            else:
                UserMetadata.create(
                    user=user.id, key=key, value=value,
                    created_at=last.created_at, changed_at=last.created_at, sequence=last.id,
                )
            current[key] = value
    return last, any(k.startswith(SCIM_PREFIX) for k in changes)


def profile_payload(columns):
    """An event's payload for profile columns: set values only, without the casefolded twins."""
    hidden = ("username_key", "email_key", *(f"{name}_key" for name in FOLDED_NAMES))
    return {k: v for k, v in columns.items() if k not in hidden and v not in (None, "", 0, False)}


def _save(user, fields):
    try:
        save_fields(user, fields)
    except pw.IntegrityError as error:
        if is_username_clash(error):
            raise user_already_exists() from None
        raise


def create_human(org_id, data: HumanInput, editor, *, user_id=None, initial_state=None):
    """Create a human user; returns the saved User.

    initial_state overrides the state the adapter's rules chose (SCIM users
    start ACTIVE or INACTIVE; the management API decides INITIAL itself).
    """
    if data.password:
        check_password(org_id, data.password)
    columns = human_columns(data)
    now = utcnow()
    user = User(id=user_id or new_id(), org=org_id, type=UserType.HUMAN, created_at=now, changed_at=now, **columns)
    user.state = initial_state or UserState.ACTIVE
    planned = [("user.human.added", profile_payload(columns))]
    if data.password:
        user.password_hash = hash_password(data.password)
        user.password_change_required = data.password_change_required
        user.password_changed_at = now
        planned.append(("user.human.password.changed", {"changeRequired": data.password_change_required}))
    metadata = {key: value for key, value in data.metadata.items() if value is not None}
    planned += [("user.metadata.set", {"key": key}) for key in sorted(metadata)]
    if not data.active and user.state != UserState.INACTIVE:
        user.state = UserState.INACTIVE
        planned.append(("user.deactivated", None))
    try:
        with transaction():
            # A new user's rows go in with one statement per table; the unique
            # (org, userName) index refuses a clash, and the transaction takes the rest back.
            added = events.append_many("user", user.id, org_id, editor, planned, at=now)
            _touch(user, added[-1])
            insert_rows(User, [user.__data__])
            metadata_events = [event.id for event in added if event.type == "user.metadata.set"]
            sequence_of = dict(zip(sorted(metadata), metadata_events, strict=True))
            insert_rows(UserMetadata, [
                {"user": user.id, "key": key, "value": value, "created_at": now, "changed_at": now,
                 "sequence": sequence_of[key]} for key, value in metadata.items()])
            insert_rows(UserAttr, index_rows(user, metadata.items()))
            return user
    except pw.IntegrityError as error:
        if is_username_clash(error):
            raise user_already_exists() from None
        raise_if_id_clash(error)
        raise


def _active_events(user, active):
    """State change for SCIM's `active`: soft deactivation and reactivation."""
    if active and user.state == UserState.INACTIVE:
        user.state = UserState.ACTIVE
        return "user.reactivated"
    if not active and user.state in (UserState.ACTIVE, UserState.INITIAL, UserState.LOCKED):
        user.state = UserState.INACTIVE
        return "user.deactivated"
    return None


def _load_human(org_id, user_id, expected_versions):
    """The human user, locked for writing, at one of the expected versions (if any are given)."""
    user = _load(org_id, user_id)
    if not user.is_human:
        raise user_not_found()
    _check_version(user, expected_versions)
    return user


def _replace_loaded(user, data, editor, metadata):
    """Apply data to a loaded, locked human user and its metadata; appends the events of what changed."""
    if data.password:
        check_password(user.org_id, data.password)
    columns = human_columns(data)
    org_id = user.org_id
    last = None
    changed_fields = []

    def emit(event_type, payload=None):
        nonlocal last
        last = events.append("user", user.id, org_id, event_type, editor, payload)

    if columns["username"] != user.username:
        user.username, user.username_key = columns["username"], columns["username_key"]
        changed_fields += [User.username, User.username_key]
        emit("user.username.changed", {"userName": user.username})
    profile = {f: columns[f] for f in PROFILE_FIELDS}
    if any(getattr(user, f) != v for f, v in profile.items()):
        twins = [f"{name}_key" for name in FOLDED_NAMES]
        for f in (*PROFILE_FIELDS, *twins):
            setattr(user, f, columns[f])
        changed_fields += [getattr(User, f) for f in (*PROFILE_FIELDS, *twins)]
        emit("user.human.profile.changed", profile_payload(profile))
    if (columns["email"], columns["email_verified"]) != (user.email, user.email_verified):
        user.email, user.email_key = columns["email"], columns["email_key"]
        user.email_verified = columns["email_verified"]
        changed_fields += [User.email, User.email_key, User.email_verified]
        emit("user.human.email.changed", {"email": user.email})
        if user.email_verified:
            emit("user.human.email.verified")
    if (columns["phone"], columns["phone_verified"]) != (user.phone, user.phone_verified):
        removed = not columns["phone"]
        user.phone, user.phone_verified = columns["phone"], columns["phone_verified"]
        changed_fields += [User.phone, User.phone_verified]
        emit("user.human.phone.removed" if removed else "user.human.phone.changed", {"phone": user.phone})
    if data.password:
        user.password_hash = hash_password(data.password)
        user.password_change_required = data.password_change_required
        user.password_changed_at = utcnow()
        changed_fields += [User.password_hash, User.password_change_required, User.password_changed_at]
        emit("user.human.password.changed", {"changeRequired": data.password_change_required})
    state_event = _active_events(user, data.active)
    if state_event:
        changed_fields.append(User.state)
        emit(state_event)
    meta_last, scim_changed = _write_metadata(user, data.metadata, editor, replace_prefix=SCIM_PREFIX,
                                              current=metadata)
    last = meta_last or last
    if last is None:
        return user
    # Compared by name: `field in list` would compare peewee fields with ==, which
    # builds an always-true SQL expression (and rewrote the search rows on every change).
    changed_names = {field.name for field in changed_fields}
    if scim_changed or "email" in changed_names or "phone" in changed_names:
        reindex(user)
    _touch(user, last)
    _save(user, changed_fields + [User.sequence, User.changed_at])
    return user


def update_human(org_id, user_id, change, editor, *, expected_versions=None):
    """Read-modify-write of a human user in one transaction (SCIM PUT and PATCH): (user, its metadata).

    change(user, metadata) gets the row locked against other writers, and its
    metadata, and returns the new HumanInput, so concurrent updates queue up
    instead of overwriting each other. The metadata is read once and returned
    as the change left it.
    """
    with transaction():
        user = _load_human(org_id, user_id, expected_versions)
        metadata = metadata_of([user.id])[user.id]
        data = change(user, dict(metadata))
        return _replace_loaded(user, data, editor, metadata), metadata


def delete_user(org_id, user_id, editor, *, expected_versions=None, only_type=None, not_found_id="COMMAND-m9od"):
    """Remove a user (of only_type, when given: SCIM deletes humans only)."""
    with transaction():
        user = _load(org_id, user_id, not_found_id=not_found_id)
        if only_type is not None and user.type != only_type:
            raise user_not_found(not_found_id)
        _check_version(user, expected_versions)
        leave_all_groups(user, editor)
        last = events.append("user", user.id, org_id, "user.removed", editor, {"userName": user.username})
        user.delete_instance(recursive=False)
        return last


def get_user(org_id, user_id, *, not_found_id="QUERY-Dfbg2"):
    return _load(org_id, user_id, lock=False, not_found_id=not_found_id)


def metadata_of(user_ids):
    """{user_id: {key: bytes}} for the given users, in one query."""
    user_ids = list(user_ids)
    result = {uid: {} for uid in user_ids}
    if user_ids:
        rows = prepared_rows(("metadata_of", len(user_ids)), lambda *ids: UserMetadata.select(
            UserMetadata.user, UserMetadata.key, UserMetadata.value).where(UserMetadata.user.in_(ids)).tuples(),
            user_ids)
        for user_id, key, value in rows:
            result[user_id][key] = bytes(value)
    return result


def display_names(user_ids, org_id):
    """{user_id: display name or username} for users of org_id (used for references such as manager)."""
    if not user_ids:
        return {}
    user_ids = list(user_ids)
    rows = prepared_rows(("display_names", len(user_ids)), lambda org, *ids: User.select(
        User.id, User.display_name, User.username, User.name).where(User.id.in_(ids) & (User.org == org)).tuples(),
        [org_id, *user_ids])
    return {user_id: display_name or name or username for user_id, display_name, username, name in rows}

