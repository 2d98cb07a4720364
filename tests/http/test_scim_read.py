"""GET /Users/{id}, attributes/excludedAttributes on every read form, ETags (RFC 7644 §3.4, §3.9, §3.14)."""
import pytest

from tests.http.scim_helpers import CORE, ENTERPRISE, LIST_RESPONSE, SCIM_JSON, SEARCH, assert_scim_error, create_group


@pytest.fixture
def babs(scim):
    boss = scim.create_user("boss@example.com", displayName="Boss")
    return scim.create_user(
        "bjensen@example.com",
        externalId="ext-babs",
        name={"givenName": "Barbara", "familyName": "Jensen", "formatted": "Barbara Jensen"},
        displayName="Babs",
        title="Tour Guide",
        emails=[{"value": "bjensen@example.com", "type": "work", "primary": True}],
        phoneNumbers=[{"value": "555-555-5555", "type": "work"}],
        **{ENTERPRISE: {"employeeNumber": "701984", "department": "Tours", "manager": {"value": boss["id"]}}},
    )


# ---------------------------------------------------------------------------- GET one


def test_get_by_id_returns_the_user(scim, babs):
    response = scim.get(f"/Users/{babs['id']}")
    assert response.status_code == 200
    assert response.mimetype == SCIM_JSON
    assert response.get_json() == babs


@pytest.mark.parametrize("user_id", ["010101001010101011001010101011", "00919288221112222", "no-such-user", "%20"])
def test_okta_spec_unknown_id_is_404_scim_error(scim, user_id):
    body = assert_scim_error(scim.get(f"/Users/{user_id}"), 404)
    assert body["detail"]


def test_get_of_a_deleted_user_is_404(scim, babs):
    assert scim.delete(f"/Users/{babs['id']}").status_code == 204
    assert_scim_error(scim.get(f"/Users/{babs['id']}"), 404)


def test_every_list_form_renders_a_user_as_its_own_get_does(scim, client, tenant, babs):
    # A list reads only the columns a rendering needs (scim.casting.RENDERED_FIELDS): every
    # attribute set, from SCIM and from the management API (one email and phone, no SCIM lists).
    create_group(scim, "Guides", members=[babs])
    scim.patch(f"/Users/{babs['id']}", {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                                         "Operations": [{"op": "replace", "path": "active", "value": False}]})
    created = client.post("/management/v1/users/human", headers=tenant.auth, json={
        "userName": "mona", "profile": {"firstName": "Mona", "lastName": "Lisa", "nickName": "ml",
                                        "displayName": "Mona L.", "preferredLanguage": "it"},
        "email": {"email": "mona@example.com"}, "phone": {"phone": "+41791234567"}})
    assert created.status_code == 200, created.get_json()
    mona = created.get_json()["userId"]
    for user_id in (babs["id"], mona):
        own = scim.get(f"/Users/{user_id}").get_json()
        assert own["name"] and own["emails"] and own["phoneNumbers"], own
        by_id = {"filter": f'id eq "{user_id}"'}
        pages = [scim.get("/Users", query_string=by_id).get_json(),
                 scim.post("/Users/.search", {"schemas": [SEARCH], **by_id}).get_json(),
                 scim.get("/Users", query_string={**by_id, "cursor": ""}).get_json()]
        for page in pages:
            assert page["Resources"] == [own]
    # a page that skips rows reads the page's ids first, then their rows
    everyone = scim.get("/Users", query_string={"sortBy": "userName"}).get_json()["Resources"]
    skipped = scim.get("/Users", query_string={"sortBy": "userName", "startIndex": 2}).get_json()["Resources"]
    assert skipped == everyone[1:] and len(skipped) == 2
    assert everyone == [scim.get(f"/Users/{r['id']}").get_json() for r in everyone]


# ------------------------------------------------------- attributes / excludedAttributes


def test_attributes_on_get_returns_only_those_plus_id_and_schemas(scim, babs):
    body = scim.get(f"/Users/{babs['id']}", query_string={"attributes": "userName,displayName"}).get_json()
    assert body == {"schemas": babs["schemas"], "id": babs["id"], "userName": "bjensen@example.com",
                    "displayName": "Babs"}


def test_attributes_with_only_a_sub_attribute(scim, babs):
    body = scim.get(f"/Users/{babs['id']}", query_string={"attributes": "name.givenName"}).get_json()
    assert body == {"schemas": babs["schemas"], "id": babs["id"], "name": {"givenName": "Barbara"}}


def test_attributes_with_a_multi_valued_sub_attribute(scim, babs):
    body = scim.get(f"/Users/{babs['id']}", query_string={"attributes": "emails.value"}).get_json()
    assert body["emails"] == [{"value": "bjensen@example.com"}]
    assert set(body) == {"schemas", "id", "emails"}


def test_attributes_are_case_insensitive(scim, babs):
    body = scim.get(f"/Users/{babs['id']}", query_string={"attributes": "USERNAME,Name.GivenName"}).get_json()
    assert body["userName"] == "bjensen@example.com"
    assert body["name"] == {"givenName": "Barbara"}


def test_attributes_urn_qualified_core_and_enterprise(scim, babs):
    names = f"{CORE}:userName,{CORE}:name.familyName,{ENTERPRISE}:employeeNumber"
    body = scim.get(f"/Users/{babs['id']}", query_string={"attributes": names}).get_json()
    assert body == {
        "schemas": [CORE, ENTERPRISE], "id": babs["id"], "userName": "bjensen@example.com",
        "name": {"familyName": "Jensen"}, ENTERPRISE: {"employeeNumber": "701984"},
    }


