"""Shared fixtures: one application per test session on the selected database
(TEST_DATABASE=sqlite|postgres), and a fresh organisation per test so tests
never see each other's users."""
import dataclasses
import uuid

import pytest
from cryptography.fernet import Fernet

from app import create_app
from config import Settings
from models import members, tokens
from models.db import db
from models.machines import create_machine
from models.orgs import create_org
from tests.support.databases import drop_database, fresh_database_url

ADMIN_TOKEN = "test-admin-token-" + uuid.uuid4().hex
SCIM_JSON = "application/scim+json"


@pytest.fixture(scope="session")
def app():
    url = fresh_database_url("http")
    application = create_app(Settings(database_url=url, admin_token=ADMIN_TOKEN,
                                      mfa_encryption_key=Fernet.generate_key().decode("ascii")))
    application.config["TESTING"] = True
    yield application
    if not db.is_closed():
        db.close()
    drop_database(url)


@pytest.fixture
def client(app):
    return app.test_client()


@dataclasses.dataclass
class Tenant:
    org_id: str
    token: str
    user_id: str

    @property
    def auth(self):
        return {"Authorization": f"Bearer {self.token}"}


def make_tenant(roles=("ORG_OWNER",), scope=None):
    with db.connection_context():
        org = create_org(f"org-{uuid.uuid4().hex[:12]}", editor=None)
        user = create_machine(org.id, "scim-client", "SCIM client", editor=None)
        if roles:
            members.grant(user, scope or org.id, list(roles), editor=None)
        _, token = tokens.add_pat(user, editor=None)
    return Tenant(org.id, token, user.id)


@pytest.fixture
def tenant(app):
    return make_tenant()


@pytest.fixture
def other_tenant(app):
    return make_tenant()


class ScimClient:
    """Test client speaking SCIM to /scim/v2 as one tenant."""

    def __init__(self, client, tenant, prefix="/scim/v2"):
        self.client, self.tenant, self.prefix = client, tenant, prefix

    def _headers(self, headers):
        return {**self.tenant.auth, **(headers or {})}

    def get(self, path, headers=None, **kw):
        return self.client.get(self.prefix + path, headers=self._headers(headers), **kw)

    def delete(self, path, headers=None, **kw):
        return self.client.delete(self.prefix + path, headers=self._headers(headers), **kw)

    def _send(self, method, path, body, headers, content_type):
        return getattr(self.client, method)(self.prefix + path, json=body, headers=self._headers(headers),
                                            content_type=content_type)

    def post(self, path, body=None, headers=None, content_type=SCIM_JSON):
        return self._send("post", path, body, headers, content_type)

    def put(self, path, body=None, headers=None, content_type=SCIM_JSON):
        return self._send("put", path, body, headers, content_type)

    def patch(self, path, body=None, headers=None, content_type=SCIM_JSON):
        return self._send("patch", path, body, headers, content_type)

    def create_user(self, user_name="bjensen@example.com", **attributes):
        body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": user_name, **attributes}
        response = self.post("/Users", body)
        assert response.status_code == 201, response.get_json()
        return response.get_json()


@pytest.fixture
def scim(client, tenant):
    return ScimClient(client, tenant)
