"""/Groups CRUD (RFC 7644 §3), uniqueness, ETags, members, the user's read-only `groups`, and the
group events; named after the Okta and Entra behaviour they reproduce (reference §2, §5)."""
import models.groups
from models.db import db
from models.tables import Event, GroupMember
from tests.conftest import ScimClient, make_tenant
from tests.http.scim_helpers import (
    CORE,
    GROUP,
    LIST_RESPONSE,
    PATCH_OP,
    SCIM_JSON,
    assert_scim_error,
    create_group,
    get_group,
)

NOT_A_USER = "010101001010101011001010101011"


def member_ids(resource):
    return sorted(m["value"] for m in resource.get("members", []))


def group_events(group_id):
    with db.connection_context():
        return [(e.type, e.payload) for e in Event.select().where(Event.aggregate_id == group_id).order_by(Event.id)]


def event_types(group_id):
    return [t for t, _ in group_events(group_id)]


def version_number(resource):
    return int(resource["meta"]["version"][3:-1])


def patch_group(scim, group, *operations, headers=None):
    return scim.patch(f"/Groups/{group['id']}", {"schemas": [PATCH_OP], "Operations": list(operations)},
                      headers=headers)


# --------------------------------------------------------------------------- create / read


def test_okta_push_group_post_with_empty_members_is_201_with_location(scim):
    response = scim.post("/Groups", {"schemas": [GROUP], "displayName": "Okta Pushed", "members": []})
    assert response.status_code == 201
    assert response.mimetype == SCIM_JSON
    body = response.get_json()
    assert body["schemas"] == [GROUP]
    assert body["displayName"] == "Okta Pushed"
    assert "members" not in body
    assert response.headers["Location"] == body["meta"]["location"]
    assert body["meta"]["location"].endswith(f"/scim/v2/Groups/{body['id']}")
    assert body["meta"]["resourceType"] == "Group"
    assert response.headers["ETag"] == body["meta"]["version"]
    assert body["meta"]["created"] == body["meta"]["lastModified"]
    assert scim.get(f"/Groups/{body['id']}").get_json() == body
    assert event_types(body["id"]) == ["group.added"]


def test_post_with_members_renders_value_ref_and_type_and_display_on_request(scim):
    babs = scim.create_user("babs@example.com", displayName="Barbara Jensen")
    plain = scim.create_user("plain@example.com")
    group = create_group(scim, "With Members", [babs, plain], externalId="ext-1")
    assert group["externalId"] == "ext-1"
    # display is returned "request" (server-filled, like manager.displayName)
    assert {m["value"]: m for m in group["members"]} == {
        babs["id"]: {"value": babs["id"], "$ref": babs["meta"]["location"], "type": "User"},
        plain["id"]: {"value": plain["id"], "$ref": plain["meta"]["location"], "type": "User"},
    }
    assert get_group(scim, group) == group
    requested = scim.get(f"/Groups/{group['id']}", query_string={"attributes": "displayName,members"}).get_json()
    assert {m["value"]: m for m in requested["members"]} == {
        babs["id"]: {"value": babs["id"], "$ref": babs["meta"]["location"], "display": "Barbara Jensen",
                     "type": "User"},
        # without a displayName the userName is shown
        plain["id"]: {"value": plain["id"], "$ref": plain["meta"]["location"], "display": "plain@example.com",
                      "type": "User"},
    }
    assert event_types(group["id"]) == ["group.added", "group.member.added"]


def test_post_accepts_plain_json_and_member_type_user_in_any_case(scim):
    babs = scim.create_user("babs@example.com")
    response = scim.post("/Groups", {"displayName": "Plain", "members": [{"value": babs["id"], "type": "user"}]},
                         content_type="application/json")
    assert response.status_code == 201, response.get_json()
    assert member_ids(response.get_json()) == [babs["id"]]


def test_post_with_duplicate_member_entries_keeps_one_membership(scim):
    babs = scim.create_user("babs@example.com")
    group = create_group(scim, "Dupes", [babs, babs])
    assert member_ids(group) == [babs["id"]]


def test_get_unknown_group_is_404_scim_error(scim):
    assert_scim_error(scim.get(f"/Groups/{NOT_A_USER}"), 404)


