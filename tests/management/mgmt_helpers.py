"""Helpers of the management API tests: a client speaking protobuf-JSON as one tenant, error checks."""
import base64

from models.db import db
from models.ids import new_id
from models.mgmt_tables import AuthFactor, AuthFactorState

PREFIX = "/management/v1"
DETAIL_TYPE = "type.googleapis.com/zitadel.v1.ErrorDetail"


class MgmtClient:
    def __init__(self, client, tenant, org_header=None):
        self.client, self.tenant = client, tenant
        self.headers = dict(tenant.auth)
        if org_header:
            self.headers["x-zitadel-orgid"] = org_header

    def call(self, method, path, body=None, **kwargs):
        send = getattr(self.client, method)
        if body is not None:
            kwargs["json"] = body
        return send(PREFIX + path, headers=self.headers, **kwargs)

    def get(self, path, **kw):
        return self.call("get", path, **kw)

    def post(self, path, body=None, **kw):
        return self.call("post", path, body, **kw)

    def put(self, path, body=None, **kw):
        return self.call("put", path, body, **kw)

    def delete(self, path, body=None, **kw):
        return self.call("delete", path, body, **kw)

    def ok(self, method, path, body=None, **kw):
        response = self.call(method, path, body, **kw)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def human(self, user_name="minnie", verified=True, password="Password1!", **extra):
        body = {"userName": user_name, "profile": {"firstName": "Minnie", "lastName": "Mouse"},
                "email": {"email": user_name if "@" in user_name else f"{user_name}@acme.example",
                          "isEmailVerified": verified}, **extra}
        if password:
            body["initialPassword"] = password
        return self.ok("post", "/users/human", body)["userId"]

    def machine(self, user_name="ci-bot", **extra):
        return self.ok("post", "/users/machine", {"userName": user_name, "name": "CI bot", **extra})["userId"]

    def user(self, user_id):
        return self.ok("get", f"/users/{user_id}")["user"]


def assert_error(response, status, code, text, error_id=None):
    body = response.get_json()
    assert response.status_code == status, body
    if error_id:
        assert body == {"code": code, "message": f"{text} ({error_id})",
                        "details": [{"@type": DETAIL_TYPE, "id": error_id, "message": text}]}
    else:
        assert body == {"code": code, "message": text}


def assert_invalid(response, text=None):
    """A request-validation failure: code 3 without details."""
    body = response.get_json()
    assert response.status_code == 400, body
    assert body["code"] == 3 and "details" not in body, body
    if text:
        assert body["message"] == text


def b64(text):
    return base64.b64encode(text.encode()).decode()


def assert_denied(response):
    assert_error(response, 403, 7, "No matching permissions found", "AUTH-5mWD2")


def absent(mgmt, user_name):
    """No user of that userName in the client's org (what a failed create must leave behind)."""
    found = mgmt.ok("post", "/users/_search", {"queries": [{"userNameQuery": {"userName": user_name}}]})
    return "result" not in found


def factor(user_id, kind, state=AuthFactorState.READY, name=None):
    """A factor as a login flow would have registered it (registration is not part of this API)."""
    with db.connection_context():
        return AuthFactor.create(id=new_id(), user=user_id, kind=kind, state=state, name=name).id