def test_attributes_naming_the_whole_extension(scim, babs):
    body = scim.get(f"/Users/{babs['id']}", query_string={"attributes": ENTERPRISE}).get_json()
    assert body[ENTERPRISE] == babs[ENTERPRISE]
    assert set(body) == {"schemas", "id", ENTERPRISE}


def test_attributes_cannot_hide_id_and_schemas(scim, babs):
    body = scim.get(f"/Users/{babs['id']}", query_string={"excludedAttributes": "id,schemas,userName"}).get_json()
    assert body["id"] == babs["id"]
    assert body["schemas"] == babs["schemas"]
    assert "userName" not in body


def test_excluded_attributes_removes_emails_and_keeps_the_rest(scim, babs):
    body = scim.get(f"/Users/{babs['id']}", query_string={"excludedAttributes": "emails"}).get_json()
    expected = {k: v for k, v in babs.items() if k != "emails"}
    assert body == expected


def test_excluded_attributes_sub_attribute_and_extension(scim, babs):
    query = {"excludedAttributes": f"name.formatted,{ENTERPRISE}:manager,meta"}
    body = scim.get(f"/Users/{babs['id']}", query_string=query).get_json()
    assert body["name"] == {"givenName": "Barbara", "familyName": "Jensen"}
    assert body[ENTERPRISE] == {"employeeNumber": "701984", "department": "Tours"}
    assert "meta" not in body


def test_attributes_on_list(scim, babs):
    body = scim.get("/Users", query_string={"attributes": "name.givenName",
                                            "filter": 'userName eq "bjensen@example.com"'}).get_json()
    assert body["totalResults"] == 1
    assert body["Resources"] == [{"schemas": babs["schemas"], "id": babs["id"], "name": {"givenName": "Barbara"}}]


def test_excluded_attributes_on_list(scim, babs):
    body = scim.get("/Users", query_string={"excludedAttributes": "emails,phoneNumbers"}).get_json()
    assert body["totalResults"] == 2
    for resource in body["Resources"]:
        assert "emails" not in resource and "phoneNumbers" not in resource
        assert resource["userName"] and resource["id"] and resource["meta"]


@pytest.mark.parametrize("path", ["/Users/.search", "/.search"])
def test_search_with_attributes_as_a_list(scim, babs, path):
    body = {"schemas": [SEARCH], "attributes": ["name.givenName", f"{ENTERPRISE}:department"],
            "filter": 'userName eq "bjensen@example.com"'}
    response = scim.post(path, body)
    assert response.status_code == 200
    assert response.mimetype == SCIM_JSON
    result = response.get_json()
    assert result["schemas"] == [LIST_RESPONSE]
    assert result["Resources"] == [{"schemas": [CORE, ENTERPRISE], "id": babs["id"],
                                    "name": {"givenName": "Barbara"}, ENTERPRISE: {"department": "Tours"}}]


@pytest.mark.parametrize("path", ["/Users/.search", "/.search"])
def test_search_with_excluded_attributes(scim, babs, path):
    body = {"schemas": [SEARCH], "excludedAttributes": ["emails"], "filter": f'id eq "{babs["id"]}"'}
    result = scim.post(path, body).get_json()
    assert result["Resources"] == [{k: v for k, v in babs.items() if k != "emails"}]


def test_search_accepts_a_comma_separated_attributes_string(scim, babs):
    body = {"schemas": [SEARCH], "attributes": "userName", "filter": 'userName eq "bjensen@example.com"'}
    result = scim.post("/Users/.search", body).get_json()
    assert result["Resources"] == [{"schemas": babs["schemas"], "id": babs["id"], "userName": babs["userName"]}]


def test_attributes_on_create_response(scim):
    response = scim.post("/Users?attributes=userName", {"schemas": [CORE], "userName": "lean@example.com",
                                                        "displayName": "Lean"})
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"schemas", "id", "userName"}
    assert response.headers["Location"].endswith(f"/Users/{body['id']}")


def test_unknown_attribute_name_in_attributes_is_ignored(scim, babs):
    body = scim.get(f"/Users/{babs['id']}", query_string={"attributes": "userName,noSuchThing"}).get_json()
    assert set(body) == {"schemas", "id", "userName"}


# ------------------------------------------------------------------------------ ETags


def test_etag_header_equals_meta_version(scim, babs):
    response = scim.get(f"/Users/{babs['id']}")
    assert response.headers["ETag"] == response.get_json()["meta"]["version"]
    assert response.headers["ETag"].startswith('W/"')


def test_if_none_match_with_current_version_is_304(scim, babs):
    version = babs["meta"]["version"]
    response = scim.get(f"/Users/{babs['id']}", headers={"If-None-Match": version})
    assert response.status_code == 304
    assert response.data == b""
    assert response.headers["ETag"] == version
    # the strong form of the same version matches too
    strong = version[2:]
    assert scim.get(f"/Users/{babs['id']}", headers={"If-None-Match": strong}).status_code == 304


def test_if_none_match_with_another_version_is_200(scim, babs):
    for other in ('W/"1"', '"garbage"', "W/\"" + babs["meta"]["version"][3:-1] + "0\""):
        response = scim.get(f"/Users/{babs['id']}", headers={"If-None-Match": other})
        assert response.status_code == 200
        assert response.get_json()["id"] == babs["id"]


def test_if_none_match_after_a_change_is_200_with_new_version(scim, babs):
    old = babs["meta"]["version"]
    patch = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations": [{"op": "replace", "path": "title", "value": "Manager"}]}
    assert scim.patch(f"/Users/{babs['id']}", patch).status_code == 200
    response = scim.get(f"/Users/{babs['id']}", headers={"If-None-Match": old})
    assert response.status_code == 200
    assert response.headers["ETag"] != old
    assert response.get_json()["title"] == "Manager"
