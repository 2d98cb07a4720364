"""/Users (RFC 7644 §3): parse, call the domain, render."""
from flask import Response, request

from models import users as domain
from models.groups import groups_of_users
from models.predicates import TRUE, and_
from models.search import search_users, user_listing
from models.tables import UserType

from . import filters, listing
from .casting import (
    RENDERED_FIELDS,
    external_id_attr,
    from_scim,
    is_external_id_key,
    manager_ids,
    to_scim,
    version_of,
)
from .errors import ScimError
from .http import (
    base_url,
    caller_metadata,
    context,
    expected_versions,
    none_match,
    provisioning_domain,
    read_json,
    respond,
    settings,
)
from .patch import apply as apply_patch
from .patch import parse_request as parse_patch
from .projection import project
from .schemas import ZITADEL_IGNORE_PASSWORD
from .validation import validate_user


def _self(user_id, as_me):
    """The id that needs no role: only /Me acts on the caller's own user without one.

    /Users/{id} asks for the user.* permissions even on one's own id, as ZITADEL does
    (reference §8.1), so that a token without a role cannot rename or delete its user.
    """
    return user_id if as_me else None


def users_url(base=None):
    """The /Users URL under base (default: the base URL the caller used)."""
    return f"{base or base_url()}/Users"


def render(users, org_id, metadata=None, groups=None):
    """SCIM resources for users; metadata and groups by user id when the caller has them already."""
    if metadata is None:
        metadata = domain.metadata_of([u.id for u in users])
    if groups is None:
        groups = groups_of_users(users)
    names = domain.display_names(manager_ids(metadata), org_id)
    base = base_url()
    users_at, groups_at, scope = users_url(base), f"{base}/Groups", provisioning_domain()
    return [to_scim(u, metadata[u.id], users_at, names, groups[u.id], groups_at, scope) for u in users]


def _one(user, org_id, status=200, extra_headers=None, metadata=None, groups=None):
    """The response holding one user, projected as the request's attributes/excludedAttributes ask."""
    resource = project(render([user], org_id, metadata, groups)[0], request.args.get("attributes"),
                       request.args.get("excludedAttributes"))
    headers = {"ETag": version_of(user), **(extra_headers or {})}
    return respond(resource, status, headers)


def _human(org_id, user_id):
    user = domain.get_user(org_id, user_id)
    if user.type != UserType.HUMAN:
        # Machine users are not SCIM resources (as in ZITADEL).
        raise ScimError(404, "User could not be found")
    return user


def _ignore_password_on_create():
    if settings().scim_ignore_password_on_create:
        return True
    switch = caller_metadata().get(ZITADEL_IGNORE_PASSWORD)
    return switch is not None and switch.strip().lower() == b"true"


def _input(resource, unassign_missing_active=False):
    return from_scim(resource, unassign_missing_active=unassign_missing_active,
                     email_verified=settings().scim_email_verified,
                     phone_verified=settings().scim_phone_verified,
                     provisioning_domain=provisioning_domain())


def _keeping_other_external_ids(data, stored):
    """data, plus the externalIds other provisioning domains keep in the user's stored metadata.

    A replace rewrites every urn:zitadel:scim: key, but the caller owns only its
    own externalId; another IdP's must survive this client's PUT or PATCH.
    """
    own = domain.SCIM_PREFIX + external_id_attr(provisioning_domain())
    data.metadata.update({k: v for k, v in stored.items() if is_external_id_key(k) and k != own})
    return data


def create():
    principal, org_id = context("user.write")
    resource = validate_user(read_json())
    if _ignore_password_on_create():
        resource.pop("password", None)
    data = _input(resource)
    user = domain.create_human(org_id, data, principal.editor_id)
    location = f"{users_url()}/{user.id}"
    # A new user's metadata is what was just written, and it is in no group: nothing to read back.
    stored = {key: value for key, value in data.metadata.items() if value is not None}
    return _one(user, org_id, 201, {"Location": location}, metadata={user.id: stored}, groups={user.id: []})


def get(user_id, *, as_me=False):
    _, org_id = context("user.read", self_id=_self(user_id, as_me))
    user = _human(org_id, user_id)
    if none_match(user.version):
        return Response(status=304, headers={"ETag": version_of(user)})
    return _one(user, org_id)


def replace(user_id, *, as_me=False):
    principal, org_id = context("user.write", self_id=_self(user_id, as_me))
    resource = validate_user(read_json())
    return _rewrite(principal, org_id, user_id, lambda user, stored: _input(resource))


def patch(user_id, *, as_me=False):
    principal, org_id = context("user.write", self_id=_self(user_id, as_me))
    operations = parse_patch(read_json())

    def patched(user, stored):
        # the document patched is the one being replaced (the user is locked)
        document = apply_patch(render([user], org_id, {user.id: stored})[0], operations)
        return _input(validate_user(document), unassign_missing_active=True)

    return _rewrite(principal, org_id, user_id, patched)


def _rewrite(principal, org_id, user_id, new_input):
    """PUT and PATCH: replace the user with new_input(user), computed with the user locked.

    If-Match is checked against the version being replaced, and the externalIds
    of other provisioning domains are carried over.
    """
    def change(user, stored):
        return _keeping_other_external_ids(new_input(user, stored), stored)

    user, metadata = domain.update_human(org_id, user_id, change, principal.editor_id,
                                         expected_versions=expected_versions())
    return _one(user, org_id, metadata={user.id: metadata})


def delete(user_id, *, as_me=False):
    principal, org_id = context("user.delete", self_id=_self(user_id, as_me))
    domain.delete_user(org_id, user_id, principal.editor_id, expected_versions=expected_versions(),
                       only_type=UserType.HUMAN)
    return Response(status=204)


def _page(params, org_id):
    predicate = filters.parse(params.filter) if params.filter else TRUE
    sort = filters.sort_field(params.sort_by) if params.sort_by else None
    if params.cursor is not None:
        listed = user_listing(org_id, and_(predicate, filters.HUMANS), sort=sort, ascending=params.ascending)
        return listing.cursor_response(params, org_id, "Users", [listed], lambda rows: [
            project(r, params.attributes, params.excluded) for r in render([row for _, row in rows], org_id)])
    total, users = search_users(org_id, and_(predicate, filters.HUMANS), sort=sort, ascending=params.ascending,
                                offset=params.offset, limit=params.count, fields=RENDERED_FIELDS)
    resources = [project(r, params.attributes, params.excluded) for r in render(users, org_id)] if params.count else []
    return listing.list_response(total, params, resources)


def list_():
    _, org_id = context("user.read")
    return _page(listing.from_query(), org_id)


def search():
    _, org_id = context("user.read")
    return _page(listing.from_search_request(), org_id)
