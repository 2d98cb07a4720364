"""The token service finds a client (a machine user, by userName across organisations) through an index.

Without migration 0008's partial index the lookup scanned every user: at a million
users a client-credentials grant took half a second. The plan is asked of the
database itself, for the SQL the lookup really runs.
"""
from models import access_tokens
from models.db import db
from tests.support.query_plans import plan_of, recorded_statements


def test_a_client_is_looked_up_by_user_name_through_the_machine_index(machine):
    with db.connection_context():
        with recorded_statements() as statements:
            found = access_tokens.client_by_client_id(machine.user_name)
        assert found is not None and found[0].id == machine.user_id
        (sql, params, _), = [s for s in statements if s[0].startswith("SELECT")]
        assert "user_machine_username_key" in plan_of(sql, params)
