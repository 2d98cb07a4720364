"""Clients for a gateway started with ``tests/support/live_server.py``, and a look at its database.

``Gateway(server)`` calls the management API (as the admin, or with a token given), checks
that a token works on SCIM and the management API, and gets access tokens by client
credentials and by the JWT profile with a downloaded key file, as integrators do.
``database_dump(url)`` returns every row of every table as text, for tests that look for
secrets at rest. Used by the OAuth live test and the secrets-at-rest sweep.
"""

from __future__ import annotations

import json
import sqlite3
from urllib.parse import urlsplit

import requests
from authlib.integrations.requests_client import AssertionSession
from joserfc.jwk import RSAKey
from requests.auth import HTTPBasicAuth


class Gateway:
    """A live server's management and token APIs; each call asserts it succeeded."""

    def __init__(self, server):
        self.base, self.admin = server.base_url, {"Authorization": f"Bearer {server.token}"}

    def mgmt(self, method, path, body=None, token=None):
        headers = {"Authorization": f"Bearer {token}"} if token else self.admin
        response = requests.request(method, f"{self.base}/management/v1{path}", json=body, headers=headers,
                                    timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    def calls_work(self, token, user_id):
        scim = requests.get(f"{self.base}/scim/v2/Users", headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert scim.status_code == 200, scim.text
        assert self.mgmt("get", f"/users/{user_id}", token=token)["user"]["id"] == user_id

    def client_credentials(self, client_id, secret):
        response = requests.post(f"{self.base}/oauth/v2/token", data={"grant_type": "client_credentials",
                                                                      "scope": "openid"},
                                 auth=HTTPBasicAuth(client_id, secret), timeout=10)
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    def jwt_profile(self, key_file_path):
        # What a ZITADEL integrator does with the downloaded key file.
        with open(key_file_path) as handle:
            key_file = json.load(handle)
        session = AssertionSession(
            token_endpoint=f"{self.base}/oauth/v2/token", issuer=key_file["userId"], subject=key_file["userId"],
            audience=self.base, grant_type=AssertionSession.JWT_BEARER_GRANT_TYPE,
            key=RSAKey.import_key(key_file["key"]),
            header={"alg": "RS256", "kid": key_file["keyId"]},
            scope="openid urn:zitadel:iam:org:project:id:zitadel:aud",
        )
        # The session fetches a token with a fresh assertion before its first request.
        users = session.get(f"{self.base}/scim/v2/Users", timeout=10)
        assert users.status_code == 200, users.text
        return session.token["access_token"]


def database_dump(url):
    """Every row of every table, as text."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        connection = sqlite3.connect("/" + parts.path.lstrip("/"))
        try:
            return "\n".join(connection.iterdump())
        finally:
            connection.close()
    import psycopg2  # imported here so that SQLite-only runs do not need the driver

    connection = psycopg2.connect(url)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            tables = [row[0] for row in cursor.fetchall()]
            lines = []
            for table in tables:
                cursor.execute(f'SELECT * FROM "{table}"')
                lines += [f"{table}: {row!r}" for row in cursor.fetchall()]
            return "\n".join(lines)
    finally:
        connection.close()
