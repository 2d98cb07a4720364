"""POST /Users (RFC 7644 §3.3) with what Okta and Entra send, and the failure cases.

After every failed request the tests check that nothing was created.
"""
import datetime
import json
import re

import pytest

from models.db import db
from models.passwords import verify_password
from models.tables import User, UserMetadata
from models.user_metadata import set_metadata
from tests.conftest import ScimClient, make_tenant
from tests.http.scim_helpers import CORE, ENTERPRISE, SCIM_JSON, assert_scim_error, user_names

IGNORE_PASSWORD = "urn:zitadel:scim:ignorePasswordOnCreate"


def post_raw(scim, data, content_type=SCIM_JSON):
    return scim.client.post("/scim/v2/Users", data=data, headers=scim.tenant.auth, content_type=content_type)


def stored_user(user_id):
    with db.connection_context():
        return User.get_by_id(user_id)


def parse_time(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


FULL_USER = {
    "schemas": [CORE, ENTERPRISE],
    "externalId": "00u1ab2C3D",
    "userName": "Barbara.Jensen@example.com",
    "name": {
        "formatted": "Ms. Barbara J Jensen, III",
        "familyName": "Jensen",
        "givenName": "Barbara",
        "middleName": "Jane",
        "honorificPrefix": "Ms.",
        "honorificSuffix": "III",
    },
    "displayName": "Babs Jensen",
    "nickName": "Babs",
    "profileUrl": "https://login.example.com/bjensen",
    "title": "Tour Guide",
    "userType": "Employee",
    "preferredLanguage": "en-US",
    "locale": "en-US",
    "timezone": "America/Los_Angeles",
    "active": True,
    "emails": [
        {"value": "bjensen@example.com", "type": "work", "primary": True, "display": "Work mail"},
        {"value": "babs@jensen.org", "type": "home"},
    ],
    "phoneNumbers": [
        {"value": "555-555-5555", "type": "work", "primary": True},
        {"value": "555-555-4444", "type": "mobile", "display": "cell"},
    ],
    "ims": [{"value": "someaimhandle", "type": "aim"}],
    "photos": [{"value": "https://photos.example.com/profilephoto/72930000000Ccne/F", "type": "photo"}],
    "addresses": [
        {"type": "work", "streetAddress": "100 Universal City Plaza", "locality": "Hollywood", "region": "CA",
         "postalCode": "91608", "country": "USA",
         "formatted": "100 Universal City Plaza\nHollywood, CA 91608 USA", "primary": True},
        {"type": "home", "formatted": "456 Hollywood Blvd\nHollywood, CA 91608 USA"},
    ],
    "entitlements": [{"value": "Full Access", "display": "Everything", "primary": True}],
    "roles": [{"value": "Student", "type": "school", "primary": False}],
    "x509Certificates": [{"value": "MIIDQzCCAqygAwIBAgICEAAwDQYJKoZIhvcNAQEFBQAwTjELMAkGA1UEBhMCVVMx"}],
    ENTERPRISE: {
        "employeeNumber": "701984",
        "costCenter": "4130",
        "organization": "Universal Studios",
        "division": "Theme Park",
        "department": "Tour Operations",
    },
}


# ---------------------------------------------------------------------------- success


def test_okta_create_returns_201_location_and_full_resource(scim):
    body = {
        "schemas": [CORE], "userName": "okta.user@atko.com",
        "name": {"givenName": "Runscope123", "familyName": "Tester"},
        "emails": [{"primary": True, "value": "okta.user@atko.com", "type": "work"}],
        "displayName": "Runscope123 Tester", "locale": "en-US", "externalId": "00ujl29u0le5T6Aj10h7",
        "groups": [], "active": True,
    }
    # Okta's spec test sends application/json
    response = scim.post("/Users", body, content_type="application/json")
    assert response.status_code == 201
    assert response.mimetype == SCIM_JSON
    resource = response.get_json()
    assert resource["schemas"] == [CORE]
    assert resource["id"] and isinstance(resource["id"], str)
    meta = resource["meta"]
    assert meta["resourceType"] == "User"
    assert response.headers["Location"] == meta["location"]
    assert meta["location"].endswith(f"/scim/v2/Users/{resource['id']}")
    assert response.headers["ETag"] == meta["version"]
    assert meta["version"].startswith('W/"')
    created, modified = parse_time(meta["created"]), parse_time(meta["lastModified"])
    assert created <= modified
    for moment in (meta["created"], meta["lastModified"]):  # RFC 3339 in UTC, to the microsecond
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", moment), moment
    assert abs(datetime.datetime.now(datetime.UTC) - created) < datetime.timedelta(minutes=5)
    assert resource["active"] is True
    assert resource["userName"] == "okta.user@atko.com"
    assert resource["name"] == {"givenName": "Runscope123", "familyName": "Tester"}
    assert resource["emails"] == [{"primary": True, "value": "okta.user@atko.com", "type": "work"}]
    assert resource["externalId"] == "00ujl29u0le5T6Aj10h7"
    assert "groups" not in resource
    # what was returned is what GET returns
    fetched = scim.get(f"/Users/{resource['id']}").get_json()
    assert fetched == resource


def test_every_core_and_enterprise_attribute_round_trips_as_sent(scim):
    resource = scim.create_user(**{k: v for k, v in FULL_USER.items() if k not in ("userName",)},
                                user_name=FULL_USER["userName"])
    fetched = scim.get(f"/Users/{resource['id']}").get_json()
    for body in (resource, fetched):
        for key, value in FULL_USER.items():
            if key == "schemas":
                assert body["schemas"] == [CORE, ENTERPRISE]
            else:
                assert body[key] == value, key


def test_client_sent_id_and_meta_are_ignored(scim):
    body = {"schemas": [CORE], "userName": "meta@example.com", "id": "client-chosen-id",
            "meta": {"created": "2011-08-01T18:29:49.793Z", "lastModified": "2011-08-01T18:29:49.793Z",
                     "version": 'W/"1"', "resourceType": "Group", "location": "https://evil.example/x"}}
    response = scim.post("/Users", body)
    assert response.status_code == 201
    resource = response.get_json()
    assert resource["id"] != "client-chosen-id"
    assert resource["meta"]["resourceType"] == "User"
    assert not resource["meta"]["created"].startswith("2011")
    assert resource["meta"]["version"] != 'W/"1"'
    assert "evil.example" not in resource["meta"]["location"]
    assert_scim_error(scim.get("/Users/client-chosen-id"), 404)


@pytest.mark.parametrize("sent", ["True", "true", "TRUE", "tRuE", True])
def test_entra_active_string_true_on_create_is_boolean_true(scim, sent):
    resource = scim.create_user("active-string@example.com", active=sent)
    assert resource["active"] is True
    assert scim.get(f"/Users/{resource['id']}").get_json()["active"] is True


@pytest.mark.parametrize("sent", ["False", "false", "FALSE", "fAlSe", False])
def test_create_inactive_user_is_still_returned_by_get_and_filters(scim, sent):
    resource = scim.create_user("Dormant@example.com", active=sent)
    assert resource["active"] is False
    assert scim.get(f"/Users/{resource['id']}").get_json()["active"] is False
    assert user_names(scim, 'userName eq "dormant@example.com"') == ["Dormant@example.com"]
    assert user_names(scim, "active eq false") == ["Dormant@example.com"]
    assert user_names(scim, "active eq true") == []
    assert user_names(scim) == ["Dormant@example.com"]


def test_boolean_strings_in_any_case_on_every_boolean_attribute(scim):
    resource = scim.create_user(
        "bools@example.com", active="fAlSe",
        emails=[{"value": "a@example.com", "primary": "TrUe"}, {"value": "b@example.com", "primary": "FALSE"}],
        phoneNumbers=[{"value": "+41 44 000 00 00", "primary": "tRUE"}],
        addresses=[{"formatted": "1 Main St", "primary": "True"}],
        x509Certificates=[{"value": "MIIB", "primary": "fALSE"}])
    assert resource["active"] is False
    assert [e.get("primary") for e in resource["emails"]] == [True, False]
    assert resource["phoneNumbers"][0]["primary"] is True
    assert resource["addresses"][0]["primary"] is True
    assert resource["x509Certificates"][0]["primary"] is False
    assert scim.get(f"/Users/{resource['id']}").get_json() == resource


@pytest.mark.parametrize("sent", ["maybe", "truee", "yes", "on", "1", "t", 1, 0, 2, [True], {"value": True}])
def test_a_boolean_that_is_no_boolean_is_400(scim, sent):
    response = scim.post("/Users", {"schemas": [CORE], "userName": "not-bool@example.com", "active": sent,
                                    "emails": [{"value": "x@example.com", "primary": sent}]})
    assert_scim_error(response, 400, "invalidValue")
    assert user_names(scim) == []


def test_create_without_active_is_active(scim):
    assert scim.create_user("default-active@example.com")["active"] is True


def test_attribute_names_in_any_case_become_canonical(scim):
    body = {
        "SCHEMAS": [CORE], "USERNAME": "shouty@example.com", "NAME": {"GIVENNAME": "Sho", "familyname": "Uty"},
        "Emails": [{"Value": "shouty@example.com", "TYPE": "work", "Primary": True}],
        "DisplayName": "Shouty", "ACTIVE": "False", "ExternalID": "ext-SHOUT",
        ENTERPRISE.upper(): {"EmployeeNumber": "42", "MANAGER": {"VALUE": ""}},
    }
    response = scim.post("/Users", body)
    assert response.status_code == 201, response.get_json()
    resource = response.get_json()
    assert resource["userName"] == "shouty@example.com"
    assert resource["name"] == {"givenName": "Sho", "familyName": "Uty"}
    assert resource["emails"] == [{"value": "shouty@example.com", "type": "work", "primary": True}]
    assert resource["displayName"] == "Shouty"
    assert resource["active"] is False
    assert resource["externalId"] == "ext-SHOUT"
    assert resource[ENTERPRISE] == {"employeeNumber": "42"}
    assert resource["schemas"] == [CORE, ENTERPRISE]


def test_unknown_attributes_like_okta_groups_are_ignored(scim):
    resource = scim.create_user("extra@example.com", groups=[{"value": "g1"}], favouriteColour="blue",
                                **{"urn:example:custom:1.0:User": {"x": 1}})
    assert "groups" not in resource and "favouriteColour" not in resource
    assert "urn:example:custom:1.0:User" not in resource


def test_number_sent_for_a_string_attribute_is_stored_as_text(scim):
    """A deliberate leniency (scim/validation.py LaxString): IdP attribute mappings emit numbers."""
    resource = scim.create_user("numbers@example.com", **{ENTERPRISE: {"employeeNumber": 42, "costCenter": 4.5}})
    assert resource[ENTERPRISE]["employeeNumber"] == "42" and resource[ENTERPRISE]["costCenter"] == "4.5"
    numeric = scim.post("/Users", {"schemas": [CORE], "userName": 123})
    assert numeric.status_code == 201 and numeric.get_json()["userName"] == "123"


def test_urn_qualified_keys_at_top_level_are_read_into_their_schema(scim):
    resource = scim.create_user("qualified@example.com", **{
        f"{ENTERPRISE}:department": "Sales", f"{CORE}:title": "Lead"})
    assert resource[ENTERPRISE] == {"department": "Sales"}
    assert resource["title"] == "Lead"


# ----------------------------------------------------------------- enterprise manager


@pytest.mark.parametrize("shape", ["object", "string", "list"])
def test_enterprise_manager_accepts_value_object_string_and_list(scim, shape):
    boss = scim.create_user("boss@example.com", displayName="The Boss")
    manager = {"object": {"value": boss["id"]}, "string": boss["id"], "list": [{"value": boss["id"]}]}[shape]
    resource = scim.create_user("report@example.com", **{ENTERPRISE: {"department": "Ops", "manager": manager}})
    expected = {"value": boss["id"], "$ref": boss["meta"]["location"]}
    assert resource[ENTERPRISE]["manager"] == expected
    assert scim.get(f"/Users/{resource['id']}").get_json()[ENTERPRISE]["manager"] == expected
    # displayName is returned: request (RFC 7643 §7): there when the manager is named in attributes
    named = scim.get(f"/Users/{resource['id']}?attributes={ENTERPRISE}:manager").get_json()
    assert named[ENTERPRISE]["manager"] == {**expected, "displayName": "The Boss"}


def test_manager_display_name_falls_back_to_the_managers_username(scim):
    boss = scim.create_user("nameless-boss@example.com")
    resource = scim.create_user("report2@example.com", **{ENTERPRISE: {"manager": {"value": boss["id"]}}})
    named = scim.get(f"/Users/{resource['id']}?attributes={ENTERPRISE}:manager.displayName").get_json()
    assert named[ENTERPRISE]["manager"]["displayName"] == "nameless-boss@example.com"


def test_client_sent_manager_display_name_is_read_only(scim):
    boss = scim.create_user("real-boss@example.com", displayName="Real Boss")
    resource = scim.create_user("report3@example.com", **{
        ENTERPRISE: {"manager": {"value": boss["id"], "displayName": "Fake Name"}}})
    assert "displayName" not in resource[ENTERPRISE]["manager"]
    named = scim.get(f"/Users/{resource['id']}?attributes={ENTERPRISE}:manager").get_json()
    assert named[ENTERPRISE]["manager"]["displayName"] == "Real Boss"


# ---------------------------------------------------------------------- passwords


def test_password_is_write_only_and_stored_as_argon2_hash(scim):
    secret = "Pa55word-Plain-Text!"
    response = scim.post("/Users", {"schemas": [CORE], "userName": "secret@example.com", "password": secret})
    assert response.status_code == 201
    assert secret not in response.get_data(as_text=True)
    assert "password" not in response.get_json()
    user_id = response.get_json()["id"]
    for path, query in ((f"/Users/{user_id}", {}), (f"/Users/{user_id}", {"attributes": "password"}),
                        ("/Users", {}), ("/Users", {"attributes": "userName,password"})):
        got = scim.get(path, query_string=query)
        assert got.status_code == 200
        assert secret not in got.get_data(as_text=True)
        assert "password" not in got.get_data(as_text=True)
    searched = scim.post("/.search", {"attributes": ["password"]})
    assert "password" not in searched.get_data(as_text=True)
    stored = stored_user(user_id)
    assert stored.password_hash.startswith("$argon2id$")
    assert secret not in stored.password_hash
    assert verify_password(stored.password_hash, secret)
    with db.connection_context():
        values = [bytes(m.value) for m in UserMetadata.select().where(UserMetadata.user == user_id)]
    assert all(secret.encode() not in v for v in values)


def test_ignore_password_on_create_metadata_switch_drops_okta_password(client, app):
    tenant = make_tenant()
    with db.connection_context():
        set_metadata(tenant.org_id, tenant.user_id, IGNORE_PASSWORD, b"true", editor=None)
    okta = ScimClient(client, tenant)
    resource = okta.create_user("okta-random-password@example.com", password="r4nd0m-Okta-Pw!")
    assert stored_user(resource["id"]).password_hash is None


def test_without_ignore_password_switch_the_password_is_kept(scim):
    resource = scim.create_user("keeps-password@example.com", password="r4nd0m-Okta-Pw!")
    assert stored_user(resource["id"]).password_hash.startswith("$argon2id$")


def test_ignore_password_switch_other_than_true_keeps_the_password(client, app):
    tenant = make_tenant()
    with db.connection_context():
        set_metadata(tenant.org_id, tenant.user_id, IGNORE_PASSWORD, b"false", editor=None)
    resource = ScimClient(client, tenant).create_user("still-hashed@example.com", password="r4nd0m-Okta-Pw!")
    assert stored_user(resource["id"]).password_hash.startswith("$argon2id$")


def test_ignore_password_setting_applies_to_every_caller(scim, app, monkeypatch):
    monkeypatch.setattr(app.config["SETTINGS"], "scim_ignore_password_on_create", True)
    resource = scim.create_user("global-switch@example.com", password="r4nd0m-Okta-Pw!")
    assert stored_user(resource["id"]).password_hash is None


@pytest.mark.parametrize(("password", "detail"), [
    ("Sh0rt!", "Password is too short"),
    ("nouppercase1!", "Password must contain upper case"),
    ("NoSymbol123", "Password must contain symbol"),
])
def test_a_password_breaking_the_org_policy_is_400_and_nothing_is_created(scim, password, detail):
    """ZITADEL checks SCIM passwords against the organisation's complexity policy (its issue #10009 is
    Okta's random passwords failing it: the ignorePasswordOnCreate switch above is the way out)."""
    response = scim.post("/Users", {"schemas": [CORE], "userName": "weak@example.com", "password": password})
    assert_scim_error(response, 400, "invalidValue")
    assert detail in response.get_json()["detail"]
    assert "weak@example.com" not in user_names(scim)


def test_put_and_patch_passwords_are_checked_too_and_change_nothing(scim):
    user = scim.create_user("strong@example.com", password="Str0ng-Passw0rd!")
    before = stored_user(user["id"]).password_hash
    put = scim.put(f"/Users/{user['id']}", {"schemas": [CORE], "userName": "strong@example.com", "password": "weak"})
    assert_scim_error(put, 400, "invalidValue")
    patch = scim.patch(f"/Users/{user['id']}", {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                                                 "Operations": [{"op": "replace", "path": "password",
                                                                 "value": "weak"}]})
    assert_scim_error(patch, 400, "invalidValue")
    assert stored_user(user["id"]).password_hash == before
    assert scim.get(f"/Users/{user['id']}").get_json()["meta"]["version"] == user["meta"]["version"]


def test_an_organisations_own_policy_applies_to_scim_passwords(client, scim, tenant):
    relaxed = client.post("/management/v1/policies/password/complexity", headers=tenant.auth,
                          json={"minLength": 4, "hasLowercase": True})
    assert relaxed.status_code == 200, relaxed.get_json()
    assert scim.post("/Users", {"schemas": [CORE], "userName": "relaxed@example.com",
                                "password": "abcd"}).status_code == 201
    assert_scim_error(scim.post("/Users", {"schemas": [CORE], "userName": "too-short@example.com",
                                           "password": "abc"}), 400, "invalidValue")


# ------------------------------------------------------------------------- failures


@pytest.mark.parametrize("second", ["dup@example.com", "DUP@EXAMPLE.COM", "Dup@Example.Com", " dup@example.com "])
def test_duplicate_username_in_any_case_is_409_uniqueness(scim, second):
    first = scim.create_user("dup@example.com")
    response = scim.post("/Users", {"schemas": [CORE], "userName": second})
    assert_scim_error(response, 409, "uniqueness")
    assert user_names(scim) == ["dup@example.com"]
    assert scim.get(f"/Users/{first['id']}").get_json()["meta"]["version"] == first["meta"]["version"]


@pytest.mark.parametrize("body", [
    {"schemas": [CORE]},
    {"schemas": [CORE], "userName": ""},
    {"schemas": [CORE], "userName": None},
    {"schemas": [CORE], "userName": "   "},
    {"schemas": [CORE], "name": {"givenName": "No"}, "emails": [{"value": "no@example.com"}]},
], ids=["absent", "empty", "null", "blank", "other-attributes-only"])
def test_missing_username_is_400_invalid_value(scim, body):
    assert_scim_error(scim.post("/Users", body), 400, "invalidValue")
    assert user_names(scim) == []


@pytest.mark.parametrize("raw", ['{"userName": "x@example.com"', "not json", "", '{"userName": "x", }', "\xff\xfe"])
def test_malformed_json_is_400_invalid_syntax(scim, raw):
    assert_scim_error(post_raw(scim, raw.encode("latin-1")), 400, "invalidSyntax")
    assert user_names(scim) == []


@pytest.mark.parametrize("raw", ['["userName"]', '"userName"', "42", "null"])
def test_json_that_is_not_an_object_is_400_invalid_syntax(scim, raw):
    assert_scim_error(post_raw(scim, raw), 400, "invalidSyntax")
    assert user_names(scim) == []


@pytest.mark.parametrize("extra", [
    {"name": "x"},
    {"emails": "x"},
    {"emails": [{"value": {"nested": "object"}}]},
    {"active": "maybe"},
    {"active": 2},
    {"emails": [{"value": "a@example.com", "primary": "sometimes"}]},
    {"addresses": [["not", "an", "object"]]},
    {ENTERPRISE: "x"},
    {ENTERPRISE: {"department": {"a": 1}}},
    {"displayName": ["a", "b"]},
    {"userName": {"value": "x"}},
], ids=lambda e: json.dumps(e)[:40])
def test_wrong_attribute_type_is_400_invalid_value(scim, extra):
    body = {"schemas": [CORE], "userName": "typed@example.com", **extra}
    assert_scim_error(scim.post("/Users", body), 400, "invalidValue")
    assert user_names(scim) == []


@pytest.mark.parametrize("raw", [
    '{"userName": "nul\\u0000@example.com"}',
    '{"userName": "\\ud800@example.com"}',
    '{"userName": "ok@example.com", "title": "a\\u0000b"}',
    '{"userName": "ok@example.com", "emails": [{"value": "a\\u0000b@example.com"}]}',
    '{"userName": "ok@example.com", "externalId": "\\udfff"}',
    '{"userName": "ok@example.com", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": '
    '{"department": "\\ud83d"}}',
], ids=["nul-username", "surrogate-username", "nul-title", "nul-email", "surrogate-externalId",
        "surrogate-department"])
def test_unstorable_characters_are_400_invalid_value_on_both_databases(scim, raw):
    # PostgreSQL refuses U+0000 in text, and a lone surrogate has no UTF-8 form: without the
    # check these were 500s
    assert_scim_error(post_raw(scim, raw), 400, "invalidValue")
    assert user_names(scim) == []


def test_astral_characters_are_fine(scim):
    resource = scim.create_user("emoji\U0001F600@example.com", title="\U0001F680 launch")
    assert resource["userName"] == "emoji\U0001F600@example.com"
    assert user_names(scim, 'userName eq "EMOJI\U0001F600@example.com"') == ["emoji\U0001F600@example.com"]


def test_only_the_last_primary_entry_stays_primary(scim):
    resource = scim.create_user("two-primaries@example.com", emails=[
        {"value": "first@example.com", "primary": True}, {"value": "second@example.com", "primary": True}])
    assert resource["emails"] == [{"value": "first@example.com"}, {"value": "second@example.com", "primary": True}]
    assert user_names(scim, "emails[primary eq true].value eq \"second@example.com\"") == [
        "two-primaries@example.com"]
    assert user_names(scim, "emails[primary eq true].value eq \"first@example.com\"") == []


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "application/x-www-form-urlencoded"])
def test_unsupported_content_type_is_415(scim, content_type):
    data = json.dumps({"schemas": [CORE], "userName": "typed@example.com"})
    assert_scim_error(post_raw(scim, data, content_type), 415)
    assert user_names(scim) == []


def test_scim_json_with_charset_is_accepted(scim):
    data = json.dumps({"schemas": [CORE], "userName": "charset@example.com"})
    assert post_raw(scim, data, "application/scim+json; charset=utf-8").status_code == 201


def test_body_over_max_body_bytes_is_413_scim_error(scim, app):
    limit = app.config["SETTINGS"].max_body_bytes
    assert limit == 1_048_576
    body = json.dumps({"schemas": [CORE], "userName": "huge@example.com", "nickName": "x" * limit})
    assert_scim_error(post_raw(scim, body), 413)
    assert user_names(scim) == []


def test_body_just_under_the_limit_reaches_validation(scim):
    # under 1 MiB but one string over the 16 KiB attribute limit: 400, not 413
    body = json.dumps({"schemas": [CORE], "userName": "big@example.com", "title": "x" * 100_000})
    assert_scim_error(post_raw(scim, body), 400, "invalidValue")
    assert user_names(scim) == []


def test_overlong_username_is_400(scim):
    assert_scim_error(scim.post("/Users", {"schemas": [CORE], "userName": "u" * 201}), 400, "invalidValue")
    assert user_names(scim) == []
