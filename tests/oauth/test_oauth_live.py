"""The token service against a real gunicorn (2 workers), with the clients integrators use.

Client credentials with `requests` and HTTP Basic; the JWT profile with
authlib's AssertionSession from a downloaded key file; the tokens then call
SCIM and the management API. Afterwards no secret, private key or token may
appear in the database dump nor in the server's log (run at LOG_LEVEL=DEBUG).
"""
import base64
import json

import pytest
import requests
from requests.auth import HTTPBasicAuth

from tests.support.live_gateway import Gateway, database_dump
from tests.support.live_server import start_live_server

PER_CLIENT_LIMIT = 4


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LOG_LEVEL", "DEBUG")
        patch.setenv("TOKEN_RATE_LIMIT_PER_CLIENT", f"{PER_CLIENT_LIMIT} per minute")
        live = start_live_server("oauth", tmp_path_factory.mktemp("oauth-logs"))
    yield live
    live.stop()


def test_full_flow_and_nothing_secret_is_kept(server, tmp_path):
    gateway = Gateway(server)
    admin = gateway.mgmt("get", "/global/users/_by_login_name?loginName=gateway-admin")["user"]
    user_id = admin["id"]
    secrets_seen = [server.token]

    # 1. client credentials: requests with HTTP Basic, an opaque token
    answer = gateway.mgmt("put", f"/users/{user_id}/secret", {})
    client_id, secret = answer["clientId"], answer["clientSecret"]
    secrets_seen.append(secret)
    opaque = gateway.client_credentials(client_id, secret)
    gateway.calls_work(opaque, user_id)
    secrets_seen.append(opaque)
    wrong = requests.post(f"{gateway.base}/oauth/v2/token", data={"grant_type": "client_credentials"},
                          auth=HTTPBasicAuth(client_id, _other_secret(secret)), timeout=10)
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"

    # 2. JWT profile with a downloaded key file
    key_answer = gateway.mgmt("post", f"/users/{user_id}/keys", {"type": "KEY_TYPE_JSON"})
    key_file_path = tmp_path / "key.json"
    key_file_path.write_bytes(base64.b64decode(key_answer["keyDetails"]))
    private_pem = json.loads(key_file_path.read_text())["key"]
    secrets_seen += [key_answer["keyDetails"], private_pem]
    secrets_seen += [line for line in private_pem.splitlines() if not line.startswith("-----")]
    from_key = gateway.jwt_profile(key_file_path)
    gateway.calls_work(from_key, user_id)
    secrets_seen.append(from_key)

    # 3. the same user switched to JWT access tokens: both grants, verified by either worker
    gateway.mgmt("put", f"/users/{user_id}/machine", {"name": "Gateway administrator",
                                                     "accessTokenType": "ACCESS_TOKEN_TYPE_JWT"})
    for token in (gateway.client_credentials(client_id, secret), gateway.jwt_profile(key_file_path)):
        assert token.count(".") == 2
        for _ in range(4):
            gateway.calls_work(token, user_id)
        secrets_seen += [token, token.rsplit(".", 1)[1]]
    jwks = requests.get(f"{gateway.base}/oauth/v2/keys", timeout=10).json()
    assert jwks["keys"] and all("d" not in key for key in jwks["keys"])

    # 4. a personal access token
    pat = gateway.mgmt("post", f"/users/{user_id}/pats", {})["token"]
    gateway.calls_work(pat, user_id)
    secrets_seen.append(pat)

    # 5. introspection and revocation with the client secret
    found = requests.post(f"{gateway.base}/oauth/v2/introspect", data={"token": opaque},
                          auth=HTTPBasicAuth(client_id, secret), timeout=10).json()
    assert found["active"] is True and found["sub"] == user_id
    assert requests.post(f"{gateway.base}/oauth/v2/revoke", data={"token": opaque},
                         auth=HTTPBasicAuth(client_id, secret), timeout=10).status_code == 200
    refused = requests.get(f"{gateway.base}/scim/v2/Users", headers={"Authorization": f"Bearer {opaque}"}, timeout=10)
    assert refused.status_code == 401

    dump = database_dump(server.database_url)
    log = server.log_path.read_text(errors="replace")
    assert "DEBUG" in log  # the server did log at DEBUG
    for value in secrets_seen:
        assert value not in dump, f"a secret value is in the database: {value[:12]}…"
        assert value not in log, f"a secret value is in the log: {value[:12]}…"


def test_rate_limit_with_several_workers(server):
    """memory:// counts per worker: with 2 workers a client gets at most 2 x the limit before 429."""
    responses = [requests.post(f"{server.base_url}/oauth/v2/token", data={"grant_type": "client_credentials"},
                               auth=HTTPBasicAuth("brute-force", "guess"), timeout=10)
                 for _ in range(2 * PER_CLIENT_LIMIT + 1)]
    codes = [response.status_code for response in responses]
    assert set(codes) <= {401, 429} and 429 in codes, codes
    limited = next(response for response in responses if response.status_code == 429)
    assert int(limited.headers["Retry-After"]) > 0
    assert limited.json()["error"] == "invalid_request"


def _other_secret(secret):
    """The secret with its last character changed (to something it surely is not)."""
    return secret[:-1] + ("1" if secret.endswith("0") else "0")
