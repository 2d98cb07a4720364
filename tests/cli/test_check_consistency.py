"""flask check-consistency: silent on a database every API has written to, loud on a broken one."""
import uuid

from models.db import db
from models.tables import Event, User, UserAttr
from models.users import reindex


def test_consistent_after_scim_and_management_writes(app, scim, client, tenant):
    user = scim.create_user("consistent@example.com", externalId="x-1",
                            emails=[{"value": "c@example.com", "type": "work"}])
    scim.patch(f"/Users/{user['id']}", {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                                         "Operations": [{"op": "replace", "path": "title", "value": "Boss"}]})
    group = scim.post("/Groups", {"displayName": f"g-{uuid.uuid4().hex[:6]}", "members": [{"value": user["id"]}]})
    assert group.status_code == 201
    client.post(f"/management/v1/users/{user['id']}/_deactivate", json={}, headers=tenant.auth)
    doomed = scim.create_user("doomed@example.com")
    assert scim.delete(f"/Users/{doomed['id']}").status_code == 204
    result = app.test_cli_runner().invoke(args=["check-consistency"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("0 problems")


def test_reports_a_user_whose_sequence_does_not_match_its_events(app, scim):
    user = scim.create_user("broken@example.com", title="T")
    with db.connection_context():
        User.update(sequence=User.sequence + 1000).where(User.id == user["id"]).execute()
        UserAttr.delete().where(UserAttr.user == user["id"]).execute()
    result = app.test_cli_runner().invoke(args=["check-consistency"])
    assert result.exit_code == 1
    assert f"user {user['id']} is at sequence" in result.output
    assert f"user {user['id']}: search index does not match its metadata" in result.output
    with db.connection_context():  # leave the shared database consistent for the other tests
        latest = max(e.id for e in Event.select().where(Event.aggregate_id == user["id"]))
        User.update(sequence=latest).where(User.id == user["id"]).execute()
        reindex(User.get_by_id(user["id"]))


def test_reports_a_member_whose_groups_sequence_says_it_never_was_in_a_group(app, scim):
    # SCIM renders no groups for a user at groups_sequence 0 without asking (models.groups.groups_of_users).
    user = scim.create_user("member-at-zero@example.com")
    group = scim.post("/Groups", {"displayName": f"g-{uuid.uuid4().hex[:6]}", "members": [{"value": user["id"]}]})
    assert group.status_code == 201
    assert [g["value"] for g in scim.get(f"/Users/{user['id']}").get_json()["groups"]] == [group.get_json()["id"]]
    with db.connection_context():
        kept = User.get_by_id(user["id"]).groups_sequence
        User.update(groups_sequence=0).where(User.id == user["id"]).execute()
    result = app.test_cli_runner().invoke(args=["check-consistency"])
    assert result.exit_code == 1
    assert f"user {user['id']} is a group member but its groups_sequence is 0" in result.output
    with db.connection_context():
        User.update(groups_sequence=kept).where(User.id == user["id"]).execute()
