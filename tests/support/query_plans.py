"""Looking at the SQL a request really runs: the statements, their cost, and the database's plan."""
import contextlib
import sqlite3
import types

import peewee

from models.db import db


@contextlib.contextmanager
def recorded_statements():
    """Every SQL statement run, as (sql, params, cost). On SQLite the cost is the VM steps spent between
    the statement and the next one (its execution and the reading of its rows); on PostgreSQL, for a
    SELECT, the rows its plan's nodes produced or filtered out (EXPLAIN ANALYZE); else None."""
    database = db.obj
    statements, steps = [], [0]
    original = type(database).execute_sql

    def counting():
        steps[0] += 1

    def execute_sql(self, sql, params=None, *args, **kwargs):
        statements.append([sql, tuple(params or ()), steps[0]])
        connection = self.connection()
        if isinstance(connection, sqlite3.Connection):
            connection.set_progress_handler(counting, 1)
        return original(self, sql, params, *args, **kwargs)

    database.execute_sql = types.MethodType(execute_sql, database)
    recorded = []
    try:
        yield recorded
    finally:
        del database.execute_sql
        if not database.is_closed() and isinstance(database.connection(), sqlite3.Connection):
            database.connection().set_progress_handler(None, 1)
        sqlite = isinstance(database, peewee.SqliteDatabase)
        ends = [start for _, _, start in statements[1:]] + [steps[0]]
        recorded += [(sql, params, end - start if sqlite else _rows_touched(database, sql, params))
                     for (sql, params, start), end in zip(statements, ends, strict=True)]


def _rows_touched(database, sql, params):
    if not isinstance(database, peewee.PostgresqlDatabase) or not sql.startswith("SELECT"):
        return None
    # As in plan_of: the plan the indexes allow, not the one a tiny test table makes cheapest
    # (a sequential scan would touch every row on every page, deep or not).
    with db.connection_context(), db.atomic():
        db.execute_sql("SET LOCAL enable_seqscan = off")
        db.execute_sql("SET LOCAL enable_sort = off")
        (plan,), = database.execute_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params).fetchone()

    def touched(node):
        own = (node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0)) * node.get("Actual Loops", 1)
        return own + sum(touched(child) for child in node.get("Plans", ()))

    return touched(plan["Plan"])


def plan_of(sql, params, *, lookup=False):
    """The database's plan for a statement: EXPLAIN QUERY PLAN on SQLite; on PostgreSQL EXPLAIN with
    sequential scans and sorts priced out, so the plan shows what the indexes allow rather than what
    a tiny test table makes cheapest (a Sort left in it means no index gives the order).

    lookup: the statement finds a few rows by value, which are best sorted once found; so sorts
    are allowed and bitmap scans priced out instead (on a tiny table one would scan an index's
    whole organisation rather than look the value up).
    """
    with db.connection_context():
        if isinstance(db.obj, peewee.PostgresqlDatabase):
            with db.atomic():
                db.execute_sql("SET LOCAL enable_seqscan = off")
                db.execute_sql("SET LOCAL enable_bitmapscan = off" if lookup else "SET LOCAL enable_sort = off")
                return "\n".join(row[0] for row in db.execute_sql("EXPLAIN " + sql, params).fetchall())
        return "\n".join(row[-1] for row in db.execute_sql("EXPLAIN QUERY PLAN " + sql, params).fetchall())
