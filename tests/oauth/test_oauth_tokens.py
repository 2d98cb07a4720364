"""The token service through the Flask test client: grants, access token kinds, the one validator, revocation."""
import base64
import datetime
import hashlib
import hmac
import json
import time

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from models.credential_tables import AccessToken, MachineKey
from models.db import db
from models.tables import utcnow
from tests.management.mgmt_helpers import assert_error
from tests.oauth.oauth_helpers import (
    JWT_BEARER,
    Machine,
    assert_oauth_error,
    assertion,
    basic,
    bearer,
)

SCIM_USERS = "/scim/v2/Users"
# Basic credentials that are not base64 of UTF-8 "id:secret": invalid UTF-8, not base64 (non-ASCII),
# and a valid id with a truncated UTF-8 secret.
MALFORMED_BASIC = ["Basic //46/w==", "Basic \u00e9\u00e9\u00e9", "Basic " + base64.b64encode(b"ci-bot:\xc3").decode()]


def works(client, machine, token):
    """The token authenticates on SCIM and on the management API."""
    scim = client.get(SCIM_USERS, headers=bearer(token))
    assert scim.status_code == 200, scim.get_json()
    mgmt = client.get(f"/management/v1/users/{machine.user_id}", headers=bearer(token))
    assert mgmt.status_code == 200, mgmt.get_json()
    assert mgmt.get_json()["user"]["id"] == machine.user_id


def refused(client, token):
    assert client.get(SCIM_USERS, headers=bearer(token)).status_code == 401
    assert_error(client.get("/management/v1/users/1", headers=bearer(token)), 401, 16, "Errors.Token.Invalid",
                 "AUTH-7fs1e")


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# ---- client credentials ------------------------------------------------------------------

def test_client_credentials_with_basic_auth_gives_an_opaque_token(client, machine):
    machine.new_secret()
    response = machine.client_credentials(scope="openid urn:zitadel:iam:org:project:id:zitadel:aud")
    body = response.get_json()
    assert response.status_code == 200, body
    assert body["token_type"] == "Bearer" and body["expires_in"] == 43_200
    assert body["scope"] == "openid urn:zitadel:iam:org:project:id:zitadel:aud"
    assert response.headers["Cache-Control"] == "no-store"
    assert body["access_token"].startswith("gwat_") and "." not in body["access_token"]
    works(client, machine, body["access_token"])


def test_client_credentials_in_the_form_body(client, machine):
    machine.new_secret()
    response = client.post("/oauth/v2/token", data={"grant_type": "client_credentials",
                                                     "client_id": machine.user_name, "client_secret": machine.secret})
    works(client, machine, machine.token(response))


def test_client_credentials_refusals(client, machine):
    assert_oauth_error(machine.client_credentials(secret="no-secret-yet"), 401, "invalid_client")
    machine.new_secret()
    wrong = machine.secret[:-1] + ("y" if machine.secret.endswith("x") else "x")
    assert_oauth_error(machine.client_credentials(secret=wrong), 401, "invalid_client")
    assert_oauth_error(client.post("/oauth/v2/token", data={"grant_type": "client_credentials"},
                                   headers=basic("nobody", "x")), 401, "invalid_client")
    assert_oauth_error(client.post("/oauth/v2/token", data={"grant_type": "client_credentials"}), 401,
                       "invalid_client")
    assert_oauth_error(client.post("/oauth/v2/token", data={"grant_type": "password"},
                                   headers=basic(machine.user_name, machine.secret)), 400, "unsupported_grant_type")
    assert_oauth_error(client.post("/oauth/v2/token", data={}), 400, "unsupported_grant_type")
    for header in MALFORMED_BASIC:
        invalid_basic(client.post("/oauth/v2/token", data={"grant_type": "client_credentials"},
                                  headers={"Authorization": header}))
        # Valid credentials in the body do not make up for an unreadable Authorization header.
        invalid_basic(client.post("/oauth/v2/token", headers={"Authorization": header},
                                  data={"grant_type": "client_credentials", "client_id": machine.user_name,
                                        "client_secret": machine.secret}))


