"""Cursor paging (RFC 9865) of /Users, /Groups and the .search endpoints, through HTTP.

A cursor names the key of the row next to the page (models/search.py keyset
paging), so a page deep in a listing costs what the first one does: the tests
below walk whole listings, compare them with startIndex paging, refuse bad
cursors with invalidCursor, and check that no query pages with OFFSET.
"""
import base64
import json
import re
import types

import peewee
import pytest
from scim2_models import Context, ListResponse, ServiceProviderConfig, User

from models.db import db
from models.predicates import TRUE
from models.search import Position, user_listing
from models.tables import User as UserRow
from scim import listing
from tests.conftest import ScimClient, make_tenant
from tests.http.scim_helpers import GROUP, SEARCH, assert_scim_error, create_group
from tests.support.query_plans import plan_of, recorded_statements

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"


def make_users(scim, count, prefix="user", family=lambda i: None):
    made = []
    for i in range(count):
        name = {"familyName": family(i)} if family(i) is not None else {"givenName": f"G{i}"}
        made.append(scim.create_user(f"{prefix}{i:03d}@example.com", name=name))
    return made


def walk(scim, path="/Users", count=5, method="get", **query):
    """Every page of a cursor walk, first to last."""
    pages, cursor = [], ""
    while True:
        if method == "get":
            response = scim.get(path, query_string={**query, "cursor": cursor, "count": count})
        else:
            response = scim.post(path, {"schemas": [SEARCH], **query, "cursor": cursor, "count": count})
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert len(body["Resources"]) == body["itemsPerPage"] <= count
        assert "startIndex" not in body
        pages.append(body)
        if "nextCursor" not in body:
            return pages
        assert body["itemsPerPage"] == count  # only the last page may be short
        assert len(pages) < 500, "the walk does not end"
        cursor = body["nextCursor"]


def ids(pages):
    return [resource["id"] for page in pages for resource in page["Resources"]]


def index_ids(scim, path="/Users", **query):
    response = scim.get(path, query_string={**query, "count": 1000})
    assert response.status_code == 200, response.get_json()
    return [resource["id"] for resource in response.get_json()["Resources"]]


# ---------------------------------------------------------------- walking

def test_a_cursor_walk_returns_every_user_once_in_order(scim):
    made = make_users(scim, 23)
    pages = walk(scim, count=5)
    assert len(pages) == 5 and [p["itemsPerPage"] for p in pages] == [5, 5, 5, 5, 3]
    assert ids(pages) == index_ids(scim) == sorted(u["id"] for u in made)
    assert "nextCursor" not in pages[-1]
    assert "previousCursor" not in pages[0]
    assert all("previousCursor" in page for page in pages[1:])
    # totalResults would cost a count of every match on every page; it is left out of partial walks
    assert all("totalResults" not in page for page in pages)


def test_a_walk_that_fits_one_page_has_no_cursor_and_a_total(scim):
    make_users(scim, 3)
    (page,) = walk(scim, count=10)
    assert page["totalResults"] == page["itemsPerPage"] == 3
    assert "nextCursor" not in page and "previousCursor" not in page


def test_an_empty_listing_is_one_empty_page(scim):
    (page,) = walk(scim, count=10, filter='userName eq "nobody@example.com"')
    assert page["totalResults"] == 0 and page["Resources"] == []


def test_a_walk_with_a_filter_returns_exactly_the_matches(scim):
    make_users(scim, 12, prefix="alpha")
    make_users(scim, 9, prefix="beta")
    query = {"filter": 'userName sw "alpha" or userName ew "7@example.com"'}
    pages = walk(scim, count=4, **query)
    names = [r["userName"] for page in pages for r in page["Resources"]]
    assert ids(pages) == index_ids(scim, **query)
    assert len(names) == len(set(names)) == 13 and "beta007@example.com" in names


@pytest.mark.parametrize("order", ["ascending", "descending"])
def test_a_walk_sorted_by_a_column_with_ties_and_nulls_matches_index_paging(scim, order):
    # family names repeat (ties broken by id) and a third have none (NULL, listed last)
    make_users(scim, 17, family=lambda i: None if i % 3 == 0 else f"Family{i % 4}")
    query = {"sortBy": "name.familyName", "sortOrder": order}
    pages = walk(scim, count=4, **query)
    assert ids(pages) == index_ids(scim, **query)
    assert len(set(ids(pages))) == 17


