"""PUT /Users/{id} (RFC 7644 §3.5.1): how Okta's AIW apps update (GET, then PUT the whole body back)."""
import pytest

from models.db import db
from models.passwords import verify_password
from models.tables import Event, User
from tests.http.scim_helpers import CORE, ENTERPRISE, SCIM_JSON, assert_scim_error


def event_types(user_id):
    with db.connection_context():
        return [e.type for e in Event.select().where(Event.aggregate_id == user_id).order_by(Event.id)]


def stored_user(user_id):
    with db.connection_context():
        return User.get_by_id(user_id)


@pytest.fixture
def full(scim):
    boss = scim.create_user("boss@example.com")
    return scim.create_user(
        "full@example.com", password="Initial-Pa55!", externalId="ext-full", displayName="Full",
        nickName="Fully", title="Engineer", locale="de-CH", timezone="Europe/Zurich", preferredLanguage="de",
        profileUrl="https://example.com/full", userType="Employee",
        name={"givenName": "Ful", "familyName": "Ler", "middleName": "M", "formatted": "Ful M Ler"},
        emails=[{"value": "full@example.com", "type": "work", "primary": True}],
        phoneNumbers=[{"value": "+41 44 000 00 00", "type": "work"}],
        addresses=[{"type": "work", "locality": "Zurich"}],
        **{ENTERPRISE: {"employeeNumber": "7", "department": "R&D", "manager": {"value": boss["id"]}}},
    )


def test_put_replaces_writable_attributes_and_removes_omitted_ones(scim, full):
    body = {"schemas": [CORE], "userName": "full@example.com", "name": {"givenName": "New"},
            "emails": [{"value": "new@example.com", "type": "home"}]}
    response = scim.put(f"/Users/{full['id']}", body)
    assert response.status_code == 200
    assert response.mimetype == SCIM_JSON
    resource = response.get_json()
    assert resource["name"] == {"givenName": "New"}
    assert resource["emails"] == [{"value": "new@example.com", "type": "home"}]
    for gone in ("externalId", "displayName", "nickName", "title", "locale", "timezone", "preferredLanguage",
                 "profileUrl", "userType", "phoneNumbers", "addresses", ENTERPRISE):
        assert gone not in resource, gone
    assert resource["schemas"] == [CORE]
    assert resource["id"] == full["id"]
    assert resource["meta"]["created"] == full["meta"]["created"]
    assert resource["meta"]["version"] != full["meta"]["version"]
    assert response.headers["ETag"] == resource["meta"]["version"]
    assert scim.get(f"/Users/{full['id']}").get_json() == resource
    # the removed metadata attributes are not found by filters any more
    for text in ('externalId eq "ext-full"', 'title eq "Engineer"', f'{ENTERPRISE}:employeeNumber eq "7"',
                 'emails.value eq "full@example.com"', 'phoneNumbers pr'):
        assert scim.get("/Users", query_string={"filter": text}).get_json()["totalResults"] == 0, text
    assert scim.get("/Users", query_string={"filter": 'emails.value eq "new@example.com"'}).get_json()[
        "totalResults"] == 1


def test_put_keeps_the_password_when_absent(scim, full):
    before = stored_user(full["id"]).password_hash
    response = scim.put(f"/Users/{full['id']}", {"schemas": [CORE], "userName": "full@example.com"})
    assert response.status_code == 200
    assert stored_user(full["id"]).password_hash == before


def test_put_with_a_password_replaces_it_and_never_returns_it(scim, full):
    response = scim.put(f"/Users/{full['id']}", {"schemas": [CORE], "userName": "full@example.com",
                                                 "password": "Changed-Pa55!"})
    assert response.status_code == 200
    assert "Changed-Pa55!" not in response.get_data(as_text=True) and "password" not in response.get_json()
    stored = stored_user(full["id"]).password_hash
    assert stored.startswith("$argon2id$") and verify_password(stored, "Changed-Pa55!")
    assert "user.human.password.changed" in event_types(full["id"])


def test_okta_put_of_the_whole_get_body_with_id_meta_and_groups(scim, full):
    body = scim.get(f"/Users/{full['id']}").get_json()
    body["displayName"] = "Renamed"
    body["groups"] = []
    body["id"] = "someone-else"
    body["meta"] = {"created": "2001-01-01T00:00:00Z", "version": 'W/"1"', "location": "https://x/y"}
    response = scim.put(f"/Users/{full['id']}", body)
    assert response.status_code == 200, response.get_json()
    resource = response.get_json()
    assert resource["id"] == full["id"]
    assert resource["displayName"] == "Renamed"
    assert resource["meta"]["created"] == full["meta"]["created"]
    assert "groups" not in resource
    assert_scim_error(scim.get("/Users/someone-else"), 404)
    # everything else is unchanged, including the manager (displayName/$ref are read-only echoes)
    expected = {k: v for k, v in full.items() if k not in ("displayName", "meta")}
    assert {k: v for k, v in resource.items() if k not in ("displayName", "meta")} == expected


def test_put_of_an_unchanged_body_keeps_the_version(scim, full):
    body = scim.get(f"/Users/{full['id']}").get_json()
    response = scim.put(f"/Users/{full['id']}", body)
    assert response.status_code == 200
    assert response.get_json()["meta"]["version"] == full["meta"]["version"]


