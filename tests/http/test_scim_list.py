"""GET /Users and POST .search: ListResponse shape, paging (RFC 7644 §3.4.2.4) and sorting (§3.4.2.3)."""
import pytest

from tests.http.scim_helpers import CORE, LIST_RESPONSE, SCIM_JSON, SEARCH, assert_scim_error


def listing(scim, **query):
    response = scim.get("/Users", query_string=query)
    assert response.status_code == 200, response.get_json()
    assert response.mimetype == SCIM_JSON
    return response.get_json()


def assert_list_response(body):
    assert body["schemas"] == [LIST_RESPONSE]
    for key in ("totalResults", "itemsPerPage", "startIndex"):
        assert type(body[key]) is int, key
    assert isinstance(body["Resources"], list)
    assert body["itemsPerPage"] == len(body["Resources"])


@pytest.fixture
def eleven(scim):
    """Entra's gallery test: at least 11 users."""
    return [scim.create_user(f"page-user-{i:02d}@example.com")["id"] for i in range(11)]


# ----------------------------------------------------------------------------- shape


def test_empty_list_still_has_resources(scim):
    body = listing(scim)
    assert_list_response(body)
    assert body == {"schemas": [LIST_RESPONSE], "totalResults": 0, "itemsPerPage": 0, "startIndex": 1,
                    "Resources": []}


def test_okta_connection_test_first_page(scim, eleven):
    body = listing(scim, startIndex=1, count=2)
    assert_list_response(body)
    assert body["totalResults"] == 11
    assert body["itemsPerPage"] == 2
    assert body["startIndex"] == 1


def test_okta_import_pages_with_count_100(scim, eleven):
    body = listing(scim, startIndex=1, count=100)
    assert body["totalResults"] == 11 and body["itemsPerPage"] == 11
    assert sorted(r["id"] for r in body["Resources"]) == sorted(eleven)
    after = listing(scim, startIndex=101, count=100)
    assert after["totalResults"] == 11 and after["Resources"] == [] and after["startIndex"] == 101


def test_entra_paging_with_count_5_over_11_users_echoes_start_index(scim, eleven):
    seen = []
    for start, size in ((1, 5), (6, 5), (11, 1)):
        body = listing(scim, startIndex=start, count=5)
        assert_list_response(body)
        assert body["startIndex"] == start
        assert body["totalResults"] == 11
        assert body["itemsPerPage"] == size
        seen += [r["id"] for r in body["Resources"]]
    assert len(seen) == len(set(seen)) == 11
    assert set(seen) == set(eleven)


def test_pages_are_stable_in_creation_order_without_sort(scim, eleven):
    ids = [r["id"] for r in listing(scim, count=100)["Resources"]]
    assert ids == eleven
    assert ids == [r["id"] for r in listing(scim, count=100)["Resources"]]
    assert [r["id"] for r in listing(scim, startIndex=3, count=4)["Resources"]] == ids[2:6]


@pytest.mark.parametrize("start", ["0", "-1", "-100"])
def test_start_index_below_one_is_read_as_one(scim, eleven, start):
    body = listing(scim, startIndex=start, count=3)
    assert body["startIndex"] == 1
    assert [r["id"] for r in body["Resources"]] == [r["id"] for r in listing(scim, count=3)["Resources"]]


def test_count_zero_returns_only_the_total(scim, eleven):
    body = listing(scim, count=0)
    assert_list_response(body)
    assert body["totalResults"] == 11
    assert body["itemsPerPage"] == 0
    assert body["Resources"] == []


def test_negative_count_is_read_as_zero(scim, eleven):
    body = listing(scim, count=-5)
    assert body["totalResults"] == 11 and body["Resources"] == []


def test_count_over_the_maximum_is_clamped(scim, app, monkeypatch, eleven):
    monkeypatch.setattr(app.config["SETTINGS"], "scim_max_count", 4)
    body = listing(scim, count=1000)
    assert body["itemsPerPage"] == 4 == len(body["Resources"])
    assert body["totalResults"] == 11
    search = scim.post("/Users/.search", {"schemas": [SEARCH], "count": 1000}).get_json()
    assert search["itemsPerPage"] == 4


