"""PATCH /Groups/{id} in the Okta and Entra membership dialects (reference §2.1, §2.2, §5).

Each test checks the response and a fresh GET; the failure tests check that nothing changed,
including the other operations of the same request.
"""
import pytest

import models.groups
from models.db import db
from models.tables import Event
from tests.http.scim_helpers import GROUP, PATCH_OP, SCIM_JSON, assert_scim_error, create_group, get_group

UNKNOWN_ID = "010101001010101011001010101011"


def member_ids(resource):
    return sorted(m["value"] for m in resource.get("members", []))


def ids(*users):
    return sorted(u["id"] for u in users)


def event_types(group_id):
    with db.connection_context():
        return [e.type for e in Event.select().where(Event.aggregate_id == group_id).order_by(Event.id)]


def patch(scim, group, *operations, schemas=(PATCH_OP,), headers=None):
    return scim.patch(f"/Groups/{group['id']}", {"schemas": list(schemas), "Operations": list(operations)},
                      headers=headers)


def patched(scim, group, *operations):
    """A PATCH that must succeed: 200 with the resource, equal to a fresh GET."""
    response = patch(scim, group, *operations)
    assert response.status_code == 200, response.get_json()
    assert response.mimetype == SCIM_JSON
    body = response.get_json()
    assert body["schemas"] == [GROUP]
    assert body["id"] == group["id"]
    assert response.headers["ETag"] == body["meta"]["version"]
    assert get_group(scim, group) == body
    return body


def assert_unchanged(scim, group):
    assert get_group(scim, group) == group


@pytest.fixture
def ann(scim):
    return scim.create_user("ann@example.com", displayName="Ann")


@pytest.fixture
def bob(scim):
    return scim.create_user("bob@example.com", displayName="Bob")


@pytest.fixture
def cid(scim):
    return scim.create_user("cid@example.com")


# --------------------------------------------------------------------------- Okta


def test_scim_sdk_419_okta_add_members_without_type_is_really_applied(scim, ann, bob):
    group = create_group(scim, "Okta Push")
    body = patched(scim, group, {"op": "add", "path": "members",
                                 "value": [{"value": ann["id"], "display": "ann@example.com"},
                                           {"value": bob["id"], "display": "bob@example.com"}]})
    assert member_ids(body) == ids(ann, bob)
    assert all(m["type"] == "User" for m in body["members"])
    assert [g["value"] for g in scim.get(f"/Users/{ann['id']}").get_json()["groups"]] == [group["id"]]
    assert event_types(group["id"]) == ["group.added", "group.member.added"]


def test_okta_remove_member_with_value_filter_path(scim, ann, bob):
    group = create_group(scim, "Team", [ann, bob])
    body = patched(scim, group, {"op": "remove", "path": f'members[value eq "{ann["id"]}"]'})
    assert member_ids(body) == ids(bob)
    assert "groups" not in scim.get(f"/Users/{ann['id']}").get_json()
    assert event_types(group["id"])[-1] == "group.member.removed"


def test_remove_with_value_filter_joined_by_or(scim, ann, bob, cid):
    group = create_group(scim, "Team", [ann, bob, cid])
    body = patched(scim, group, {"op": "remove",
                                 "path": f'members[value eq "{ann["id"]}" or value eq "{cid["id"]}"]'})
    assert member_ids(body) == ids(bob)


def test_okta_push_now_replaces_members_with_the_full_list(scim, ann, bob, cid):
    group = create_group(scim, "Team", [ann, bob])
    body = patched(scim, group, {"op": "replace", "path": "members",
                                 "value": [{"value": bob["id"], "display": "Bob"},
                                           {"value": cid["id"], "display": "cid"}]})
    assert member_ids(body) == ids(bob, cid)
    assert "groups" not in scim.get(f"/Users/{ann['id']}").get_json()
    assert event_types(group["id"])[-2:] == ["group.member.removed", "group.member.added"]


def test_scim_sdk_757_okta_push_now_on_an_empty_group_replaces_members_with_empty_list(scim, ann, bob):
    group = create_group(scim, "Team", [ann, bob])
    body = patched(scim, group, {"op": "replace", "path": "members", "value": []})
    assert "members" not in body
    for user in (ann, bob):
        assert "groups" not in scim.get(f"/Users/{user['id']}").get_json()