def test_another_orgs_group_is_404_for_every_method(client, scim, app):
    other = ScimClient(client, make_tenant())
    theirs = create_group(other, "Theirs")
    path = f"/Groups/{theirs['id']}"
    assert_scim_error(scim.get(path), 404)
    assert_scim_error(scim.put(path, {"schemas": [GROUP], "displayName": "Mine now"}), 404)
    assert_scim_error(patch_group(scim, theirs, {"op": "replace", "path": "displayName", "value": "x"}), 404)
    assert_scim_error(scim.delete(path), 404)
    assert scim.get("/Groups").get_json()["totalResults"] == 0
    assert get_group(other, theirs) == theirs


def test_another_orgs_user_is_not_a_valid_member(client, scim, app):
    stranger = ScimClient(client, make_tenant()).create_user("stranger@example.com")
    body = assert_scim_error(scim.post("/Groups", {"schemas": [GROUP], "displayName": "G",
                                                   "members": [{"value": stranger["id"]}]}), 400, "invalidValue")
    assert stranger["id"] in body["detail"]
    assert scim.get("/Groups").get_json()["totalResults"] == 0


def test_a_service_account_is_not_a_valid_member(scim):
    # the calling machine user exists in the org but is not a SCIM User
    assert_scim_error(scim.post("/Groups", {"schemas": [GROUP], "displayName": "G",
                                            "members": [{"value": scim.tenant.user_id}]}), 400, "invalidValue")


def test_missing_display_name_is_400(scim):
    assert_scim_error(scim.post("/Groups", {"schemas": [GROUP], "members": []}), 400, "invalidValue")
    assert_scim_error(scim.post("/Groups", {"schemas": [GROUP], "displayName": ""}), 400, "invalidValue")
    assert_scim_error(scim.post("/Groups", {"schemas": [GROUP], "displayName": "   "}), 400)
    assert scim.get("/Groups").get_json()["totalResults"] == 0


def test_malformed_json_is_400(scim):
    response = scim.client.post("/scim/v2/Groups", data="{not json", headers=scim.tenant.auth,
                                content_type=SCIM_JSON)
    assert_scim_error(response, 400, "invalidSyntax")


def test_display_name_is_unique_per_org_case_insensitively(client, scim, app):
    create_group(scim, "Sales")
    body = assert_scim_error(scim.post("/Groups", {"schemas": [GROUP], "displayName": "SALES"}), 409, "uniqueness")
    assert body["detail"]
    assert scim.get("/Groups").get_json()["totalResults"] == 1
    # another organisation may use the name
    create_group(ScimClient(client, make_tenant()), "Sales")


def test_nested_group_member_is_400_no_nesting_advertised_in_schema(scim):
    inner = create_group(scim, "Inner")
    body = {"schemas": [GROUP], "displayName": "Outer", "members": [{"value": inner["id"], "type": "Group"}]}
    assert_scim_error(scim.post("/Groups", body), 400, "invalidValue")
    assert scim.get("/Groups").get_json()["totalResults"] == 1
    # a group id without type is no user either
    body["members"] = [{"value": inner["id"]}]
    assert_scim_error(scim.post("/Groups", body), 400, "invalidValue")
    # and the Schemas endpoint says so: members are Users only
    schema = scim.get(f"/Schemas/{GROUP}").get_json()
    members = next(a for a in schema["attributes"] if a["name"] == "members")
    assert "no nesting" in members["description"]
    member_type = next(s for s in members["subAttributes"] if s["name"] == "type")
    assert member_type["canonicalValues"] == ["User"]
    ref = next(s for s in members["subAttributes"] if s["name"] == "$ref")
    assert ref["referenceTypes"] == ["User"]


def test_unknown_member_id_on_post_is_400_and_no_group_is_created(scim):
    babs = scim.create_user("babs@example.com")
    body = {"schemas": [GROUP], "displayName": "G", "members": [{"value": babs["id"]}, {"value": NOT_A_USER}]}
    error = assert_scim_error(scim.post("/Groups", body), 400, "invalidValue")
    assert NOT_A_USER in error["detail"]
    assert scim.get("/Groups").get_json()["totalResults"] == 0
    assert scim.get(f"/Users/{babs['id']}").get_json().get("groups") is None


