"""POST /.search (RFC 7644 §3.4.3): one search over every resource type.

Results list Users first, then Groups, each in its own order (sortBy applies
to a type that has the attribute); paging, by startIndex or cursor, runs over
the combined list. A filter naming an attribute one type lacks matches
nothing of that type; one that fits no type is invalidFilter.
"""
from models.predicates import TRUE, and_
from models.search import group_listing, search_groups, search_users, user_listing

from . import filters, groups, listing, users
from .errors import ScimError
from .http import context
from .projection import project


def _predicate(params, resource):
    try:
        return filters.parse(params.filter, resource) if params.filter else TRUE
    except filters.UnknownAttribute:
        return None


def _sort(params, resource):
    try:
        return filters.sort_field(params.sort_by, resource) if params.sort_by else None
    except ScimError:
        return None


def search():
    _, org_id = context("user.read")
    context("group.read")
    params = listing.from_search_request()
    user_predicate, group_predicate = _predicate(params, "User"), _predicate(params, "Group")
    if user_predicate is None and group_predicate is None:
        filters.parse(params.filter)  # raises the User error, which names the attribute
    if params.cursor is not None:
        return _cursor_page(params, org_id, user_predicate, group_predicate)
    user_total, user_rows = 0, []
    if user_predicate is not None:
        user_total, user_rows = search_users(
            org_id, and_(user_predicate, filters.HUMANS), sort=_sort(params, "User"), ascending=params.ascending,
            offset=params.offset, limit=params.count)
    group_total, group_rows = 0, []
    if group_predicate is not None:
        group_total, group_rows = search_groups(
            org_id, group_predicate, sort=_sort(params, "Group"), ascending=params.ascending,
            offset=max(0, params.offset - user_total), limit=params.count - len(user_rows))
    return listing.list_response(user_total + group_total, params, _render(params, org_id, user_rows, group_rows))


def _render(params, org_id, user_rows, group_rows):
    resources = [project(r, params.attributes, params.excluded) for r in users.render(user_rows, org_id)]
    return resources + groups.render(group_rows, params.attributes, params.excluded)


def _cursor_page(params, org_id, user_predicate, group_predicate):
    listings, kinds = [], []
    if user_predicate is not None:
        listings.append(user_listing(org_id, and_(user_predicate, filters.HUMANS), sort=_sort(params, "User"),
                                     ascending=params.ascending))
        kinds.append("User")
    if group_predicate is not None:
        listings.append(group_listing(org_id, group_predicate, sort=_sort(params, "Group"),
                                      ascending=params.ascending))
        kinds.append("Group")

    def render(rows):
        return _render(params, org_id, [row for part, row in rows if kinds[part] == "User"],
                       [row for part, row in rows if kinds[part] == "Group"])

    return listing.cursor_response(params, org_id, "", listings, render)
