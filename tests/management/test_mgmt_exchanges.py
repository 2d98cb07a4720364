"""The example exchanges of reference §6.12, replayed and compared key by key.

Ids, sequences and times are ours; their shapes, the keys and the fixed
values must match.
"""
import base64
import json
import re

import pytest

from models import members, orgs, tokens
from models.db import db
from models.machines import create_machine
from tests.conftest import Tenant
from tests.management.mgmt_helpers import DETAIL_TYPE, MgmtClient

NUMERIC = re.compile(r"^[0-9]+$")
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3}|\.\d{6}|\.\d{9})?Z$")


def same_shape(ours, theirs, path="$"):
    """Every key of the example is in our answer with a value of the same shape, and nothing else is."""
    if isinstance(theirs, dict):
        assert isinstance(ours, dict) and set(ours) == set(theirs), (path, ours, theirs)
        for key in theirs:
            same_shape(ours[key], theirs[key], f"{path}.{key}")
    elif isinstance(theirs, list):
        assert isinstance(ours, list) and len(ours) == len(theirs), (path, ours)
        for index, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            same_shape(a, b, f"{path}[{index}]")
    elif isinstance(theirs, str) and TIME.match(theirs):
        assert TIME.match(ours), (path, ours)
    elif isinstance(theirs, str) and NUMERIC.match(theirs):
        assert isinstance(ours, str) and NUMERIC.match(ours), (path, ours)
    else:
        assert ours == theirs, (path, ours, theirs)


def test_create_machine_user(mgmt):
    response = mgmt.client.post("/management/v1/users/machine", headers={
        **mgmt.tenant.auth, "x-zitadel-orgid": mgmt.tenant.org_id},
        json={"userName": "ci-bot", "name": "CI bot", "accessTokenType": "ACCESS_TOKEN_TYPE_JWT"})
    assert response.status_code == 200
    expected = {"userId": "290000000000000100", "details": {"sequence": "812",
                "changeDate": "2025-05-01T10:00:00.123456Z", "resourceOwner": "290000000000000001"}}
    same_shape(response.get_json(), expected)
    assert response.get_json()["details"]["resourceOwner"] == mgmt.tenant.org_id


def test_create_machine_user_then_key_then_pat(mgmt):
    headers = {**mgmt.tenant.auth, "x-zitadel-orgid": mgmt.tenant.org_id}
    user_id = mgmt.client.post("/management/v1/users/machine", headers=headers, json={
        "userName": "ci-bot-2", "name": "CI bot", "accessTokenType": "ACCESS_TOKEN_TYPE_JWT"}).get_json()["userId"]

    key = mgmt.client.post(f"/management/v1/users/{user_id}/keys", headers=headers, json={"type": "KEY_TYPE_JSON"})
    assert key.status_code == 200
    answer = key.get_json()
    expected = {"keyId": "290000000000000200", "keyDetails": answer["keyDetails"], "details": {
        "sequence": "813", "creationDate": "2025-05-01T10:00:01Z", "resourceOwner": "290000000000000001"}}
    same_shape(answer, expected)
    key_file = json.loads(base64.b64decode(answer["keyDetails"]))
    assert key_file["type"] == "serviceaccount" and key_file["keyId"] == answer["keyId"]
    assert key_file["userId"] == user_id and key_file["key"].startswith("-----BEGIN RSA PRIVATE KEY-----")

    pat = mgmt.client.post(f"/management/v1/users/{user_id}/pats", headers=headers, json={})
    assert pat.status_code == 200
    answer = pat.get_json()
    expected = {"tokenId": "290000000000000300", "token": answer["token"], "details": {
        "sequence": "814", "creationDate": "2025-05-01T10:00:02Z", "resourceOwner": "290000000000000001"}}
    same_shape(answer, expected)
    assert len(answer["token"]) >= 32
    assert int(answer["details"]["sequence"]) > int(key.get_json()["details"]["sequence"])


@pytest.fixture
def acme(client):
    """The example's organisation: "Acme" under the instance domain "example" has the domain acme.example."""
    with db.connection_context():
        orgs.configure("example")
        try:
            org = orgs.create_org("Acme", editor=None)
        finally:
            orgs.configure("localhost")
        user = create_machine(org.id, "acme-admin", "Acme admin", editor=None)
        members.grant(user, org.id, ["ORG_OWNER"], editor=None)
        _, token = tokens.add_pat(user, editor=None)
    return MgmtClient(client, Tenant(org.id, token, user.id))


def test_get_a_human(acme):
    mgmt = acme
    user_id = mgmt.ok("post", "/users/human", {
        "userName": "minnie", "profile": {"firstName": "Minnie", "lastName": "Mouse", "preferredLanguage": "en"},
        "email": {"email": "minnie@acme.example", "isEmailVerified": True}, "initialPassword": "Password1!"})["userId"]
    user = mgmt.ok("get", f"/users/{user_id}")
    expected = {"user": {"id": "290000000000000500",
                         "details": {"sequence": "901", "creationDate": "2025-05-02T08:00:00Z",
                                     "changeDate": "2025-05-02T08:05:00Z", "resourceOwner": "290000000000000001"},
                         "state": "USER_STATE_ACTIVE", "userName": "minnie", "loginNames": ["minnie@acme.example"],
                         "preferredLoginName": "minnie@acme.example",
                         "human": {"profile": {"firstName": "Minnie", "lastName": "Mouse",
                                               "displayName": "Minnie Mouse", "preferredLanguage": "en"},
                                   "email": {"email": "minnie@acme.example", "isEmailVerified": True},
                                   "phone": {}, "passwordChanged": "2025-05-02T08:05:00Z"}}}
    same_shape(user, expected)


def test_deactivate_twice(mgmt):
    user_id = mgmt.human()
    first = mgmt.post(f"/users/{user_id}/_deactivate", {})
    assert first.status_code == 200
    same_shape(first.get_json(), {"details": {"sequence": "902", "changeDate": "2025-05-02T08:06:00Z",
                                              "resourceOwner": "290000000000000001"}})
    second = mgmt.post(f"/users/{user_id}/_deactivate", {})
    assert second.status_code == 400
    same_shape(second.get_json(), {"code": 9, "message": "User already inactive (COMMAND-5M0sf)", "details": [
        {"@type": DETAIL_TYPE, "id": "COMMAND-5M0sf", "message": "User already inactive"}]})
