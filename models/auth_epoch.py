"""The auth epoch (migration 0012): a number the database moves whenever what a bearer
token resolves to could have changed (a revocation, a role, a user's state)."""
from .db import db

_READ = 'SELECT SUM("value") FROM "auth_epoch"'


def current():
    """The epoch now; read it before the rows it vouches for."""
    return db.execute_sql(_READ).fetchone()[0]
