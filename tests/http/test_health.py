"""Probes (/healthz, /readyz) and the public base URL (ISSUER) in the links the gateway hands out."""
import peewee
import pytest

from config import Settings
from models.db import db
from tests.http.scim_helpers import CORE, GROUP

ISSUER = "https://id.example.com"


def test_healthz_is_200(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_is_200_with_the_database_up(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready"}


@pytest.fixture
def unreachable(monkeypatch, tmp_path):
    """The database handle pointed at a SQLite file in a folder that does not exist."""
    database = peewee.SqliteDatabase(str(tmp_path / "no-such-folder" / "gateway.db"))
    monkeypatch.setattr(db, "obj", database)
    return database


def test_readyz_is_503_when_the_database_is_unreachable_and_healthz_stays_200(client, unreachable):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "database unavailable"}
    # Liveness does not depend on the database: restarting the process would not bring it back.
    assert client.get("/healthz").status_code == 200


class DropsOnce(peewee.SqliteDatabase):
    """A database whose open connection fails once, as one does after a PostgreSQL restart."""

    failed = False

    def execute_sql(self, sql, params=None, *args, **kwargs):
        if not self.failed:
            self.failed = True
            raise peewee.OperationalError("server closed the connection unexpectedly")
        return super().execute_sql(sql, params, *args, **kwargs)


def test_readyz_drops_a_dead_connection_so_the_next_probe_recovers(client, monkeypatch, tmp_path):
    database = DropsOnce(str(tmp_path / "probe.db"))
    monkeypatch.setattr(db, "obj", database)
    assert client.get("/readyz").status_code == 503
    assert database.is_closed()
    assert client.get("/readyz").status_code == 200
    database.close()


@pytest.fixture
def issuer(app, monkeypatch):
    monkeypatch.setenv("ISSUER", ISSUER + "/")
    # as the environment gives it: the trailing slash goes, so links have no double slash
    monkeypatch.setattr(app.config["SETTINGS"], "issuer", Settings.from_env().issuer)
    return ISSUER


def test_issuer_is_the_base_of_location_and_meta_location(scim, issuer):
    response = scim.post("/Users", {"schemas": [CORE], "userName": "issuer@example.com"})
    assert response.status_code == 201
    user = response.get_json()
    expected = f"{issuer}/scim/v2/Users/{user['id']}"
    assert response.headers["Location"] == expected
    assert user["meta"]["location"] == expected
    assert scim.get(f"/Users/{user['id']}").get_json()["meta"]["location"] == expected
    listed = scim.get("/Users").get_json()["Resources"]
    assert [r["meta"]["location"] for r in listed] == [expected]
    group = scim.post("/Groups", {"schemas": [GROUP], "displayName": "Issued", "members": [{"value": user["id"]}]})
    assert group.headers["Location"] == f"{issuer}/scim/v2/Groups/{group.get_json()['id']}"
    assert group.get_json()["members"][0]["$ref"] == expected


def test_issuer_is_used_with_the_organisation_in_the_path(client, tenant, issuer):
    response = client.post(f"/scim/v2/{tenant.org_id}/Users", json={"schemas": [CORE], "userName": "o@example.com"},
                           headers=tenant.auth, content_type="application/scim+json")
    assert response.status_code == 201
    expected = f"{issuer}/scim/v2/{tenant.org_id}/Users/{response.get_json()['id']}"
    assert response.headers["Location"] == expected == response.get_json()["meta"]["location"]


def test_without_issuer_links_use_the_request_host(scim):
    response = scim.post("/Users", {"schemas": [CORE], "userName": "host@example.com"},
                         headers={"Host": "gateway.internal:8080"})
    assert response.headers["Location"].startswith("http://gateway.internal:8080/scim/v2/Users/")
