"""Rules every route shares: path parameters are fields of the request message (reference §3.1, §4.7: 1..200
runes, named after the RPC), and a body sent to an RPC without a body binding is ignored (§1.1)."""
import pytest

from tests.management.mgmt_helpers import absent, assert_denied, assert_error, assert_invalid, b64, factor

LONG = "1" * 201
RULE = "value length must be between 1 and 200 runes, inclusive"


def invalid(message, field):
    return f"invalid {message}.{field}: {RULE}"


@pytest.mark.parametrize("method, path, body, message", [
    ("get", "/users/{long}", None, invalid("GetUserByIDRequest", "Id")),
    ("delete", "/users/{long}", None, invalid("RemoveUserRequest", "Id")),
    ("post", "/users/{long}/_deactivate", {}, invalid("DeactivateUserRequest", "Id")),
    ("post", "/users/{long}/_unlock", {}, invalid("UnlockUserRequest", "Id")),
    ("put", "/users/{long}/username", {"userName": "x"}, invalid("UpdateUserNameRequest", "UserId")),
    ("post", "/users/{long}/changes/_search", {}, invalid("ListUserChangesRequest", "UserId")),
    ("post", "/users/{long}/metadata/_bulk", {"metadata": [{"key": "k", "value": "eA=="}]},
     invalid("BulkSetUserMetadataRequest", "Id")),
    ("post", "/users/{long}/metadata/_search", {}, invalid("ListUserMetadataRequest", "Id")),
    ("get", "/users/{user}/metadata/{long}", None, invalid("GetUserMetadataRequest", "Key")),
    ("delete", "/users/{user}/metadata/{long}", None, invalid("RemoveUserMetadataRequest", "Key")),
    ("delete", "/users/{long}/metadata/_bulk", {"keys": ["k"]}, invalid("BulkRemoveUserMetadataRequest", "Id")),
    ("get", "/users/{long}/profile", None, invalid("GetHumanProfileRequest", "UserId")),
    ("delete", "/users/{long}/phone", None, invalid("RemoveHumanPhoneRequest", "UserId")),
    ("delete", "/users/{user}/auth_factors/u2f/{long}", None, invalid("RemoveHumanAuthFactorU2FRequest", "TokenId")),
    ("post", "/users/{long}/passwordless/_link", None, invalid("AddPasswordlessRegistrationRequest", "UserId")),
    ("delete", "/users/{user}/idps/{long}/x", None, invalid("RemoveHumanLinkedIDPRequest", "IdpId")),
    ("delete", "/users/{user}/idps/google/{long}", None, invalid("RemoveHumanLinkedIDPRequest", "LinkedUserId")),
    ("get", "/users/{user}/keys/{long}", None, invalid("GetMachineKeyByIDsRequest", "KeyId")),
    ("delete", "/users/{long}/pats/x", None, invalid("RemovePersonalAccessTokenRequest", "UserId")),
    ("post", "/users/{long}/memberships/_search", {}, invalid("ListUserMembershipsRequest", "UserId")),
    ("put", "/orgs/me/members/{long}", {"roles": ["ORG_OWNER"]}, invalid("UpdateOrgMemberRequest", "UserId")),
    ("delete", "/orgs/me/members/{long}", None, invalid("RemoveOrgMemberRequest", "UserId")),
    ("post", "/users/{long}/auth_factors/otp/_import", {"secret": "x"}, invalid("ImportHumanTOTPRequest", "UserId")),
])
def test_a_path_parameter_over_200_runes_is_invalid(mgmt, method, path, body, message):
    user_id = mgmt.human()
    response = mgmt.call(method, path.format(long=LONG, user=user_id), body)
    assert_invalid(response, message)


def test_a_too_long_id_changes_nothing(mgmt):
    user_id = mgmt.human("kept")
    before = mgmt.user(user_id)
    long_key = "k" * 201
    assert_invalid(mgmt.post(f"/users/{user_id}/metadata/{long_key}", {"value": "eA=="}),
                   invalid("SetUserMetadataRequest", "Key"))
    assert_invalid(mgmt.post(f"/users/{'1' * 201}/metadata/k", {"value": "eA=="}),
                   invalid("SetUserMetadataRequest", "Id"))
    assert "result" not in mgmt.ok("post", f"/users/{user_id}/metadata/_search", {})
    assert mgmt.user(user_id) == before and not absent(mgmt, "kept")


