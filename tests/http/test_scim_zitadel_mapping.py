"""Reference §8.2, seen from both APIs: where SCIM attributes land in ZITADEL's user model.

- externalId is metadata urn:zitadel:scim:externalId, or urn:zitadel:scim:{domain}:externalId
  when the calling service user has the metadata urn:zitadel:scim:provisioningDomain = {domain};
- name.formatted and displayName are the profile display name, displayName winning.

A SCIM client still reads back what it wrote: each caller sees its own externalId, and
name.formatted / displayName come back as sent.
"""
import base64

import pytest

from models import members, tokens
from models.db import db
from models.machines import create_machine
from tests.conftest import ScimClient, Tenant
from tests.http.scim_helpers import CORE, PATCH_OP, assert_scim_error

PREFIX = "urn:zitadel:scim:"
DOMAIN_KEY = PREFIX + "provisioningDomain"
BULK_REQUEST = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"


def b64(text):
    return base64.b64encode(text.encode()).decode()


def caller(client, tenant, name, provisioning_domain=None):
    """Another SCIM client of the tenant's organisation: a service user with ORG_OWNER and, maybe, a domain."""
    with db.connection_context():
        user = create_machine(tenant.org_id, name, name, editor=None)
        members.grant(user, tenant.org_id, ["ORG_OWNER"], editor=None)
        _, token = tokens.add_pat(user, editor=None)
    scim = ScimClient(client, Tenant(tenant.org_id, token, user.id))
    if provisioning_domain is not None:
        # set the way an operator would: through the management API, on the service user
        response = client.post(f"/management/v1/users/{user.id}/metadata/{DOMAIN_KEY}", headers=tenant.auth,
                               json={"value": b64(provisioning_domain)})
        assert response.status_code == 200, response.get_json()
    return scim


def metadata(client, tenant, user_id):
    """{key: text} of a user's metadata, as the management API lists it."""
    response = client.post(f"/management/v1/users/{user_id}/metadata/_search", headers=tenant.auth, json={})
    assert response.status_code == 200, response.get_json()
    return {m["key"]: base64.b64decode(m["value"]).decode() for m in response.get_json().get("result", [])}


def profile(client, tenant, user_id):
    response = client.get(f"/management/v1/users/{user_id}", headers=tenant.auth)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["user"]["human"]["profile"]


def found(scim, filter_text, path="/Users"):
    if path == "/Users":
        body = scim.get(path, query_string={"filter": filter_text}).get_json()
    else:
        body = scim.post(path, {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                                "filter": filter_text}).get_json()
    return sorted(r["userName"] for r in body["Resources"])


@pytest.fixture
def okta(client, tenant):
    return caller(client, tenant, "okta-client", "okta1")


@pytest.fixture
def entra(client, tenant):
    return caller(client, tenant, "entra-client", "entra1")


# --------------------------------------------------------------------------- externalId and provisioningDomain


def test_external_id_is_stored_under_the_callers_provisioning_domain(client, tenant, okta):
    user = okta.create_user("scoped@example.com", externalId="00u1", title="T")
    stored = metadata(client, tenant, user["id"])
    assert stored[PREFIX + "okta1:externalId"] == "00u1"
    assert PREFIX + "externalId" not in stored
    # only externalId is scoped (reference §8.2): the other SCIM-only attributes keep their keys
    assert stored[PREFIX + "title"] == "T"
    assert user["externalId"] == "00u1"
    assert okta.get(f"/Users/{user['id']}").get_json()["externalId"] == "00u1"


def test_without_a_provisioning_domain_external_id_keeps_the_plain_key(client, tenant, scim):
    user = scim.create_user("plain@example.com", externalId="e-1")
    assert metadata(client, tenant, user["id"])[PREFIX + "externalId"] == "e-1"


