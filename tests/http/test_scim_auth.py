"""Authentication, permissions and organisation scoping of /scim/v2 and /scim/v2/{orgId}.

Okta's spec test step 11 sends `Authorization: non-token` and checks a SCIM 401 body.
"""
import datetime

import pytest

from models.db import db
from models.tables import PersonalAccessToken, User, UserState
from tests.conftest import ScimClient, make_tenant
from tests.http.scim_helpers import CORE, PATCH_OP, SCIM_JSON, assert_scim_error, user_names

# ------------------------------------------------------------------------------- 401


@pytest.mark.parametrize("header", [None, "non-token", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz",
                                    "Bearer unknown-token"])
def test_missing_or_bad_authorization_is_401_scim_error(client, header):
    headers = {"Authorization": header} if header is not None else {}
    response = client.get("/scim/v2/Users", headers=headers)
    assert_scim_error(response, 401)
    assert response.headers["WWW-Authenticate"].lower().startswith("bearer")


def test_okta_spec_step_11_non_token_on_user_lookup_is_401(client):
    response = client.get("/scim/v2/Users?filter=userName%20eq%20%22x%22", headers={"Authorization": "non-token"})
    body = assert_scim_error(response, 401)
    assert body["status"] == "401"


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_writes_without_token_are_401_and_change_nothing(client, scim, method):
    created = scim.create_user("untouched@example.com")
    path = "/scim/v2/Users" if method == "post" else f"/scim/v2/Users/{created['id']}"
    body = {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": False}}]} \
        if method == "patch" else {"schemas": [CORE], "userName": "intruder@example.com"}
    response = getattr(client, method)(path, json=body, content_type=SCIM_JSON)
    assert_scim_error(response, 401)
    after = scim.get(f"/Users/{created['id']}").get_json()
    assert after["userName"] == "untouched@example.com" and after["active"] is True
    assert after["meta"]["version"] == created["meta"]["version"]
    assert user_names(scim) == ["untouched@example.com"]


def test_token_of_deactivated_machine_user_is_401(client, app):
    tenant = make_tenant()
    assert client.get("/scim/v2/Users", headers=tenant.auth).status_code == 200
    with db.connection_context():
        User.update(state=UserState.INACTIVE).where(User.id == tenant.user_id).execute()
    assert_scim_error(client.get("/scim/v2/Users", headers=tenant.auth), 401)


def test_token_of_locked_machine_user_is_401(client, app):
    tenant = make_tenant()
    with db.connection_context():
        User.update(state=UserState.LOCKED).where(User.id == tenant.user_id).execute()
    assert_scim_error(client.get("/scim/v2/Users", headers=tenant.auth), 401)


def test_expired_token_is_401(client, app):
    tenant = make_tenant()
    with db.connection_context():
        PersonalAccessToken.update(expires_at=datetime.datetime(2020, 1, 1)).where(
            PersonalAccessToken.user == tenant.user_id).execute()
    assert_scim_error(client.get("/scim/v2/Users", headers=tenant.auth), 401)


# ------------------------------------------------------------------------------- 403


def test_token_without_any_role_is_403(client, app):
    tenant = make_tenant(roles=())
    assert_scim_error(client.get("/scim/v2/Users", headers=tenant.auth), 403)
    body = {"schemas": [CORE], "userName": "nobody@example.com"}
    assert_scim_error(client.post("/scim/v2/Users", json=body, headers=tenant.auth), 403)


def test_viewer_role_can_read_but_not_write(client, scim, app):
    created = scim.create_user("viewed@example.com")
    viewer = make_tenant(roles=("ORG_OWNER_VIEWER",))
    as_viewer = ScimClient(client, viewer)
    listed = as_viewer.get("/Users")
    assert listed.status_code == 200 and listed.get_json()["totalResults"] == 0
    assert_scim_error(as_viewer.post("/Users", {"schemas": [CORE], "userName": "no@example.com"}), 403)
    assert user_names(as_viewer) == []
    assert user_names(scim) == ["viewed@example.com"]
    assert scim.get(f"/Users/{created['id']}").status_code == 200


def test_user_manager_role_can_create_and_delete(client, app):
    manager = ScimClient(client, make_tenant(roles=("ORG_USER_MANAGER",)))
    created = manager.create_user("managed@example.com")
    assert manager.delete(f"/Users/{created['id']}").status_code == 204


def test_project_viewer_can_read_but_not_delete(client, app):
    viewer = make_tenant(roles=("PROJECT_OWNER_VIEWER",))
    admin = ScimClient(client, make_tenant(roles=("IAM_OWNER",), scope="iam"), prefix=f"/scim/v2/{viewer.org_id}")
    target = admin.create_user("kept@example.com")
    as_viewer = ScimClient(client, viewer)
    seen = as_viewer.get(f"/Users/{target['id']}").get_json()
    assert seen["userName"] == "kept@example.com" and seen["meta"]["version"] == target["meta"]["version"]
    assert_scim_error(as_viewer.delete(f"/Users/{target['id']}"), 403)
    patch = {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": False}}]}
    assert_scim_error(as_viewer.patch(f"/Users/{target['id']}", patch), 403)
    assert as_viewer.get(f"/Users/{target['id']}").get_json() == seen


def test_org_role_does_not_reach_another_org_through_the_path(client, scim, app):
    created = scim.create_user("elsewhere@example.com")
    viewer = make_tenant(roles=("ORG_OWNER",))
    path = f"/scim/v2/{scim.tenant.org_id}/Users/{created['id']}"
    assert_scim_error(client.get(path, headers=viewer.auth), 403)


# ------------------------------------------------------------------------ org scoping


def test_explicit_org_path_works_for_the_orgs_own_token(scim):
    org = scim.tenant.org_id
    scoped = ScimClient(scim.client, scim.tenant, prefix=f"/scim/v2/{org}")
    response = scoped.post("/Users", {"schemas": [CORE], "userName": "scoped@example.com"})
    assert response.status_code == 201
    body = response.get_json()
    assert response.headers["Location"] == body["meta"]["location"]
    assert f"/scim/v2/{org}/Users/{body['id']}" in body["meta"]["location"]
    assert scoped.get(f"/Users/{body['id']}").status_code == 200
    # the same user through the caller's own base
    assert user_names(scim) == ["scoped@example.com"]
    assert [r["id"] for r in scoped.get("/Users").get_json()["Resources"]] == [body["id"]]


def test_another_orgs_id_in_the_path_is_403(scim, other_tenant):
    other = ScimClient(scim.client, other_tenant)
    theirs = other.create_user("theirs@example.com")
    foreign = ScimClient(scim.client, scim.tenant, prefix=f"/scim/v2/{other_tenant.org_id}")
    assert_scim_error(foreign.get("/Users"), 403)
    assert_scim_error(foreign.get(f"/Users/{theirs['id']}"), 403)
    assert_scim_error(foreign.post("/Users", {"schemas": [CORE], "userName": "planted@example.com"}), 403)
    assert_scim_error(foreign.delete(f"/Users/{theirs['id']}"), 403)
    assert user_names(other) == ["theirs@example.com"]


def test_user_of_another_org_is_404_on_every_method(scim, other_tenant):
    other = ScimClient(scim.client, other_tenant)
    theirs = other.create_user("victim@example.com", displayName="Victim")
    path = f"/Users/{theirs['id']}"
    assert_scim_error(scim.get(path), 404)
    assert_scim_error(scim.put(path, {"schemas": [CORE], "userName": "hijacked@example.com"}), 404)
    patch = {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": False}}]}
    assert_scim_error(scim.patch(path, patch), 404)
    assert_scim_error(scim.delete(path), 404)
    after = other.get(path).get_json()
    assert after["userName"] == "victim@example.com" and after["active"] is True
    assert after["meta"]["version"] == theirs["meta"]["version"]


def test_users_of_another_org_never_appear_in_lists_or_filters(scim, other_tenant):
    other = ScimClient(scim.client, other_tenant)
    theirs = other.create_user("shared-name@example.com", externalId="ext-1",
                               emails=[{"value": "shared@example.com", "type": "work"}])
    mine = scim.create_user("mine@example.com")
    assert user_names(scim) == ["mine@example.com"]
    for text in ['userName eq "shared-name@example.com"', 'externalId eq "ext-1"',
                 'emails[type eq "work"].value eq "shared@example.com"', f'id eq "{theirs["id"]}"',
                 'userName pr', 'not (userName eq "mine@example.com")']:
        found = user_names(scim, text)
        assert "shared-name@example.com" not in found, text
    search = scim.post("/Users/.search", {"filter": f'id eq "{theirs["id"]}"'}).get_json()
    assert search["totalResults"] == 0 and search["Resources"] == []
    # the same userName is free in another org
    assert scim.create_user("shared-name@example.com")["id"] not in (theirs["id"], mine["id"])


def test_iam_owner_can_use_any_orgs_path(scim, client, app):
    admin = make_tenant(roles=("IAM_OWNER",), scope="iam")
    target = scim.tenant.org_id
    as_admin = ScimClient(client, admin, prefix=f"/scim/v2/{target}")
    created = as_admin.create_user("by-admin@example.com")
    assert f"/scim/v2/{target}/Users/" in created["meta"]["location"]
    assert user_names(scim) == ["by-admin@example.com"]
    assert as_admin.get(f"/Users/{created['id']}").status_code == 200
    assert [r["id"] for r in as_admin.get("/Users").get_json()["Resources"]] == [created["id"]]
    # without the org segment the admin works in its own org, which does not hold the user
    assert_scim_error(ScimClient(client, admin).get(f"/Users/{created['id']}"), 404)
    assert as_admin.delete(f"/Users/{created['id']}").status_code == 204
    assert user_names(scim) == []


def test_unknown_org_in_the_path_is_404(client, app):
    admin = make_tenant(roles=("IAM_OWNER",), scope="iam")
    assert_scim_error(client.get("/scim/v2/123456789/Users", headers=admin.auth), 404)


def test_machine_users_are_not_scim_resources(scim):
    # the calling token's own machine user lives in the org but is not a SCIM User
    assert_scim_error(scim.get(f"/Users/{scim.tenant.user_id}"), 404)
    assert user_names(scim) == []
    assert user_names(scim, 'userName eq "scim-client"') == []
