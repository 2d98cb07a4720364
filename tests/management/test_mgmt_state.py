"""#9-#12 state changes (§6.3), #13 delete, #14 rename."""
import pytest

from models.db import db
from models.tables import Member
from tests.conftest import make_tenant
from tests.management.mgmt_helpers import MgmtClient, assert_denied, assert_error, assert_invalid


def state(mgmt, user_id):
    return mgmt.user(user_id)["state"]


def test_deactivate_and_reactivate(mgmt):
    user_id = mgmt.human()
    details = mgmt.ok("post", f"/users/{user_id}/_deactivate", {})["details"]
    assert set(details) == {"sequence", "changeDate", "resourceOwner"}
    assert state(mgmt, user_id) == "USER_STATE_INACTIVE"
    assert mgmt.user(user_id)["details"]["sequence"] == details["sequence"]
    assert_error(mgmt.post(f"/users/{user_id}/_deactivate", {}), 400, 9, "User already inactive", "COMMAND-5M0sf")
    mgmt.ok("post", f"/users/{user_id}/_reactivate", {"ignored": True})
    assert state(mgmt, user_id) == "USER_STATE_ACTIVE"
    assert_error(mgmt.post(f"/users/{user_id}/_reactivate"), 400, 9, "User is not inactive", "COMMAND-6M0sf")


def test_initial_users_cannot_be_deactivated(mgmt):
    user_id = mgmt.human(verified=False)
    response = mgmt.post(f"/users/{user_id}/_deactivate")
    assert_error(response, 404, 5, "User with state initial can only be deleted not deactivated", "COMMAND-ke0fw")
    assert state(mgmt, user_id) == "USER_STATE_INITIAL"


def test_lock_and_unlock(mgmt):
    user_id = mgmt.human(verified=False)
    mgmt.ok("post", f"/users/{user_id}/_lock")
    assert state(mgmt, user_id) == "USER_STATE_LOCKED"
    assert_error(mgmt.post(f"/users/{user_id}/_lock"), 400, 9, "User is not active or initial", "COMMAND-3NN8v")
    # A locked user can be deactivated, and unlocking an INITIAL user activates it.
    mgmt.ok("post", f"/users/{user_id}/_unlock")
    assert state(mgmt, user_id) == "USER_STATE_ACTIVE"
    assert_error(mgmt.post(f"/users/{user_id}/_unlock"), 400, 9, "User is not locked", "COMMAND-4M0ds")
    mgmt.ok("post", f"/users/{user_id}/_lock")
    mgmt.ok("post", f"/users/{user_id}/_deactivate")
    assert_error(mgmt.post(f"/users/{user_id}/_lock"), 400, 9, "User is not active or initial", "COMMAND-3NN8v")


def test_locked_machine_token_stops_working(client):
    victim = make_tenant()
    admin = MgmtClient(client, make_tenant(("IAM_OWNER",), scope="iam"), org_header=victim.org_id)
    admin.ok("post", f"/users/{victim.user_id}/_lock")
    denied = MgmtClient(client, victim).get(f"/users/{victim.user_id}")
    assert_error(denied, 401, 16, "Errors.Token.Invalid", "AUTH-7fs1e")


@pytest.mark.parametrize("action, error_id", [
    ("_deactivate", "COMMAND-3M9ds"), ("_reactivate", "COMMAND-4M0sd"), ("_lock", "COMMAND-5M9fs"),
    ("_unlock", "COMMAND-M0dos"),
])
def test_state_changes_of_unknown_and_foreign_users(mgmt, other, reader, action, error_id):
    assert_error(mgmt.post(f"/users/404/{action}"), 404, 5, "User could not be found", error_id)
    foreign = other.human("foreign")
    assert_error(mgmt.post(f"/users/{foreign}/{action}"), 404, 5, "User could not be found", error_id)
    assert_denied(reader.post(f"/users/{foreign}/{action}"))
    assert_invalid(mgmt.post(f"/users/{foreign}/{action}", data="{", content_type="application/json"))
    assert other.user(foreign)["state"] == "USER_STATE_ACTIVE"


def test_delete(mgmt, reader):
    user_id = mgmt.human()
    with db.connection_context():
        Member.create(user=user_id, scope=mgmt.tenant.org_id, roles="ORG_OWNER")
    assert_denied(reader.delete(f"/users/{user_id}"))
    details = mgmt.ok("delete", f"/users/{user_id}")["details"]
    assert set(details) == {"sequence", "changeDate", "resourceOwner"}
    assert_error(mgmt.get(f"/users/{user_id}"), 404, 5, "User could not be found", "QUERY-Dfbg2")
    assert_error(mgmt.delete(f"/users/{user_id}"), 404, 5, "User could not be found", "COMMAND-m9od")
    with db.connection_context():
        assert not Member.select().where(Member.user == user_id).exists()
    # The username is free again.
    assert mgmt.human() != user_id


def test_delete_needs_user_delete_not_write(client, mgmt, tenant, other):
    login_client = MgmtClient(client, make_tenant(("IAM_LOGIN_CLIENT",), scope="iam"), org_header=tenant.org_id)
    user_id = mgmt.human()
    assert_denied(login_client.delete(f"/users/{user_id}"))
    foreign = other.human("foreign")
    assert_error(mgmt.delete(f"/users/{foreign}"), 404, 5, "User could not be found", "COMMAND-m9od")


def test_rename(mgmt, other, reader):
    user_id = mgmt.human("before")
    mgmt.human("taken")
    details = mgmt.ok("put", f"/users/{user_id}/username", {"userName": "  after "})["details"]
    assert set(details) == {"sequence", "changeDate", "resourceOwner"}
    assert mgmt.user(user_id)["userName"] == "after"
    assert_error(mgmt.put(f"/users/{user_id}/username", {"userName": "after"}), 400, 9, "Username not changed",
                 "COMMAND-6m9gs")
    assert_error(mgmt.put(f"/users/{user_id}/username", {"userName": "TAKEN"}), 409, 6, "User already exists",
                 "V3-DKcYh")
    assert_error(mgmt.put("/users/404/username", {"userName": "x"}), 404, 5, "User could not be found",
                 "COMMAND-5N9ds")
    foreign = other.human("foreign")
    assert_error(mgmt.put(f"/users/{foreign}/username", {"userName": "x"}), 404, 5, "User could not be found",
                 "COMMAND-5N9ds")
    assert_invalid(mgmt.put(f"/users/{user_id}/username", {"userName": ""}),
                   "invalid UpdateUserNameRequest.UserName: value length must be between 1 and 200 runes, inclusive")
    assert_denied(reader.put(f"/users/{user_id}/username", {"userName": "r"}))
    assert mgmt.user(user_id)["userName"] == "after"
