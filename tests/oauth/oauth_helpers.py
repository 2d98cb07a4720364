"""Helpers of the token service tests: machine users with credentials, assertions built with authlib."""
import base64
import json
import time
import uuid

from authlib.oauth2.rfc7523 import JWTBearerGrant
from joserfc.jwk import RSAKey

from models import members
from models.db import db
from models.tables import User

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
TEST_ISSUER = "http://localhost"


def key_file_of(answer):
    """The key file a ZITADEL user downloads: keyDetails decoded."""
    return json.loads(base64.b64decode(answer["keyDetails"]))


def assertion(key_file, audience=TEST_ISSUER, *, issued_at=None, expires_at=None, header=None, **claims):
    """A JWT profile assertion signed with the key file's private key, as ZITADEL's guides build it."""
    now = int(time.time())
    issued_at = issued_at if issued_at is not None else now
    return JWTBearerGrant.sign(
        RSAKey.import_key(key_file["key"]), issuer=key_file["userId"], audience=audience,
        subject=key_file["userId"], issued_at=issued_at,
        expires_at=expires_at if expires_at is not None else issued_at + 3600,
        header=header or {"alg": "RS256", "kid": key_file["keyId"]}, claims=claims or None,
    )


def basic(client_id, secret):
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


class Machine:
    """A machine user (unique userName) of the tenant's org with ORG_OWNER, and its credentials."""

    def __init__(self, client, mgmt, user_id, user_name):
        self.client, self.mgmt, self.user_id, self.user_name = client, mgmt, user_id, user_name
        self.secret = None
        self.jwt = False

    @classmethod
    def create(cls, client, mgmt, jwt=False, roles=("ORG_OWNER",)):
        user_name = f"bot-{uuid.uuid4().hex[:10]}"
        user_id = mgmt.machine(user_name, **({"accessTokenType": "ACCESS_TOKEN_TYPE_JWT"} if jwt else {}))
        if roles:
            with db.connection_context():
                members.grant(User.get_by_id(user_id), mgmt.tenant.org_id, list(roles), editor=None)
        machine = cls(client, mgmt, user_id, user_name)
        machine.jwt = jwt
        return machine

    def new_secret(self):
        answer = self.mgmt.ok("put", f"/users/{self.user_id}/secret", {})
        self.secret = answer["clientSecret"]
        return answer

    def new_key(self, **body):
        return key_file_of(self.mgmt.ok("post", f"/users/{self.user_id}/keys", {"type": "KEY_TYPE_JSON", **body}))

    def set_token_type(self, jwt):
        if jwt == self.jwt:
            return
        self.jwt = jwt
        kind = "ACCESS_TOKEN_TYPE_JWT" if jwt else "ACCESS_TOKEN_TYPE_BEARER"
        self.mgmt.ok("put", f"/users/{self.user_id}/machine", {"name": "CI bot", "accessTokenType": kind})

    def client_credentials(self, secret=None, **form):
        return self.client.post("/oauth/v2/token", data={"grant_type": "client_credentials", **form},
                                headers=basic(self.user_name, secret or self.secret))

    def jwt_profile(self, signed, **form):
        return self.client.post("/oauth/v2/token", data={"grant_type": JWT_BEARER, "assertion": signed, **form})

    def token(self, response):
        assert response.status_code == 200, response.get_json()
        return response.get_json()["access_token"]


def assert_oauth_error(response, status, error):
    body = response.get_json()
    assert response.status_code == status, body
    assert body["error"] == error, body
    assert response.headers["Content-Type"].startswith("application/json")
    return body
