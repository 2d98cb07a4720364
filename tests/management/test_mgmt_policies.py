"""The organisation's password complexity policy: ZITADEL's /policies/password/complexity endpoints."""
from tests.management.mgmt_helpers import assert_denied, assert_error, assert_invalid

PATH = "/policies/password/complexity"
DEFAULT = {"minLength": "8", "hasUppercase": True, "hasLowercase": True, "hasNumber": True, "hasSymbol": True,
           "isDefault": True}
RELAXED = {"minLength": 12, "hasLowercase": True}


def test_default_until_the_org_has_its_own(mgmt, other):
    assert mgmt.ok("get", PATH) == {"policy": DEFAULT}
    assert mgmt.ok("get", "/policies/default/password/complexity") == {"policy": DEFAULT}
    details = mgmt.ok("post", PATH, RELAXED)["details"]
    assert set(details) == {"sequence", "creationDate", "resourceOwner"}
    policy = mgmt.ok("get", PATH)["policy"]
    assert {k: v for k, v in policy.items() if k != "details"} == {"minLength": "12", "hasLowercase": True}
    assert policy["details"]["sequence"] == details["sequence"]
    # It applies to passwords set in this organisation only.
    assert mgmt.post("/users/human", {"userName": "relaxed", "profile": {"firstName": "R", "lastName": "X"},
                                      "email": {"email": "r@acme.example"},
                                      "initialPassword": "onlylowercase"}).status_code == 200
    user_id = mgmt.human(password="long enough password")
    assert_error(mgmt.post(f"/users/{user_id}/password", {"password": "short"}), 400, 3,
                 "Password is too short", "DOMAIN-HuJf6")
    assert other.ok("get", PATH) == {"policy": DEFAULT}
    assert mgmt.ok("get", "/policies/default/password/complexity") == {"policy": DEFAULT}


def test_change_and_reset(mgmt):
    assert_error(mgmt.put(PATH, RELAXED), 404, 5, "Password complexity policy not found", "ORG-Dgs3g")
    assert_error(mgmt.delete(PATH), 404, 5, "Password complexity policy not found", "ORG-ADgs2")
    mgmt.ok("post", PATH, RELAXED)
    assert_error(mgmt.post(PATH, RELAXED), 409, 6, "Password complexity policy already exists", "Org-LdhbS")
    assert_error(mgmt.put(PATH, RELAXED), 400, 9, "Policy has not been changed", "Org-DAs21")
    mgmt.ok("put", PATH, {**RELAXED, "hasNumber": True})
    assert mgmt.ok("get", PATH)["policy"]["hasNumber"] is True
    assert set(mgmt.ok("delete", PATH)["details"]) == {"sequence", "changeDate", "resourceOwner"}
    assert mgmt.ok("get", PATH) == {"policy": DEFAULT}


def test_policy_rules_and_permissions(mgmt, reader, roleless):
    key = "Errors.User.PasswordComplexityPolicy.MinLengthNotAllowed"
    assert_error(mgmt.post(PATH, {"hasSymbol": True}), 400, 3, key, "MODEL-Lsp0e")
    assert_error(mgmt.post(PATH, {"minLength": 73}), 400, 3, key, "MODEL-Lsp0e")
    assert_invalid(mgmt.post(PATH, {"minLength": "eight"}))
    assert_invalid(mgmt.post(PATH, data="{", content_type="application/json"))
    # ORG_OWNER_VIEWER reads policies but does not change them.
    assert reader.ok("get", PATH) == {"policy": DEFAULT}
    assert_denied(reader.post(PATH, RELAXED))
    assert_denied(reader.put(PATH, RELAXED))
    assert_denied(reader.delete(PATH))
    assert_denied(roleless.get(PATH))
    assert mgmt.ok("get", PATH) == {"policy": DEFAULT}