def test_keycloak_52752_unfiltered_replace_members_removes_stale_members(scim, ann, bob, cid):
    group = create_group(scim, "Team", [ann, bob, cid])
    body = patched(scim, group, {"op": "replace", "path": "members", "value": [{"value": cid["id"]}]})
    assert member_ids(body) == ids(cid)
    listed = scim.get("/Groups", query_string={"filter": f'members[value eq "{ann["id"]}"]'}).get_json()
    assert listed["totalResults"] == 0


def test_scim_for_keycloak_144_okta_group_push_replace_on_members_is_supported(scim, ann):
    group = create_group(scim, "Team")
    response = patch(scim, group, {"op": "replace", "path": "members", "value": [{"value": ann["id"]}]})
    assert response.status_code == 200, response.get_json()
    assert member_ids(get_group(scim, group)) == ids(ann)


def test_okta_no_path_replace_with_id_and_display_name_renames(scim, ann):
    group = create_group(scim, "Old Name", [ann])
    body = patched(scim, group, {"op": "replace", "value": {"id": group["id"], "displayName": "New Name"}})
    assert body["displayName"] == "New Name"
    assert member_ids(body) == ids(ann)
    assert event_types(group["id"])[-1] == "group.changed"


def test_okta_rename_sent_with_membership_changes_in_one_request(scim, ann, bob, cid):
    group = create_group(scim, "Team", [ann, bob])
    body = patched(
        scim, group,
        {"op": "replace", "value": {"id": group["id"], "displayName": "Team Renamed"}},
        {"op": "add", "path": "members", "value": [{"value": cid["id"], "display": "cid"}]},
        {"op": "remove", "path": f'members[value eq "{ann["id"]}"]'},
    )
    assert body["displayName"] == "Team Renamed"
    assert member_ids(body) == ids(bob, cid)
    assert event_types(group["id"])[-3:] == ["group.changed", "group.member.added", "group.member.removed"]


def test_okta_rename_to_another_groups_name_is_409_and_nothing_applied(scim, ann):
    create_group(scim, "Taken")
    group = create_group(scim, "Mine")
    response = patch(scim, group, {"op": "add", "path": "members", "value": [{"value": ann["id"]}]},
                     {"op": "replace", "value": {"id": group["id"], "displayName": "TAKEN"}})
    assert_scim_error(response, 409, "uniqueness")
    assert_unchanged(scim, group)


def test_rename_with_path_display_name_to_a_taken_name_is_409(scim):
    create_group(scim, "Taken")
    group = create_group(scim, "Mine")
    response = patch(scim, group, {"op": "replace", "path": "displayName", "value": "taken"})
    assert_scim_error(response, 409, "uniqueness")
    assert_unchanged(scim, group)


# --------------------------------------------------------------------------- Entra


def test_entra_add_member_with_null_ref_and_capitalised_op(scim, ann):
    group = create_group(scim, "Entra")
    body = patched(scim, group, {"op": "Add", "path": "members", "value": [{"$ref": None, "value": ann["id"]}]})
    assert member_ids(body) == ids(ann)


def test_entra_remove_member_named_in_value(scim, ann, bob):
    group = create_group(scim, "Entra", [ann, bob])
    body = patched(scim, group, {"op": "Remove", "path": "members", "value": [{"value": ann["id"]}]})
    assert member_ids(body) == ids(bob)


def test_entra_several_membership_changes_in_one_patch(scim, ann, bob, cid):
    group = create_group(scim, "Entra", [ann])
    body = patched(scim, group,
                   {"op": "Add", "path": "members", "value": [{"$ref": None, "value": bob["id"]}]},
                   {"op": "Add", "path": "members", "value": [{"$ref": None, "value": cid["id"]}]},
                   {"op": "Remove", "path": "members", "value": [{"value": ann["id"]}]})
    assert member_ids(body) == ids(bob, cid)