def test_each_caller_reads_and_filters_its_own_external_id(client, tenant, scim, okta):
    user = okta.create_user("mine@example.com", externalId="00u1")
    assert "externalId" not in scim.get(f"/Users/{user['id']}").get_json()
    assert found(okta, 'externalId eq "00u1"') == ["mine@example.com"]
    assert found(okta, 'externalId eq "00u1"', "/Users/.search") == ["mine@example.com"]
    assert found(okta, 'externalId eq "00u1"', "/.search") == ["mine@example.com"]
    assert found(okta, "externalId pr") == ["mine@example.com"]
    assert found(scim, 'externalId eq "00u1"') == []
    assert found(scim, "externalId pr") == []


def test_two_idps_keep_their_own_external_ids_on_one_user(client, tenant, okta, entra):
    user = okta.create_user("shared@example.com", externalId="okta-id")
    path = f"/Users/{user['id']}"
    patch = {"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "externalId", "value": "entra-id"}]}
    assert entra.patch(path, patch).get_json()["externalId"] == "entra-id"
    stored = metadata(client, tenant, user["id"])
    assert (stored[PREFIX + "okta1:externalId"], stored[PREFIX + "entra1:externalId"]) == ("okta-id", "entra-id")
    assert okta.get(path).get_json()["externalId"] == "okta-id"
    # a PUT without externalId unassigns the caller's own, and only its own
    replaced = okta.put(path, {"schemas": [CORE], "userName": "shared@example.com"}).get_json()
    assert "externalId" not in replaced
    stored = metadata(client, tenant, user["id"])
    assert PREFIX + "okta1:externalId" not in stored and stored[PREFIX + "entra1:externalId"] == "entra-id"
    assert entra.get(path).get_json()["externalId"] == "entra-id"
    assert found(entra, 'externalId eq "entra-id"') == ["shared@example.com"]
    assert found(okta, 'externalId eq "entra-id"') == []


def test_bulk_operations_use_the_callers_provisioning_domain(client, tenant, okta):
    body = {"schemas": [BULK_REQUEST], "Operations": [{"method": "POST", "path": "/Users", "bulkId": "a", "data": {
        "schemas": [CORE], "userName": "bulk-scoped@example.com", "externalId": "b-1"}}]}
    result = okta.post("/Bulk", body).get_json()["Operations"][0]
    assert result["status"] == "201"
    user_id = result["location"].rsplit("/", 1)[1]
    assert metadata(client, tenant, user_id)[PREFIX + "okta1:externalId"] == "b-1"


def test_an_overlong_provisioning_domain_is_a_scim_error_not_a_broken_key(client, tenant):
    overlong = caller(client, tenant, "overlong-client", "d" * 200)
    response = overlong.post("/Users", {"schemas": [CORE], "userName": "never@example.com", "externalId": "x"})
    body = assert_scim_error(response, 400, "invalidValue")
    assert "provisioningDomain" in body["detail"]


# --------------------------------------------------------------------------- name.formatted and displayName


def test_name_formatted_alone_is_the_profile_display_name(client, tenant, scim):
    user = scim.create_user("formatted@example.com", name={"formatted": "Ms. Barbara J Jensen III",
                                                           "givenName": "Barbara", "familyName": "Jensen"})
    assert profile(client, tenant, user["id"])["displayName"] == "Ms. Barbara J Jensen III"
    assert PREFIX + "name.formatted" not in metadata(client, tenant, user["id"])
    # read back as written: name.formatted, and no displayName the client never sent
    read = scim.get(f"/Users/{user['id']}").get_json()
    assert read["name"] == {"formatted": "Ms. Barbara J Jensen III", "givenName": "Barbara", "familyName": "Jensen"}
    assert "displayName" not in read and read == user


def test_display_name_wins_the_profile_and_name_formatted_is_kept(client, tenant, scim):
    user = scim.create_user("both@example.com", displayName="Babs", name={"formatted": "Barbara Jensen"})
    assert profile(client, tenant, user["id"])["displayName"] == "Babs"
    assert metadata(client, tenant, user["id"])[PREFIX + "name.formatted"] == "Barbara Jensen"
    read = scim.get(f"/Users/{user['id']}").get_json()
    assert (read["displayName"], read["name"]["formatted"]) == ("Babs", "Barbara Jensen")


def test_removing_display_name_hands_the_profile_to_name_formatted_and_back(client, tenant, scim):
    user = scim.create_user("swap@example.com", displayName="Babs", name={"formatted": "Barbara Jensen"})
    path = f"/Users/{user['id']}"
    removed = scim.patch(path, {"schemas": [PATCH_OP], "Operations": [{"op": "remove", "path": "displayName"}]})
    assert removed.status_code == 200, removed.get_json()
    assert "displayName" not in removed.get_json()
    assert removed.get_json()["name"]["formatted"] == "Barbara Jensen"
    assert profile(client, tenant, user["id"])["displayName"] == "Barbara Jensen"
    added = scim.patch(path, {"schemas": [PATCH_OP], "Operations": [
        {"op": "add", "path": "displayName", "value": "B."}]}).get_json()
    assert (added["displayName"], added["name"]["formatted"]) == ("B.", "Barbara Jensen")
    assert profile(client, tenant, user["id"])["displayName"] == "B."
    gone = scim.patch(path, {"schemas": [PATCH_OP], "Operations": [
        {"op": "remove", "path": "name.formatted"}]}).get_json()
    assert gone["displayName"] == "B." and "name" not in gone
    assert PREFIX + "name.formatted" not in metadata(client, tenant, user["id"])


def test_a_display_name_set_through_the_management_api_is_what_scim_reads(client, tenant, scim):
    user = scim.create_user("mgmt@example.com", name={"formatted": "Old Name", "givenName": "A", "familyName": "B"})
    response = client.put(f"/management/v1/users/{user['id']}/profile", headers=tenant.auth,
                          json={"firstName": "A", "lastName": "B", "displayName": "New Name"})
    assert response.status_code == 200, response.get_json()
    assert scim.get(f"/Users/{user['id']}").get_json()["name"]["formatted"] == "New Name"


def test_filters_see_display_name_and_name_formatted_where_they_live(scim):
    scim.create_user("f-only@example.com", name={"formatted": "Same"})
    scim.create_user("d-only@example.com", displayName="Same")
    scim.create_user("both@example.com", displayName="Shown", name={"formatted": "Same"})
    scim.create_user("none@example.com")
    assert found(scim, 'displayName eq "Same"') == ["d-only@example.com"]
    assert found(scim, 'name.formatted eq "Same"') == ["both@example.com", "f-only@example.com"]
    assert found(scim, 'name.formatted sw "sa"') == ["both@example.com", "f-only@example.com"]
    assert found(scim, "displayName pr") == ["both@example.com", "d-only@example.com"]
    assert found(scim, "name.formatted pr") == ["both@example.com", "f-only@example.com"]
    assert found(scim, 'displayName ne "Same"') == ["both@example.com", "f-only@example.com", "none@example.com"]
    assert found(scim, 'name.formatted ne "Same"') == ["d-only@example.com", "none@example.com"]
    assert found(scim, "not (name.formatted pr)") == ["d-only@example.com", "none@example.com"]
    assert found(scim, 'name[formatted eq "Same"]') == ["both@example.com", "f-only@example.com"]


@pytest.mark.parametrize("stored, read", [
    ('[{"type": "work", "postalCode": 1180591620717411303425}]', [{"type": "work", "postalCode": 2**70 + 1}]),
    ('[{"type": "work", "postalCode": "12345678901234567890123"}]',
     [{"type": "work", "postalCode": "12345678901234567890123"}]),
    ('[{"type": "work", "locality": "Z\u00fcrich"}]', [{"type": "work", "locality": "Z\u00fcrich"}]),
])
def test_a_complex_attribute_set_as_metadata_reads_back_as_stored(client, tenant, scim, stored, read):
    # Its JSON read exactly, an integer past 64 bits included (a fast reader would make it a float).
    user = scim.create_user("meta-json@example.com")
    response = client.post(f"/management/v1/users/{user['id']}/metadata/{PREFIX}addresses", headers=tenant.auth,
                           json={"value": b64(stored)})
    assert response.status_code == 200, response.get_json()
    for resource in (scim.get(f"/Users/{user['id']}").get_json(),
                     scim.get('/Users?filter=userName eq "meta-json@example.com"').get_json()["Resources"][0]):
        assert resource["addresses"] == read
