"""/Me (RFC 7644 §3.11): the User resource of whoever the token belongs to.

A token of a human user acts on that user exactly as /Users/{id} would, with
no role needed for one's own resource. A token without a SCIM User behind it
(a machine user: service accounts are not SCIM resources) gets 404.
"""
from models.tables import UserType

from . import users
from .errors import ScimError
from .http import context


def _own_id():
    principal, org_id = context(None)
    if principal.user is None or principal.user.type != UserType.HUMAN:
        raise ScimError(404, "the authenticated subject has no SCIM User resource (it is a service account)")
    if org_id != principal.org_id:
        raise ScimError(404, "the authenticated user has no SCIM User resource in this organisation")
    return principal.user_id


def get():
    return users.get(_own_id())


def replace():
    return users.replace(_own_id())


def patch():
    return users.patch(_own_id())


def delete():
    return users.delete(_own_id())
