"""The token service finds a client (a machine user, by userName across organisations) through an index.

Without migration 0008's partial index the lookup scanned every user: at a million
users a client-credentials grant took half a second. The plan is asked of the
database itself, for the SQL the lookup really runs.
"""
import contextlib

import peewee

from models import access_tokens
from models.db import db


@contextlib.contextmanager
def captured_sql():
    database, statements = db.obj, []
    original = type(database).execute_sql

    def execute_sql(self, sql, params=None, *args, **kwargs):
        statements.append((sql, tuple(params or ())))
        return original(self, sql, params, *args, **kwargs)

    database.execute_sql = execute_sql.__get__(database)
    try:
        yield statements
    finally:
        del database.execute_sql


def plan(sql, params):
    if isinstance(db.obj, peewee.PostgresqlDatabase):
        with db.atomic():
            # A test table is tiny enough for a sequential scan to win; the question is whether
            # the index can serve the lookup at all.
            db.execute_sql("SET LOCAL enable_seqscan = off")
            return "\n".join(row[0] for row in db.execute_sql("EXPLAIN " + sql, params).fetchall())
    return "\n".join(row[-1] for row in db.execute_sql("EXPLAIN QUERY PLAN " + sql, params).fetchall())


def test_a_client_is_looked_up_by_user_name_through_the_machine_index(machine):
    with db.connection_context():
        with captured_sql() as statements:
            found = access_tokens.client_by_client_id(machine.user_name)
        assert found is not None and found[0].id == machine.user_id
        (sql, params), = [s for s in statements if s[0].startswith("SELECT")]
        assert "user_machine_username_key" in plan(sql, params)
