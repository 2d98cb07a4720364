"""/Groups (RFC 7644 §3): parse, call the domain, render."""
from flask import Response, request

from models import groups as domain
from models.predicates import TRUE
from models.search import group_listing, search_groups

from . import filters, listing
from .casting import group_to_scim, version_of
from .group_patch import to_change
from .http import (
    base_url,
    context,
    expected_versions,
    none_match,
    read_json,
    respond,
    settings,
)
from .patch import parse_request as parse_patch
from .projection import project
from .validation import validate_group


def _urls():
    return f"{base_url()}/Groups", f"{base_url()}/Users"


def _names(text):
    return [n.strip().lower().rpartition(":")[2] for n in (text or "").split(",") if n.strip()]


def wants_members(attributes, excluded):
    """Whether the response will show members, so whether to load them at all."""
    # excluding a sub-attribute (members.display) still shows the members
    if any(n == "members" for n in _names(excluded)):
        return False
    if attributes:
        return any(n.split(".")[0] == "members" for n in _names(attributes))
    return True


def render(groups, attributes, excluded):
    """Resources for groups; members loaded in one query, and only if shown."""
    ids = [g.id for g in groups]
    if wants_members(attributes, excluded):
        members = domain.members_of(ids)
    else:
        members = {}
    groups_url, users_url = _urls()
    return [project(group_to_scim(g, members.get(g.id), groups_url, users_url), attributes, excluded)
            for g in groups]


def _one(group, status=200, extra_headers=None):
    resource = render([group], request.args.get("attributes"), request.args.get("excludedAttributes"))[0]
    return respond(resource, status, {"ETag": version_of(group), **(extra_headers or {})})


def create():
    principal, org_id = context("group.write")
    resource = validate_group(read_json())
    group = domain.create_group(org_id, resource["displayName"], principal.editor_id,
                                external_id=resource.get("externalId"),
                                member_ids=[m["value"] for m in resource.get("members", ())])
    return _one(group, 201, {"Location": f"{_urls()[0]}/{group.id}"})


def get(group_id):
    _, org_id = context("group.read")
    group = domain.get_group(org_id, group_id)
    if none_match(group.version):
        return Response(status=304, headers={"ETag": version_of(group)})
    return _one(group)


def replace(group_id):
    principal, org_id = context("group.write")
    resource = validate_group(read_json())
    group = domain.replace_group(org_id, group_id, resource["displayName"], principal.editor_id,
                                 external_id=resource.get("externalId"),
                                 member_ids=[m["value"] for m in resource.get("members", ())],
                                 expected_versions=expected_versions())
    return _one(group)


def patch(group_id):
    principal, org_id = context("group.write")
    operations = parse_patch(read_json())
    group = domain.update_group(org_id, group_id, lambda current: to_change(current, operations),
                                principal.editor_id, expected_versions=expected_versions())
    # RFC 7644 §3.5.2: 200 with the entire resource, or 204. A group with more members than a page
    # gets 204, so that a one-member change never reads a large group's membership.
    if (wants_members(request.args.get("attributes"), request.args.get("excludedAttributes"))
            and domain.has_more_members_than(group.id, settings().scim_max_count)):
        return Response(status=204, headers={"ETag": version_of(group)})
    return _one(group)


def delete(group_id):
    principal, org_id = context("group.delete")
    domain.delete_group(org_id, group_id, principal.editor_id, expected_versions=expected_versions())
    return Response(status=204)


def _page(params, org_id):
    predicate = filters.parse(params.filter, "Group") if params.filter else TRUE
    sort = filters.sort_field(params.sort_by, "Group") if params.sort_by else None
    if params.cursor is not None:
        listed = group_listing(org_id, predicate, sort=sort, ascending=params.ascending)
        return listing.cursor_response(params, org_id, "Groups", [listed], lambda rows: render(
            [row for _, row in rows], params.attributes, params.excluded))
    total, groups = search_groups(org_id, predicate, sort=sort, ascending=params.ascending,
                                  offset=params.offset, limit=params.count)
    resources = render(groups, params.attributes, params.excluded) if params.count else []
    return listing.list_response(total, params, resources)


def list_():
    _, org_id = context("group.read")
    return _page(listing.from_query(), org_id)


def search():
    _, org_id = context("group.read")
    return _page(listing.from_search_request(), org_id)
