"""Kept principals (auth/principal_cache.py): reused between requests, never trusted after a change.

Every change below is made straight in the database, not through the gateway,
as another gateway instance or an operator would make it: only the database's
own triggers (migration 0012) can tell this worker its kept answer is stale.
"""
import datetime
import importlib
import time

import pytest

import auth.principal
from models import auth_epoch, members
from models.db import db, transaction
from models.tables import Member, Org, PersonalAccessToken, User, UserMetadata, UserState, utcnow
from models.tokens import add_pat
from tests.conftest import ScimClient, make_tenant
from tests.http.scim_helpers import assert_scim_error

NARROWED = importlib.import_module("models.migrations.0016_auth_epoch_machine_users_only")


def lookup(client, tenant):
    return client.get("/scim/v2/Users?filter=userName%20eq%20%22nobody%22", headers=tenant.auth)


@pytest.fixture
def resolutions(monkeypatch):
    """How many times a token was resolved from its rows (not taken from the cache)."""
    calls = []
    real = auth.principal.resolve
    monkeypatch.setattr(auth.principal, "resolve", lambda token: calls.append(token) or real(token))
    return calls


def test_a_token_is_resolved_once_while_nothing_changes(client, app, resolutions):
    tenant = make_tenant()
    for _ in range(3):
        assert lookup(client, tenant).status_code == 200
    assert resolutions == [tenant.token]


def test_writes_that_cannot_change_a_token_leave_kept_principals_alone(client, app, resolutions):
    tenant = make_tenant()
    scim = ScimClient(client, tenant)
    assert lookup(client, tenant).status_code == 200
    with db.connection_context():
        before = auth_epoch.current()
    created = scim.create_user("kept@example.com")
    assert scim.patch(f"/Users/{created['id']}", {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                                                  "Operations": [{"op": "replace", "path": "displayName",
                                                                  "value": "Kept"}]}).status_code == 200
    with db.connection_context():
        add_pat(User.get_by_id(tenant.user_id), editor=None)  # a new token of the same user
        User.update(display_name="Renamed client").where(User.id == tenant.user_id).execute()
        assert auth_epoch.current() == before
    assert lookup(client, tenant).status_code == 200
    assert resolutions == [tenant.token]


def _deactivate(tenant):
    User.update(state=UserState.INACTIVE).where(User.id == tenant.user_id).execute()


def _lock(tenant):
    User.update(state=UserState.LOCKED).where(User.id == tenant.user_id).execute()


def _delete_user(tenant):
    User.delete().where(User.id == tenant.user_id).execute()


def _delete_org(tenant):
    Org.delete().where(Org.id == tenant.org_id).execute()


def _delete_pat(tenant):
    PersonalAccessToken.delete().where(PersonalAccessToken.user == tenant.user_id).execute()


def _expire_pat(tenant):
    PersonalAccessToken.update(expires_at=utcnow() - datetime.timedelta(seconds=1)).where(
        PersonalAccessToken.user == tenant.user_id).execute()


def _remove_roles(tenant):
    Member.delete().where(Member.user == tenant.user_id).execute()


def _demote(tenant):
    Member.update(roles="ORG_SETTINGS_MANAGER").where(Member.user == tenant.user_id).execute()


@pytest.mark.parametrize("change, status", [
    (_deactivate, 401), (_lock, 401), (_delete_user, 401), (_delete_org, 401), (_delete_pat, 401),
    (_expire_pat, 401), (_remove_roles, 403), (_demote, 403),
])
def test_a_change_in_the_database_takes_effect_on_the_next_request(client, app, change, status):
    tenant = make_tenant()
    assert lookup(client, tenant).status_code == 200
    assert lookup(client, tenant).status_code == 200  # now answered from the cache
    with db.connection_context():
        change(tenant)
    assert_scim_error(lookup(client, tenant), status)


def test_a_granted_role_takes_effect_on_the_next_request(client, app):
    tenant = make_tenant(roles=())
    assert_scim_error(lookup(client, tenant), 403)
    assert_scim_error(lookup(client, tenant), 403)
    with db.connection_context():
        members.grant(User.get_by_id(tenant.user_id), tenant.org_id, ["ORG_USER_MANAGER"], editor=None)
    assert lookup(client, tenant).status_code == 200


