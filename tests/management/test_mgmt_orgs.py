"""#57 memberships and the organisation endpoints: /orgs/me, AddOrg, org members."""
import pytest

from config import Settings
from models import members, tokens
from models.db import db
from models.tables import Org, User
from tests.conftest import make_tenant
from tests.management.mgmt_helpers import MgmtClient, assert_denied, assert_error, assert_invalid


def test_get_my_org(mgmt, tenant, roleless):
    org = mgmt.ok("get", "/orgs/me")["org"]
    assert org["id"] == tenant.org_id and org["state"] == "ORG_STATE_ACTIVE" and org["name"].startswith("org-")
    assert set(org["details"]) == {"sequence", "creationDate", "changeDate", "resourceOwner"}
    assert_denied(roleless.get("/orgs/me"))


def test_add_org_makes_the_caller_its_owner(client, roleless):
    # As in ZITADEL, any authenticated caller may, without a role: AddOrg's auth option is "authenticated".
    creator = roleless
    assert_denied(creator.get("/orgs/me"))  # no role anywhere
    answer = creator.ok("post", "/orgs", {"name": f"Acme Subsidiary {creator.tenant.org_id}"})
    assert set(answer["details"]) == {"sequence", "creationDate", "resourceOwner"}
    assert answer["details"]["resourceOwner"] == answer["id"]
    # The creator is its ORG_OWNER there.
    in_new = MgmtClient(client, creator.tenant, org_header=answer["id"])
    assert in_new.ok("get", "/orgs/me")["org"]["name"] == f"Acme Subsidiary {creator.tenant.org_id}"
    members = in_new.ok("post", "/orgs/me/members/_search", {})["result"]
    assert [(m["userId"], m["roles"]) for m in members] == [(creator.tenant.user_id, ["ORG_OWNER"])]
    assert_error(creator.post("/orgs", {"name": f"Acme Subsidiary {creator.tenant.org_id}"}), 409, 6,
                 "Organisation already exists", "ORG-lapo2m")
    assert_invalid(creator.post("/orgs", {"name": ""}),
                   "invalid AddOrgRequest.Name: value length must be between 1 and 200 runes, inclusive")
    assert_error(client.post("/management/v1/orgs", json={"name": "x"}), 401, 16, "auth header missing")


def test_add_org_by_roles(client, mgmt, tenant):
    # An organisation's owner and an instance administrator may create organisations too, each owning its own.
    iam = MgmtClient(client, make_tenant(("IAM_ORG_MANAGER",), scope="iam"))
    for creator in (mgmt, iam):
        org_id = creator.ok("post", "/orgs", {"name": f"Sub of {creator.tenant.org_id}"})["id"]
        owned = MgmtClient(client, creator.tenant, org_header=org_id)
        assert [m["userId"] for m in owned.ok("post", "/orgs/me/members/_search", {})["result"]] == [
            creator.tenant.user_id]
    # A header naming an organisation that does not exist is refused before anything is created.
    ghost = MgmtClient(client, tenant, org_header="404")
    name = f"Ghost child of {tenant.org_id}"
    assert_error(ghost.post("/orgs", {"name": name}), 403, 7, "Organisation doesn't exist", "AUTH-Bs7Ds")
    with db.connection_context():
        assert not Org.select().where(Org.name == name).exists()


def test_org_members(mgmt, other, tenant):
    user_id = mgmt.human("admin")
    foreign = other.human("foreign")
    details = mgmt.ok("post", "/orgs/me/members", {"userId": user_id, "roles": ["ORG_USER_MANAGER"]})["details"]
    assert set(details) == {"sequence", "creationDate", "resourceOwner"} and details["resourceOwner"] == tenant.org_id
    # A user of another organisation can be a member too.
    mgmt.ok("post", "/orgs/me/members", {"userId": foreign, "roles": ["ORG_OWNER_VIEWER"]})
    found = mgmt.ok("post", "/orgs/me/members/_search", {
        "queries": [{"emailQuery": {"email": "ADMIN@", "method": "TEXT_QUERY_METHOD_STARTS_WITH_IGNORE_CASE"}}]})
    assert found["details"]["totalResult"] == "1"
    (member,) = found["result"]
    assert member["userId"] == user_id and member["roles"] == ["ORG_USER_MANAGER"]
    assert member["email"] == "admin@acme.example" and member["userType"] == "TYPE_HUMAN"
    domain = mgmt.ok("get", "/orgs/me")["org"]["primaryDomain"]
    assert member["preferredLoginName"] == f"admin@{domain}" and member["firstName"] == "Minnie"
    assert member["userResourceOwner"] == tenant.org_id
    by_id = mgmt.ok("post", "/orgs/me/members/_search", {"queries": [{"userIdQuery": {"userId": foreign}}]})
    assert [m["userId"] for m in by_id["result"]] == [foreign]
    # A member from another organisation: the roles are held here, the user belongs there.
    (foreign_member,) = by_id["result"]
    assert foreign_member["userResourceOwner"] == other.tenant.org_id
    assert foreign_member["details"]["resourceOwner"] == tenant.org_id
    everyone = mgmt.ok("post", "/orgs/me/members/_search", {"query": {"limit": 1}})
    assert everyone["details"]["totalResult"] == "3" and len(everyone["result"]) == 1
    mgmt.ok("put", f"/orgs/me/members/{user_id}", {"roles": ["ORG_OWNER", "ORG_USER_MANAGER"]})
    assert_error(mgmt.put(f"/orgs/me/members/{user_id}", {"roles": ["ORG_USER_MANAGER", "ORG_OWNER"]}), 400, 9,
                 "Roles have not been changed", "Org-LiaZi")
    mgmt.ok("delete", f"/orgs/me/members/{foreign}")
    assert mgmt.ok("delete", f"/orgs/me/members/{foreign}") == {"details": {}}
    assert_error(mgmt.put(f"/orgs/me/members/{foreign}", {"roles": ["ORG_OWNER"]}), 404, 5, "Errors.NotFound",
                 "Org-D8JxR")


