"""Creating machine users through the management API (reference §6.2 (8))."""
from .errors import FailedPrecondition
from .machines import create_machine
from .tables import User


def add_machine(org_id, username, name, editor, *, description=None, access_token_type=0, user_id=None):
    """A new ACTIVE machine user, optionally with a caller-chosen id."""
    if user_id and User.select().where(User.id == user_id).exists():
        raise FailedPrecondition("Errors.User.AlreadyExisting", "COMMAND-k2una", "Errors.User.AlreadyExisting")
    return create_machine(org_id, username, name, editor, description=description or None,
                          access_token_type=access_token_type, user_id=user_id or None)