def test_a_walk_sorted_by_a_timestamp(scim):
    make_users(scim, 9)
    query = {"sortBy": "meta.created", "sortOrder": "descending"}
    assert ids(walk(scim, count=2, **query)) == index_ids(scim, **query)


@pytest.mark.parametrize("query", [{}, {"sortBy": "name.familyName"},
                                   {"sortBy": "name.familyName", "sortOrder": "descending"},
                                   {"sortBy": "userName", "sortOrder": "descending"}])
def test_previous_cursors_walk_the_same_pages_back(scim, query):
    make_users(scim, 14, family=lambda i: None if i % 5 == 0 else f"F{i % 3}")
    forward = walk(scim, count=4, **query)
    back, body = [], forward[-1]
    while "previousCursor" in body:
        body = scim.get("/Users", query_string={**query, "cursor": body["previousCursor"], "count": 4}).get_json()
        back.append(body)
    assert [ids([page]) for page in reversed(back)] == [ids([page]) for page in forward[:-1]]
    assert "previousCursor" not in back[-1] and "nextCursor" in back[-1]


def test_a_cursor_past_deleted_rows_still_continues(scim):
    made = make_users(scim, 10)
    first = scim.get("/Users", query_string={"cursor": "", "count": 4}).get_json()
    for user in made[3:6]:  # the last row of page 1 and the first rows of page 2
        assert scim.delete(f"/Users/{user['id']}").status_code == 204
    rest = scim.get("/Users", query_string={"cursor": first["nextCursor"], "count": 4}).get_json()
    assert ids([rest]) == [u["id"] for u in made[6:10]]


def test_post_search_pages_by_cursor_like_get(scim):
    make_users(scim, 11)
    query = {"filter": 'userName sw "user"', "sortBy": "userName", "sortOrder": "descending"}
    pages = walk(scim, "/Users/.search", count=3, method="post", **query)
    assert ids(pages) == index_ids(scim, **query)
    # the cursor belongs to the query, not to the verb: GET goes on where POST stopped
    body = scim.get("/Users", query_string={**query, "cursor": pages[0]["nextCursor"], "count": 3}).get_json()
    assert ids([body]) == ids(pages[1:2])


def test_groups_page_by_cursor(scim):
    made = [create_group(scim, f"Group {i:02d}") for i in range(8)]
    pages = walk(scim, "/Groups", count=3, sortBy="displayName")
    assert [r["displayName"] for page in pages for r in page["Resources"]] == sorted(g["displayName"] for g in made)
    assert ids(walk(scim, "/Groups/.search", count=3, method="post")) == index_ids(scim, "/Groups")


def test_root_search_pages_by_cursor_over_users_then_groups(scim):
    users = make_users(scim, 5)
    groups = [create_group(scim, f"Team {i}") for i in range(4)]
    pages = walk(scim, "/.search", count=3, method="post")
    assert [len(page["Resources"]) for page in pages] == [3, 3, 3]
    assert ids(pages) == sorted(u["id"] for u in users) + sorted(g["id"] for g in groups)
    # a page that ends exactly where the users end still says that groups follow
    pages = walk(scim, "/.search", count=5, method="post")
    assert [len(page["Resources"]) for page in pages] == [5, 4]
    assert all(r["schemas"] == [GROUP] for r in pages[1]["Resources"])
    # previousCursor walks back across the boundary too
    pages, back = walk(scim, "/.search", count=2, method="post"), []
    body = pages[-1]
    while "previousCursor" in body:
        body = scim.post("/.search", {"schemas": [SEARCH], "cursor": body["previousCursor"], "count": 2}).get_json()
        back.append(ids([body]))
    assert back[::-1] == [ids([page]) for page in pages[:-1]]
    # and a filter that fits only groups pages the groups alone
    pages = walk(scim, "/.search", count=3, method="post", filter='displayName sw "Team"')
    assert ids(pages) == sorted(g["id"] for g in groups)


def test_count_zero_with_a_cursor_gives_only_the_total(scim):
    make_users(scim, 4)
    body = scim.get("/Users", query_string={"cursor": "", "count": 0}).get_json()
    assert body["totalResults"] == 4 and body["itemsPerPage"] == 0 and body["Resources"] == []
    assert "nextCursor" not in body


def test_projection_applies_to_cursor_pages(scim):
    make_users(scim, 3)
    body = scim.get("/Users", query_string={"cursor": "", "count": 2, "attributes": "userName"}).get_json()
    assert all(set(r) <= {"schemas", "id", "userName"} for r in body["Resources"])


