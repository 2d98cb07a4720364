"""DELETE /Users/{id} (RFC 7644 §3.6): Microsoft's collection deletes and then checks the user is gone."""
import pytest

from models.db import db
from models.tables import Event, User, UserAttr, UserMetadata
from tests.http.scim_helpers import ENTERPRISE, assert_scim_error


@pytest.fixture
def doomed(scim):
    return scim.create_user("doomed@example.com", externalId="ext-doomed", title="Temp",
                            emails=[{"value": "doomed@example.com", "type": "work"}],
                            **{ENTERPRISE: {"employeeNumber": "9"}})


def test_delete_is_204_with_empty_body_then_gone_everywhere(scim, doomed):
    keeper = scim.create_user("keeper@example.com")
    response = scim.delete(f"/Users/{doomed['id']}")
    assert response.status_code == 204
    assert response.data == b""
    assert_scim_error(scim.get(f"/Users/{doomed['id']}"), 404)
    listed = scim.get("/Users").get_json()
    assert listed["totalResults"] == 1 and [r["id"] for r in listed["Resources"]] == [keeper["id"]]
    for text in ('userName eq "doomed@example.com"', 'externalId eq "ext-doomed"',
                 'emails[type eq "work"].value eq "doomed@example.com"', f'id eq "{doomed["id"]}"'):
        assert scim.get("/Users", query_string={"filter": text}).get_json()["totalResults"] == 0, text
    with db.connection_context():
        assert User.get_or_none(User.id == doomed["id"]) is None
        assert UserMetadata.select().where(UserMetadata.user == doomed["id"]).count() == 0
        assert UserAttr.select().where(UserAttr.user == doomed["id"]).count() == 0


def test_delete_appends_user_removed_event(scim, doomed):
    assert scim.delete(f"/Users/{doomed['id']}").status_code == 204
    with db.connection_context():
        events = list(Event.select().where(Event.aggregate_id == doomed["id"]).order_by(Event.id))
    assert events[0].type == "user.human.added"
    assert events[-1].type == "user.removed"
    assert events[-1].editor_id == scim.tenant.user_id


def test_username_is_reusable_after_delete(scim, doomed):
    assert scim.delete(f"/Users/{doomed['id']}").status_code == 204
    again = scim.create_user("DOOMED@example.com")
    assert again["id"] != doomed["id"]
    assert "externalId" not in again and "emails" not in again and ENTERPRISE not in again


def test_second_delete_is_404(scim, doomed):
    assert scim.delete(f"/Users/{doomed['id']}").status_code == 204
    assert_scim_error(scim.delete(f"/Users/{doomed['id']}"), 404)


def test_delete_unknown_user_is_404(scim):
    assert_scim_error(scim.delete("/Users/999999999"), 404)


def test_delete_if_match_mismatch_is_412_and_keeps_the_user(scim, doomed):
    assert_scim_error(scim.delete(f"/Users/{doomed['id']}", headers={"If-Match": 'W/"1"'}), 412)
    assert scim.get(f"/Users/{doomed['id']}").get_json() == doomed


def test_delete_if_match_current_version_is_204(scim, doomed):
    response = scim.delete(f"/Users/{doomed['id']}", headers={"If-Match": doomed["meta"]["version"]})
    assert response.status_code == 204
    assert_scim_error(scim.get(f"/Users/{doomed['id']}"), 404)


def test_deleting_a_manager_leaves_the_reference_without_display_name(scim):
    boss = scim.create_user("boss@example.com", displayName="Boss")
    report = scim.create_user("report@example.com", **{ENTERPRISE: {"manager": boss["id"]}})
    named = f"/Users/{report['id']}?attributes={ENTERPRISE}:manager"
    assert scim.get(named).get_json()[ENTERPRISE]["manager"]["displayName"] == "Boss"
    assert scim.delete(f"/Users/{boss['id']}").status_code == 204
    after = scim.get(named).get_json()
    assert after[ENTERPRISE]["manager"]["value"] == boss["id"]
    assert "displayName" not in after[ENTERPRISE]["manager"]