def invalid_basic(response):
    """RFC 6749 §5.2: credentials sent in the Authorization header are refused with 401 and WWW-Authenticate."""
    assert_oauth_error(response, 401, "invalid_client")
    assert response.headers["WWW-Authenticate"].startswith("Basic ")


def test_jwt_access_tokens_are_signed_with_a_published_key(client, machine):
    machine.set_token_type(jwt=True)
    machine.new_secret()
    response = machine.client_credentials()
    assert response.get_json()["expires_in"] == 300
    token = machine.token(response)
    keys = client.get("/oauth/v2/keys")
    assert keys.status_code == 200 and "max-age" in keys.headers["Cache-Control"]
    jwks = keys.get_json()
    assert all("d" not in key and "p" not in key for key in jwks["keys"])
    claims = jwt.decode(token, KeySet.import_key_set(jwks), algorithms=["RS256"]).claims
    assert claims["sub"] == machine.user_id and claims["iss"] == "http://localhost"
    assert claims["exp"] - claims["iat"] == 300 and claims["client_id"] == machine.user_name
    assert claims["urn:zitadel:iam:user:resourceowner:id"] == machine.mgmt.tenant.org_id
    works(client, machine, token)


def test_discovery(client):
    config = client.get("/.well-known/openid-configuration").get_json()
    assert config["issuer"] == "http://localhost"
    assert config["token_endpoint"] == "http://localhost/oauth/v2/token"
    assert config["jwks_uri"] == "http://localhost/oauth/v2/keys"
    assert JWT_BEARER in config["grant_types_supported"]
    assert config["introspection_endpoint"].endswith("/oauth/v2/introspect")
    assert config["revocation_endpoint"].endswith("/oauth/v2/revoke")


# ---- JWT profile (RFC 7523) -------------------------------------------------------------

def test_jwt_profile_with_a_generated_key_file(client, machine):
    key_file = machine.new_key()
    token = machine.token(machine.jwt_profile(assertion(key_file), scope="openid"))
    assert token.startswith("gwat_")
    works(client, machine, token)
    machine.set_token_type(jwt=True)
    works(client, machine, machine.token(machine.jwt_profile(assertion(key_file))))


def test_jwt_profile_with_a_caller_supplied_public_key(client, machine, mgmt):
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = RSAKey.import_key(private).as_pem(private=False)
    answer = mgmt.ok("post", f"/users/{machine.user_id}/keys",
                     {"type": "KEY_TYPE_JSON", "publicKey": base64.b64encode(pem).decode()})
    key_file = {"keyId": answer["keyId"], "userId": machine.user_id,
                "key": RSAKey.import_key(private).as_pem(private=True).decode()}
    works(client, machine, machine.token(machine.jwt_profile(assertion(key_file))))


def _forged(header, claims, signing_input_key=None):
    head = b64url(json.dumps(header).encode())
    body = b64url(json.dumps(claims).encode())
    if signing_input_key is None:
        return f"{head}.{body}."
    signature = hmac.new(signing_input_key, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64url(signature)}"


def test_jwt_profile_refusals(client, machine, mgmt):
    key_file = machine.new_key()
    now = int(time.time())
    claims = {"iss": machine.user_id, "sub": machine.user_id, "aud": "http://localhost", "iat": now, "exp": now + 600}
    cases = {
        "wrong aud": assertion(key_file, audience="https://elsewhere.example"),
        "iat older than an hour": assertion(key_file, issued_at=now - 3700, expires_at=now + 600),
        "iat in the future": assertion(key_file, issued_at=now + 600, expires_at=now + 1200),
        "expired": assertion(key_file, issued_at=now - 600, expires_at=now - 300),
        "unknown kid": assertion(key_file, header={"alg": "RS256", "kid": "404"}),
        "no kid": assertion(key_file, header={"alg": "RS256"}),
        "alg none": _forged({"alg": "none", "kid": key_file["keyId"]}, claims),
        "HS256 with the public key": _forged(
            {"alg": "HS256", "kid": key_file["keyId"]}, claims,
            RSAKey.import_key(key_file["key"]).as_pem(private=False)),
        "sub is not iss": assertion(key_file, sub="someone-else"),
        "garbage": "not.a.jwt",
        # Deeper than the JSON parser's recursion limit: RecursionError, not a ValueError.
        "deeply nested payload": f"{b64url(json.dumps({'alg': 'RS256', 'kid': key_file['keyId']}).encode())}"
                                 f".{b64url(b'[' * 90_000)}.c2ln",
    }
    for name, signed in cases.items():
        response = machine.jwt_profile(signed)
        assert response.status_code == 400, (name, response.get_json())
        assert response.get_json()["error"] in ("invalid_grant", "invalid_request"), name
    other = Machine.create(client, mgmt)
    stolen = dict(key_file, userId=other.user_id)  # a key of another user
    assert_oauth_error(machine.jwt_profile(assertion(stolen)), 400, "invalid_grant")
    assert_oauth_error(client.post("/oauth/v2/token", data={"grant_type": JWT_BEARER}), 400, "invalid_request")


