"""/Me (RFC 7644 §3.11): the User resource of whoever the token belongs to.

A token of a human user acts on that user exactly as /Users/{id} would, with
no role needed for one's own resource here, and only here: /Users/{own id}
asks for the user.* permissions like any other id, as in ZITADEL. A token
without a SCIM User behind it (a machine user: service accounts are not SCIM
resources) gets 404.
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


def _aliased(action):
    """Run action on the caller's own user; RFC 7644 §3.11: every response names the aliased resource."""
    user_id = _own_id()
    response = action(user_id, as_me=True)
    response.headers["Location"] = f"{users.users_url()}/{user_id}"
    return response


def get():
    return _aliased(users.get)


def replace():
    return _aliased(users.replace)


def patch():
    return _aliased(users.patch)


def delete():
    return _aliased(users.delete)