def test_entra_replace_display_name_and_external_id_with_capitalised_op(scim):
    group = create_group(scim, "Entra", externalId="object-1")
    body = patched(scim, group, {"op": "Replace", "path": "displayName", "value": "Entra 2"},
                   {"op": "Replace", "path": "externalId", "value": "object-2"})
    assert (body["displayName"], body["externalId"]) == ("Entra 2", "object-2")


@pytest.mark.parametrize("add, replace, remove", [("add", "replace", "remove"), ("ADD", "REPLACE", "REMOVE"),
                                                   ("aDd", "rEpLaCe", "ReMoVe"), ("Add", "Replace", "Remove")])
def test_op_names_in_any_case(scim, ann, bob, add, replace, remove):
    group = create_group(scim, "Case")
    body = patched(scim, group, {"op": add, "path": "members", "value": [{"value": ann["id"]}]})
    assert member_ids(body) == ids(ann)
    body = patched(scim, group, {"op": replace, "path": "members", "value": [{"value": bob["id"]}]},
                   {"op": replace, "value": {"displayName": f"Case {replace}"}})
    assert (member_ids(body), body["displayName"]) == (ids(bob), f"Case {replace}")
    body = patched(scim, group, {"op": remove, "path": "members"})
    assert "members" not in body


def test_entra_accepts_a_patch_body_sent_as_plain_json(scim, ann):
    group = create_group(scim, "Plain")
    response = scim.patch(f"/Groups/{group['id']}", {"schemas": [PATCH_OP], "Operations": [
        {"op": "Add", "path": "members", "value": [{"value": ann["id"]}]}]}, content_type="application/json")
    assert response.status_code == 200
    assert member_ids(response.get_json()) == ids(ann)


# --------------------------------------------------------------------------- general semantics


def test_urn_qualified_members_path_is_applied_not_silently_dropped(scim, ann, bob):
    # the SCIM-SDK#419 failure mode: a 200 while nothing changed
    group = create_group(scim, "Qualified", [bob])
    qualified = f"{GROUP}:members"
    body = patched(scim, group, {"op": "add", "path": qualified, "value": [{"value": ann["id"]}]},
                   {"op": "remove", "path": f'{qualified}[value eq "{bob["id"]}"]'})
    assert member_ids(body) == ids(ann)
    body = patched(scim, group, {"op": "replace", "value": {qualified: [{"value": bob["id"]}]}})
    assert member_ids(body) == ids(bob)


def test_remove_path_members_without_value_removes_every_member(scim, ann, bob):
    group = create_group(scim, "Team", [ann, bob])
    body = patched(scim, group, {"op": "remove", "path": "members"})
    assert "members" not in body
    assert event_types(group["id"])[-1] == "group.member.removed"


def test_remove_members_on_an_empty_group_is_a_no_op(scim):
    group = create_group(scim, "Empty")
    body = patched(scim, group, {"op": "remove", "path": "members"})
    assert body == group
    assert event_types(group["id"]) == ["group.added"]


def test_duplicate_add_is_idempotent(scim, ann):
    group = create_group(scim, "Team", [ann])
    body = patched(scim, group, {"op": "add", "path": "members", "value": [{"value": ann["id"]}, {"value": ann["id"]}]})
    assert member_ids(body) == ids(ann)
    # nothing changed, so no event and the same version
    assert body == group
    assert event_types(group["id"]) == ["group.added", "group.member.added"]


def test_removing_a_non_member_is_a_no_op(scim, ann, bob):
    group = create_group(scim, "Team", [ann])
    body = patched(scim, group, {"op": "remove", "path": f'members[value eq "{bob["id"]}"]'},
                   {"op": "remove", "path": "members", "value": [{"value": UNKNOWN_ID}]})
    assert body == group


def test_add_without_path_carrying_members(scim, ann):
    group = create_group(scim, "Team")
    body = patched(scim, group, {"op": "add", "value": {"members": [{"value": ann["id"]}]}})
    assert member_ids(body) == ids(ann)


def test_add_members_with_a_single_object_value(scim, ann):
    group = create_group(scim, "Team")
    body = patched(scim, group, {"op": "add", "path": "members", "value": {"value": ann["id"]}})
    assert member_ids(body) == ids(ann)


