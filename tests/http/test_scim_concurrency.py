"""Concurrent provisioning: Okta and Entra retry and run in parallel, so one userName may be POSTed
by several workers at once. Exactly one wins (SQLite: IMMEDIATE write transactions; PostgreSQL:
the unique index on (org, username_key))."""

from models.db import db
from models.tables import User
from tests.http.scim_helpers import CORE, PATCH_OP, THREADS, run_concurrently


def test_twenty_concurrent_posts_of_one_username_create_exactly_one_user(app, scim):
    def send(client, index):
        # the same name in varying case: the uniqueness is case-insensitive
        name = "race@example.com" if index % 2 else "RACE@example.com"
        response = client.post("/scim/v2/Users", json={"schemas": [CORE], "userName": name},
                               headers=scim.tenant.auth, content_type="application/scim+json")
        return response.status_code, response.get_json()

    results = run_concurrently(app, send)
    statuses = sorted(r[0] for r in results)
    assert statuses == [201] + [409] * (THREADS - 1), results
    for status, body in results:
        if status == 409:
            assert body["scimType"] == "uniqueness"
    listed = scim.get("/Users", query_string={"filter": 'userName eq "race@example.com"'}).get_json()
    assert listed["totalResults"] == 1
    with db.connection_context():
        rows = User.select().where((User.org == scim.tenant.org_id) & (User.username_key == "race@example.com"))
        assert rows.count() == 1


def test_concurrent_patches_without_if_match_all_apply_without_lost_updates(app, scim):
    user = scim.create_user("counter@example.com")

    def send(client, index):
        body = {"schemas": [PATCH_OP],
                "Operations": [{"op": "add", "path": "emails", "value": [{"value": f"e{index}@example.com"}]}]}
        response = client.patch(f"/scim/v2/Users/{user['id']}", json=body, headers=scim.tenant.auth,
                                content_type="application/scim+json")
        return response.status_code

    results = run_concurrently(app, send)
    # no If-Match was sent, so no request may fail a precondition: the writes queue up
    assert results == [200] * THREADS, results
    final = scim.get(f"/Users/{user['id']}").get_json()
    assert sorted(e["value"] for e in final["emails"]) == sorted(f"e{i}@example.com" for i in range(THREADS))