def test_expired_and_deleted_keys_are_refused(client, machine, mgmt):
    expired, deleted = machine.new_key(), machine.new_key()
    with db.connection_context():
        MachineKey.update(expires_at=utcnow() - datetime.timedelta(seconds=1)).where(
            MachineKey.id == expired["keyId"]).execute()
    assert_oauth_error(machine.jwt_profile(assertion(expired)), 400, "invalid_grant")
    token = machine.token(machine.jwt_profile(assertion(deleted)))
    mgmt.ok("delete", f"/users/{machine.user_id}/keys/{deleted['keyId']}")
    assert_oauth_error(machine.jwt_profile(assertion(deleted)), 400, "invalid_grant")
    # Deleting the key revoked the token obtained with it.
    refused(client, token)


# ---- the one validator: revocation, deleted credentials, user state -----------------------

@pytest.mark.parametrize("jwt_tokens", [False, True])
def test_deleting_the_secret_revokes_its_tokens(client, machine, mgmt, jwt_tokens):
    machine.set_token_type(jwt_tokens)
    machine.new_secret()
    first = machine.token(machine.client_credentials())
    key_token = machine.token(machine.jwt_profile(assertion(machine.new_key())))
    machine.new_secret()  # replacing the secret revokes the tokens of the old one
    refused(client, first)
    second = machine.token(machine.client_credentials())
    works(client, machine, second)
    mgmt.ok("delete", f"/users/{machine.user_id}/secret")
    refused(client, second)
    assert_oauth_error(machine.client_credentials(), 401, "invalid_client")
    works(client, machine, key_token)  # a token of another credential is unaffected


@pytest.mark.parametrize("jwt_tokens", [False, True])
@pytest.mark.parametrize("action", ["_deactivate", "_lock"])
def test_unusable_users_tokens_are_refused(client, machine, mgmt, jwt_tokens, action):
    machine.set_token_type(jwt_tokens)
    machine.new_secret()
    key_file = machine.new_key()
    token = machine.token(machine.client_credentials())
    pat = mgmt.ok("post", f"/users/{machine.user_id}/pats", {})["token"]
    mgmt.ok("post", f"/users/{machine.user_id}/{action}")
    refused(client, token)
    refused(client, pat)
    assert_oauth_error(machine.client_credentials(), 401, "invalid_client")
    assert_oauth_error(machine.jwt_profile(assertion(key_file)), 400, "invalid_grant")


def test_deleted_users_tokens_are_refused(client, machine, mgmt):
    machine.new_secret()
    token = machine.token(machine.client_credentials())
    mgmt.ok("delete", f"/users/{machine.user_id}")
    refused(client, token)


def test_expired_and_tampered_tokens_are_refused(client, machine):
    machine.new_secret()
    opaque = machine.token(machine.client_credentials())
    machine.set_token_type(jwt=True)
    signed = machine.token(machine.client_credentials())
    head, body, signature = signed.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=="))
    claims["sub"] = "someone-else"
    refused(client, f"{head}.{b64url(json.dumps(claims).encode())}.{signature}")
    # A JWT of the right shape signed by a key the service never published.
    intruder = RSAKey.generate_key(2048)
    header = {"alg": "RS256", "typ": "at+jwt", "kid": json.loads(base64.urlsafe_b64decode(head + "=="))["kid"]}
    refused(client, jwt.encode(header, json.loads(base64.urlsafe_b64decode(body + "==")), intruder,
                               algorithms=["RS256"]))
    refused(client, jwt.encode(dict(header, kid="unknown"), {"sub": machine.user_id, "jti": "1"}, intruder,
                               algorithms=["RS256"]))
    works(client, machine, signed)
    with db.connection_context():
        AccessToken.update(expires_at=utcnow() - datetime.timedelta(seconds=1)).where(
            AccessToken.user == machine.user_id).execute()
    refused(client, opaque)
    refused(client, signed)


