"""/Me (RFC 7644 §3.11): the User resource of whoever the bearer token belongs to.

A human user's own token needs no role for its own resource through /Me, and only there:
/Users/{own id} asks for the role as for any other id (as ZITADEL does); a service
account's token has no SCIM User behind it (404).
"""
import pytest

from models import tokens
from models.db import db
from models.users import get_user
from tests.conftest import ScimClient, Tenant, make_tenant
from tests.http.scim_helpers import CORE, PATCH_OP, SCIM_JSON, assert_scim_error


def token_for(org_id, user_id):
    with db.connection_context():
        _, token = tokens.add_pat(get_user(org_id, user_id), editor=None)
    return token


@pytest.fixture
def me(scim):
    """The SCIM resource of a human user, created by the tenant's provisioning client."""
    return scim.create_user("me@example.com", displayName="Me Myself", title="Engineer",
                            name={"givenName": "Me", "familyName": "Myself"})


@pytest.fixture
def own(client, scim, me):
    """A client speaking as the human user `me` itself (a PAT, and no role at all)."""
    return ScimClient(client, Tenant(scim.tenant.org_id, token_for(scim.tenant.org_id, me["id"]), me["id"]))


def fresh(scim, user):
    return scim.get(f"/Users/{user['id']}").get_json()


def test_get_me_returns_the_own_user_resource(scim, own, me):
    response = own.get("/Me")
    assert response.status_code == 200, response.get_json()
    assert response.mimetype == SCIM_JSON
    body = response.get_json()
    # the token changed the user's version (a PAT was added); otherwise it is the same resource
    assert body == fresh(scim, me)
    assert body["id"] == me["id"]
    assert body["userName"] == "me@example.com"
    assert body["meta"]["location"] == me["meta"]["location"]
    assert response.headers["ETag"] == body["meta"]["version"]


def test_get_me_honours_attributes(own, me):
    body = own.get("/Me", query_string={"attributes": "userName"}).get_json()
    assert body == {"schemas": [CORE], "id": me["id"], "userName": "me@example.com"}


def test_own_id_through_users_needs_the_role_while_me_does_not(scim, own, me):
    """ZITADEL asks for user.read/user.write/user.delete on /Users/{id} (reference §8.1), own id included."""
    path, before = f"/Users/{me['id']}", fresh(scim, me)
    assert_scim_error(own.get(path), 403)
    assert_scim_error(own.put(path, {"schemas": [CORE], "userName": "renamed@example.com"}), 403)
    assert_scim_error(own.patch(path, {"schemas": [PATCH_OP], "Operations": [
        {"op": "replace", "path": "title", "value": "x"}]}), 403)
    assert fresh(scim, me) == before
    response = own.get("/Me")
    assert response.status_code == 200
    assert response.get_json() == fresh(scim, me)


def test_no_role_means_403_on_another_user_and_on_lists(scim, own):
    other = scim.create_user("other@example.com")
    assert_scim_error(own.get(f"/Users/{other['id']}"), 403)
    assert_scim_error(own.put(f"/Users/{other['id']}", {"schemas": [CORE], "userName": "other@example.com"}), 403)
    assert_scim_error(own.patch(f"/Users/{other['id']}", {"schemas": [PATCH_OP], "Operations": [
        {"op": "replace", "path": "title", "value": "x"}]}), 403)
    assert_scim_error(own.delete(f"/Users/{other['id']}"), 403)
    assert_scim_error(own.get("/Users"), 403)
    assert_scim_error(own.get("/Groups"), 403)
    assert_scim_error(own.post("/Users", {"schemas": [CORE], "userName": "new@example.com"}), 403)
    assert fresh(scim, other) == other


def test_patch_me(scim, own, me):
    response = own.patch("/Me", {"schemas": [PATCH_OP], "Operations": [
        {"op": "replace", "path": "title", "value": "Manager"}]})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["title"] == "Manager"
    assert fresh(scim, me) == response.get_json()


def test_put_me(scim, own, me):
    body = {"schemas": [CORE], "userName": "me@example.com", "displayName": "Me Again", "active": True}
    response = own.put("/Me", body)
    assert response.status_code == 200, response.get_json()
    current = fresh(scim, me)
    assert response.get_json() == current
    assert current["displayName"] == "Me Again"
    assert "title" not in current  # PUT replaces


def test_put_me_with_a_stale_version_is_412(scim, own, me):
    response = own.put("/Me", {"schemas": [CORE], "userName": "me@example.com"}, headers={"If-Match": 'W/"1"'})
    assert_scim_error(response, 412)
    assert fresh(scim, me)["title"] == "Engineer"


def test_invalid_put_me_is_400(scim, own, me):
    assert_scim_error(own.put("/Me", {"schemas": [CORE]}), 400)
    assert fresh(scim, me)["userName"] == "me@example.com"