def test_member_roles_grant_permissions(client, mgmt, tenant):
    user_id = mgmt.machine("helper")
    mgmt.ok("post", "/orgs/me/members", {"userId": user_id, "roles": ["ORG_USER_MANAGER"]})
    with db.connection_context():
        _, token = tokens.add_pat(User.get_by_id(user_id), editor=None)
    helper = {"Authorization": f"Bearer {token}"}
    assert client.get(f"/management/v1/users/{user_id}", headers=helper).status_code == 200
    mgmt.ok("delete", f"/orgs/me/members/{user_id}")
    assert client.get(f"/management/v1/users/{user_id}", headers=helper).status_code == 403


def test_org_member_errors(mgmt, reader):
    user_id = mgmt.human()
    assert_error(mgmt.post("/orgs/me/members", {"userId": "404", "roles": ["ORG_OWNER"]}), 400, 9,
                 "User could not be found", "ORG-GoXOn")
    assert_error(mgmt.post("/orgs/me/members", {"userId": user_id, "roles": ["IAM_OWNER"]}), 400, 3,
                 "Member is invalid", "Org-4N8es")
    assert_error(mgmt.post("/orgs/me/members", {"userId": user_id}), 400, 3, "Errors.Invalid.Argument", "V2-PfYhb")
    assert_invalid(mgmt.post("/orgs/me/members", {"roles": ["ORG_OWNER"]}),
                   "invalid AddOrgMemberRequest.UserId: value length must be between 1 and 200 runes, inclusive")
    assert_denied(reader.post("/orgs/me/members", {"userId": user_id, "roles": ["ORG_OWNER"]}))
    mgmt.ok("post", "/orgs/me/members", {"userId": user_id, "roles": ["ORG_OWNER"]})
    assert_error(mgmt.post("/orgs/me/members", {"userId": user_id, "roles": ["ORG_OWNER"]}), 409, 6,
                 "Member already exists", "ORG-poWwe")
    assert_error(mgmt.put(f"/orgs/me/members/{user_id}", {"roles": []}), 400, 3, "Member is invalid", "Org-LiaZi")
    assert_error(mgmt.put(f"/orgs/me/members/{user_id}", {"roles": ["PROJECT_OWNER"]}), 400, 3, "Member is invalid",
                 "IAM-m9fG8")
    assert_denied(reader.put(f"/orgs/me/members/{user_id}", {"roles": ["ORG_OWNER_VIEWER"]}))
    assert_denied(reader.delete(f"/orgs/me/members/{user_id}"))
    # Malformed input changes nothing.
    for bad in ({"json": {"roles": "ORG_USER_MANAGER"}}, {"json": {"roles": ["x" * 201]}},
                {"data": "{", "content_type": "application/json"}):
        assert_invalid(mgmt.put(f"/orgs/me/members/{user_id}", **bad))
    (member,) = mgmt.ok("post", "/orgs/me/members/_search",
                        {"queries": [{"userIdQuery": {"userId": user_id}}]})["result"]
    assert member["roles"] == ["ORG_OWNER"]
    # ORG_OWNER_VIEWER may read the members (the tenant's own token user, the reader's and this one).
    assert reader.ok("post", "/orgs/me/members/_search", {})["details"]["totalResult"] == "3"
    assert_invalid(mgmt.post("/orgs/me/members/_search", {"queries": [{}]}))


def test_org_members_need_permissions(mgmt, roleless):
    user_id = mgmt.human()
    mgmt.ok("post", "/orgs/me/members", {"userId": user_id, "roles": ["ORG_OWNER"]})
    assert_denied(roleless.post("/orgs/me/members/_search", {}))
    assert_denied(roleless.post("/orgs/me/members", {"userId": user_id, "roles": ["ORG_OWNER"]}))
    assert_denied(roleless.put(f"/orgs/me/members/{user_id}", {"roles": ["ORG_OWNER_VIEWER"]}))
    assert_denied(roleless.delete(f"/orgs/me/members/{user_id}"))
    assert mgmt.ok("post", "/orgs/me/members/_search", {})["details"]["totalResult"] == "2"


