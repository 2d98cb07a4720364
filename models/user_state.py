"""User lifecycle of the management API (reference §6.3): deactivate, reactivate, lock, unlock, rename, remove."""
from .errors import FailedPrecondition, InvalidArgument, NotFound
from .search import fold
from .tables import User, UserState
from .user_changes import change_user
from .users import delete_user


def _set_state(user, state, event_type):
    user.state = state
    return event_type, None, [User.state]


def deactivate(org_id, user_id, editor):
    def apply(user):
        if user.state == UserState.INITIAL:
            # ZITADEL answers this with code NotFound (reference §6.3).
            raise NotFound("User with state initial can only be deleted not deactivated", "COMMAND-ke0fw",
                           "Errors.User.CantDeactivateInitial")
        if user.state == UserState.INACTIVE:
            raise FailedPrecondition("User already inactive", "COMMAND-5M0sf", "Errors.User.AlreadyInactive")
        return _set_state(user, UserState.INACTIVE, "user.deactivated")
    return change_user(org_id, user_id, editor, "COMMAND-3M9ds", apply)


def reactivate(org_id, user_id, editor):
    def apply(user):
        if user.state != UserState.INACTIVE:
            raise FailedPrecondition("User is not inactive", "COMMAND-6M0sf", "Errors.User.NotInactive")
        return _set_state(user, UserState.ACTIVE, "user.reactivated")
    return change_user(org_id, user_id, editor, "COMMAND-4M0sd", apply)


def lock(org_id, user_id, editor):
    def apply(user):
        if user.state not in (UserState.ACTIVE, UserState.INITIAL):
            raise FailedPrecondition("User is not active or initial", "COMMAND-3NN8v",
                                     "Errors.User.ShouldBeActiveOrInitial")
        return _set_state(user, UserState.LOCKED, "user.locked")
    return change_user(org_id, user_id, editor, "COMMAND-5M9fs", apply)


def unlock(org_id, user_id, editor):
    def apply(user):
        if user.state != UserState.LOCKED:
            raise FailedPrecondition("User is not locked", "COMMAND-4M0ds", "Errors.User.NotLocked")
        # Unlocking always activates, even a user that was INITIAL when locked (as ZITADEL does).
        return _set_state(user, UserState.ACTIVE, "user.unlocked")
    return change_user(org_id, user_id, editor, "COMMAND-M0dos", apply)


def rename(org_id, user_id, username, editor):
    username = (username or "").strip()
    if not username:
        raise InvalidArgument("Username is empty", "USER-2n8fs", "Errors.User.Username.Empty")

    def apply(user):
        if user.username == username:
            raise FailedPrecondition("Username not changed", "COMMAND-6m9gs", "Errors.User.UsernameNotChanged")
        user.username, user.username_key = username, fold(username)
        return "user.username.changed", {"userName": username}, [User.username, User.username_key]
    return change_user(org_id, user_id, editor, "COMMAND-5N9ds", apply)


def remove(org_id, user_id, editor):
    """Remove a user; memberships, metadata, factors and links go with it (foreign-key cascades)."""
    return delete_user(org_id, user_id, editor, not_found_id="COMMAND-m9od")