def test_a_kept_principal_expires_with_its_token(client, app):
    tenant = make_tenant()
    with db.connection_context():
        _, token = add_pat(User.get_by_id(tenant.user_id), editor=None,
                           expires_at=utcnow() + datetime.timedelta(seconds=1.5))
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/scim/v2/Users?count=0", headers=headers).status_code == 200
    time.sleep(1.6)
    assert_scim_error(client.get("/scim/v2/Users?count=0", headers=headers), 401)


def test_a_change_to_the_callers_own_metadata_takes_effect_on_the_next_request(client, app, resolutions):
    """The caller's switches are kept with its principal; its provisioningDomain decides which externalId it sees."""
    tenant = make_tenant()
    scim = ScimClient(client, tenant)
    created = scim.create_user("scoped@example.com", externalId="plain-1")
    assert scim.get(f"/Users/{created['id']}").get_json()["externalId"] == "plain-1"
    with db.connection_context():
        before = auth_epoch.current()
        UserMetadata.create(user=tenant.user_id, key="urn:zitadel:scim:provisioningDomain", value=b"okta1")
        assert auth_epoch.current() > before
    assert "externalId" not in scim.get(f"/Users/{created['id']}").get_json()
    with db.connection_context():
        UserMetadata.delete().where(UserMetadata.user == tenant.user_id).execute()
    assert scim.get(f"/Users/{created['id']}").get_json()["externalId"] == "plain-1"
    assert len(resolutions) == 3  # once before each change, once after each


def test_a_synced_users_metadata_leaves_kept_principals_alone(client, app):
    tenant = make_tenant()
    created = ScimClient(client, tenant).create_user("synced@example.com")
    with db.connection_context():
        before = auth_epoch.current()
        # (a key outside the SCIM attributes, so that the search index stays consistent with it)
        UserMetadata.create(user=created["id"], key="note", value=b"first")
        UserMetadata.update(value=b"second").where(UserMetadata.user == created["id"]).execute()
        UserMetadata.delete().where(UserMetadata.user == created["id"]).execute()
        assert auth_epoch.current() == before


def test_a_synced_users_state_and_removal_leave_kept_principals_alone(client, app, resolutions):
    """Humans hold no tokens (migration 0016): an IdP's deactivation run keeps its own token's answer."""
    tenant, elsewhere = make_tenant(), make_tenant()
    scim = ScimClient(client, tenant)
    created = scim.create_user("leaving@example.com")
    with db.connection_context():
        before = auth_epoch.current()
    for active in (False, True, False):
        answer = scim.patch(f"/Users/{created['id']}", {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                                                        "Operations": [{"op": "replace", "value": {"active": active}}]})
        assert answer.status_code == 200 and answer.get_json()["active"] is active
    # (on PostgreSQL the removal also deletes from member and the token tables, by cascade, with no row)
    assert scim.delete(f"/Users/{created['id']}").status_code == 204
    other = scim.create_user("moved@example.com")
    with db.connection_context():
        User.update(state=UserState.LOCKED, org=elsewhere.org_id).where(User.id == other["id"]).execute()
        User.update(org=tenant.org_id).where(User.id == other["id"]).execute()  # (the user counts stay right)
        assert auth_epoch.current() == before
    assert lookup(client, tenant).status_code == 200
    assert resolutions == [tenant.token]


def test_a_statement_that_revokes_nothing_leaves_kept_principals_alone(client, app, resolutions):
    tenant = make_tenant()
    assert lookup(client, tenant).status_code == 200
    with db.connection_context():
        before = auth_epoch.current()
        nobody = Member.user == "no-such-user"
        Member.delete().where(nobody).execute()
        Member.update(roles="ORG_OWNER").where(nobody).execute()
        PersonalAccessToken.delete().where(PersonalAccessToken.user == "no-such-user").execute()
        assert auth_epoch.current() == before
    assert lookup(client, tenant).status_code == 200
    assert resolutions == [tenant.token]


def test_before_migration_0016_a_synced_users_deactivation_moved_the_epoch(client, app):
    tenant = make_tenant()
    created = ScimClient(client, tenant).create_user("before-0016@example.com")
    with db.connection_context(), transaction():
        NARROWED.down(None, db.obj)
        before = auth_epoch.current()
        User.update(state=UserState.INACTIVE).where(User.id == created["id"]).execute()
        assert auth_epoch.current() == before + 1
        NARROWED.up(None, db.obj)
        User.update(state=UserState.ACTIVE).where(User.id == created["id"]).execute()
        assert auth_epoch.current() == before + 1
