"""#44-#54 (§6.8-§6.9): update machine, secret, keys, personal access tokens; hasSecret in the user."""
import base64
import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from models.db import db
from models.tables import PersonalAccessToken, utcnow
from tests.management.mgmt_helpers import assert_denied, assert_error, assert_invalid, b64


def history(mgmt, user_id):
    found = mgmt.ok("post", f"/users/{user_id}/changes/_search", {"query": {"asc": True}})
    return [change["eventType"]["key"].removeprefix("EventTypes.") for change in found["result"]]


def test_update_machine(mgmt, other, reader):
    user_id = mgmt.machine()
    details = mgmt.ok("put", f"/users/{user_id}/machine",
                      {"name": "Deploy bot", "description": "ships", "accessTokenType": "ACCESS_TOKEN_TYPE_JWT"})
    assert set(details["details"]) == {"sequence", "changeDate", "resourceOwner"}
    machine = mgmt.user(user_id)["machine"]
    assert machine == {"name": "Deploy bot", "description": "ships", "accessTokenType": "ACCESS_TOKEN_TYPE_JWT"}
    assert mgmt.user(user_id)["details"]["sequence"] == details["details"]["sequence"]
    assert history(mgmt, user_id)[-1] == "user.machine.changed"
    # Full replacement: omitting the type resets it to BEARER (omitted on the wire).
    mgmt.ok("put", f"/users/{user_id}/machine", {"name": "Deploy bot", "access_token_type": 0})
    assert mgmt.user(user_id)["machine"] == {"name": "Deploy bot"}
    assert_error(mgmt.put(f"/users/{user_id}/machine", {"name": "Deploy bot"}), 400, 9,
                 "Errors.User.NotChanged", "COMMAND-2n8vs")
    assert_invalid(mgmt.put(f"/users/{user_id}/machine", {"name": ""}),
                   "invalid UpdateMachineRequest.Name: value length must be between 1 and 200 runes, inclusive")
    assert_error(mgmt.put("/users/404/machine", {"name": "x"}), 404, 5, "User could not be found", "COMMAND-5M0od")
    assert_error(other.put(f"/users/{user_id}/machine", {"name": "x"}), 404, 5, "User could not be found",
                 "COMMAND-5M0od")
    human = mgmt.human()
    assert_error(mgmt.put(f"/users/{human}/machine", {"name": "x"}), 404, 5, "User could not be found",
                 "COMMAND-5M0od")
    assert_denied(reader.put(f"/users/{user_id}/machine", {"name": "y"}))


def test_secret_generate_and_remove(mgmt, other, reader):
    user_id = mgmt.machine("secret-bot")
    assert "hasSecret" not in mgmt.user(user_id)["machine"]
    answer = mgmt.ok("put", f"/users/{user_id}/secret", {})
    assert answer["clientId"] == "secret-bot"
    secret = answer["clientSecret"]
    assert len(secret) == 64 and secret.isalnum() and secret.isascii()
    assert set(answer["details"]) == {"sequence", "creationDate", "resourceOwner"}
    assert mgmt.user(user_id)["machine"]["hasSecret"] is True
    listed = mgmt.ok("post", "/users/_search", {"queries": [{"inUserIdsQuery": {"userIds": [user_id]}}]})
    assert listed["result"][0]["machine"]["hasSecret"] is True
    # A second secret replaces the first.
    assert mgmt.ok("put", f"/users/{user_id}/secret")["clientSecret"] != secret
    details = mgmt.ok("delete", f"/users/{user_id}/secret")["details"]
    assert set(details) == {"sequence", "changeDate", "resourceOwner"}
    assert "hasSecret" not in mgmt.user(user_id)["machine"]
    assert_error(mgmt.delete(f"/users/{user_id}/secret"), 400, 9, "Secret doesn't exist", "COMMAND-coi82n")
    assert history(mgmt, user_id)[-3:] == ["user.machine.secret.set", "user.machine.secret.set",
                                           "user.machine.secret.removed"]
    assert_error(mgmt.put("/users/404/secret"), 404, 5, "User could not be found", "QUERY-Dfbg2")
    assert_error(other.put(f"/users/{user_id}/secret"), 404, 5, "User could not be found", "MANAG-fpo4B")
    assert_error(mgmt.delete("/users/404/secret"), 400, 9, "User could not be found", "COMMAND-x7s802")
    assert_error(other.delete(f"/users/{user_id}/secret"), 400, 9, "User could not be found", "COMMAND-x7s802")
    response = mgmt.put(f"/users/{mgmt.human()}/secret")
    assert response.status_code == 400 and response.get_json()["message"] == "Errors.User.NotExisting"
    assert_denied(reader.put(f"/users/{user_id}/secret"))


