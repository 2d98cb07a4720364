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


@pytest.mark.parametrize("path", ["/scim/v2/Users/%00", "/scim/v2/Users?filter=%00", "/management/v1/users/%00",
                                  "/management/v1/users/_is_unique?email=%00&userName=x"])
def test_nul_characters_in_urls_are_refused_in_the_apis_own_format(client, tenant, path):
    response = client.get(path, headers=tenant.auth)
    assert response.status_code == 400
    body = response.get_json()
    if path.startswith("/scim/"):
        assert body["status"] == "400" and body["detail"]
    else:
        assert body["code"] == 3


def test_nul_characters_in_management_bodies_are_invalid_arguments(client, tenant):
    response = client.post("/management/v1/users/human", headers=tenant.auth, json={
        "userName": "nul\u0000user", "profile": {"firstName": "A", "lastName": "B"}, "email": {"email": "a@b.ch"}})
    assert response.status_code == 400 and response.get_json()["code"] == 3


@pytest.mark.parametrize("path, query", [("/scim/v2/Users", b"count=1&x=\xff\xfe"),
                                         ("/scim/v2/Users", b'filter=userName eq "a\xff"'),
                                         ("/management/v1/users/_is_unique", b"userName=\xc3")])
def test_a_query_string_that_is_not_utf8_is_refused_in_the_apis_own_format(client, tenant, path, query):
    # (werkzeug raised UnicodeDecodeError reading such a query: a 500)
    response = client.get(path, headers=tenant.auth, environ_overrides={"QUERY_STRING": query.decode("latin-1")})
    assert response.status_code == 400
    body = response.get_json()
    if path.startswith("/scim/"):
        assert body["status"] == "400" and "UTF-8" in body["detail"]
    else:
        assert body["code"] == 3


def test_a_utf8_query_string_sent_raw_is_read_as_such(scim):
    scim.create_user("zoë@example.com")
    query = 'filter=userName eq "zoë@example.com"'.encode().decode("latin-1")
    response = scim.client.get("/scim/v2/Users", headers=scim.tenant.auth, environ_overrides={"QUERY_STRING": query})
    assert [r["userName"] for r in response.get_json()["Resources"]] == ["zoë@example.com"]