def test_index_paging_is_unchanged_without_a_cursor(scim):
    make_users(scim, 4)
    body = scim.get("/Users", query_string={"startIndex": 2, "count": 2}).get_json()
    assert body["totalResults"] == 4 and body["startIndex"] == 2 and body["itemsPerPage"] == 2
    assert "nextCursor" not in body and "previousCursor" not in body


# ---------------------------------------------------------------- refused requests

def valid_cursor(scim, **query):
    make_users(scim, 3)
    body = scim.get("/Users", query_string={**query, "cursor": "", "count": 1}).get_json()
    return body["nextCursor"]


def forge(body):
    raw = json.dumps(body, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decoded(cursor):
    return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))


@pytest.mark.parametrize("bad", [
    "x", "abc", "not a cursor", "a/b", "%00", "e30", "bnVsbA", "W10", "~~~~", "....",
    "eyJ2IjoxfQ",  # {"v":1}
    "A" * 5000,
])
def test_malformed_cursors_are_invalid_cursor(scim, bad):
    assert_scim_error(scim.get("/Users", query_string={"cursor": bad}), 400, "invalidCursor")
    assert_scim_error(scim.post("/Users/.search", {"schemas": [SEARCH], "cursor": bad}), 400, "invalidCursor")


def test_tampered_cursors_are_invalid_cursor(scim):
    good = valid_cursor(scim)
    body = decoded(good)
    tampered = [
        good[:-2] + ("A" if good[-2] != "A" else "B") + good[-1],
        good + "~",
        forge({**body, "v": 2}),
        forge({**body, "q": "x" * 16}),
        forge({**body, "p": 1}),
        forge({**body, "p": True}),
        forge({**body, "b": "yes"}),
        forge({**body, "k": [None]}),
        forge({**body, "k": ["x", body["k"][1]]}),  # a sort value where the listing sorts by id alone
        forge({**body, "k": [None, 12]}),
        forge({**body, "k": [None, "' OR 1=1 --"]})[:-1],
        forge({**body, "extra": 1}),
        forge([body]),
    ]
    for cursor in tampered:
        assert_scim_error(scim.get("/Users", query_string={"cursor": cursor}), 400, "invalidCursor")


def test_a_sort_key_of_the_wrong_type_is_invalid_cursor(scim):
    query = {"sortBy": "meta.created"}
    body = decoded(valid_cursor(scim, **query))
    for value in ("yesterday", 5, None, ["2020-01-01"], "2020-01-01T00:00:00+02:00"):
        cursor = forge({**body, "k": [value, body["k"][1]]})
        assert_scim_error(scim.get("/Users", query_string={**query, "cursor": cursor}), 400, "invalidCursor")


def test_a_key_no_database_could_take_is_invalid_cursor(scim):
    query = {"sortBy": "userName"}
    body = decoded(valid_cursor(scim, **query))
    for key in (["a\u0000b", body["k"][1]], ["\ud800", body["k"][1]], [body["k"][0], "1\u0000"],
                [body["k"][0], "\udfff"], ["x" * 201, body["k"][1]], [body["k"][0], ""], [body["k"][0], "9" * 201]):
        cursor = forge({**body, "k": key})
        assert_scim_error(scim.get("/Users", query_string={**query, "cursor": cursor}), 400, "invalidCursor")


def test_a_key_is_only_ever_a_bound_parameter(scim):
    """A string key full of SQL is compared as a value: no error, no rows from anywhere else."""
    query = {"sortBy": "userName"}
    body = decoded(valid_cursor(scim, **query))
    cursor = forge({**body, "k": ["' OR 1=1; DROP TABLE \"user\"; --", body["k"][1]]})
    response = scim.get("/Users", query_string={**query, "cursor": cursor, "count": 10})
    assert response.status_code == 200
    assert [r["userName"] for r in response.get_json()["Resources"]] == [
        "user000@example.com", "user001@example.com", "user002@example.com"]


def test_a_cursor_belongs_to_its_query(scim):
    good = valid_cursor(scim, filter='userName sw "user"')
    for other in ({"filter": 'userName sw "use"'}, {}, {"filter": 'userName sw "user"', "sortBy": "userName"},
                  {"filter": 'userName sw "user"', "sortOrder": "descending"}):
        assert_scim_error(scim.get("/Users", query_string={**other, "cursor": good}), 400, "invalidCursor")
    # nor to another endpoint
    create_group(scim, "Group")
    unfiltered = scim.get("/Users", query_string={"cursor": "", "count": 1}).get_json()["nextCursor"]
    assert_scim_error(scim.get("/Groups", query_string={"cursor": unfiltered}), 400, "invalidCursor")
    assert_scim_error(scim.post("/.search", {"schemas": [SEARCH], "cursor": unfiltered}), 400, "invalidCursor")


