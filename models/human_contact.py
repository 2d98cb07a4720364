"""Profile, e-mail, phone and avatar of humans through the management API (reference §6.5).

Each write runs in one transaction: check, change the columns, append the
events (ZITADEL's names), issue the code a change needs and queue its
notification. The e-mail and phone number are also kept in step with the
SCIM lists stored as metadata (urn:zitadel:scim:emails / phoneNumbers), so
that SCIM reads show what was set here.
"""
import json

from . import events, notifications
from .contact import normal_email, normal_phone
from .db import transaction
from .errors import FailedPrecondition, NotFound
from .human_onboarding import names
from .mgmt_tables import AuthFactor
from .search import fold
from .tables import User, UserMetadata, UserState
from .user_changes import finish, load_human
from .users import FOLDED_NAMES, PROFILE_FIELDS, SCIM_PREFIX, _write_metadata, reindex


def _failed(text, error_id, key):
    return lambda: FailedPrecondition(text, error_id, key)


def _not_found(text, error_id, key):
    return lambda: NotFound(text, error_id, key)


def _not_initialised(error_id):
    return FailedPrecondition("User is not yet initialized", error_id, "Errors.User.NotInitialised")


def _append(user, event_type, editor, payload=None):
    return events.append("user", user.id, user.org_id, event_type, editor, payload)


# ---- profile ----------------------------------------------------------------------------

def update_profile(org_id, user_id, profile, editor):
    """Replace the whole profile (UpdateHumanProfile); unchanged is an error, as in ZITADEL."""
    first, last = names(profile.get("first_name"), profile.get("last_name"))
    wanted = {"first_name": first, "last_name": last, "nick_name": profile.get("nick_name") or None,
              "display_name": (profile.get("display_name") or "").strip() or f"{first} {last}",
              "preferred_language": profile.get("preferred_language") or None,
              "gender": profile.get("gender") or 0}
    with transaction():
        user = load_human(org_id, user_id, _failed("Profile not found", "COMMAND-3M9sd",
                                                   "Errors.User.Profile.NotFound"))
        changed = {field: value for field, value in wanted.items() if getattr(user, field) != value}
        if not changed:
            raise FailedPrecondition("Profile not changed", "COMMAND-2M0fs", "Errors.User.Profile.NotChanged")
        for field, value in wanted.items():
            setattr(user, field, value)
        for name in FOLDED_NAMES:
            setattr(user, f"{name}_key", fold(getattr(user, name)))
        event = _append(user, "user.human.profile.changed", editor,
                        {k: v for k, v in changed.items() if v not in (None, "")})
        columns = [*PROFILE_FIELDS, *(f"{name}_key" for name in FOLDED_NAMES)]
        return finish(user, event, [getattr(User, c) for c in columns])


# ---- SCIM lists ---------------------------------------------------------------------------

def _sync_scim_list(user, attr, value, editor):
    """Give the primary (else the first) entry of the SCIM list attr the new value; None drops it.

    Returns the metadata event, or None when the user has no such list.
    """
    key = SCIM_PREFIX + attr
    row = UserMetadata.get_or_none((UserMetadata.user == user.id) & (UserMetadata.key == key))
    if row is None:
        return None
    try:
        entries = json.loads(bytes(row.value))
    except ValueError:
        return None
    if not isinstance(entries, list):
        return None
    entries = [e if isinstance(e, dict) else {"value": e} for e in entries]
    index = next((i for i, e in enumerate(entries) if e.get("primary") is True), 0)
    if value is None:
        if entries:
            entries.pop(index)
    elif entries:
        entries[index] = {**entries[index], "value": value}
    else:
        entries = [{"value": value, "primary": True}]
    encoded = json.dumps(entries, separators=(",", ":")).encode("utf-8") if entries else None
    return _write_metadata(user, {key: encoded}, editor)[0]


# ---- e-mail -------------------------------------------------------------------------------

EMAIL_FIELDS = (User.email, User.email_key, User.email_verified)
PHONE_FIELDS = (User.phone, User.phone_verified)


def _set_email(user, address, editor):
    """New address (unverified); returns the last event (the SCIM list's, if the user has one)."""
    user.email, user.email_key, user.email_verified = address, fold(address), False
    last = _append(user, "user.human.email.changed", editor, {"email": address})
    last = _sync_scim_list(user, "emails", address, editor) or last
    reindex(user)
    return last


def change_email(org_id, user_id, email, verified, editor):
    """UpdateHumanEmail: a new address, verified as told or with a new verification code."""
    address = normal_email(email)
    with transaction():
        user = load_human(org_id, user_id, _failed("Email not found", "COMMAND-0Pe4r", "Errors.User.Email.NotFound"))
        if user.state == UserState.INITIAL:
            raise _not_initialised("COMMAND-J8dsk")
        changed = address != user.email
        if not changed and not (verified and not user.email_verified):
            raise FailedPrecondition("Email not changed", "COMMAND-2b7fM", "Errors.User.Email.NotChanged")
        last = _set_email(user, address, editor) if changed else None
        if verified:
            user.email_verified = True
            last = _append(user, "user.human.email.verified", editor)
        else:
            last = notifications.send_code(user, editor, notifications.EMAIL_CODE)[0]
        return finish(user, last, EMAIL_FIELDS)