def test_member_without_value_or_as_a_bare_string_is_400(scim):
    for members in ([{"display": "nobody"}], ["some-id"]):
        assert_scim_error(scim.post("/Groups", {"schemas": [GROUP], "displayName": "G", "members": members}), 400,
                          "invalidValue")


# --------------------------------------------------------------------------- list / search


def test_list_returns_a_list_response(scim):
    babs = scim.create_user("babs@example.com")
    one = create_group(scim, "One", [babs])
    two = create_group(scim, "Two")
    body = scim.get("/Groups").get_json()
    assert body["schemas"] == [LIST_RESPONSE]
    assert body["totalResults"] == 2
    assert body["itemsPerPage"] == 2
    assert body["startIndex"] == 1
    assert sorted(body["Resources"], key=lambda r: r["displayName"]) == [one, two]


def test_okta_spec_get_groups_on_an_empty_org_is_200_and_empty(scim):
    body = scim.get("/Groups").get_json()
    assert body["totalResults"] == 0
    assert body["Resources"] == []


def test_post_search_on_groups(scim):
    create_group(scim, "Alpha")
    create_group(scim, "Beta")
    response = scim.post("/Groups/.search", {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                                             "filter": 'displayName eq "beta"', "attributes": ["displayName"]})
    assert response.status_code == 200
    body = response.get_json()
    assert body["totalResults"] == 1
    assert set(body["Resources"][0]) == {"schemas", "id", "displayName"}
    assert body["Resources"][0]["displayName"] == "Beta"


# --------------------------------------------------------------------------- PUT


def test_put_replaces_display_name_external_id_and_members(scim):
    a, b, c = (scim.create_user(f"{n}@example.com") for n in "abc")
    group = create_group(scim, "Before", [a, b], externalId="old")
    response = scim.put(f"/Groups/{group['id']}", {"schemas": [GROUP], "displayName": "After",
                                                   "members": [{"value": b["id"]}, {"value": c["id"]}]})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["displayName"] == "After"
    assert "externalId" not in body  # PUT replaces every writable attribute: not sent means cleared
    assert member_ids(body) == sorted([b["id"], c["id"]])
    assert response.headers["ETag"] == body["meta"]["version"]
    assert version_number(body) > version_number(group)
    assert get_group(scim, group) == body
    assert event_types(group["id"]) == ["group.added", "group.member.added", "group.changed",
                                        "group.member.removed", "group.member.added"]


def test_metatavu_111_put_with_a_new_member_list_really_changes_members(scim):
    a, b = scim.create_user("a@example.com"), scim.create_user("b@example.com")
    group = create_group(scim, "Team", [a])
    response = scim.put(f"/Groups/{group['id']}", {"schemas": [GROUP], "displayName": "Team",
                                                   "members": [{"value": b["id"]}]})
    assert response.status_code == 200
    assert member_ids(get_group(scim, group)) == [b["id"]]
    assert scim.get(f"/Users/{a['id']}").get_json().get("groups") is None
    assert [g["value"] for g in scim.get(f"/Users/{b['id']}").get_json()["groups"]] == [group["id"]]


def test_okta_put_carrying_id_and_meta_is_accepted(scim):
    a = scim.create_user("a@example.com")
    group = create_group(scim, "Team", externalId="x")
    body = {**group, "members": [{"value": a["id"], "display": "ignored"}]}
    response = scim.put(f"/Groups/{group['id']}", body)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["externalId"] == "x"
    assert member_ids(response.get_json()) == [a["id"]]


def test_put_without_members_removes_every_member(scim):
    a = scim.create_user("a@example.com")
    group = create_group(scim, "Team", [a])
    body = scim.put(f"/Groups/{group['id']}", {"schemas": [GROUP], "displayName": "Team"}).get_json()
    assert "members" not in body
    assert "members" not in get_group(scim, group)


def test_put_with_the_same_content_appends_no_event(scim):
    a = scim.create_user("a@example.com")
    group = create_group(scim, "Team", [a], externalId="e")
    before = event_types(group["id"])
    response = scim.put(f"/Groups/{group['id']}", {"schemas": [GROUP], "displayName": "Team", "externalId": "e",
                                                   "members": [{"value": a["id"]}]})
    assert response.status_code == 200
    assert response.get_json() == group
    assert event_types(group["id"]) == before