def test_default_count_applies_without_count(scim, app, monkeypatch, eleven):
    monkeypatch.setattr(app.config["SETTINGS"], "scim_default_count", 3)
    body = listing(scim)
    assert body["itemsPerPage"] == 3 and body["totalResults"] == 11


@pytest.mark.parametrize("start", [str(2**63), str(10**30)])
def test_huge_start_index_is_an_empty_page_not_a_server_error(scim, eleven, start):
    body = listing(scim, startIndex=start, count=5)
    assert body["totalResults"] == 11 and body["Resources"] == [] and body["startIndex"] == int(start)
    search = scim.post("/.search", {"schemas": [SEARCH], "startIndex": int(start)})
    assert search.status_code == 200 and search.get_json()["Resources"] == []


def test_huge_count_is_clamped(scim, eleven):
    body = listing(scim, count=str(10**30))
    assert body["itemsPerPage"] == 11


@pytest.mark.parametrize("query", [{"count": "ten"}, {"count": "1.5"}, {"startIndex": "first"}, {"count": "0x10"}])
def test_non_integer_paging_parameter_is_400(scim, query):
    assert_scim_error(scim.get("/Users", query_string=query), 400, "invalidValue")


@pytest.mark.parametrize("body", [{"count": "5"}, {"startIndex": "1"}, {"count": True}, {"count": 1.5}])
def test_search_with_non_integer_paging_is_400(scim, body):
    assert_scim_error(scim.post("/Users/.search", {"schemas": [SEARCH], **body}), 400, "invalidValue")


@pytest.mark.parametrize("path", ["/Users/.search", "/.search"])
def test_search_pages_like_get(scim, eleven, path):
    body = scim.post(path, {"schemas": [SEARCH], "startIndex": 6, "count": 5}).get_json()
    assert_list_response(body)
    assert body["startIndex"] == 6 and body["itemsPerPage"] == 5 and body["totalResults"] == 11
    via_get = listing(scim, startIndex=6, count=5)
    assert [r["id"] for r in body["Resources"]] == [r["id"] for r in via_get["Resources"]]


def test_search_without_schemas_and_with_any_case_keys(scim, eleven):
    body = scim.post("/Users/.search", {"StartIndex": 2, "COUNT": 3, "Filter": 'userName sw "page-user-0"'})
    assert body.status_code == 200
    result = body.get_json()
    assert result["totalResults"] == 10 and result["startIndex"] == 2 and result["itemsPerPage"] == 3


def test_search_with_a_foreign_schema_is_400(scim):
    assert_scim_error(scim.post("/Users/.search", {"schemas": [CORE]}), 400, "invalidSyntax")


def test_search_with_malformed_body_is_400(scim):
    response = scim.client.post("/scim/v2/.search", data="{", headers=scim.tenant.auth, content_type=SCIM_JSON)
    assert_scim_error(response, 400, "invalidSyntax")


# --------------------------------------------------------------------------- sorting


@pytest.fixture
def sortable(scim):
    made = [
        scim.create_user("carol@example.com", name={"familyName": "Zimmer"},
                         emails=[{"value": "c@example.com", "primary": True}]),
        scim.create_user("Alice@example.com", name={"familyName": "brown"},
                         emails=[{"value": "B@example.com", "primary": True}]),
        scim.create_user("bob@example.com", emails=[{"value": "a@example.com", "primary": True}]),
        scim.create_user("dave@example.com", name={"familyName": "Adams"}),
    ]
    return {u["userName"]: u for u in made}


def sorted_names(scim, **query):
    return [r["userName"] for r in listing(scim, **query)["Resources"]]