def test_add_then_remove_the_same_member_in_one_request(scim, ann):
    group = create_group(scim, "Team")
    body = patched(scim, group, {"op": "add", "path": "members", "value": [{"value": ann["id"]}]},
                   {"op": "remove", "path": f'members[value eq "{ann["id"]}"]'})
    assert "members" not in body


def test_remove_external_id(scim):
    group = create_group(scim, "Team", externalId="x")
    body = patched(scim, group, {"op": "remove", "path": "externalId"})
    assert "externalId" not in body


def test_patch_answers_200_with_the_resource_and_a_new_version(scim, ann):
    group = create_group(scim, "Team")
    response = patch(scim, group, {"op": "add", "path": "members", "value": [{"value": ann["id"]}]})
    assert response.status_code == 200
    body = response.get_json()
    assert body["meta"]["version"] != group["meta"]["version"]
    assert body["meta"]["lastModified"] >= group["meta"]["lastModified"]
    assert body["meta"]["created"] == group["meta"]["created"]


def test_patch_honours_excluded_attributes(scim, ann):
    group = create_group(scim, "Team")
    response = scim.client.patch(f"/scim/v2/Groups/{group['id']}?excludedAttributes=members",
                                 json={"schemas": [PATCH_OP], "Operations": [
                                     {"op": "add", "path": "members", "value": [{"value": ann["id"]}]}]},
                                 headers=scim.tenant.auth, content_type=SCIM_JSON)
    assert response.status_code == 200
    assert "members" not in response.get_json()
    assert member_ids(get_group(scim, group)) == ids(ann)


def test_large_group_patch_answers_204_without_reading_members_and_get_lists_them(app, scim, monkeypatch):
    users = [scim.create_user(f"u{i}@example.com") for i in range(5)]
    group = create_group(scim, "Large", users[:4])
    small = create_group(scim, "Small", users[:1])
    settings = app.config["SETTINGS"]
    saved = settings.scim_max_count
    settings.scim_max_count = 3
    try:
        response = patch(scim, group, {"op": "add", "path": "members", "value": [{"value": users[4]["id"]}]})
        assert response.status_code == 204, response.get_json()
        assert response.data == b"" and response.headers["ETag"] == get_group(scim, group)["meta"]["version"]
        # a group within the limit still shows its members in the PATCH response
        response = patch(scim, small, {"op": "add", "path": "members", "value": [{"value": users[1]["id"]}]})
        assert member_ids(response.get_json()) == ids(*users[:2])
        # and the large group is not read at all to answer the one-member change
        monkeypatch.setattr(models.groups, "members_of",
                            lambda group_ids: (_ for _ in ()).throw(AssertionError("members loaded")) if group_ids
                            else {})
        response = patch(scim, group, {"op": "remove", "path": f'members[value eq "{users[0]["id"]}"]'})
        assert response.status_code == 204
        # asked without members, the large group's PATCH answers 200 with the rest of the resource
        response = scim.patch(f"/Groups/{group['id']}?excludedAttributes=members", {"schemas": [PATCH_OP],
                              "Operations": [{"op": "replace", "path": "externalId", "value": "large-1"}]})
        assert response.status_code == 200 and response.get_json()["externalId"] == "large-1"
        assert "members" not in response.get_json()
        monkeypatch.undo()
        listed = get_group(scim, group)
    finally:
        settings.scim_max_count = saved
    assert member_ids(listed) == ids(*users[1:])


# --------------------------------------------------------------------------- errors: nothing applied


def test_unknown_member_id_on_add_is_400_and_no_operation_is_applied(scim, ann, bob):
    group = create_group(scim, "Team", [ann], externalId="e")
    response = patch(scim, group,
                     {"op": "replace", "value": {"id": group["id"], "displayName": "Renamed"}},
                     {"op": "remove", "path": f'members[value eq "{ann["id"]}"]'},
                     {"op": "add", "path": "members", "value": [{"value": bob["id"]}, {"value": UNKNOWN_ID}]})
    body = assert_scim_error(response, 400, "invalidValue")
    assert UNKNOWN_ID in body["detail"]
    assert_unchanged(scim, group)
    assert event_types(group["id"]) == ["group.added", "group.member.added"]


