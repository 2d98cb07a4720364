"""Transport rules of the management API (reference §1-§3): auth, org context, routing, JSON mapping."""
import datetime

import pytest

from management import wire
from tests.conftest import make_tenant
from tests.management.mgmt_helpers import PREFIX, MgmtClient, assert_error, assert_invalid


def test_missing_authorization_is_plain_401(client):
    assert_error(client.get(f"{PREFIX}/users/1"), 401, 16, "auth header missing")


def test_malformed_authorization(client):
    response = client.get(f"{PREFIX}/users/1", headers={"Authorization": "Basic abc"})
    assert_error(response, 401, 16, "invalid auth header", "AUTH-toLo1")


def test_unknown_token(client):
    response = client.get(f"{PREFIX}/users/1", headers={"Authorization": "Bearer nope"})
    assert_error(response, 401, 16, "Errors.Token.Invalid", "AUTH-7fs1e")


def test_header_naming_a_missing_org(client, tenant):
    response = client.get(f"{PREFIX}/users/1", headers={**tenant.auth, "X-Zitadel-OrgId": "999"})
    assert_error(response, 403, 7, "Organisation doesn't exist", "AUTH-Bs7Ds")


def test_header_selects_the_org_for_an_instance_admin(client, app):
    home, target = make_tenant(("IAM_OWNER",), scope="iam"), make_tenant()
    admin = MgmtClient(client, home, org_header=target.org_id)
    user_id = admin.human("in-target")
    assert admin.user(user_id)["details"]["resourceOwner"] == target.org_id
    # Without the header the caller's own org is the context: the user is not there.
    assert_error(MgmtClient(client, home).get(f"/users/{user_id}"), 404, 5, "User could not be found", "MANAG-fpo4B")


def test_header_naming_an_org_without_roles_there(client, tenant, other_tenant):
    outsider = MgmtClient(client, tenant, org_header=other_tenant.org_id)
    assert_error(outsider.get("/users/1"), 403, 7, "No matching permissions found", "AUTH-5mWD2")


def test_unknown_route_and_wrong_method(client, mgmt):
    assert_error(mgmt.get("/nothing/here"), 404, 5, "Not Found")
    assert_error(mgmt.put("/users/_search", {}), 405, 12, "Method Not Allowed")


def test_malformed_json_is_code_3(mgmt):
    response = mgmt.client.post(f"{PREFIX}/users/_search", data="{nope", headers=mgmt.headers,
                                content_type="application/json")
    assert_invalid(response)
    assert_invalid(mgmt.post("/users/_search", [1, 2]))


def test_snake_case_input_and_unknown_fields(mgmt):
    user_id = mgmt.ok("post", "/users/human", {
        "user_name": "snake", "profile": {"first_name": "Sn", "last_name": "Ake", "gender": 2},
        "email": {"email": "snake@acme.example", "is_email_verified": True}, "whatever": {"x": 1},
    })["userId"]
    profile = mgmt.user(user_id)["human"]["profile"]
    assert profile["firstName"] == "Sn" and profile["gender"] == "GENDER_MALE"


def test_enums_as_numbers_and_uint64_as_numbers(mgmt):
    mgmt.human("enum-a")
    body = {"query": {"offset": 0, "limit": "1", "asc": True}, "sortingColumn": 1,
            "queries": [{"typeQuery": {"type": 1}}, {"userNameQuery": {"userName": "enum", "method": 2}}]}
    found = mgmt.ok("post", "/users/_search", body)
    assert found["details"]["totalResult"] == "1"
    assert [u["userName"] for u in found["result"]] == ["enum-a"]


def test_undefined_enum_number_and_bad_uint64(mgmt):
    assert_invalid(mgmt.post("/users/_search", {"sortingColumn": 99}),
                   "invalid ListUsersRequest.SortingColumn: value must be one of the defined enum values")
    assert_invalid(mgmt.post("/users/_search", {"query": {"offset": "-1"}}))
    assert_invalid(mgmt.post("/users/_search", {"query": {"asc": "yes"}}))


def test_zero_values_are_omitted_and_sub_messages_kept(mgmt):
    user = mgmt.user(mgmt.human("zero", verified=False, password=None))
    assert user["human"]["phone"] == {}
    assert user["human"]["email"] == {"email": "zero@acme.example"}
    assert "passwordChanged" not in user["human"] and "gender" not in user["human"]["profile"]
    assert user["state"] == "USER_STATE_INITIAL"
    assert isinstance(user["details"]["sequence"], str)


@pytest.mark.parametrize("micros, text", [
    (0, "2025-01-27T15:30:27Z"), (651000, "2025-01-27T15:30:27.651Z"), (651321, "2025-01-27T15:30:27.651321Z"),
])
def test_timestamps(micros, text):
    assert wire.timestamp(datetime.datetime(2025, 1, 27, 15, 30, 27, micros)) == text


def test_bytes_are_padded_standard_base64():
    assert wire.b64(b"\xfb\xff") == "+/8="
    assert wire.message(a=0, b=False, c="", d=[], e={}, f=None, g="x") == {"e": {}, "g": "x"}
