"""User metadata through the management API (reference §6.4): key -> bytes, upserted and removed by key.

SCIM-only attributes are metadata under urn:zitadel:scim:, so changing one
here re-indexes the user for SCIM filters in the same transaction.
"""
from .db import save_fields, transaction
from .errors import FailedPrecondition, InvalidArgument, NotFound
from .predicates import and_
from .search import metadata_condition
from .tables import User, UserMetadata
from .user_changes import stamp_of
from .users import _load, _write_metadata, reindex


def _load_for_write(org_id, user_id):
    try:
        return _load(org_id, user_id)
    except NotFound:
        # Metadata writes answer an unknown user with FailedPrecondition (ZITADEL #9667).
        raise FailedPrecondition("User could not be found", "COMMAND-uXHNj", "Errors.User.NotFound") from None


def _check_entry(key, value):
    if not key or not key.strip() or not value:
        raise InvalidArgument("Metadata is invalid", "META-2m00f", "Errors.Metadata.Invalid")


def _apply(user, changes, editor):
    """Write changes ({key: bytes or None}); returns the last event, or None if nothing changed."""
    last, scim_changed = _write_metadata(user, changes, editor)
    if last is None:
        return None
    if scim_changed:
        reindex(user)
    user.sequence, user.changed_at = last.id, last.created_at
    save_fields(user, [type(user).sequence, type(user).changed_at])
    return last


def set_metadata(org_id, user_id, key, value, editor):
    """Upsert one key; setting the current value again changes nothing and returns its stamp."""
    _check_entry(key, value)
    with transaction():
        user = _load_for_write(org_id, user_id)
        last = _apply(user, {key: value}, editor)
        if last is not None:
            return last
        row = UserMetadata.get((UserMetadata.user == user.id) & (UserMetadata.key == key))
        return stamp_of(row)


def set_many(org_id, user_id, entries, editor):
    """Upsert every (key, value) in one transaction, skipping unchanged ones."""
    if not entries:
        raise InvalidArgument("Metadata list is empty", "META-9mm2d", "Errors.Metadata.NoData")
    for key, value in entries:
        _check_entry(key, value)
    with transaction():
        user = _load_for_write(org_id, user_id)
        last = _apply(user, dict(entries), editor)
        return last or stamp_of(user)


def remove_metadata(org_id, user_id, key, editor):
    with transaction():
        user = _load_for_write(org_id, user_id)
        if not UserMetadata.select().where((UserMetadata.user == user.id) & (UserMetadata.key == key)).exists():
            raise NotFound("Metadata not found", "META-ncnw3", "Errors.Metadata.NotFound")
        return _apply(user, {key: None}, editor)


def remove_many(org_id, user_id, keys, editor):
    """Remove all keys or none: one unknown key fails the whole request."""
    if not keys:
        raise InvalidArgument("Metadata list is empty", "META-9mm2d", "Errors.Metadata.NoData")
    with transaction():
        user = _load_for_write(org_id, user_id)
        present = {m.key for m in UserMetadata.select(UserMetadata.key).where(
            (UserMetadata.user == user.id) & UserMetadata.key.in_(list(keys)))}
        if set(keys) - present:
            raise NotFound("One or more keys do not exist", "META-2nnds", "Errors.Metadata.KeyNotExisting")
        return _apply(user, dict.fromkeys(keys), editor)


def _of_user(org_id, user_id):
    return UserMetadata.select().join(User).where((User.id == user_id) & (User.org == org_id))


def get_metadata(org_id, user_id, key):
    row = _of_user(org_id, user_id).where(UserMetadata.key == key).first()
    if row is None:
        raise NotFound("Metadata not found", "QUERY-Rgh32", "Errors.Metadata.NotFound")
    return row


def list_metadata(org_id, user_id, predicates, *, offset=0, limit=None):
    """(total, rows) of a user's metadata matching the predicates (fields key, value), ordered by key."""
    query = _of_user(org_id, user_id)
    condition = and_(*predicates)
    if predicates:
        query = query.where(metadata_condition(condition))
    total = query.count()
    page = query.order_by(UserMetadata.key).offset(offset or None)
    if limit:
        page = page.limit(limit)
    return total, list(page)