def test_put_rename_onto_an_existing_name_is_409_and_changes_nothing(scim):
    create_group(scim, "Taken")
    a = scim.create_user("a@example.com")
    group = create_group(scim, "Mine", [a])
    response = scim.put(f"/Groups/{group['id']}", {"schemas": [GROUP], "displayName": "tAkEn", "members": []})
    assert_scim_error(response, 409, "uniqueness")
    assert get_group(scim, group) == group


def test_put_rename_to_a_new_case_of_its_own_name_is_allowed(scim):
    group = create_group(scim, "Mine")
    response = scim.put(f"/Groups/{group['id']}", {"schemas": [GROUP], "displayName": "MINE"})
    assert response.status_code == 200
    assert response.get_json()["displayName"] == "MINE"


def test_put_with_unknown_member_is_400_and_nothing_applied(scim):
    a = scim.create_user("a@example.com")
    group = create_group(scim, "Team", [a], externalId="e")
    response = scim.put(f"/Groups/{group['id']}", {"schemas": [GROUP], "displayName": "Renamed",
                                                   "members": [{"value": NOT_A_USER}]})
    assert_scim_error(response, 400, "invalidValue")
    assert get_group(scim, group) == group


def test_put_without_display_name_is_400(scim):
    group = create_group(scim, "Team")
    assert_scim_error(scim.put(f"/Groups/{group['id']}", {"schemas": [GROUP], "members": []}), 400, "invalidValue")
    assert get_group(scim, group) == group


def test_put_with_a_nested_group_member_is_400(scim):
    group = create_group(scim, "Team")
    other = create_group(scim, "Other")
    response = scim.put(f"/Groups/{group['id']}", {"schemas": [GROUP], "displayName": "Team",
                                                   "members": [{"value": other["id"], "type": "Group"}]})
    assert_scim_error(response, 400, "invalidValue")


def test_put_on_unknown_group_is_404(scim):
    assert_scim_error(scim.put(f"/Groups/{NOT_A_USER}", {"schemas": [GROUP], "displayName": "x"}), 404)


# --------------------------------------------------------------------------- DELETE


def test_okta_unlink_with_delete_is_204_then_404(scim):
    a = scim.create_user("a@example.com")
    group = create_group(scim, "Doomed", [a])
    response = scim.delete(f"/Groups/{group['id']}")
    assert response.status_code == 204
    assert response.get_data() == b""
    assert_scim_error(scim.get(f"/Groups/{group['id']}"), 404)
    assert_scim_error(scim.delete(f"/Groups/{group['id']}"), 404)
    assert event_types(group["id"])[-1] == "group.removed"


def test_deleting_a_group_removes_its_memberships(scim):
    a, b = scim.create_user("a@example.com"), scim.create_user("b@example.com")
    doomed = create_group(scim, "Doomed", [a, b])
    kept = create_group(scim, "Kept", [a])
    assert scim.delete(f"/Groups/{doomed['id']}").status_code == 204
    assert [g["value"] for g in scim.get(f"/Users/{a['id']}").get_json()["groups"]] == [kept["id"]]
    assert "groups" not in scim.get(f"/Users/{b['id']}").get_json()
    with db.connection_context():
        assert GroupMember.select().where(GroupMember.group == doomed["id"]).count() == 0
    # the name is free again
    create_group(scim, "doomed")


# --------------------------------------------------------------------------- ETags


def test_etag_header_equals_meta_version_on_every_response(scim):
    group = create_group(scim, "Tagged")
    response = scim.get(f"/Groups/{group['id']}")
    assert response.headers["ETag"] == group["meta"]["version"]
    assert group["meta"]["version"].startswith('W/"')
    response = patch_group(scim, group, {"op": "replace", "path": "displayName", "value": "Tagged 2"})
    assert response.headers["ETag"] == response.get_json()["meta"]["version"]
    assert version_number(response.get_json()) > version_number(group)