def test_a_non_string_cursor_in_a_search_body_is_invalid_cursor(scim):
    for value in (5, True, ["a"], {"a": 1}):
        assert_scim_error(scim.post("/Users/.search", {"schemas": [SEARCH], "cursor": value}), 400, "invalidCursor")


def test_start_index_and_cursor_together_are_refused(scim):
    body = assert_scim_error(scim.get("/Users", query_string={"cursor": "", "startIndex": 1}), 400)
    assert "startIndex" in body["detail"] and "cursor" in body["detail"]
    assert_scim_error(scim.post("/Users/.search", {"schemas": [SEARCH], "cursor": "", "startIndex": 3}), 400)
    assert_scim_error(scim.post("/.search", {"schemas": [SEARCH], "cursor": "", "startIndex": 1}), 400)
    assert_scim_error(scim.get("/Groups", query_string={"cursor": "", "startIndex": 5}), 400)


def test_a_count_over_max_page_size_is_invalid_count_with_a_cursor(scim, app):
    maximum = app.config["SETTINGS"].scim_max_count
    for count in (maximum + 1, 10**9, -1):
        assert_scim_error(scim.get("/Users", query_string={"cursor": "", "count": count}), 400, "invalidCount")
        assert_scim_error(scim.post("/Groups/.search", {"schemas": [SEARCH], "cursor": "", "count": count}),
                          400, "invalidCount")
    assert scim.get("/Users", query_string={"cursor": "", "count": maximum}).status_code == 200
    # startIndex paging keeps RFC 7644's reading: the page is cut to the maximum
    assert scim.get("/Users", query_string={"count": maximum + 1}).status_code == 200


# ---------------------------------------------------------------- organisations

def test_a_cursor_from_another_organisation_shows_nothing_of_it(client, scim):
    other = ScimClient(client, make_tenant())
    make_users(scim, 4, prefix="mine")
    theirs = make_users(other, 4, prefix="theirs")
    their_cursor = other.get("/Users", query_string={"cursor": "", "count": 1}).get_json()["nextCursor"]
    body = assert_scim_error(scim.get("/Users", query_string={"cursor": their_cursor, "count": 10}), 400,
                             "invalidCursor")
    assert "theirs" not in json.dumps(body) and theirs[0]["id"] not in json.dumps(body)


def test_a_forged_key_from_another_organisation_is_just_a_position(client, scim, tenant):
    """The organisation is in the WHERE clause of every page; a cursor only says where to start."""
    other = ScimClient(client, make_tenant())
    mine, theirs = [], []
    for i in range(6):  # interleaved ids
        mine.append(scim.create_user(f"mine{i}@example.com"))
        theirs.append(other.create_user(f"theirs{i}@example.com"))
    params = types.SimpleNamespace(filter=None, sort_by=None, ascending=True)
    digest = listing._query_digest(params, tenant.org_id, "Users")
    listed = user_listing(tenant.org_id, TRUE)
    cursor = listing._encode(Position(0, (None, theirs[1]["id"])), [listed], digest)
    response = scim.get("/Users", query_string={"cursor": cursor, "count": 100})
    assert response.status_code == 200, response.get_json()
    returned = ids([response.get_json()])
    assert returned == sorted(u["id"] for u in mine if u["id"] > theirs[1]["id"])
    assert not set(returned) & {u["id"] for u in theirs}


# ---------------------------------------------------------------- cost: keys, not offsets

def user_pages(recorded):
    """The statements that read a page of users (not the token's user, nor a count)."""
    return [(sql, params, cost) for sql, params, cost in recorded
            if sql.startswith("SELECT") and 'FROM "user"' in sql and "LIMIT" in sql.upper() and "ORDER BY" in sql]