@pytest.mark.parametrize("sent,expected_state", [(False, False), ("False", False), ("fAlSe", False), (True, True),
                                                 ("true", True), ("TRUE", True), ("tRuE", True)])
def test_put_stores_active_exactly_as_sent(scim, full, sent, expected_state):
    body = {"schemas": [CORE], "userName": "full@example.com", "active": sent}
    assert scim.put(f"/Users/{full['id']}", body).get_json()["active"] is expected_state
    assert scim.get(f"/Users/{full['id']}").get_json()["active"] is expected_state


def test_okta_put_deactivates_then_reactivates_with_events(scim, full):
    path = f"/Users/{full['id']}"
    assert scim.put(path, {"schemas": [CORE], "userName": "full@example.com", "active": False}).get_json()[
        "active"] is False
    assert scim.get("/Users", query_string={"filter": "active eq false"}).get_json()["totalResults"] == 1
    assert scim.put(path, {"schemas": [CORE], "userName": "full@example.com", "active": True}).get_json()[
        "active"] is True
    types = event_types(full["id"])
    assert types.index("user.deactivated") < types.index("user.reactivated")


def test_put_can_change_the_username_case(scim, full):
    response = scim.put(f"/Users/{full['id']}", {"schemas": [CORE], "userName": "FULL@example.com"})
    assert response.status_code == 200
    assert response.get_json()["userName"] == "FULL@example.com"
    assert "user.username.changed" in event_types(full["id"])


def test_put_without_username_is_400_and_changes_nothing(scim, full):
    assert_scim_error(scim.put(f"/Users/{full['id']}", {"schemas": [CORE], "displayName": "x"}), 400,
                      "invalidValue")
    assert scim.get(f"/Users/{full['id']}").get_json() == full


@pytest.mark.parametrize("taken", ["other@example.com", "OTHER@EXAMPLE.COM"])
def test_put_to_another_users_name_is_409(scim, full, taken):
    other = scim.create_user("other@example.com")
    body = {"schemas": [CORE], "userName": taken, "displayName": "Should not stick"}
    assert_scim_error(scim.put(f"/Users/{full['id']}", body), 409, "uniqueness")
    assert scim.get(f"/Users/{full['id']}").get_json() == full
    assert scim.get(f"/Users/{other['id']}").get_json() == other


def test_put_with_a_misspelt_attribute_ignores_it(scim, full):
    body = {"schemas": [CORE], "userName": "full@example.com", "displayName": "Kept", "nickNaem": "typo"}
    response = scim.put(f"/Users/{full['id']}", body)
    assert response.status_code == 200
    assert response.get_json()["displayName"] == "Kept"
    assert "nickNaem" not in response.get_json() and "nickName" not in response.get_json()


def test_put_with_a_wrong_type_is_400_and_changes_nothing(scim, full):
    body = {"schemas": [CORE], "userName": "full@example.com", "emails": "x"}
    assert_scim_error(scim.put(f"/Users/{full['id']}", body), 400, "invalidValue")
    assert scim.get(f"/Users/{full['id']}").get_json() == full


def test_put_if_match_mismatch_is_412_and_changes_nothing(scim, full):
    body = {"schemas": [CORE], "userName": "full@example.com", "displayName": "Late"}
    response = scim.put(f"/Users/{full['id']}", body, headers={"If-Match": 'W/"1"'})
    assert_scim_error(response, 412)
    assert scim.get(f"/Users/{full['id']}").get_json() == full


def test_put_if_match_current_version_is_200(scim, full):
    body = {"schemas": [CORE], "userName": "full@example.com", "displayName": "On time"}
    response = scim.put(f"/Users/{full['id']}", body, headers={"If-Match": full["meta"]["version"]})
    assert response.status_code == 200
    assert response.get_json()["displayName"] == "On time"
    assert response.headers["ETag"] != full["meta"]["version"]
    # the old version no longer matches
    again = scim.put(f"/Users/{full['id']}", body | {"displayName": "Again"},
                     headers={"If-Match": full["meta"]["version"]})
    assert_scim_error(again, 412)


def test_put_if_match_star_is_200(scim, full):
    body = {"schemas": [CORE], "userName": "full@example.com"}
    assert scim.put(f"/Users/{full['id']}", body, headers={"If-Match": "*"}).status_code == 200


def test_put_of_an_unknown_user_is_404(scim):
    assert_scim_error(scim.put("/Users/123456789", {"schemas": [CORE], "userName": "ghost@example.com"}), 404)
    assert scim.get("/Users").get_json()["totalResults"] == 0


def test_put_profile_change_appends_profile_and_metadata_events(scim, full):
    before = len(event_types(full["id"]))
    body = scim.get(f"/Users/{full['id']}").get_json()
    body["name"]["givenName"] = "Changed"
    body["title"] = "Architect"
    assert scim.put(f"/Users/{full['id']}", body).status_code == 200
    new = event_types(full["id"])[before:]
    assert "user.human.profile.changed" in new
    assert "user.metadata.set" in new