def resend_initialization(org_id, user_id, email, editor):
    """ResendHumanInitialization: a new init code, optionally to a new address first."""
    address = normal_email(email) if email else None
    with transaction():
        user = load_human(org_id, user_id, _not_found("User could not be found", "COMMAND-2M9df",
                                                      "Errors.User.NotFound"))
        if user.state != UserState.INITIAL:
            raise FailedPrecondition("User is already initialized", "COMMAND-2M9sd", "Errors.User.AlreadyInitialised")
        if address and address != user.email:
            _set_email(user, address, editor)
        return finish(user, notifications.send_code(user, editor, notifications.INIT)[0], EMAIL_FIELDS)


def resend_email_verification(org_id, user_id, editor):
    with transaction():
        user = load_human(org_id, user_id, _not_found("Email not found", "COMMAND-0Pe4r", "Errors.User.Email.NotFound"))
        if user.state == UserState.INITIAL:
            raise _not_initialised("COMMAND-E3fbw")
        if user.email_verified:
            raise FailedPrecondition("Email is already verified", "COMMAND-3M9ds", "Errors.User.Email.AlreadyVerified")
        return finish(user, notifications.send_code(user, editor, notifications.EMAIL_CODE)[0])


# ---- phone --------------------------------------------------------------------------------

def change_phone(org_id, user_id, phone, verified, editor):
    """UpdateHumanPhone: E.164 number, verified as told or with a new verification code."""
    number = normal_phone(phone)
    with transaction():
        user = load_human(org_id, user_id, _failed("User could not be found", "COMMAND-3M0fs",
                                                   "Errors.User.NotFound"))
        changed = number != user.phone
        if not changed and not (verified and not user.phone_verified):
            raise FailedPrecondition("Phone not changed", "COMMAND-wF94r", "Errors.User.Phone.NotChanged")
        if changed:
            user.phone, user.phone_verified = number, False
            _append(user, "user.human.phone.changed", editor, {"phone": number})
            _sync_scim_list(user, "phoneNumbers", number, editor)
            reindex(user)
        if verified:
            user.phone_verified = True
            last = _append(user, "user.human.phone.verified", editor)
        else:
            last = notifications.send_code(user, editor, notifications.PHONE_CODE)[0]
        return finish(user, last, PHONE_FIELDS)


def _with_phone(org_id, user_id, unknown_id, no_phone_id):
    """A human with a phone number, locked for writing (each endpoint has its own error ids)."""
    user = load_human(org_id, user_id, _failed("User could not be found", unknown_id, "Errors.User.NotFound"))
    if not user.phone:
        raise NotFound("Phone not found", no_phone_id, "Errors.User.Phone.NotFound")
    return user


def remove_phone(org_id, user_id, editor):
    """RemoveHumanPhone; OTP over SMS needs the phone, so it goes too (as in ZITADEL)."""
    with transaction():
        user = _with_phone(org_id, user_id, "COMMAND-3M9fs", "COMMAND-p6rsc")
        user.phone, user.phone_verified = None, False
        last = _append(user, "user.human.phone.removed", editor)
        last = _sync_scim_list(user, "phoneNumbers", None, editor) or last
        reindex(user)
        sms = AuthFactor.select().where((AuthFactor.user == user.id) & (AuthFactor.kind == "otp_sms"))
        if sms.exists():
            AuthFactor.delete().where((AuthFactor.user == user.id) & (AuthFactor.kind == "otp_sms")).execute()
            last = _append(user, "user.human.mfa.otp.sms.removed", editor)
        return finish(user, last, PHONE_FIELDS)


def resend_phone_verification(org_id, user_id, editor):
    with transaction():
        user = _with_phone(org_id, user_id, "COMMAND-2M0fs", "COMMAND-2b7Hf")
        if user.phone_verified:
            raise FailedPrecondition("Phone already verified", "COMMAND-2M9sf", "Errors.User.Phone.AlreadyVerified")
        return finish(user, notifications.send_code(user, editor, notifications.PHONE_CODE)[0])


# ---- avatar -------------------------------------------------------------------------------

def remove_avatar(org_id, user_id, editor):
    """RemoveHumanAvatar. The gateway stores no avatars, so this records the removal ZITADEL would."""
    with transaction():
        user = load_human(org_id, user_id, _not_found("Errors.Users.NotFound", "USER-35N8f", "Errors.Users.NotFound"))
        return finish(user, _append(user, "user.human.avatar.removed", editor))