def test_deep_cursor_pages_are_read_by_key_not_offset(scim):
    made = sorted(u["id"] for u in make_users(scim, 30))
    cursor = ""
    for _ in range(8):
        cursor = scim.get("/Users", query_string={"cursor": cursor, "count": 3}).get_json()["nextCursor"]
    with recorded_statements() as recorded:
        deep = scim.get("/Users", query_string={"cursor": cursor, "count": 3}).get_json()
    assert ids([deep]) == made[24:27]
    (sql, params, _), = user_pages(recorded)
    assert "OFFSET" not in sql.upper()
    assert made[23] in params  # the page starts after the last key seen
    # the control: startIndex paging skips rows with OFFSET, and the check above sees it
    with recorded_statements() as recorded:
        scim.get("/Users", query_string={"startIndex": 25, "count": 3})
    assert any("OFFSET" in sql.upper() for sql, _, _ in user_pages(recorded))


@pytest.mark.parametrize("query", [{}, {"sortBy": "userName"}, {"sortBy": "userName", "sortOrder": "descending"}])
def test_a_cursor_page_starts_at_its_key_in_an_index(scim, query):
    make_users(scim, 12)
    cursor = scim.get("/Users", query_string={**query, "cursor": "", "count": 3}).get_json()["nextCursor"]
    with recorded_statements() as recorded:
        scim.get("/Users", query_string={**query, "cursor": cursor, "count": 3})
    (sql, params, _), = user_pages(recorded)
    plan = plan_of(sql, params)
    column = "username_key" if query else "id"
    # a range that starts at the key, read in index order: nothing before the key is read, nothing sorted
    assert "Sort" not in plan and "TEMP B-TREE" not in plan, plan
    if isinstance(db.obj, peewee.PostgresqlDatabase):
        assert re.search(rf"Index Cond: .*\({column}\)::text [<>]=? ", plan), plan
    else:
        assert re.search(rf"USING INDEX \S+ \(org_id=\? AND {column}[<>]=?\?\)", plan), plan


def test_a_deep_cursor_page_costs_what_the_first_one_does(scim, tenant):
    make_users(scim, 300)

    def page_cost(query):
        with recorded_statements() as recorded:
            response = scim.get("/Users", query_string=query)
        assert response.status_code == 200
        return sum(cost for _, _, cost in user_pages(recorded)), response.get_json()

    for query, deep_first in (({}, "user290@example.com"),
                              ({"sortBy": "userName", "sortOrder": "descending"}, "user009@example.com"),
                              ({"sortBy": "emails", "filter": "userName sw \"user\""}, "user290@example.com")):
        first_cost, page = page_cost({**query, "cursor": "", "count": 5})
        cursor = page["nextCursor"]
        for _ in range(57):
            cursor = scim.get("/Users", query_string={**query, "cursor": cursor, "count": 5}).get_json()["nextCursor"]
        deep_cost, deep = page_cost({**query, "cursor": cursor, "count": 5})
        assert deep["Resources"][0]["userName"] == deep_first
        assert deep_cost < 1.5 * first_cost, (query, first_cost, deep_cost)

    # The control: the same page read with OFFSET costs in proportion to the rows skipped, so the
    # assertions above fail for any cursor that is an offset in disguise.
    def offset_cost(offset):
        with recorded_statements() as recorded, db.connection_context():
            rows = UserRow.select().where(UserRow.org == tenant.org_id).order_by(UserRow.id)
            list(rows.offset(offset).limit(5))
        (_, _, cost), = user_pages(recorded)
        return cost

    assert offset_cost(290) > 4 * offset_cost(0), (offset_cost(0), offset_cost(290))


# ---------------------------------------------------------------- discovery and shapes

def test_service_provider_config_advertises_both_pagination_methods(scim, app):
    body = scim.get("/ServiceProviderConfig").get_json()
    settings = app.config["SETTINGS"]
    assert body["pagination"] == {"cursor": True, "index": True, "defaultPaginationMethod": "index",
                                  "defaultPageSize": min(settings.scim_default_count, settings.scim_max_count),
                                  "maxPageSize": settings.scim_max_count}
    config = ServiceProviderConfig.model_validate(body, scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
    assert config.pagination.cursor and config.pagination.index
    assert config.pagination.max_page_size == body["filter"]["maxResults"]


def test_cursor_pages_are_valid_list_responses(scim):
    make_users(scim, 5)
    for page in walk(scim, count=2):
        assert all(set(c) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
                   for c in (page.get("nextCursor", ""), page.get("previousCursor", "")))
        parsed = ListResponse[User].model_validate(page, scim_ctx=Context.SEARCH_RESPONSE)
        assert len(parsed.resources) == page["itemsPerPage"]
        assert all(r.schemas == [CORE] or CORE in r.schemas for r in parsed.resources)