def test_if_none_match_current_version_is_304_and_stale_is_200(scim):
    group = create_group(scim, "Tagged")
    version = group["meta"]["version"]
    response = scim.get(f"/Groups/{group['id']}", headers={"If-None-Match": version})
    assert response.status_code == 304
    assert response.get_data() == b""
    assert response.headers["ETag"] == version
    assert scim.get(f"/Groups/{group['id']}", headers={"If-None-Match": "*"}).status_code == 304
    patch_group(scim, group, {"op": "replace", "path": "displayName", "value": "Tagged 2"})
    response = scim.get(f"/Groups/{group['id']}", headers={"If-None-Match": version})
    assert response.status_code == 200
    assert response.get_json()["displayName"] == "Tagged 2"


def test_if_match_stale_is_412_on_put_patch_and_delete(scim):
    a = scim.create_user("a@example.com")
    group = create_group(scim, "Tagged")
    stale = group["meta"]["version"]
    current = patch_group(scim, group, {"op": "add", "path": "members", "value": [{"value": a["id"]}]}).get_json()
    stale_header = {"If-Match": stale}
    assert_scim_error(scim.put(f"/Groups/{group['id']}", {"schemas": [GROUP], "displayName": "X"},
                               headers=stale_header), 412)
    assert_scim_error(patch_group(scim, group, {"op": "remove", "path": "members"}, headers=stale_header), 412)
    assert_scim_error(scim.delete(f"/Groups/{group['id']}", headers=stale_header), 412)
    assert get_group(scim, group) == current


def test_if_match_current_version_is_applied(scim):
    group = create_group(scim, "Tagged")
    response = patch_group(scim, group, {"op": "replace", "path": "displayName", "value": "New"},
                           headers={"If-Match": group["meta"]["version"]})
    assert response.status_code == 200
    current = response.get_json()
    response = scim.put(f"/Groups/{group['id']}", {"schemas": [GROUP], "displayName": "Newer"},
                        headers={"If-Match": current["meta"]["version"]})
    assert response.status_code == 200
    response = scim.delete(f"/Groups/{group['id']}", headers={"If-Match": response.get_json()["meta"]["version"]})
    assert response.status_code == 204


# --------------------------------------------------------------------------- attributes / excludedAttributes


def _forbid_member_loading(monkeypatch):
    def boom(group_ids):
        raise AssertionError("members were loaded")

    monkeypatch.setattr(models.groups, "members_of", boom)


