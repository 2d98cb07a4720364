"""Organisations: every user, token and query is scoped to one."""
import peewee as pw

from . import events
from .db import transaction
from .errors import AlreadyExists, InvalidArgument, NotFound
from .ids import new_id
from .tables import Org, utcnow

DEFAULT_ORG_NAME = "Default"


def default_org():
    return Org.select().where(Org.is_default == True).first()  # noqa: E712


def ensure_default_org():
    """Create the default organisation on first start (idempotent)."""
    org = default_org()
    if org is None:
        org = create_org(DEFAULT_ORG_NAME, editor=None, is_default=True)
    return org


def create_org(name, editor, *, is_default=False):
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise InvalidArgument("Organisation name must be 1 to 200 characters", "ORG-mruNY", "Errors.Org.Invalid")
    try:
        with transaction():
            now = utcnow()
            org = Org.create(id=new_id(), name=name, is_default=is_default, created_at=now, changed_at=now)
            event = events.append("org", org.id, org.id, "org.added", editor, {"name": name}, at=now)
            org.sequence = event.id
            org.save(only=[Org.sequence])
            return org
    except pw.IntegrityError:
        raise AlreadyExists("Organisation already exists", "ORG-lapo2m", "Errors.Org.AlreadyExists") from None


def get_org(org_id):
    org = Org.get_or_none(Org.id == org_id)
    if org is None:
        raise NotFound("Organisation not found", "ORG-M9fh3", "Errors.Org.NotFound")
    return org