def test_unknown_member_id_on_replace_is_400_and_members_stay(scim, ann, bob):
    group = create_group(scim, "Team", [ann])
    response = patch(scim, group, {"op": "replace", "path": "members",
                                   "value": [{"value": bob["id"]}, {"value": UNKNOWN_ID}]})
    assert_scim_error(response, 400, "invalidValue")
    assert_unchanged(scim, group)


def test_nested_group_member_on_patch_is_400(scim, ann):
    group = create_group(scim, "Team", [ann])
    other = create_group(scim, "Other")
    response = patch(scim, group, {"op": "add", "path": "members", "value": [{"value": other["id"], "type": "Group"}]})
    assert_scim_error(response, 400, "invalidValue")
    response = patch(scim, group, {"op": "add", "path": "members", "value": [{"value": other["id"]}]})
    assert_scim_error(response, 400, "invalidValue")
    assert_unchanged(scim, group)


def test_microsoft_garbage_bare_string_member_is_400(scim, ann):
    group = create_group(scim, "Team")
    response = patch(scim, group, {"op": "add", "path": "members", "value": [ann["id"]]})
    assert_scim_error(response, 400, "invalidValue")
    assert_unchanged(scim, group)


def test_member_entry_without_value_is_400(scim):
    group = create_group(scim, "Team")
    response = patch(scim, group, {"op": "add", "path": "members", "value": [{"display": "someone"}]})
    assert_scim_error(response, 400, "invalidValue")


@pytest.mark.parametrize("operation, scim_type", [
    ({"op": "add", "path": 'members[value eq "x"]', "value": [{"value": "x"}]}, "invalidPath"),
    ({"op": "replace", "path": 'members[value eq "x"]', "value": {"value": "x"}}, "invalidPath"),
    ({"op": "remove", "path": 'members[display eq "x"]'}, "invalidFilter"),
    ({"op": "remove", "path": 'members[type eq "User"]'}, "invalidFilter"),
    ({"op": "replace", "path": "members.value", "value": "x"}, "invalidPath"),
    ({"op": "remove", "path": 'members[value eq "x"].display'}, "invalidPath"),
    ({"op": "remove"}, "noTarget"),
    ({"op": "replace", "value": "New Name"}, "invalidValue"),
    ({"op": "replace", "path": "members[value eq", "value": []}, "invalidPath"),
    ({"op": "move", "path": "members", "value": []}, "invalidValue"),
    ({"op": "replace", "path": "displayName", "value": ""}, "invalidValue"),
    ({"op": "remove", "path": "displayName"}, None),
])
def test_invalid_operations_are_400_and_nothing_applied(scim, ann, operation, scim_type):
    group = create_group(scim, "Team", [ann])
    response = patch(scim, group, {"op": "add", "path": "externalId", "value": "applied?"}, operation)
    assert_scim_error(response, 400, scim_type)
    assert_unchanged(scim, group)


def test_wrong_schema_and_empty_operations_are_400(scim, ann):
    group = create_group(scim, "Team")
    operation = {"op": "add", "path": "members", "value": [{"value": ann["id"]}]}
    assert_scim_error(patch(scim, group, operation, schemas=[GROUP]), 400, "invalidSyntax")
    assert_scim_error(patch(scim, group), 400)
    assert_unchanged(scim, group)


def test_patch_on_unknown_group_is_404(scim, ann):
    response = scim.patch(f"/Groups/{UNKNOWN_ID}", {"schemas": [PATCH_OP], "Operations": [
        {"op": "add", "path": "members", "value": [{"value": ann["id"]}]}]})
    assert_scim_error(response, 404)


def test_remove_members_with_an_empty_value_list_removes_nobody(scim):
    """Only a remove without a value empties the group; value [] names no member."""
    member = scim.create_user("kept@example.com")
    group = scim.post("/Groups", {"schemas": [GROUP], "displayName": "Keepers",
                                  "members": [{"value": member["id"]}]}).get_json()
    response = scim.patch(f"/Groups/{group['id']}", {"schemas": [PATCH_OP], "Operations": [
        {"op": "remove", "path": "members", "value": []}]})
    assert response.status_code == 200
    after = scim.get(f"/Groups/{group['id']}").get_json()
    assert [m["value"] for m in after["members"]] == [member["id"]]
