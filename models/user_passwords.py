"""Passwords set by administrators and reset notifications (reference §6.6).

Passwords are checked against the organisation's complexity policy and
stored as argon2id hashes only. Users still in INITIAL state cannot get one
this way (ZITADEL's well-known rule, issue #7351): they finish their
initialisation first.
"""
from . import notifications
from .db import transaction
from .errors import FailedPrecondition
from .passwords import hash_password
from .policies import check_password
from .tables import User, UserState, utcnow
from .user_changes import finish, load_human, record

PASSWORD_FIELDS = (User.password_hash, User.password_changed_at, User.password_change_required)
# ZITADEL's reset notification channels: TYPE_EMAIL = 0, TYPE_SMS = 1.
CHANNELS = {0: "email", 1: "sms"}


def _not_initialised(error_id):
    return FailedPrecondition("User is not yet initialized", error_id, "Errors.User.NotInitialised")


def set_password(org_id, user_id, password, editor, *, change_required):
    """SetHumanInitialPassword (change_required=True) and SetHumanPassword."""
    with transaction():
        user = load_human(org_id, user_id, lambda: FailedPrecondition("Password not found", "COMMAND-G8dh3",
                                                                      "Errors.User.Password.NotFound"))
        if user.state == UserState.INITIAL:
            raise _not_initialised("COMMAND-M9dse")
        check_password(org_id, password)
        user.password_hash, user.password_changed_at = hash_password(password), utcnow()
        user.password_change_required = change_required
        return record(user, "user.human.password.changed", editor, {"changeRequired": change_required},
                      PASSWORD_FIELDS)


def request_reset(org_id, user_id, channel, editor):
    """SendHumanResetPasswordNotification: a reset code, sent by e-mail (0) or SMS (1)."""
    with transaction():
        user = load_human(org_id, user_id, lambda: FailedPrecondition("User could not be found", "COMMAND-Hj9ds",
                                                                      "Errors.User.NotFound"))
        if user.state == UserState.INITIAL:
            raise _not_initialised("COMMAND-2M9sd")
        return finish(user, notifications.send_code(user, editor, notifications.PASSWORD_RESET,
                                                    notificationType=CHANNELS[channel])[0])