def test_generated_key_returns_the_key_file_once(mgmt):
    user_id = mgmt.machine()
    answer = mgmt.ok("post", f"/users/{user_id}/keys", {"type": "KEY_TYPE_JSON"})
    assert set(answer) == {"keyId", "keyDetails", "details"}
    assert set(answer["details"]) == {"sequence", "creationDate", "resourceOwner"}
    key_file = json.loads(base64.b64decode(answer["keyDetails"]))
    assert key_file["type"] == "serviceaccount" and key_file["keyId"] == answer["keyId"]
    assert key_file["userId"] == user_id and key_file["expirationDate"] == "9999-12-31T23:59:59Z"
    assert key_file["key"].startswith("-----BEGIN RSA PRIVATE KEY-----\n")
    private = serialization.load_pem_private_key(key_file["key"].encode(), password=None)
    assert private.key_size == 2048
    key = mgmt.ok("get", f"/users/{user_id}/keys/{answer['keyId']}")["key"]
    assert key == {"id": answer["keyId"], "details": key["details"], "type": "KEY_TYPE_JSON",
                   "expirationDate": "9999-12-31T23:59:59Z"}
    assert key["details"]["changeDate"] == key["details"]["creationDate"]
    assert "keyDetails" not in json.dumps(key)
    assert history(mgmt, user_id)[-1] == "user.machine.key.added"


def test_supplied_public_key_returns_no_key_material(mgmt):
    user_id = mgmt.machine()
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.public_key().public_bytes(serialization.Encoding.PEM,
                                            serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    answer = mgmt.ok("post", f"/users/{user_id}/keys", {"type": 1, "publicKey": b64(pem),
                                                        "expirationDate": "2999-01-02T03:04:05Z"})
    assert set(answer) == {"keyId", "details"}
    key = mgmt.ok("get", f"/users/{user_id}/keys/{answer['keyId']}")["key"]
    assert key["expirationDate"] == "2999-01-02T03:04:05Z"


@pytest.mark.parametrize("public_key", [
    "not a key",
    # PKCS#1 ("RSA PUBLIC KEY") is not PKIX
    rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.PKCS1).decode(),
    # not RSA
    ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode(),
])
def test_invalid_public_keys(mgmt, public_key):
    user_id = mgmt.machine()
    assert_error(mgmt.post(f"/users/{user_id}/keys", {"type": "KEY_TYPE_JSON", "publicKey": b64(public_key)}),
                 400, 3, "Public key is not a valid RSA public key in PKIX format with PEM encoding", "COMMAND-5F3h1")


def test_key_rules_and_errors(mgmt, other, reader):
    user_id = mgmt.machine()
    assert_invalid(mgmt.post(f"/users/{user_id}/keys", {}),
                   "invalid AddMachineKeyRequest.Type: value must not be in list [0]")
    assert_invalid(mgmt.post(f"/users/{user_id}/keys", {"type": "KEY_TYPE_UNSPECIFIED"}),
                   "invalid AddMachineKeyRequest.Type: value must not be in list [0]")
    assert_error(mgmt.post(f"/users/{user_id}/keys", {"type": 1, "expirationDate": "2001-01-01T00:00:00Z"}),
                 400, 3, "Errors.AuthNKey.ExpireBeforeNow", "DOMAIN-dv3t5")
    for target in ("404", mgmt.human()):
        assert_error(mgmt.post(f"/users/{target}/keys", {"type": 1}), 400, 9, "User could not be found",
                     "COMMAND-bnipwm1")
    assert_error(other.post(f"/users/{user_id}/keys", {"type": 1}), 400, 9, "User could not be found",
                 "COMMAND-bnipwm1")
    assert_denied(reader.post(f"/users/{user_id}/keys", {"type": 1}))
    key_id = mgmt.ok("post", f"/users/{user_id}/keys", {"type": 1})["keyId"]
    assert reader.ok("get", f"/users/{user_id}/keys/{key_id}")["key"]["id"] == key_id
    assert_error(mgmt.get(f"/users/{user_id}/keys/404"), 404, 5, "Errors.AuthNKey.NotFound")
    assert_error(other.get(f"/users/{user_id}/keys/{key_id}"), 404, 5, "Errors.AuthNKey.NotFound")
    assert_error(other.delete(f"/users/{user_id}/keys/{key_id}"), 404, 5, "Machine key not found", "COMMAND-4m77G")
    details = mgmt.ok("delete", f"/users/{user_id}/keys/{key_id}")["details"]
    assert set(details) == {"sequence", "changeDate", "resourceOwner"}
    assert_error(mgmt.delete(f"/users/{user_id}/keys/{key_id}"), 404, 5, "Machine key not found", "COMMAND-4m77G")
    assert_error(mgmt.get(f"/users/{user_id}/keys/{key_id}"), 404, 5, "Errors.AuthNKey.NotFound")
    assert history(mgmt, user_id)[-1] == "user.machine.key.removed"