# ---- introspection (RFC 7662) and revocation (RFC 7009) --------------------------------------

def introspect(client, machine, token):
    response = client.post("/oauth/v2/introspect", data={"token": token}, headers=basic(machine.user_name,
                                                                                         machine.secret))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_introspection(client, machine, mgmt):
    machine.new_secret()
    token = machine.token(machine.client_credentials(scope="openid"))
    found = introspect(client, machine, token)
    assert found["active"] is True and found["sub"] == machine.user_id and found["scope"] == "openid"
    assert found["exp"] - found["iat"] == 43_200
    pat = mgmt.ok("post", f"/users/{machine.user_id}/pats", {})["token"]
    assert introspect(client, machine, pat)["active"] is True
    assert introspect(client, machine, "gwat_unknown") == {"active": False}
    # An outsider without user.read in the token's org learns nothing; an org owner may introspect.
    stranger = Machine.create(client, mgmt, roles=())
    stranger.new_secret()
    assert introspect(client, stranger, token) == {"active": False}
    owner = Machine.create(client, mgmt)
    owner.new_secret()
    assert introspect(client, owner, token)["active"] is True
    assert_oauth_error(client.post("/oauth/v2/introspect", data={"token": token}), 401, "invalid_client")


def test_revocation(client, machine, mgmt):
    machine.new_secret()
    opaque = machine.token(machine.client_credentials())
    machine.set_token_type(jwt=True)
    signed = machine.token(machine.client_credentials())
    other = Machine.create(client, mgmt)
    other.new_secret()
    # Another client cannot revoke this client's token.
    response = client.post("/oauth/v2/revoke", data={"token": opaque}, headers=basic(other.user_name, other.secret))
    assert response.status_code == 400
    works(client, machine, opaque)
    for token in (opaque, signed):
        response = client.post("/oauth/v2/revoke", data={"token": token},
                               headers=basic(machine.user_name, machine.secret))
        assert response.status_code == 200, response.get_json()
        refused(client, token)
        assert introspect(client, machine, token) == {"active": False}
    response = client.post("/oauth/v2/revoke", data={"token": "unknown"}, headers=basic(machine.user_name,
                                                                                         machine.secret))
    assert response.status_code == 200


@pytest.mark.parametrize("endpoint", ["/oauth/v2/introspect", "/oauth/v2/revoke"])
def test_introspection_and_revocation_refuse_malformed_basic_credentials(client, machine, endpoint):
    machine.new_secret()
    token = machine.token(machine.client_credentials())
    for header in MALFORMED_BASIC:
        invalid_basic(client.post(endpoint, data={"token": token}, headers={"Authorization": header}))
    works(client, machine, token)


@pytest.mark.parametrize("endpoint", ["/oauth/v2/introspect", "/oauth/v2/revoke"])
def test_an_unknown_token_type_hint_is_a_400(client, machine, endpoint):
    # RFC 7009 §2.2.1: unsupported_token_type is an RFC 6749 §5.2 error, so 400 (authlib's default is 401).
    machine.new_secret()
    token = machine.token(machine.client_credentials())
    response = client.post(endpoint, data={"token": token, "token_type_hint": "id_token"},
                           headers=basic(machine.user_name, machine.secret))
    body = assert_oauth_error(response, 400, "unsupported_token_type")
    assert "access_token" in body["error_description"]
    works(client, machine, token)
    response = client.post(endpoint, data={"token": token, "token_type_hint": "access_token"},
                           headers=basic(machine.user_name, machine.secret))
    assert response.status_code == 200, response.get_json()
    # The client is authenticated first: without credentials the hint is not looked at.
    invalid = client.post(endpoint, data={"token": token, "token_type_hint": "id_token"})
    assert_oauth_error(invalid, 401, "invalid_client")


