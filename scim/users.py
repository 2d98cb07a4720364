"""/Users (RFC 7644 §3): parse, call the domain, render."""
from flask import Response, request

from models import users as domain
from models.predicates import TRUE, and_
from models.search import search_users
from models.tables import UserType

from . import filters
from .casting import from_scim, manager_ids, to_scim, version_of
from .errors import ScimError
from .http import base_url, context, expected_version, int_param, parse_etag, read_json, respond, settings
from .patch import apply as apply_patch
from .patch import parse_request as parse_patch
from .projection import project
from .schemas import LIST_RESPONSE, SEARCH_REQUEST, ZITADEL_IGNORE_PASSWORD
from .validation import validate_user

# Largest row offset sent to the database (both stop at 2**63 - 1).
MAX_OFFSET = 2**62


def _users_url():
    return f"{base_url()}/Users"


def _render(users, org_id):
    metadata = domain.metadata_of([u.id for u in users])
    names = domain.display_names(manager_ids(metadata), org_id)
    return [to_scim(u, metadata[u.id], _users_url(), names) for u in users]


def _one(user, org_id, status=200, attributes=None, excluded=None, extra_headers=None):
    resource = project(_render([user], org_id)[0], attributes, excluded)
    headers = {"ETag": version_of(user), **(extra_headers or {})}
    return respond(resource, status, headers)


def _human(org_id, user_id):
    user = domain.get_user(org_id, user_id)
    if user.type != UserType.HUMAN:
        # Machine users are not SCIM resources (as in ZITADEL).
        raise ScimError(404, "User could not be found")
    return user


def _ignore_password_on_create(principal):
    if settings().scim_ignore_password_on_create:
        return True
    switch = domain.metadata_of([principal.user_id])[principal.user_id].get(ZITADEL_IGNORE_PASSWORD)
    return switch is not None and switch.strip().lower() == b"true"


def _input(resource, unassign_missing_active=False):
    return from_scim(resource, unassign_missing_active=unassign_missing_active,
                     email_verified=settings().scim_email_verified,
                     phone_verified=settings().scim_phone_verified)


def create():
    principal, org_id = context("user.write")
    resource = validate_user(read_json())
    if _ignore_password_on_create(principal):
        resource.pop("password", None)
    user = domain.create_human(org_id, _input(resource), principal.editor_id)
    location = f"{_users_url()}/{user.id}"
    return _one(user, org_id, 201, request.args.get("attributes"), request.args.get("excludedAttributes"),
                {"Location": location})


def get(user_id):
    _, org_id = context("user.read")
    user = _human(org_id, user_id)
    match = request.headers.get("If-None-Match")
    if match and (match.strip() == "*" or _etag_equals(match, user)):
        return Response(status=304, headers={"ETag": version_of(user)})
    return _one(user, org_id, attributes=request.args.get("attributes"),
                excluded=request.args.get("excludedAttributes"))


def _etag_equals(header, user):
    try:
        return parse_etag(header) == user.sequence
    except ScimError:
        return False


def replace(user_id):
    principal, org_id = context("user.write")
    resource = validate_user(read_json())
    user = domain.replace_human(org_id, user_id, _input(resource), principal.editor_id,
                                expected_sequence=expected_version())
    return _one(user, org_id, attributes=request.args.get("attributes"),
                excluded=request.args.get("excludedAttributes"))


def patch(user_id):
    principal, org_id = context("user.write")
    operations = parse_patch(read_json())
    wanted = expected_version()

    def change(user):
        # Runs with the user locked: the document patched is the one being replaced.
        if wanted is not None and user.sequence != wanted:
            raise ScimError(412, f"the resource is at version {version_of(user)}")
        document = apply_patch(_render([user], org_id)[0], operations)
        return _input(validate_user(document), unassign_missing_active=True)

    user = domain.update_human(org_id, user_id, change, principal.editor_id)
    return _one(user, org_id, attributes=request.args.get("attributes"),
                excluded=request.args.get("excludedAttributes"))


def delete(user_id):
    principal, org_id = context("user.delete")
    domain.delete_user(org_id, user_id, principal.editor_id, expected_sequence=expected_version(),
                       only_type=UserType.HUMAN)
    return Response(status=204)


def _page(filter_text, sort_by, sort_order, start_index, count, attributes, excluded, org_id):
    predicate = filters.parse(filter_text) if filter_text else None
    sort = filters.sort_field(sort_by) if sort_by else None
    if sort_order not in (None, "", "ascending", "descending"):
        raise ScimError(400, "sortOrder must be ascending or descending", "invalidValue")
    start_index = max(1, start_index)
    count = min(max(0, count), settings().scim_max_count)
    predicate = and_(predicate or TRUE, filters.HUMANS)
    # A startIndex past any real table is simply an empty page.
    total, users = search_users(org_id, predicate, sort=sort, ascending=sort_order != "descending",
                                offset=min(start_index - 1, MAX_OFFSET), limit=count)
    resources = [project(r, attributes, excluded) for r in _render(users, org_id)] if count else []
    return respond({"schemas": [LIST_RESPONSE], "totalResults": total, "itemsPerPage": len(resources),
                    "startIndex": start_index, "Resources": resources})


def list_():
    _, org_id = context("user.read")
    return _page(request.args.get("filter"), request.args.get("sortBy"), request.args.get("sortOrder"),
                 int_param("startIndex", 1), int_param("count", settings().scim_default_count),
                 request.args.get("attributes"), request.args.get("excludedAttributes"), org_id)


def search():
    _, org_id = context("user.read")
    body = read_json()
    if body.get("schemas") and SEARCH_REQUEST not in body["schemas"]:
        raise ScimError(400, f"a search body must have the schema {SEARCH_REQUEST}", "invalidSyntax")
    lowered = {k.lower(): v for k, v in body.items()}

    def number(name, default):
        value = lowered.get(name.lower(), default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ScimError(400, f"{name} must be an integer", "invalidValue")
        return value

    def names(name):
        value = lowered.get(name.lower())
        if isinstance(value, list):
            return ",".join(str(v) for v in value)
        return value

    return _page(lowered.get("filter"), lowered.get("sortby"), lowered.get("sortorder"),
                 number("startIndex", 1), number("count", settings().scim_default_count),
                 names("attributes"), names("excludedAttributes"), org_id)
