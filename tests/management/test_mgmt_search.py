"""#3 ListUsers: every query type, nesting, text methods, sorting and paging, metadata extension."""
import pytest

from tests.management.mgmt_helpers import assert_denied, assert_error, assert_invalid, b64

HUMANS = {"typeQuery": {"type": "TYPE_HUMAN"}}


@pytest.fixture
def people(mgmt):
    ids = {}
    for name, first, last, nick in (("alice", "Alice", "Smith", "ali"), ("bob", "Bob", "Jones", "bobby"),
                                    ("carol", "Carol", "Smith", None), ("dave_x", "Dave", "Brown", "d%")):
        body = {"userName": name, "profile": {"firstName": first, "lastName": last, "displayName": f"{first}!"},
                "email": {"email": f"{name}@{'corp' if name != 'bob' else 'home'}.example", "isEmailVerified": True},
                "initialPassword": "Password1!"}
        if nick:
            body["profile"]["nickName"] = nick
        ids[name] = mgmt.ok("post", "/users/human", body)["userId"]
    mgmt.ok("post", f"/users/{ids['bob']}/_deactivate")
    return ids


def names(mgmt, *queries, **body):
    found = mgmt.ok("post", "/users/_search", {"queries": [HUMANS, *queries], **body})
    return [u["userName"] for u in found.get("result", [])]


@pytest.mark.parametrize("query, expected", [
    ({"userNameQuery": {"userName": "alice"}}, ["alice"]),
    ({"userNameQuery": {"userName": "ALICE"}}, []),
    ({"userNameQuery": {"userName": "ALICE", "method": "TEXT_QUERY_METHOD_EQUALS_IGNORE_CASE"}}, ["alice"]),
    ({"userNameQuery": {"userName": "a", "method": "TEXT_QUERY_METHOD_STARTS_WITH"}}, ["alice"]),
    ({"userNameQuery": {"userName": "C", "method": "TEXT_QUERY_METHOD_STARTS_WITH_IGNORE_CASE"}}, ["carol"]),
    ({"userNameQuery": {"userName": "o", "method": "TEXT_QUERY_METHOD_CONTAINS"}}, ["bob", "carol"]),
    ({"userNameQuery": {"userName": "O", "method": "TEXT_QUERY_METHOD_CONTAINS_IGNORE_CASE"}}, ["bob", "carol"]),
    ({"userNameQuery": {"userName": "e", "method": "TEXT_QUERY_METHOD_ENDS_WITH"}}, ["alice"]),
    ({"userNameQuery": {"userName": "B", "method": "TEXT_QUERY_METHOD_ENDS_WITH_IGNORE_CASE"}}, ["bob"]),
    # LIKE wildcards in the value are literal.
    ({"userNameQuery": {"userName": "_", "method": "TEXT_QUERY_METHOD_CONTAINS"}}, ["dave_x"]),
    ({"nickNameQuery": {"nickName": "%", "method": "TEXT_QUERY_METHOD_CONTAINS"}}, ["dave_x"]),
    ({"firstNameQuery": {"firstName": "Carol"}}, ["carol"]),
    ({"lastNameQuery": {"lastName": "smith", "method": "TEXT_QUERY_METHOD_EQUALS_IGNORE_CASE"}}, ["alice", "carol"]),
    ({"nickNameQuery": {"nickName": "bob", "method": "TEXT_QUERY_METHOD_STARTS_WITH"}}, ["bob"]),
    ({"displayNameQuery": {"displayName": "Alice!"}}, ["alice"]),
    ({"emailQuery": {"emailAddress": "CORP.EXAMPLE", "method": "TEXT_QUERY_METHOD_ENDS_WITH_IGNORE_CASE"}},
     ["alice", "carol", "dave_x"]),
    # login names are userName@<org domain> (test_mgmt_login_names.py has the rest)
    ({"loginNameQuery": {"loginName": "carol@", "method": "TEXT_QUERY_METHOD_STARTS_WITH"}}, ["carol"]),
    ({"stateQuery": {"state": "USER_STATE_INACTIVE"}}, ["bob"]),
    ({"inUserEmailsQuery": {"userEmails": ["bob@home.example", "carol@corp.example", "x@y.z"]}}, ["bob", "carol"]),
    ({"inUserEmailsQuery": {"userEmails": []}}, []),
    ({"orQuery": {"queries": [{"userNameQuery": {"userName": "alice"}}, {"firstNameQuery": {"firstName": "Bob"}}]}},
     ["alice", "bob"]),
    ({"andQuery": {"queries": [{"lastNameQuery": {"lastName": "Smith"}}, {"firstNameQuery": {"firstName": "Carol"}}]}},
     ["carol"]),
    ({"notQuery": {"query": {"lastNameQuery": {"lastName": "Smith"}}}}, ["bob", "dave_x"]),
    # Nicknames are unset for carol: NOT of a comparison with an unset field is true, as in ZITADEL's SQL.
    ({"notQuery": {"query": {"nickNameQuery": {"nickName": "ali"}}}}, ["bob", "carol", "dave_x"]),
])
def test_query_types(mgmt, people, query, expected):
    assert sorted(names(mgmt, query)) == expected


