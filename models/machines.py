"""Machine (service) users."""
import peewee as pw

from . import events
from .db import save_fields, transaction
from .errors import InvalidArgument, user_already_exists
from .ids import new_id
from .search import fold
from .tables import User, UserState, UserType, utcnow
from .users import is_username_clash, raise_if_id_clash


def create_machine(org_id, username, name, editor, *, description=None, access_token_type=0, user_id=None):
    username = (username or "").strip()
    name = (name or "").strip()
    if not username or not name:
        raise InvalidArgument("Userdata is invalid", "COMMAND-bm9Ds", "Errors.User.Invalid")
    try:
        with transaction():
            now = utcnow()
            user = User.create(
                id=user_id or new_id(), org=org_id, type=UserType.MACHINE, state=UserState.ACTIVE,
                username=username, username_key=fold(username), name=name, description=description,
                access_token_type=access_token_type, created_at=now, changed_at=now,
            )
            event = events.append("user", user.id, org_id, "user.machine.added", editor,
                                  {"userName": username, "name": name}, at=now)
            user.sequence = event.id
            save_fields(user, [User.sequence])
            return user
    except pw.IntegrityError as error:
        if is_username_clash(error):
            raise user_already_exists() from None
        raise_if_id_clash(error)
        raise