def test_runes_are_counted_not_bytes(mgmt):
    user_id = mgmt.human()
    # 200 two-byte characters are 200 runes: accepted.
    longest = "ü" * 200
    mgmt.ok("post", f"/users/{user_id}/metadata/{longest}", {"value": b64("v")})
    assert mgmt.ok("get", f"/users/{user_id}/metadata/{longest}")["metadata"]["key"] == longest
    assert_invalid(mgmt.get(f"/users/{user_id}/metadata/{longest}ü"), invalid("GetUserMetadataRequest", "Key"))


def test_authorisation_comes_before_the_path_rules(client, roleless):
    # ZITADEL validates a request only once the caller may make it.
    assert_denied(roleless.delete(f"/users/{LONG}"))
    assert_error(client.delete(f"/management/v1/users/{LONG}"), 401, 16, "auth header missing")


@pytest.mark.parametrize("method, path, body, answer", [
    ("post", "/users/{long}/password", {"password": "Password1!"},
     (400, 9, "Password not found", "COMMAND-G8dh3")),
    ("post", "/users/{long}/password/_initialize", {"password": "Password1!"},
     (400, 9, "Password not found", "COMMAND-G8dh3")),
    ("put", "/users/{long}/secret", {}, (404, 5, "User could not be found", "QUERY-Dfbg2")),
    ("post", "/users/{long}/keys", {"type": "KEY_TYPE_JSON"}, (400, 9, "User could not be found", "COMMAND-bnipwm1")),
    ("post", "/users/{long}/pats", {}, (400, 9, "User could not be found", "COMMAND-Dggw2")),
])
def test_user_ids_without_a_maximum_are_looked_up(mgmt, method, path, body, answer):
    """These request messages only require a non-empty user id in ZITADEL's protos: a long one is just unknown."""
    assert_error(mgmt.call(method, path.format(long=LONG), body), *answer)


MALFORMED = {"data": "{", "content_type": "application/json"}


def _human_with_phone(mgmt):
    return mgmt.human(phone={"phone": "+41710000000"}), ""


def _human(mgmt):
    return mgmt.human(), ""


def _with_factor(kind):
    def setup(mgmt):
        user_id = mgmt.human()
        return user_id, factor(user_id, kind, name="key")
    return setup


def _member(mgmt):
    user_id = mgmt.human()
    mgmt.ok("post", "/orgs/me/members", {"userId": user_id, "roles": ["ORG_USER_MANAGER"]})
    return user_id, ""


def _policy(mgmt):
    mgmt.ok("post", "/policies/password/complexity", {"minLength": 12, "hasLowercase": True})
    return "", ""


@pytest.mark.parametrize("path, setup", [
    ("/users/{user}/phone", _human_with_phone),  # 29
    ("/users/{user}/avatar", _human),  # 31
    ("/users/{user}/auth_factors/otp", _with_factor("otp")),  # 36
    ("/users/{user}/auth_factors/u2f/{token}", _with_factor("u2f")),  # 37
    ("/users/{user}/auth_factors/otp_sms", _with_factor("otp_sms")),  # 38
    ("/users/{user}/auth_factors/otp_email", _with_factor("otp_email")),  # 39
    ("/users/{user}/passwordless/{token}", _with_factor("passkey")),  # 43
    ("/users/{user}", _human),  # 13
    ("/orgs/me/members/{user}", _member),
    ("/policies/password/complexity", _policy),
])
def test_a_body_sent_to_a_delete_without_body_binding_is_ignored(mgmt, path, setup):
    user_id, token = setup(mgmt)
    answer = mgmt.ok("delete", path.format(user=user_id, token=token), **MALFORMED)
    assert set(answer["details"]) == {"sequence", "changeDate", "resourceOwner"}


def test_the_bulk_delete_has_a_body(mgmt):
    user_id = mgmt.human()
    mgmt.ok("post", f"/users/{user_id}/metadata/k", {"value": b64("v")})
    response = mgmt.delete(f"/users/{user_id}/metadata/_bulk", **MALFORMED)
    assert_invalid(response)
    assert response.get_json()["message"].startswith("proto: syntax error")
    assert mgmt.ok("get", f"/users/{user_id}/metadata/k")["metadata"]["value"] == b64("v")