def test_entra_excluded_members_on_get_one_does_not_load_members(scim, monkeypatch):
    a = scim.create_user("a@example.com")
    group = create_group(scim, "Big", [a])
    _forbid_member_loading(monkeypatch)
    response = scim.get(f"/Groups/{group['id']}", query_string={"excludedAttributes": "members"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {k: v for k, v in group.items() if k != "members"}


def test_entra_group_lookup_with_excluded_members_does_not_load_members(scim, monkeypatch):
    a = scim.create_user("a@example.com")
    group = create_group(scim, "Entra Group", [a])
    create_group(scim, "Another", [a])
    _forbid_member_loading(monkeypatch)
    response = scim.get("/Groups", query_string={"excludedAttributes": "members",
                                                  "filter": 'displayName eq "Entra Group"'})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["totalResults"] == 1
    assert body["Resources"] == [{k: v for k, v in group.items() if k != "members"}]


def test_excluded_members_urn_qualified_and_on_search(scim, monkeypatch):
    a = scim.create_user("a@example.com")
    group = create_group(scim, "G", [a])
    _forbid_member_loading(monkeypatch)
    response = scim.get(f"/Groups/{group['id']}", query_string={"excludedAttributes": f"{GROUP}:members"})
    assert response.status_code == 200
    assert "members" not in response.get_json()
    response = scim.post("/Groups/.search", {"excludedAttributes": ["members"]})
    assert response.status_code == 200
    assert "members" not in response.get_json()["Resources"][0]


def test_excluding_a_member_sub_attribute_keeps_the_members(scim):
    a = scim.create_user("a@example.com")
    group = create_group(scim, "G", [a])
    response = scim.get(f"/Groups/{group['id']}", query_string={"excludedAttributes": "members.type"})
    assert response.get_json()["members"] == [{"value": a["id"], "$ref": a["meta"]["location"]}]
    listed = scim.get("/Groups", query_string={"excludedAttributes": "members.display"}).get_json()
    assert listed["Resources"] == [group]


def test_attributes_display_name_does_not_load_members(scim, monkeypatch):
    a = scim.create_user("a@example.com")
    group = create_group(scim, "G", [a], externalId="e")
    _forbid_member_loading(monkeypatch)
    response = scim.get(f"/Groups/{group['id']}", query_string={"attributes": "displayName"})
    assert response.status_code == 200
    assert response.get_json() == {"schemas": [GROUP], "id": group["id"], "displayName": "G"}
    response = scim.get("/Groups", query_string={"attributes": "displayName,externalId"})
    assert response.get_json()["Resources"] == [{"schemas": [GROUP], "id": group["id"], "displayName": "G",
                                                 "externalId": "e"}]


def test_attributes_members_loads_and_shows_them(scim, monkeypatch):
    a = scim.create_user("a@example.com")
    group = create_group(scim, "G", [a])
    response = scim.get(f"/Groups/{group['id']}", query_string={"attributes": "members"})
    assert response.get_json() == {"schemas": [GROUP], "id": group["id"], "members": [
        {"value": a["id"], "$ref": a["meta"]["location"], "display": "a@example.com", "type": "User"}]}
    response = scim.get(f"/Groups/{group['id']}", query_string={"attributes": "members.value"})
    assert response.get_json()["members"] == [{"value": a["id"]}]
    calls = []
    real = models.groups.members_of
    monkeypatch.setattr(models.groups, "members_of", lambda ids: calls.append(list(ids)) or real(ids))
    scim.get(f"/Groups/{group['id']}", query_string={"attributes": "members"})
    scim.get("/Groups", query_string={"attributes": "displayName,members"})
    assert calls == [[group["id"]], [group["id"]]]


# --------------------------------------------------------------------------- the user's groups attribute


def test_user_groups_reflect_memberships_with_value_ref_display_type(scim):
    a = scim.create_user("a@example.com")
    one = create_group(scim, "One", [a])
    two = create_group(scim, "Two", [a])
    user = scim.get(f"/Users/{a['id']}").get_json()
    assert user["groups"] == [
        {"value": one["id"], "$ref": one["meta"]["location"], "display": "One", "type": "direct"},
        {"value": two["id"], "$ref": two["meta"]["location"], "display": "Two", "type": "direct"},
    ]
    listed = scim.get("/Users", query_string={"filter": 'userName eq "a@example.com"'}).get_json()
    assert listed["Resources"][0]["groups"] == user["groups"]


def test_membership_changes_move_the_users_etag_so_a_conditional_get_sees_its_groups(scim):
    a = scim.create_user("a@example.com")
    before = scim.get(f"/Users/{a['id']}")
    group = create_group(scim, "Joined")
    steps = [
        lambda: patch_group(scim, group, {"op": "add", "path": "members", "value": [{"value": a["id"]}]}),
        lambda: patch_group(scim, group, {"op": "remove", "path": f'members[value eq "{a["id"]}"]'}),
        lambda: scim.put(f"/Groups/{group['id']}", {"schemas": [GROUP], "displayName": "Joined",
                                                   "members": [{"value": a["id"]}]}),
        lambda: scim.delete(f"/Groups/{group['id']}"),
    ]
    seen = [before.headers["ETag"]]
    for step in steps:
        assert step().status_code in (200, 204)
        stale = scim.get(f"/Users/{a['id']}", headers={"If-None-Match": seen[-1]})
        assert stale.status_code == 200, "the groups changed, so the old ETag must not match"
        assert stale.headers["ETag"] not in seen
        assert stale.get_json()["meta"]["version"] == stale.headers["ETag"]
        seen.append(stale.headers["ETag"])
        assert scim.get(f"/Users/{a['id']}", headers={"If-None-Match": seen[-1]}).status_code == 304
    # A write with the version read before the membership change is refused; with the new one it passes.
    replace_title = {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "title", "value": "T"}]}
    assert scim.patch(f"/Users/{a['id']}", replace_title, headers={"If-Match": seen[-2]}).status_code == 412
    assert scim.patch(f"/Users/{a['id']}", replace_title, headers={"If-Match": seen[-1]}).status_code == 200
    final = scim.get(f"/Users/{a['id']}").get_json()
    assert final["meta"]["lastModified"] >= before.get_json()["meta"]["lastModified"]


