"""Creating humans through the management API (reference §6.2): AddHumanUser and ImportHumanUser.

Decides the initial state (INITIAL until the user has a verified e-mail and a
way to log in), issues the codes the user needs and queues their notifications,
all in the transaction that creates the user.
"""
import dataclasses

from . import events, notifications
from .auth_factors import passwordless_code
from .contact import normal_email, normal_phone
from .db import save_fields, transaction
from .errors import AlreadyExists, InvalidArgument
from .mgmt_tables import IdpLink
from .password_import import check_hash
from .tables import User, UserState, utcnow
from .user_changes import record
from .users import HumanInput, create_human


@dataclasses.dataclass
class Onboarding:
    """What to set up besides the profile."""

    password_hash: str | None = None
    passwordless: bool = False
    idps: list = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Created:
    user: object
    event: object
    passwordless_code: object = None
    passwordless_plain: str | None = None


def names(first, last):
    """Given and family name, trimmed; both are required (reference §4.4)."""
    first, last = (first or "").strip(), (last or "").strip()
    if not first:
        raise InvalidArgument("Given name in profile is empty", "USER-UCej2", "Errors.User.Profile.FirstNameEmpty")
    if not last:
        raise InvalidArgument("Family name in profile is empty", "USER-4hB7d", "Errors.User.Profile.LastNameEmpty")
    return first, last


def _validated(org_id, data: HumanInput):
    first, last = names(data.first_name, data.last_name)
    phone = normal_phone(data.phone) if data.phone else None
    return dataclasses.replace(data, username=(data.username or "").strip(), first_name=first, last_name=last,
                               email=normal_email(data.email), phone=phone)


def _link_idps(user, idps, editor):
    last = None
    for idp in idps:
        if IdpLink.select().where((IdpLink.idp_id == idp["config_id"])
                                  & (IdpLink.provided_user_id == idp["external_user_id"])).exists():
            raise AlreadyExists("External IDP already linked", "COMMAND-mJT2s", "Errors.User.ExternalIDP.AlreadyExists")
        last = events.append("user", user.id, user.org_id, "user.human.externalidp.added", editor,
                             {"idpConfigId": idp["config_id"], "userId": idp["external_user_id"]})
        IdpLink.create(user=user.id, idp_id=idp["config_id"], idp_name=idp.get("display_name") or idp["config_id"],
                       provided_user_id=idp["external_user_id"], provided_user_name=idp.get("display_name"),
                       created_at=last.created_at, sequence=last.id)
    return last


def _initial(user, editor, with_init):
    """Issue the init code (state INITIAL) or, for a ready user, the e-mail verification code if needed."""
    if with_init:
        return notifications.send_code(user, editor, notifications.INIT)[0]
    if not user.email_verified:
        return notifications.send_code(user, editor, notifications.EMAIL_CODE)[0]
    return None


def _phone_code(user, editor):
    if user.phone and not user.phone_verified:
        return notifications.send_code(user, editor, notifications.PHONE_CODE)[0]
    return None


def add_human(org_id, data: HumanInput, editor, setup: Onboarding | None = None, *, import_rules=False):
    """Create a human; returns Created (the user, its last event, a passkey code when asked for).

    AddHumanUser: INITIAL unless the e-mail is verified and a password is set.
    ImportHumanUser (import_rules): also ready with a hashed password, a passkey
    link request or a linked identity provider.
    """
    setup = setup or Onboarding()
    data = _validated(org_id, data)
    hashed = check_hash(setup.password_hash) if setup.password_hash else None
    with transaction():
        user = create_human(org_id, data, editor, initial_state=UserState.ACTIVE)
        last = None
        if hashed:
            user.password_hash, user.password_changed_at = hashed, utcnow()
            user.password_change_required = data.password_change_required
            last = record(user, "user.human.password.changed", editor,
                          {"changeRequired": data.password_change_required, "imported": True},
                          [User.password_hash, User.password_changed_at, User.password_change_required])
        last = _link_idps(user, setup.idps, editor) or last
        can_log_in = bool(data.password or hashed)
        if import_rules:
            ready = bool(setup.idps) or (user.email_verified and (can_log_in or setup.passwordless))
        else:
            ready = user.email_verified and can_log_in
        last = _initial(user, editor, with_init=not ready) or last
        last = _phone_code(user, editor) or last
        passwordless = (None, None)
        if setup.passwordless:
            last, *passwordless = passwordless_code(user, editor)
        if not ready:
            user.state = UserState.INITIAL
        if last is not None:
            user.sequence, user.changed_at = last.id, last.created_at
        save_fields(user, [User.state, User.sequence, User.changed_at])
        return Created(user, last or _last_event(user), *passwordless)


def _last_event(user):
    return events.history(user.id, user.org_id, limit=1)[0]
