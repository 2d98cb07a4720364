"""A database that cannot be reached is a 503 with Retry-After; a statement it refuses is a 500."""
import peewee
import pytest

from scim import users as scim_users


@pytest.mark.parametrize("message, status", [
    ("database is locked", 503),
    ("unable to open database file", 503),
    ("near \"FROM\": syntax error", 500),
    ("Expression tree is too large (maximum depth 1000)", 500),
])
def test_only_connection_failures_are_reported_as_unavailable(scim, monkeypatch, message, status):
    def failing(*args, **kwargs):
        raise peewee.OperationalError(message)

    monkeypatch.setattr(scim_users, "search_users", failing)
    response = scim.get("/Users")
    assert response.status_code == status
    assert response.get_json()["status"] == str(status)
    assert (response.headers.get("Retry-After") == "5") == (status == 503)
