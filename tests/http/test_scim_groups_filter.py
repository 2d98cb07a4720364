"""Filtering, sorting and paging /Groups (RFC 7644 §3.4.2): the lookups Entra and Okta send
(`displayName eq`, `externalId eq`) and membership queries, all translated to SQL."""
import datetime
import time

import pytest

from tests.http.scim_helpers import SEARCH, assert_scim_error, create_group

UNKNOWN_ID = "010101001010101011001010101011"


def names(scim, filter_text=None, **query):
    if filter_text is not None:
        query["filter"] = filter_text
    response = scim.get("/Groups", query_string=query)
    assert response.status_code == 200, response.get_json()
    return [r["displayName"] for r in response.get_json()["Resources"]]


@pytest.fixture
def people(scim):
    return {n: scim.create_user(f"{n}@example.com") for n in ("ann", "bob", "cid")}


@pytest.fixture
def groups(scim, people):
    return {
        "Admins": create_group(scim, "Admins", [people["ann"]], externalId="EXT-a"),
        "Builders": create_group(scim, "Builders", [people["ann"], people["bob"]], externalId="ext-b"),
        "Cooks": create_group(scim, "Cooks", [], externalId="EXT-c"),
    }


def test_entra_display_name_eq_is_case_insensitive(scim, groups):
    assert names(scim, 'displayName eq "Builders"') == ["Builders"]
    assert names(scim, 'displayName eq "bUILDERS"') == ["Builders"]
    assert names(scim, 'DISPLAYNAME eq "admins"') == ["Admins"]
    assert names(scim, 'urn:ietf:params:scim:schemas:core:2.0:Group:displayName eq "cooks"') == ["Cooks"]
    assert names(scim, 'displayName eq "Nobody"') == []


def test_entra_object_id_as_external_id_eq_is_case_exact(scim, groups):
    assert names(scim, 'externalId eq "EXT-a"') == ["Admins"]
    assert names(scim, 'externalId eq "ext-a"') == []
    assert names(scim, 'externalId eq "ext-b"') == ["Builders"]
    assert names(scim, "externalId pr") == ["Admins", "Builders", "Cooks"]


def test_members_value_filter_in_brackets(scim, people, groups):
    ann, bob, cid = people["ann"]["id"], people["bob"]["id"], people["cid"]["id"]
    assert names(scim, f'members[value eq "{ann}"]') == ["Admins", "Builders"]
    assert names(scim, f'members[value eq "{bob}"]') == ["Builders"]
    assert names(scim, f'members[value eq "{cid}"]') == []
    assert names(scim, f'members[value eq "{bob}" or value eq "{ann}"]') == ["Admins", "Builders"]


def test_members_dot_value_filter(scim, people, groups):
    ann, bob = people["ann"]["id"], people["bob"]["id"]
    assert names(scim, f'members.value eq "{ann}"') == ["Admins", "Builders"]
    assert names(scim, f'members.value eq "{bob}"') == ["Builders"]
    assert names(scim, f'members.value eq "{UNKNOWN_ID}"') == []
    assert names(scim, "members pr") == ["Admins", "Builders"]
    assert names(scim, "not (members pr)") == ["Cooks"]


def test_id_eq(scim, groups):
    assert names(scim, f'id eq "{groups["Cooks"]["id"]}"') == ["Cooks"]
    assert names(scim, f'id eq "{UNKNOWN_ID}"') == []


