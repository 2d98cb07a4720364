"""totalResults of unfiltered lists comes from a count the database keeps (migration 0009).

A deep page (GET /Users?startIndex=999901) must not count a million rows; the
count is kept by triggers, so these tests add and remove users by every route
there is and check the reported totals against the user table.
"""
import importlib
import json

from models.db import db, transaction
from models.tables import User, UserCount, UserType
from tests.management.mgmt_helpers import MgmtClient

BULK = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
COUNTS = importlib.import_module("models.migrations.0009_user_counts")


def humans_in(org_id):
    with db.connection_context():
        return User.select().where((User.org == org_id) & (User.type == UserType.HUMAN)).count()


def scim_total(scim, **query):
    response = scim.get("/Users", query_string={"startIndex": 2, "count": 1, **query})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["totalResults"]


def mgmt_total(mgmt):
    body = mgmt.ok("post", "/users/_search", {"query": {"offset": "1", "limit": 1}})
    return int(body["details"]["totalResult"])


def check_consistency(app):
    result = app.test_cli_runner().invoke(args=["check-consistency"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("0 problems")


def test_totals_follow_every_way_users_are_added_and_removed(app, client, scim, tenant, tmp_path):
    mgmt = MgmtClient(client, tenant)
    assert scim_total(scim) == 0
    assert mgmt_total(mgmt) == 1  # the tenant's own machine user

    a = scim.create_user("count-a@example.com")
    scim.create_user("count-b@example.com")
    human = mgmt.human("count-c@example.com")
    machine = mgmt.machine("count-bot")
    bulk = scim.post("/Bulk", {"schemas": [BULK], "Operations": [
        {"method": "POST", "path": "/Users", "bulkId": f"u{i}", "data": {"userName": f"count-bulk-{i}@example.com"}}
        for i in range(3)]})
    assert bulk.status_code == 200, bulk.get_json()
    source = tmp_path / "users.jsonl"
    source.write_text("".join(json.dumps({"userName": f"count-import-{i}@example.com"}) + "\n" for i in range(4)))
    imported = app.test_cli_runner().invoke(args=["users", "import", str(source), "--org", tenant.org_id])
    assert imported.exit_code == 0, imported.output

    assert scim_total(scim) == humans_in(tenant.org_id) == 2 + 1 + 3 + 4
    assert mgmt_total(mgmt) == 10 + 2

    assert scim.delete(f"/Users/{a['id']}").status_code == 204
    mgmt.ok("delete", f"/users/{human}")
    mgmt.ok("delete", f"/users/{machine}")
    # A refused delete (already gone) and a refused create (duplicate) change no count.
    assert scim.delete(f"/Users/{a['id']}").status_code == 404
    assert scim.post("/Users", {"userName": "COUNT-B@example.com"}).status_code == 409

    assert scim_total(scim) == humans_in(tenant.org_id) == 8
    assert mgmt_total(mgmt) == 9
    check_consistency(app)


def test_a_filtered_list_is_still_counted_by_its_filter(scim):
    for i in range(3):
        scim.create_user(f"filtered-{i}@example.com", title="Counted" if i else "Other")
    assert scim_total(scim) == 3
    assert scim_total(scim, filter='title eq "Counted"') == 2


def test_a_count_out_of_step_is_reported_and_the_migration_seeds_it_from_the_table(app, scim, tenant):
    for i in range(3):
        scim.create_user(f"seeded-{i}@example.com")
    with db.connection_context():
        UserCount.update(n=UserCount.n + 5).where(UserCount.org_id == tenant.org_id).execute()
    result = app.test_cli_runner().invoke(args=["check-consistency"])
    assert result.exit_code == 1
    assert f"org {tenant.org_id} has 3 users of type {UserType.HUMAN} but counts 8" in result.output

    # Undo and redo the migration: it counts the users already there.
    with db.connection_context(), transaction():
        COUNTS.down(None, db.obj)
        COUNTS.up(None, db.obj)
    assert scim_total(scim) == 3
    scim.create_user("seeded-after@example.com")  # the triggers are back
    assert scim_total(scim) == 4
    check_consistency(app)