# ---- errors and rate limits -------------------------------------------------------------------

def test_oauth_paths_answer_rfc6749_errors(client):
    assert_oauth_error(client.get("/oauth/v2/token"), 405, "invalid_request")
    assert_oauth_error(client.get("/oauth/v2/nothing"), 404, "invalid_request")
    assert_oauth_error(client.get("/.well-known/nothing"), 404, "invalid_request")


def test_rate_limit_per_client(app, client, machine, monkeypatch):
    monkeypatch.setattr(app.config["SETTINGS"], "token_rate_limit_per_client", "3 per minute")
    machine.new_secret()
    for _ in range(3):
        assert_oauth_error(machine.client_credentials(secret="wrong"), 401, "invalid_client")
    response = machine.client_credentials()
    assert_oauth_error(response, 429, "invalid_request")
    assert 0 < int(response.headers["Retry-After"]) <= 60
    # Another client from the same address is not limited by it.
    other = Machine.create(client, machine.mgmt)
    other.new_secret()
    assert other.client_credentials().status_code == 200


def test_rate_limit_per_client_counts_assertions_by_their_issuer(app, client, machine, monkeypatch):
    monkeypatch.setattr(app.config["SETTINGS"], "token_rate_limit_per_client", "2 per minute")
    key_file = machine.new_key()
    for _ in range(2):
        machine.token(machine.jwt_profile(assertion(key_file)))
    assert_oauth_error(machine.jwt_profile(assertion(key_file)), 429, "invalid_request")
    other = Machine.create(client, machine.mgmt)
    other.token(other.jwt_profile(assertion(other.new_key())))


def test_rate_limit_per_address(app, client, monkeypatch):
    monkeypatch.setattr(app.config["SETTINGS"], "token_rate_limit_per_address", "4 per minute")
    for number in range(4):
        response = client.post("/oauth/v2/token", data={"grant_type": "client_credentials"},
                               headers=basic(f"guess-{number}", "x"))
        assert response.status_code == 401
    response = client.post("/oauth/v2/token", data={"grant_type": "client_credentials"}, headers=basic("guess-9", "x"))
    assert_oauth_error(response, 429, "invalid_request")
    assert int(response.headers["Retry-After"]) > 0
    response = client.post("/oauth/v2/introspect", data={"token": "x"}, headers=basic("guess-9", "x"))
    assert response.status_code == 401  # its own counters


def test_only_the_token_service_is_rate_limited(client, machine, mgmt):
    machine.new_secret()
    token = machine.client_credentials()
    assert int(token.headers["X-RateLimit-Remaining"]) >= 0
    for response in (client.get("/scim/v2/Users?count=0", headers=mgmt.tenant.auth),
                     client.post("/management/v1/users/_search", json={}, headers=mgmt.tenant.auth)):
        assert response.status_code == 200
        assert not any(name.lower().startswith("x-ratelimit") for name, _ in response.headers.items())


def test_a_nul_character_in_a_client_id_or_a_kid_names_no_client(client, machine):
    # PostgreSQL's driver refuses a NUL (or text that is no UTF-8) in a query: these must be
    # refused as unknown, never a 500.
    machine.new_secret()
    nul_name = machine.user_name + "\x00"
    for endpoint in ("/oauth/v2/token", "/oauth/v2/revoke", "/oauth/v2/introspect"):
        assert_oauth_error(client.post(endpoint, data={"grant_type": "client_credentials", "token": "x"},
                                       headers=basic(nul_name, machine.secret)), 401, "invalid_client")
        in_form = client.post(endpoint, data={"grant_type": "client_credentials", "token": "x",
                                              "client_id": nul_name, "client_secret": machine.secret})
        assert in_form.status_code in (400, 401) and in_form.get_json()["error"] == "invalid_client", in_form.get_json()
    key_file = machine.new_key()
    for kid in (key_file["keyId"] + "\x00", key_file["keyId"] + "\ud800"):  # (a lone surrogate: no UTF-8)
        signed = assertion(key_file, header={"alg": "RS256", "kid": kid})
        assert_oauth_error(machine.jwt_profile(signed), 400, "invalid_grant")