def test_meta_last_modified_gt_and_created(scim, groups):
    cutoff = groups["Cooks"]["meta"]["lastModified"]
    time.sleep(0.01)
    later = scim.patch(f"/Groups/{groups['Admins']['id']}", {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "displayName", "value": "Admins 2"}]}).get_json()
    assert later["meta"]["lastModified"] > cutoff
    assert names(scim, f'meta.lastModified gt "{cutoff}"') == ["Admins 2"]
    assert names(scim, f'meta.lastModified ge "{cutoff}"') == ["Admins 2", "Cooks"]
    past = (datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert names(scim, f'meta.created gt "{past}"') == ["Admins 2", "Builders", "Cooks"]
    assert names(scim, f'meta.created lt "{past}"') == []
    assert_scim_error(scim.get("/Groups", query_string={"filter": 'meta.lastModified gt "yesterday"'}), 400,
                      "invalidFilter")


def test_and_or_not_combinations(scim, people, groups):
    ann, bob = people["ann"]["id"], people["bob"]["id"]
    assert names(scim, f'displayName eq "admins" and members[value eq "{ann}"]') == ["Admins"]
    assert names(scim, f'displayName eq "cooks" and members[value eq "{ann}"]') == []
    assert names(scim, 'displayName eq "Admins" or externalId eq "EXT-c"') == ["Admins", "Cooks"]
    assert names(scim, f'not (members.value eq "{ann}")') == ["Cooks"]
    assert names(scim, f'members.value eq "{ann}" and not (members.value eq "{bob}")') == ["Admins"]
    assert names(scim, '(displayName sw "a" or displayName sw "c") and not (externalId eq "EXT-a")') == ["Cooks"]
    assert names(scim, 'displayName co "ILD"') == ["Builders"]
    assert names(scim, 'displayName ne "Admins"') == ["Builders", "Cooks"]


def test_unsupported_member_filters_are_400_invalid_filter(scim, groups):
    for text in ('members.display eq "ann"', 'members[type eq "User"]', 'members[display eq "ann"]',
                 'members.$ref eq "x"', 'nickName eq "x"', 'displayName eq', 'displayName xx "a"',
                 'emails[type eq "work"]'):
        response = scim.get("/Groups", query_string={"filter": text})
        assert_scim_error(response, 400, "invalidFilter")


def test_filter_on_search_body(scim, people, groups):
    bob = people["bob"]["id"]
    response = scim.post("/Groups/.search", {"schemas": [SEARCH], "filter": f'members.value eq "{bob}"'})
    assert response.status_code == 200
    assert [r["displayName"] for r in response.get_json()["Resources"]] == ["Builders"]
    response = scim.post("/Groups/.search", {"schemas": [SEARCH], "filter": 'members[type eq "User"]'})
    assert_scim_error(response, 400, "invalidFilter")


def test_sort_by_display_name_is_case_insensitive_both_ways(scim):
    for name in ("banana", "Apple", "cherry"):
        create_group(scim, name)
    assert names(scim, sortBy="displayName") == ["Apple", "banana", "cherry"]
    assert names(scim, sortBy="displayName", sortOrder="descending") == ["cherry", "banana", "Apple"]
    response = scim.post("/Groups/.search", {"schemas": [SEARCH], "sortBy": "displayName",
                                             "sortOrder": "descending"})
    assert [r["displayName"] for r in response.get_json()["Resources"]] == ["cherry", "banana", "Apple"]


def test_sort_by_meta_last_modified_and_external_id(scim, groups):
    scim.patch(f"/Groups/{groups['Admins']['id']}", {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "externalId", "value": "EXT-z"}]})
    assert names(scim, sortBy="meta.lastModified", sortOrder="descending")[0] == "Admins"
    # (one letter case only: the order of "ext" against "EXT" depends on the database collation)
    assert names(scim, 'externalId sw "EXT"', sortBy="externalId") == ["Cooks", "Admins"]
    assert names(scim, 'externalId sw "EXT"', sortBy="externalId", sortOrder="descending") == ["Admins", "Cooks"]


def test_sort_by_unsupported_attribute_is_400(scim, groups):
    assert_scim_error(scim.get("/Groups", query_string={"sortBy": "members"}), 400, "invalidValue")
    assert_scim_error(scim.get("/Groups", query_string={"sortBy": "userName"}), 400, "invalidValue")


def test_paging(scim):
    for index in range(5):
        create_group(scim, f"Group {index}")
    response = scim.get("/Groups", query_string={"sortBy": "displayName", "startIndex": 2, "count": 2})
    body = response.get_json()
    assert body["totalResults"] == 5
    assert body["itemsPerPage"] == 2
    assert body["startIndex"] == 2
    assert [r["displayName"] for r in body["Resources"]] == ["Group 1", "Group 2"]
    body = scim.get("/Groups", query_string={"sortBy": "displayName", "startIndex": 5, "count": 10}).get_json()
    assert [r["displayName"] for r in body["Resources"]] == ["Group 4"]
    body = scim.get("/Groups", query_string={"startIndex": 9}).get_json()
    assert (body["totalResults"], body["Resources"]) == (5, [])
    body = scim.get("/Groups", query_string={"count": 0}).get_json()
    assert (body["totalResults"], body["itemsPerPage"], body["Resources"]) == (5, 0, [])
    body = scim.get("/Groups", query_string={"filter": 'displayName sw "group"', "count": 3}).get_json()
    assert (body["totalResults"], body["itemsPerPage"]) == (5, 3)


def test_entra_gallery_group_pagination_with_count_5(scim):
    for index in range(7):
        create_group(scim, f"G{index:02d}")
    seen = []
    start = 1
    while True:
        body = scim.get("/Groups", query_string={"startIndex": start, "count": 5,
                                                  "excludedAttributes": "members"}).get_json()
        assert body["totalResults"] == 7
        seen += [r["displayName"] for r in body["Resources"]]
        start += body["itemsPerPage"]
        if start > body["totalResults"]:
            break
    assert sorted(seen) == [f"G{index:02d}" for index in range(7)]


def test_count_is_capped_at_the_max(app, scim):
    for index in range(4):
        create_group(scim, f"Group {index}")
    settings = app.config["SETTINGS"]
    saved = settings.scim_max_count
    settings.scim_max_count = 3
    try:
        body = scim.get("/Groups", query_string={"count": 100}).get_json()
    finally:
        settings.scim_max_count = saved
    assert (body["totalResults"], body["itemsPerPage"]) == (4, 3)