def test_user_groups_follow_renames(scim):
    a = scim.create_user("a@example.com")
    group = create_group(scim, "Old Name", [a])
    patch_group(scim, group, {"op": "replace", "path": "displayName", "value": "New Name"})
    assert scim.get(f"/Users/{a['id']}").get_json()["groups"][0]["display"] == "New Name"


def test_patch_on_user_groups_is_400_mutability(scim):
    a = scim.create_user("a@example.com")
    group = create_group(scim, "G")
    for op in ("add", "replace"):
        response = scim.patch(f"/Users/{a['id']}", {"schemas": [PATCH_OP], "Operations": [
            {"op": op, "path": "groups", "value": [{"value": group["id"]}]}]})
        assert_scim_error(response, 400, "mutability")
    response = scim.patch(f"/Users/{a['id']}", {"schemas": [PATCH_OP], "Operations": [
        {"op": "remove", "path": f'groups[value eq "{group["id"]}"]'}]})
    assert_scim_error(response, 400, "mutability")
    assert "members" not in get_group(scim, group)


def test_okta_post_and_put_user_with_groups_ignore_them(scim):
    group = create_group(scim, "G")
    response = scim.post("/Users", {"schemas": [CORE], "userName": "okta@example.com",
                                    "groups": [{"value": group["id"]}]})
    assert response.status_code == 201
    user = response.get_json()
    assert "groups" not in user
    response = scim.put(f"/Users/{user['id']}", {"schemas": [CORE], "userName": "okta@example.com",
                                                 "groups": [{"value": group["id"], "display": "G"}]})
    assert response.status_code == 200
    assert "groups" not in response.get_json()
    assert "members" not in get_group(scim, group)


def test_okta_put_user_with_groups_keeps_existing_memberships(scim):
    a = scim.create_user("a@example.com")
    group = create_group(scim, "G", [a])
    response = scim.put(f"/Users/{a['id']}", {"schemas": [CORE], "userName": "a@example.com", "groups": []})
    assert response.status_code == 200
    assert [g["value"] for g in response.get_json()["groups"]] == [group["id"]]
    assert member_ids(get_group(scim, group)) == [a["id"]]


def test_filter_users_by_groups_value(scim):
    a, b, c = (scim.create_user(f"{n}@example.com") for n in "abc")
    one = create_group(scim, "One", [a, b])
    two = create_group(scim, "Two", [b, c])

    def names(filter_text):
        body = scim.get("/Users", query_string={"filter": filter_text}).get_json()
        return sorted(r["userName"] for r in body["Resources"])

    assert names(f'groups.value eq "{one["id"]}"') == ["a@example.com", "b@example.com"]
    assert names(f'groups[value eq "{two["id"]}"]') == ["b@example.com", "c@example.com"]
    assert names(f'groups.value eq "{one["id"]}" and groups.value eq "{two["id"]}"') == ["b@example.com"]
    assert names(f'not (groups.value eq "{one["id"]}")') == ["c@example.com"]
    assert names("groups pr") == ["a@example.com", "b@example.com", "c@example.com"]
    assert names(f'groups.value eq "{NOT_A_USER}"') == []
    assert_scim_error(scim.get("/Users", query_string={"filter": 'groups.display eq "One"'}), 400, "invalidFilter")


def test_deleting_a_user_removes_memberships_and_records_the_leave(scim):
    a, b = scim.create_user("a@example.com"), scim.create_user("b@example.com")
    group = create_group(scim, "G", [a, b])
    other = create_group(scim, "H", [a])
    assert scim.delete(f"/Users/{a['id']}").status_code == 204
    after = get_group(scim, group)
    assert member_ids(after) == [b["id"]]
    assert "members" not in get_group(scim, other)
    for before, current in ((group, after), (other, get_group(scim, other))):
        assert version_number(current) > version_number(before)
        events = group_events(before["id"])
        assert events[-1][0] == "group.member.removed"
        assert a["id"] in events[-1][1]
        with db.connection_context():
            last = Event.select().where(Event.aggregate_id == before["id"]).order_by(Event.id.desc()).first()
        assert version_number(current) == last.id
        assert current["meta"]["lastModified"] > before["meta"]["lastModified"]
    with db.connection_context():
        assert GroupMember.select().where(GroupMember.user == a["id"]).count() == 0
    # the user's events say it was removed, the groups' say it left
    assert scim.get("/Groups", query_string={"filter": f'members.value eq "{a["id"]}"'}).get_json()[
        "totalResults"] == 0