def test_user_memberships(client, mgmt, other, tenant):
    user_id = mgmt.human()
    mgmt.ok("post", "/orgs/me/members", {"userId": user_id, "roles": ["ORG_OWNER"]})
    other.ok("post", "/orgs/me/members", {"userId": user_id, "roles": ["ORG_OWNER_VIEWER"]})
    admin = MgmtClient(client, make_tenant(("IAM_OWNER",), scope="iam"), org_header=tenant.org_id)
    with db.connection_context():
        members.grant(User.get_by_id(user_id), members.IAM_SCOPE, ["IAM_OWNER_VIEWER"], editor=None)
    found = admin.ok("post", f"/users/{user_id}/memberships/_search", {})
    # The instance's and the ctx org's memberships, not those in other organisations.
    assert found["details"]["totalResult"] == "2"
    by_kind = {("iam" if m.get("iam") else m["orgId"]): m for m in found["result"]}
    assert by_kind["iam"]["roles"] == ["IAM_OWNER_VIEWER"] and "resourceOwner" not in by_kind["iam"]["details"]
    assert by_kind[tenant.org_id]["roles"] == ["ORG_OWNER"]
    assert by_kind[tenant.org_id]["displayName"].startswith("org-") and by_kind[tenant.org_id]["userId"] == user_id
    only_org = admin.ok("post", f"/users/{user_id}/memberships/_search",
                        {"queries": [{"orgQuery": {"orgId": tenant.org_id}}]})
    assert [m["orgId"] for m in only_org["result"]] == [tenant.org_id]
    only_iam = admin.ok("post", f"/users/{user_id}/memberships/_search", {"queries": [{"iamQuery": {"iam": True}}]})
    assert [m.get("iam") for m in only_iam["result"]] == [True]
    projects = admin.ok("post", f"/users/{user_id}/memberships/_search",
                        {"queries": [{"projectQuery": {"projectId": "1"}}]})
    assert projects == {"details": projects["details"]} and "totalResult" not in projects["details"]
    assert_invalid(admin.post(f"/users/{user_id}/memberships/_search", {"queries": [{"iamQuery": {}, "orgQuery": {}}]}))
    assert_denied(MgmtClient(client, make_tenant(())).post(f"/users/{user_id}/memberships/_search", {}))


def test_memberships_of_a_user_of_another_organisation(mgmt, other, tenant):
    """ListUserMemberships looks no user up (§6.11): for a user of another organisation the ctx org sees only the
    roles held in it (and the instance's), never those in the user's own organisation; none is an empty list."""
    foreign = other.human("foreign")
    other.ok("post", "/orgs/me/members", {"userId": foreign, "roles": ["ORG_OWNER"]})
    listed = mgmt.ok("post", f"/users/{foreign}/memberships/_search", {})
    assert listed == {"details": listed["details"]} and "totalResult" not in listed["details"]
    assert "result" not in mgmt.ok("post", f"/users/{foreign}/memberships/_search",
                                   {"queries": [{"orgQuery": {"orgId": other.tenant.org_id}}]})
    assert "result" not in mgmt.ok("post", "/users/404/memberships/_search", {})
    # Made a member here, it is listed here, with this organisation's roles only.
    mgmt.ok("post", "/orgs/me/members", {"userId": foreign, "roles": ["ORG_OWNER_VIEWER"]})
    (membership,) = mgmt.ok("post", f"/users/{foreign}/memberships/_search", {})["result"]
    assert membership["orgId"] == tenant.org_id and membership["roles"] == ["ORG_OWNER_VIEWER"]


def test_org_creation_can_be_reserved_for_administrators(app, client, mgmt, roleless, monkeypatch):
    monkeypatch.setattr(app.config["SETTINGS"], "org_creation", "administrators")
    for creator in (mgmt, roleless):  # an ORG_OWNER, and a token with no role
        name = f"Reserved {creator.tenant.org_id}"
        assert_denied(creator.post("/orgs", {"name": name}))
        with db.connection_context():
            assert not Org.select().where(Org.name == name).exists()
    iam = MgmtClient(client, make_tenant(("IAM_ORG_MANAGER",), scope="iam"))
    assert iam.ok("post", "/orgs", {"name": f"Reserved by {iam.tenant.org_id}"})["id"]


def test_org_creation_setting_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("ORG_CREATION", "Administrators")
    assert Settings.from_env().org_creation == "administrators"
    monkeypatch.delenv("ORG_CREATION")
    assert Settings.from_env().org_creation == "authenticated"
    monkeypatch.setenv("ORG_CREATION", "everyone")
    with pytest.raises(ValueError, match="ORG_CREATION must be one of"):
        Settings.from_env()