def test_delete_me_removes_the_user_and_its_token(scim, own, me):
    response = own.delete("/Me")
    assert response.status_code == 204
    assert_scim_error(scim.get(f"/Users/{me['id']}"), 404)
    # the token belonged to the removed user
    assert_scim_error(own.get("/Me"), 401)


def test_delete_own_resource_through_users_needs_the_role_but_through_me_not(scim, own, me):
    before = fresh(scim, me)
    assert_scim_error(own.delete(f"/Users/{me['id']}"), 403)
    assert fresh(scim, me) == before
    assert own.delete("/Me").status_code == 204
    assert_scim_error(scim.get(f"/Users/{me['id']}"), 404)


def test_deactivated_user_cannot_use_its_token(scim, own, me):
    scim.patch(f"/Users/{me['id']}", {"schemas": [PATCH_OP], "Operations": [
        {"op": "replace", "value": {"active": False}}]})
    assert_scim_error(own.get("/Me"), 401)


def test_me_shows_own_groups(scim, own, me):
    group = scim.post("/Groups", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                                  "displayName": "Mine", "members": [{"value": me["id"]}]}).get_json()
    assert [g["value"] for g in own.get("/Me").get_json()["groups"]] == [group["id"]]
    # but the groups themselves stay out of reach without a role
    assert_scim_error(own.get(f"/Groups/{group['id']}"), 403)


def test_patch_me_cannot_change_own_groups(scim, own, me):
    response = own.patch("/Me", {"schemas": [PATCH_OP], "Operations": [
        {"op": "add", "path": "groups", "value": [{"value": "123"}]}]})
    assert_scim_error(response, 400, "mutability")


def test_me_with_the_explicit_own_org_prefix(client, own, me):
    explicit = ScimClient(client, own.tenant, prefix=f"/scim/v2/{own.tenant.org_id}")
    response = explicit.get("/Me")
    assert response.status_code == 200
    assert response.get_json()["id"] == me["id"]
    assert response.get_json()["meta"]["location"].startswith(f"http://localhost/scim/v2/{own.tenant.org_id}/Users/")


def test_me_under_another_orgs_prefix_shows_no_data(client, own):
    other = make_tenant()
    foreign = ScimClient(client, own.tenant, prefix=f"/scim/v2/{other.org_id}")
    for response in (foreign.get("/Me"),
                     foreign.patch("/Me", {"schemas": [PATCH_OP], "Operations": [
                         {"op": "replace", "path": "title", "value": "x"}]}),
                     foreign.put("/Me", {"schemas": [CORE], "userName": "x@example.com"}),
                     foreign.delete("/Me")):
        body = assert_scim_error(response, 404)
        assert "organisation" in body["detail"]
        assert "me@example.com" not in response.get_data(as_text=True)
        assert set(body) <= {"schemas", "status", "detail", "scimType"}
    assert own.get("/Me").status_code == 200


def test_me_under_an_unknown_org_prefix_is_404(client, own):
    assert_scim_error(ScimClient(client, own.tenant, prefix="/scim/v2/999999999").get("/Me"), 404)


def test_service_account_token_gets_404_on_me(scim):
    for response in (scim.get("/Me"), scim.delete("/Me"),
                     scim.patch("/Me", {"schemas": [PATCH_OP], "Operations": [
                         {"op": "replace", "path": "title", "value": "x"}]}),
                     scim.put("/Me", {"schemas": [CORE], "userName": "svc@example.com"})):
        body = assert_scim_error(response, 404)
        assert "service account" in body["detail"]
    # and the service account is untouched: it is still the one calling
    assert scim.get("/Users").status_code == 200


def test_service_account_without_roles_gets_404_on_me(client, app):
    assert_scim_error(ScimClient(client, make_tenant(roles=())).get("/Me"), 404)


def test_me_without_a_token_is_401(client):
    assert_scim_error(client.get("/scim/v2/Me"), 401)
    assert_scim_error(client.get("/scim/v2/Me", headers={"Authorization": "Bearer nonsense"}), 401)


def test_every_me_response_names_the_aliased_user_in_location(own, me):
    """RFC 7644 §3.11: "In any response, the HTTP Location header MUST be the permanent location of the
    aliased resource"."""
    location = me["meta"]["location"]
    responses = [
        own.get("/Me"),
        own.patch("/Me", {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "title", "value": "X"}]}),
        own.put("/Me", {"schemas": [CORE], "userName": "me@example.com", "title": "Y"}),
        own.delete("/Me"),
    ]
    assert [r.status_code for r in responses] == [200, 200, 200, 204]
    assert all(r.headers.get("Location") == location for r in responses)
