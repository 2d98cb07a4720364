"""Okta and Entra push group changes from parallel workers: concurrent writes to one group must
neither fail nor lose a membership (SQLite: IMMEDIATE write transactions; PostgreSQL: the group row
is locked for the change, and the unique index on (org, display_name_key) settles name races)."""
import threading

from models.db import db
from models.tables import Event, GroupMember
from tests.http.scim_helpers import GROUP, PATCH_OP, SCIM_JSON, THREADS, run_concurrently


def patch_members(client, auth, group_id, *operations):
    response = client.patch(f"/scim/v2/Groups/{group_id}", json={"schemas": [PATCH_OP], "Operations": list(operations)},
                            headers=auth, content_type=SCIM_JSON)
    return response.status_code, response.get_json()


def members_in_db(group_id):
    with db.connection_context():
        return sorted(m.user_id for m in GroupMember.select().where(GroupMember.group == group_id))


def events_of(group_id, event_type):
    with db.connection_context():
        return Event.select().where((Event.aggregate_id == group_id) & (Event.type == event_type)).count()


def test_twenty_concurrent_posts_of_one_display_name_create_exactly_one_group(app, scim):
    def send(client, index):
        name = "Race Group" if index % 2 else "RACE GROUP"
        response = client.post("/scim/v2/Groups", json={"schemas": [GROUP], "displayName": name},
                               headers=scim.tenant.auth, content_type=SCIM_JSON)
        return response.status_code, response.get_json()

    results = run_concurrently(app, send)
    assert sorted(r[0] for r in results) == [201] + [409] * (THREADS - 1), results
    assert all(body["scimType"] == "uniqueness" for status, body in results if status == 409)
    assert scim.get("/Groups").get_json()["totalResults"] == 1


def test_concurrent_okta_member_adds_to_one_group_lose_none(app, scim):
    users = [scim.create_user(f"user{i}@example.com") for i in range(THREADS)]
    group = scim.post("/Groups", {"schemas": [GROUP], "displayName": "Busy"}).get_json()

    def send(client, index):
        return patch_members(client, scim.tenant.auth, group["id"],
                             {"op": "add", "path": "members", "value": [{"value": users[index]["id"],
                                                                         "display": f"user{index}"}]})

    results = run_concurrently(app, send)
    assert [r[0] for r in results] == [200] * THREADS, results
    assert members_in_db(group["id"]) == sorted(u["id"] for u in users)
    assert events_of(group["id"], "group.member.added") == THREADS
    body = scim.get(f"/Groups/{group['id']}").get_json()
    assert len(body["members"]) == THREADS


def test_concurrent_adds_of_the_same_member_keep_one_membership(app, scim):
    user = scim.create_user("same@example.com")
    group = scim.post("/Groups", {"schemas": [GROUP], "displayName": "Same"}).get_json()

    def send(client, index):
        return patch_members(client, scim.tenant.auth, group["id"],
                             {"op": "Add", "path": "members", "value": [{"$ref": None, "value": user["id"]}]})

    results = run_concurrently(app, send)
    assert [r[0] for r in results] == [200] * THREADS, results
    assert members_in_db(group["id"]) == [user["id"]]
    assert events_of(group["id"], "group.member.added") == 1


def test_concurrent_adds_and_removes_of_different_members(app, scim):
    users = [scim.create_user(f"user{i}@example.com") for i in range(THREADS)]
    leaving = users[: THREADS // 2]
    joining = users[THREADS // 2:]
    group = scim.post("/Groups", {"schemas": [GROUP], "displayName": "Churn",
                                  "members": [{"value": u["id"]} for u in leaving]}).get_json()

    def send(client, index):
        if index % 2:
            return patch_members(client, scim.tenant.auth, group["id"],
                                 {"op": "remove", "path": f'members[value eq "{leaving[index // 2]["id"]}"]'})
        return patch_members(client, scim.tenant.auth, group["id"],
                             {"op": "add", "path": "members", "value": [{"value": joining[index // 2]["id"]}]})

    results = run_concurrently(app, send)
    assert [r[0] for r in results] == [200] * THREADS, results
    assert members_in_db(group["id"]) == sorted(u["id"] for u in joining)


def race_add_and_delete(app, auth, user, group):
    barrier = threading.Barrier(2)
    outcome = {}

    def add():
        client = app.test_client()
        barrier.wait()
        outcome["add"] = patch_members(client, auth, group["id"],
                                       {"op": "add", "path": "members", "value": [{"value": user["id"]}]})

    def delete():
        client = app.test_client()
        barrier.wait()
        outcome["delete"] = client.delete(f"/scim/v2/Users/{user['id']}", headers=auth).status_code

    threads = [threading.Thread(target=add), threading.Thread(target=delete)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcome


def test_adding_a_member_while_it_is_deleted_is_200_or_400_never_500(app, scim):
    """PostgreSQL used to answer 500 when the foreign key caught the race."""
    for round_ in range(10):
        user = scim.create_user(f"racer{round_}@example.com")
        group = scim.post("/Groups", {"schemas": [GROUP], "displayName": f"Race {round_}"}).get_json()
        outcome = race_add_and_delete(app, scim.tenant.auth, user, group)
        status, body = outcome["add"]
        assert outcome["delete"] == 204
        assert status in (200, 400), body
        if status == 400:
            assert body["scimType"] == "invalidValue"
        else:
            # the member joined first, so its removal is recorded in the group's history
            assert events_of(group["id"], "group.member.removed") == 1
        assert members_in_db(group["id"]) == []