def test_list_keys_paged(mgmt, other):
    user_id = mgmt.machine()
    ids = [mgmt.ok("post", f"/users/{user_id}/keys", {"type": 1})["keyId"] for _ in range(3)]
    everything = mgmt.ok("post", f"/users/{user_id}/keys/_search", {})
    assert everything["details"]["totalResult"] == "3"
    assert [k["id"] for k in everything["result"]] == ids[::-1]
    page = mgmt.ok("post", f"/users/{user_id}/keys/_search", {"query": {"offset": "1", "limit": 1, "asc": True}})
    assert [k["id"] for k in page["result"]] == [ids[1]] and page["details"]["totalResult"] == "3"
    assert "result" not in other.ok("post", f"/users/{user_id}/keys/_search", {})
    assert "result" not in mgmt.ok("post", "/users/404/keys/_search")


def test_personal_access_tokens(mgmt, client, other, reader):
    user_id = mgmt.machine()
    answer = mgmt.ok("post", f"/users/{user_id}/pats", {})
    assert set(answer) == {"tokenId", "token", "details"}
    assert set(answer["details"]) == {"sequence", "creationDate", "resourceOwner"}
    token = answer["token"]
    pat = mgmt.ok("get", f"/users/{user_id}/pats/{answer['tokenId']}")["token"]
    assert pat["id"] == answer["tokenId"] and pat["expirationDate"] == "9999-12-31T23:59:59Z"
    assert pat["scopes"] == ["openid", "profile", "urn:zitadel:iam:user:metadata",
                             "urn:zitadel:iam:user:resourceowner"]
    assert token not in json.dumps(pat)
    second = mgmt.ok("post", f"/users/{user_id}/pats", {"expirationDate": "2999-05-06T07:08:09Z"})
    listed = mgmt.ok("post", f"/users/{user_id}/pats/_search", {"query": {"asc": True}})
    assert [p["id"] for p in listed["result"]] == [answer["tokenId"], second["tokenId"]]
    assert token not in json.dumps(listed)
    # The PAT is a working bearer (the user has no role: authenticated, then 403).
    response = client.get(f"/management/v1/users/{user_id}", headers={"Authorization": f"Bearer {token}"})
    assert_denied(response)
    mgmt.ok("delete", f"/users/{user_id}/pats/{answer['tokenId']}")
    response = client.get(f"/management/v1/users/{user_id}", headers={"Authorization": f"Bearer {token}"})
    assert_error(response, 401, 16, "Errors.Token.Invalid", "AUTH-7fs1e")
    assert_error(mgmt.delete(f"/users/{user_id}/pats/{answer['tokenId']}"), 404, 5,
                 "Personal Access Token not found", "COMMAND-4m77G")
    assert_error(mgmt.get(f"/users/{user_id}/pats/{answer['tokenId']}"), 404, 5,
                 "Errors.PersonalAccessToken.NotFound")
    assert history(mgmt, user_id)[-3:] == ["user.personal.access.token.added", "user.personal.access.token.added",
                                           "user.personal.access.token.removed"]
    assert_error(mgmt.post(f"/users/{mgmt.human()}/pats", {}), 400, 9, "Not allowed for this user type",
                 "COMMAND-Df2f1")
    assert_error(mgmt.post("/users/404/pats", {}), 400, 9, "User could not be found", "COMMAND-Dggw2")
    assert_error(other.post(f"/users/{user_id}/pats", {}), 400, 9, "User could not be found", "COMMAND-Dggw2")
    assert_error(mgmt.post(f"/users/{user_id}/pats", {"expirationDate": "2001-01-01T00:00:00Z"}), 400, 3,
                 "Errors.AuthNKey.ExpireBeforeNow", "DOMAIN-dv3t5")
    assert_denied(reader.post(f"/users/{user_id}/pats", {}))
    assert "result" not in other.ok("post", f"/users/{user_id}/pats/_search", {})


def test_expired_pat_is_refused(mgmt, client):
    user_id = mgmt.machine()
    answer = mgmt.ok("post", f"/users/{user_id}/pats", {"expirationDate": "2999-01-01T00:00:00Z"})
    with db.connection_context():
        PersonalAccessToken.update(expires_at=utcnow()).where(PersonalAccessToken.id == answer["tokenId"]).execute()
    response = client.post("/management/v1/users/_search", headers={"Authorization": f"Bearer {answer['token']}"})
    assert_error(response, 401, 16, "Errors.Token.Invalid", "AUTH-7fs1e")