def test_in_user_ids_and_type(mgmt, people):
    chosen = [people["alice"], people["carol"], "404"]
    assert sorted(names(mgmt, {"inUserIdsQuery": {"userIds": chosen}})) == ["alice", "carol"]
    machines = mgmt.ok("post", "/users/_search", {"queries": [{"typeQuery": {"type": "TYPE_MACHINE"}}]})["result"]
    assert [u["userName"] for u in machines] == ["scim-client"]


def test_the_example_of_the_reference(mgmt, people):
    body = {"query": {"offset": "0", "limit": 50, "asc": True}, "sortingColumn": "USER_FIELD_NAME_CREATION_DATE",
            "queries": [{"typeQuery": {"type": "TYPE_HUMAN"}}, {"orQuery": {"queries": [
                {"emailQuery": {"emailAddress": "home.example", "method": "TEXT_QUERY_METHOD_ENDS_WITH_IGNORE_CASE"}},
                {"notQuery": {"query": {"stateQuery": {"state": "USER_STATE_INACTIVE"}}}}]}}]}
    found = mgmt.ok("post", "/users/_search", body)
    assert [u["userName"] for u in found["result"]] == ["alice", "bob", "carol", "dave_x"]
    assert found["details"]["totalResult"] == "4"


def nest(depth):
    query = {"userNameQuery": {"userName": "alice"}}
    for level in range(depth):
        query = {"andQuery": {"queries": [query]}} if level % 2 else {"orQuery": {"queries": [query]}}
    return query


def test_twenty_levels_of_nesting_and_no_more(mgmt, people):
    assert names(mgmt, nest(19)) == ["alice"]
    too_deep = mgmt.post("/users/_search", {"queries": [nest(20)]})
    assert_error(too_deep, 400, 3, "Too many query nesting levels (Max 20)", "USER-zsQ97")
    way_too_deep = mgmt.post("/users/_search", {"queries": [nest(150)]})
    assert_error(way_too_deep, 400, 3, "Too many query nesting levels (Max 20)", "USER-zsQ97")


def test_sorting_columns(mgmt, people):
    def order(column, asc=True):
        return names(mgmt, sortingColumn=column, query={"asc": asc})

    assert order("USER_FIELD_NAME_USER_NAME") == ["alice", "bob", "carol", "dave_x"]
    assert order("USER_FIELD_NAME_USER_NAME", asc=False) == ["dave_x", "carol", "bob", "alice"]
    assert order("USER_FIELD_NAME_LAST_NAME")[:2] == ["dave_x", "bob"]
    assert order("USER_FIELD_NAME_FIRST_NAME", asc=False)[0] == "dave_x"
    assert order("USER_FIELD_NAME_NICK_NAME")[:3] == ["alice", "bob", "dave_x"]
    assert order("USER_FIELD_NAME_DISPLAY_NAME") == ["alice", "bob", "carol", "dave_x"]
    assert order("USER_FIELD_NAME_EMAIL", asc=False) == ["dave_x", "carol", "bob", "alice"]
    assert order("USER_FIELD_NAME_STATE")[-1] == "bob"
    assert order("USER_FIELD_NAME_CREATION_DATE") == ["alice", "bob", "carol", "dave_x"]
    # Default: by id, descending (ids grow with time).
    assert names(mgmt) == ["dave_x", "carol", "bob", "alice"]
    everyone = mgmt.ok("post", "/users/_search", {"sortingColumn": "USER_FIELD_NAME_TYPE", "query": {"asc": True}})
    assert everyone["result"][-1]["userName"] == "scim-client"