def test_deleting_a_user_without_groups_touches_no_group(scim):
    a, b = scim.create_user("a@example.com"), scim.create_user("b@example.com")
    group = create_group(scim, "G", [b])
    assert scim.delete(f"/Users/{a['id']}").status_code == 204
    assert get_group(scim, group) == group


# --------------------------------------------------------------------------- events


def test_group_lifecycle_events(scim):
    a = scim.create_user("a@example.com")
    group = create_group(scim, "Life")
    patch_group(scim, group, {"op": "add", "path": "members", "value": [{"value": a["id"]}]})
    patch_group(scim, group, {"op": "replace", "path": "displayName", "value": "Life 2"})
    patch_group(scim, group, {"op": "remove", "path": f'members[value eq "{a["id"]}"]'})
    scim.delete(f"/Groups/{group['id']}")
    events = group_events(group["id"])
    assert [t for t, _ in events] == ["group.added", "group.member.added", "group.changed",
                                      "group.member.removed", "group.removed"]
    assert '"displayName":"Life"' in events[0][1]
    assert a["id"] in events[1][1]
    assert '"displayName":"Life 2"' in events[2][1]
    assert a["id"] in events[3][1]
    with db.connection_context():
        rows = list(Event.select().where(Event.aggregate_id == group["id"]))
    assert {(r.aggregate_type, r.org_id, r.editor_id) for r in rows} == \
        {("group", scim.tenant.org_id, scim.tenant.user_id)}


def test_meta_version_is_the_last_event(scim):
    group = create_group(scim, "Seq")
    with db.connection_context():
        last = Event.select().where(Event.aggregate_id == group["id"]).order_by(Event.id.desc()).first()
    assert version_number(group) == last.id


# --------------------------------------------------------------------------- permissions


def test_read_only_role_can_read_groups_but_not_write(client, app):
    viewer = ScimClient(client, make_tenant(roles=("ORG_OWNER_VIEWER",)))
    with db.connection_context():
        group_id = models.groups.create_group(viewer.tenant.org_id, "Seeded", None).id
    path = f"/Groups/{group_id}"
    assert viewer.get(path).status_code == 200
    assert viewer.get("/Groups").get_json()["totalResults"] == 1
    assert_scim_error(viewer.post("/Groups", {"schemas": [GROUP], "displayName": "X"}), 403)
    assert_scim_error(viewer.put(path, {"schemas": [GROUP], "displayName": "X"}), 403)
    assert_scim_error(viewer.patch(path, {"schemas": [PATCH_OP], "Operations": [
        {"op": "replace", "path": "displayName", "value": "X"}]}), 403)
    assert_scim_error(viewer.delete(path), 403)
    assert viewer.get(path).get_json()["displayName"] == "Seeded"


def test_a_token_without_roles_cannot_read_groups(client, app):
    assert_scim_error(ScimClient(client, make_tenant(roles=())).get("/Groups"), 403)


def test_no_token_is_401(client):
    response = client.get("/scim/v2/Groups")
    assert_scim_error(response, 401)


def test_a_members_groups_show_in_every_answer_that_renders_it(scim):
    # Users never in a group are rendered without asking for their groups (groups_sequence 0):
    # every path that renders a member must still find them.
    a = scim.create_user("member-everywhere@example.com")
    b = scim.create_user("never-a-member@example.com")
    group = create_group(scim, "Everywhere", [a])
    expected = [group["id"]]
    patched = scim.patch(f"/Users/{a['id']}", {"schemas": [PATCH_OP],
                                               "Operations": [{"op": "replace", "path": "title", "value": "T"}]})
    assert [g["value"] for g in patched.get_json()["groups"]] == expected
    by_cursor = scim.get("/Users", query_string={"cursor": "", "count": 1000}).get_json()["Resources"]
    searched = scim.post("/Users/.search", {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                                            "filter": 'userName sw "member-everywhere"'}).get_json()["Resources"]
    for resources in (by_cursor, searched):
        [found] = [r for r in resources if r["id"] == a["id"]]
        assert [g["value"] for g in found["groups"]] == expected
    assert "groups" not in scim.get(f"/Users/{b['id']}").get_json()
