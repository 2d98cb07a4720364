"""The lookups an IdP makes on every sync are answered by indexes, asked of the database itself.

Okta and Entra ID look each user up by userName, externalId or work email before
every change. The plans below are those of the SQL these requests really run; on
PostgreSQL sequential scans are priced out (tests/support/query_plans.py), since
a tiny test table would make any scan cheapest (lookup=True: see plan_of).
"""
import re

import peewee
import pytest

from models.db import db
from tests.support.query_plans import plan_of, recorded_statements

LOOKUPS = {
    "userName": ('userName eq "Carol@Example.com"', "user_org_id_username_key", None),
    "externalId": ('externalId eq "00u-carol"', "user_org_id_id", "user_attr_org_id_attr_value_user_id"),
    "work email": ('emails[type eq "work"].value eq "CAROL@example.com"', "user_org_id_id",
                   "user_attr_org_id_attr_value_key_user_id_type"),
}


def _page_statement(recorded):
    pages = [(sql, params) for sql, params, _ in recorded if sql.startswith("SELECT") and 'FROM "user" AS' in sql]
    assert len(pages) == 1, pages
    return pages[0]


@pytest.mark.parametrize("lookup", LOOKUPS)
def test_a_sync_lookup_reads_indexes_only_where_it_can(scim, lookup):
    scim.create_user("carol@example.com", externalId="00u-carol",
                     emails=[{"value": "carol@example.com", "type": "work", "primary": True}])
    scim.create_user("dave@example.com", externalId="00u-dave",
                     emails=[{"value": "carol@example.com", "type": "home"}])
    for i in range(40):  # enough users that an index of the whole organisation is not as good a guess
        scim.create_user(f"user{i}@example.com", externalId=f"00u-{i}",
                         emails=[{"value": f"user{i}@example.com", "type": "work"}])
    query, user_index, attr_index = LOOKUPS[lookup]
    with recorded_statements() as recorded:
        found = scim.get("/Users", query_string={"filter": query}).get_json()
    assert [r["userName"] for r in found["Resources"]] == ["carol@example.com"]
    postgres = isinstance(db.obj, peewee.PostgresqlDatabase)
    if postgres:  # statistics, as autovacuum gathers them on a real table: userName is selective
        with db.connection_context():
            db.execute_sql('ANALYZE "user", "user_attr"')
    plan = plan_of(*_page_statement(recorded), lookup=True)
    if postgres:
        # How PostgreSQL joins a test organisation's few users to the subquery varies with its
        # statistics; what each lookup must use is its index.
        if attr_index:
            assert re.search(rf"Index Only Scan using {attr_index} on user_attr", plan), plan
        else:
            assert re.search(rf"Index Scan using {user_index} on \"user\"", plan), plan
        return
    assert "SCAN" not in plan, plan
    assert re.search(rf"SEARCH t1 USING INDEX {user_index} \(org_id=\? AND ", plan), plan
    if attr_index:
        # the user ids come from the index itself: no user_attr row is read
        assert re.search(rf"SEARCH t2 USING COVERING INDEX {attr_index} \(org_id=\? AND attr=\? AND ", plan), plan