def test_paging(mgmt, people):
    page = mgmt.ok("post", "/users/_search", {"queries": [HUMANS], "query": {"offset": "1", "limit": 2, "asc": True}})
    assert [u["userName"] for u in page["result"]] == ["bob", "carol"]
    assert page["details"]["totalResult"] == "4"
    beyond = mgmt.ok("post", "/users/_search", {"queries": [HUMANS], "query": {"offset": "10"}})
    assert "result" not in beyond and beyond["details"]["totalResult"] == "4"
    huge = mgmt.ok("post", "/users/_search", {"query": {"offset": "18446744073709551615"}})
    assert "result" not in huge


def test_empty_search_details(mgmt):
    found = mgmt.ok("post", "/users/_search", {"queries": [{"userNameQuery": {"userName": "nobody"}}]})
    assert set(found) == {"details"} and "totalResult" not in found["details"]
    assert "viewTimestamp" in found["details"]


def test_only_the_ctx_org(mgmt, other, people):
    other.human("alice")
    assert names(mgmt, {"userNameQuery": {"userName": "alice"}}) == ["alice"]
    found = mgmt.ok("post", "/users/_search", {"queries": [{"userNameQuery": {"userName": "alice"}}]})
    assert [u["details"]["resourceOwner"] for u in found["result"]] == [mgmt.tenant.org_id]


def test_metadata_extension_queries(mgmt, people):
    mgmt.ok("post", f"/users/{people['alice']}/metadata/employee", {"value": b64("E-1")})
    mgmt.ok("post", f"/users/{people['bob']}/metadata/employee", {"value": b64("E-2")})
    mgmt.ok("post", f"/users/{people['carol']}/metadata/badge", {"value": b64("E-2")})
    assert sorted(names(mgmt, {"metadataKeyQuery": {"key": "employee"}})) == ["alice", "bob"]
    assert names(mgmt, {"metadataKeyQuery": {"key": "BAD", "method": "TEXT_QUERY_METHOD_STARTS_WITH_IGNORE_CASE"}}) \
        == ["carol"]
    assert sorted(names(mgmt, {"metadataValueQuery": {"value": b64("E-2")}})) == ["bob", "carol"]
    assert names(mgmt, {"metadataValueQuery": {"value": b64("E-2"), "key": "employee"}}) == ["bob"]


def test_scim_attributes_are_searchable_as_metadata(mgmt, scim):
    scim.create_user("ext@example.com", externalId="EXT-42", name={"givenName": "E", "familyName": "X"},
                     emails=[{"value": "ext@example.com"}])
    query = {"metadataValueQuery": {"key": "urn:zitadel:scim:externalId", "value": b64("EXT-42")}}
    assert names(mgmt, query) == ["ext@example.com"]


@pytest.mark.parametrize("body, message", [
    ({"queries": [{}]}, "invalid ListUsersRequest.Queries[0]: embedded message failed validation | caused by: "
                        "invalid zitadel.user.v1.SearchQuery.Query: value is required"),
    ({"queries": [{"userNameQuery": {"userName": "a"}, "stateQuery": {"state": 1}}]}, None),
    ({"queries": [{"stateQuery": {"state": "USER_STATE_WHATEVER"}}]}, None),
    ({"queries": [{"userNameQuery": {"userName": "a", "method": "TEXT_QUERY_METHOD_REGEX"}}]}, None),
    ({"queries": [{"userNameQuery": {"userName": "x" * 201}}]}, None),
    ({"queries": [{"notQuery": {}}]}, None),
    ({"queries": "userName"}, None),
    ({"queries": [{"metadataValueQuery": {"value": "***"}}]}, None),
])
def test_invalid_queries(mgmt, body, message):
    assert_invalid(mgmt.post("/users/_search", body), message)


def test_search_needs_user_read(roleless, reader):
    assert_denied(roleless.post("/users/_search", {}))
    assert "details" in reader.ok("post", "/users/_search", {})
