"""#1 GetUserByID, #2 GetUserByLoginNameGlobal, #4 ListUserChanges, #5 IsUserUnique."""
import uuid

from tests.management.mgmt_helpers import assert_denied, assert_error, assert_invalid


def test_get_human(mgmt):
    user_id = mgmt.human("minnie")
    user = mgmt.user(user_id)
    assert user["id"] == user_id and user["userName"] == "minnie" and user["state"] == "USER_STATE_ACTIVE"
    login_name = f"minnie@{mgmt.ok('get', '/orgs/me')['org']['primaryDomain']}"
    assert user["loginNames"] == [login_name] and user["preferredLoginName"] == login_name
    assert set(user["details"]) == {"sequence", "creationDate", "changeDate", "resourceOwner"}
    assert user["details"]["resourceOwner"] == mgmt.tenant.org_id
    assert user["human"]["profile"] == {"firstName": "Minnie", "lastName": "Mouse", "displayName": "Minnie Mouse",
                                        "preferredLanguage": "und"}
    assert user["human"]["email"] == {"email": "minnie@acme.example", "isEmailVerified": True}
    assert "passwordChanged" in user["human"]


def test_get_machine(mgmt):
    user = mgmt.user(mgmt.machine("bot", description="does CI", accessTokenType="ACCESS_TOKEN_TYPE_JWT"))
    assert user["machine"] == {"name": "CI bot", "description": "does CI", "accessTokenType": "ACCESS_TOKEN_TYPE_JWT"}
    assert "human" not in user


def test_get_unknown_and_other_org(mgmt, other):
    assert_error(mgmt.get("/users/123"), 404, 5, "User could not be found", "QUERY-Dfbg2")
    foreign = other.human("foreign")
    assert_error(mgmt.get(f"/users/{foreign}"), 404, 5, "User could not be found", "MANAG-fpo4B")


def test_get_needs_user_read(mgmt, roleless):
    assert_denied(roleless.get(f"/users/{mgmt.human()}"))


def test_get_too_long_id(mgmt):
    assert_invalid(mgmt.get("/users/" + "1" * 201))


def test_global_login_name_lookup_crosses_orgs(mgmt, other):
    name = f"global-{uuid.uuid4().hex[:8]}@acme.example"
    user_id = other.human(name)
    for given in (name, name.upper()):
        found = mgmt.ok("get", "/global/users/_by_login_name", query_string={"loginName": given})
        assert found["user"]["id"] == user_id
    snake = mgmt.ok("get", "/global/users/_by_login_name", query_string={"login_name": name})
    assert snake["user"]["id"] == user_id
    missing = mgmt.get("/global/users/_by_login_name", query_string={"loginName": "nobody-" + name})
    assert_error(missing, 404, 5, "User could not be found", "QUERY-Dfbg2")


def test_global_lookup_rules(mgmt, roleless, reader):
    assert_invalid(mgmt.get("/global/users/_by_login_name"),
                   "invalid GetUserByLoginNameGlobalRequest.LoginName: "
                   "value length must be between 1 and 200 runes, inclusive")
    assert_denied(roleless.get("/global/users/_by_login_name", query_string={"loginName": "x"}))


def test_changes_list_the_event_log(mgmt, reader):
    user_id = mgmt.human("history")
    mgmt.ok("post", f"/users/{user_id}/_lock")
    mgmt.ok("post", f"/users/{user_id}/_unlock")
    changes = mgmt.ok("post", f"/users/{user_id}/changes/_search", {})["result"]
    keys = [c["eventType"]["key"] for c in changes]
    assert keys[:2] == ["EventTypes.user.unlocked", "EventTypes.user.locked"]
    assert keys[-1] == "EventTypes.user.human.added"
    assert changes[-1]["eventType"]["localizedMessage"] == "Person added"
    assert changes[0]["editorId"] == mgmt.tenant.user_id and changes[0]["editorDisplayName"] == "SCIM client"
    assert changes[0]["resourceOwnerId"] == mgmt.tenant.org_id
    sequences = [int(c["sequence"]) for c in changes]
    assert sequences == sorted(sequences, reverse=True)
    after = mgmt.ok("post", f"/users/{user_id}/changes/_search",
                    {"query": {"sequence": str(sequences[2]), "asc": True, "limit": 1}})["result"]
    assert [c["eventType"]["key"] for c in after] == ["EventTypes.user.locked"]
    assert reader.ok("post", f"/users/{user_id}/changes/_search")["result"]


def test_changes_include_scim_writes(mgmt, scim):
    created = scim.create_user("via-scim@example.com", name={"givenName": "A", "familyName": "B"},
                               emails=[{"value": "via-scim@example.com", "primary": True}])
    scim.patch(f"/Users/{created['id']}", {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                                            "Operations": [{"op": "replace", "path": "active", "value": False}]})
    keys = [c["eventType"]["key"] for c in mgmt.ok("post", f"/users/{created['id']}/changes/_search")["result"]]
    assert keys[0] == "EventTypes.user.deactivated" and "EventTypes.user.human.added" in keys


def test_changes_of_unknown_or_foreign_user_are_empty(mgmt, other, roleless):
    assert mgmt.ok("post", "/users/404/changes/_search") == {}
    assert mgmt.ok("post", f"/users/{other.human('x')}/changes/_search") == {}
    assert_denied(roleless.post("/users/1/changes/_search"))
    assert_invalid(mgmt.post("/users/1/changes/_search", {"query": {"limit": "many"}}))


def test_is_unique(mgmt, other, roleless):
    name = f"uniq-{uuid.uuid4().hex[:8]}"
    assert mgmt.ok("get", "/users/_is_unique", query_string={"userName": name}) == {"isUnique": True}
    # Only the caller's organisation counts (user names are unique per organisation, userLoginMustBeDomain).
    other.human(name)
    assert mgmt.ok("get", "/users/_is_unique", query_string={"userName": name}) == {"isUnique": True}
    mgmt.human(name)
    assert mgmt.ok("get", "/users/_is_unique", query_string={"userName": name}) == {}
    both = {"userName": name, "email": f"{name}@acme.example"}
    assert mgmt.ok("get", "/users/_is_unique", query_string=both) == {}
    mismatch = {"userName": name, "email": "other@acme.example"}
    assert mgmt.ok("get", "/users/_is_unique", query_string=mismatch) == {"isUnique": True}
    # Exact comparison, as ZITADEL's.
    assert mgmt.ok("get", "/users/_is_unique", query_string={"userName": name.upper()}) == {"isUnique": True}
    assert mgmt.ok("get", "/users/_is_unique") == {}
    assert_denied(roleless.get("/users/_is_unique", query_string={"userName": name}))
    assert_invalid(mgmt.get("/users/_is_unique", query_string={"userName": "x" * 201}))
