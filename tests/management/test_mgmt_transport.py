"""Rules every route shares: a body sent to an RPC without a body binding is ignored (reference §1.1)."""
import pytest

from tests.management.mgmt_helpers import assert_invalid, b64, factor

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