def test_sort_by_username_ascending_ignores_case(scim, sortable):
    expected = ["Alice@example.com", "bob@example.com", "carol@example.com", "dave@example.com"]
    assert sorted_names(scim, sortBy="userName") == expected
    assert sorted_names(scim, sortBy="userName", sortOrder="ascending") == expected


def test_sort_by_username_descending(scim, sortable):
    assert sorted_names(scim, sortBy="userName", sortOrder="descending") == [
        "dave@example.com", "carol@example.com", "bob@example.com", "Alice@example.com"]


def test_sort_by_meta_created(scim, sortable):
    order = ["carol@example.com", "Alice@example.com", "bob@example.com", "dave@example.com"]
    assert sorted_names(scim, sortBy="meta.created") == order
    assert sorted_names(scim, sortBy="meta.created", sortOrder="descending") == order[::-1]


def test_sort_by_family_name_puts_users_without_one_last(scim, sortable):
    # ordering of the stored column; the user without a family name comes last either way
    ascending = sorted_names(scim, sortBy="name.familyName")
    descending = sorted_names(scim, sortBy="name.familyName", sortOrder="descending")
    assert ascending[-1] == "bob@example.com"
    assert descending[-1] == "bob@example.com"
    assert ascending[:3] == descending[:3][::-1]
    assert ascending.index("dave@example.com") < ascending.index("carol@example.com")


def test_sort_by_primary_email_value(scim, sortable):
    assert sorted_names(scim, sortBy="emails.value") == [
        "bob@example.com", "Alice@example.com", "carol@example.com", "dave@example.com"]
    assert sorted_names(scim, sortBy="emails") == sorted_names(scim, sortBy="emails.value")


def test_sort_applies_before_paging(scim, sortable):
    assert sorted_names(scim, sortBy="userName", startIndex=2, count=2) == ["bob@example.com", "carol@example.com"]


def test_sort_with_filter_and_search(scim, sortable):
    result = scim.post("/Users/.search", {"schemas": [SEARCH], "sortBy": "userName", "sortOrder": "descending",
                                          "filter": 'userName ne "dave@example.com"'}).get_json()
    assert [r["userName"] for r in result["Resources"]] == ["carol@example.com", "bob@example.com",
                                                           "Alice@example.com"]


def test_sort_by_is_case_insensitive(scim, sortable):
    assert sorted_names(scim, sortBy="USERNAME") == sorted_names(scim, sortBy="userName")


@pytest.mark.parametrize("sort_by", ["favouriteColour", "password", "emails[type eq \"work\"]", "meta.location",
                                     "name.bogus", "urn:example:x:foo", ""])
def test_unknown_sort_by_is_400(scim, sortable, sort_by):
    response = scim.get("/Users", query_string={"sortBy": sort_by})
    if sort_by == "":
        # an empty sortBy is the same as none
        assert response.status_code == 200
        return
    assert_scim_error(response, 400)


def test_unknown_sort_order_is_400(scim, sortable):
    assert_scim_error(scim.get("/Users", query_string={"sortBy": "userName", "sortOrder": "up"}), 400)


def test_query_parameters_are_read_as_werkzeug_reads_them(scim, eleven):
    # repeated: the first counts; blank: as if absent; a bad percent escape stays as written
    body = scim.get("/Users?count=2&count=5&startIndex=&filter=").get_json()
    assert (body["totalResults"], body["itemsPerPage"], body["startIndex"]) == (11, 2, 1)
    one = scim.get('/Users?filter=userName+eq+%22page-user-03%40example.com%22&filter=userName+pr').get_json()
    assert [r["userName"] for r in one["Resources"]] == ["page-user-03@example.com"]
    odd = scim.create_user("%FF@example.com")["id"]
    for escaped in ("%FF", "%25FF"):  # an escape that is no UTF-8 is kept as written, like an escaped %
        found = scim.get(f"/Users?filter=userName+eq+%22{escaped}%40example.com%22").get_json()["Resources"]
        assert [r["id"] for r in found] == [odd]
