"""Secrets at rest: after a full flow through both APIs, the delivery worker and the token
service, neither the database nor any log holds a usable password, one-time code, TOTP
secret, client secret, personal access token, access token or private key.

Everything secret the flow handles is collected as it is seen (the passwords sent, the codes
the webhook received, the secrets and keys the API returned once); then the database is
dumped row by row and the server's and the worker's logs (at DEBUG) are read.
"""
import base64
import json
import os
import subprocess
import sys
import urllib.parse

import pytest
import requests
from cryptography.fernet import Fernet
from requests.auth import HTTPBasicAuth

from tests.support.live_gateway import Gateway, database_dump
from tests.support.live_server import REPO_ROOT, start_live_server
from tests.support.webhook_receiver import WebhookReceiver

WEBHOOK_SECRET = "sweep-webhook-secret-0123456789"
SCIM_JSON = "application/scim+json"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.fixture
def flow_server(tmp_path, monkeypatch):
    receiver = WebhookReceiver().start()
    mfa_key = Fernet.generate_key().decode()
    for name, value in {"LOG_LEVEL": "DEBUG", "ACCESS_LOG": "1", "NOTIFY_WEBHOOK_URL": receiver.url,
                        "NOTIFY_WEBHOOK_SECRET": WEBHOOK_SECRET, "MFA_ENCRYPTION_KEY": mfa_key}.items():
        monkeypatch.setenv(name, value)
    server = start_live_server("secrets", tmp_path)
    yield server, receiver, [WEBHOOK_SECRET, mfa_key]
    server.stop()
    receiver.close()


def _scim(server, method, path, body):
    response = requests.request(method, f"{server.scim_url}{path}", json=body, timeout=10, headers={
        **server.auth_headers, "Content-Type": SCIM_JSON})
    assert response.status_code in (200, 201), response.text
    return response.json()


def _deliver(server, tmp_path):
    """Run the delivery worker once, as the Procfile's worker does; returns its output."""
    env = {**os.environ, "DATABASE_URL": server.database_url}
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "notify", "deliver", "--once"],
                            cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120,
                            stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout + result.stderr


def test_after_a_full_flow_no_secret_is_in_the_database_or_the_logs(flow_server, tmp_path):
    server, receiver, secrets_seen = flow_server
    gateway = Gateway(server)
    secrets_seen.append(server.token)

    # Passwords: on creation through both APIs, on change, on SCIM replace and PATCH.
    passwords = [f"Sweep-Passw0rd-{n}-Zq8#" for n in range(6)]
    secrets_seen += passwords
    # Unverified e-mail: the user starts INITIAL and gets an initialisation code.
    gateway.mgmt("post", "/users/human", {
        "userName": "sweep-initial", "profile": {"firstName": "Sweep", "lastName": "Initial"},
        "email": {"email": "sweep-initial@example.com"}, "initialPassword": passwords[0]})
    human = gateway.mgmt("post", "/users/human/_import", {
        "userName": "sweep-human", "profile": {"firstName": "Sweep", "lastName": "Human"},
        "email": {"email": "sweep-human@example.com", "isEmailVerified": True}, "password": passwords[5]})["userId"]
    gateway.mgmt("post", f"/users/{human}/password", {"password": passwords[1], "noChangeRequired": True})
    scim_user = _scim(server, "post", "/Users", {"userName": "sweep-scim@example.com", "password": passwords[2],
                                                 "emails": [{"value": "sweep-scim@example.com", "type": "work"}]})
    _scim(server, "put", f"/Users/{scim_user['id']}", {"userName": "sweep-scim@example.com",
                                                      "password": passwords[3]})
    _scim(server, "patch", f"/Users/{scim_user['id']}", {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "password", "value": passwords[4]}]})

    # One-time codes: e-mail and phone verification, password reset, passkey links.
    gateway.mgmt("put", f"/users/{human}/email", {"email": "sweep-new@example.com"})
    gateway.mgmt("put", f"/users/{human}/phone", {"phone": "+41790000001"})
    gateway.mgmt("post", f"/users/{human}/password/_reset", {})
    gateway.mgmt("post", f"/users/{human}/passwordless/_send_link", {})
    link = gateway.mgmt("post", f"/users/{human}/passwordless/_link", {})["link"]
    secrets_seen.append(dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(link).query))["code"])
    # A TOTP secret, imported (it must stay readable, so it is sealed, not hashed).
    gateway.mgmt("post", f"/users/{human}/auth_factors/otp/_import", {"secret": TOTP_SECRET})
    secrets_seen.append(TOTP_SECRET)

    worker_output = _deliver(server, tmp_path)
    documents = [json.loads(body) for _, body in receiver.received]
    codes = [document["code"] for document in documents if "code" in document]
    assert len(codes) >= 5, documents  # initialisation, e-mail, phone, reset, passkey link
    secrets_seen += codes

    # Machine credentials and the token service: secret, key, PAT, access tokens.
    machine = gateway.mgmt("post", "/users/machine", {"userName": "sweep-machine", "name": "Sweep"})["userId"]
    answer = gateway.mgmt("put", f"/users/{machine}/secret", {})
    secrets_seen.append(answer["clientSecret"])
    key = gateway.mgmt("post", f"/users/{machine}/keys", {"type": "KEY_TYPE_JSON"})
    key_file = json.loads(base64.b64decode(key["keyDetails"]))
    secrets_seen += [key["keyDetails"], key_file["key"]]
    secrets_seen += [line for line in key_file["key"].splitlines() if not line.startswith("-----")]
    pat = gateway.mgmt("post", f"/users/{machine}/pats", {})["token"]
    secrets_seen.append(pat)
    response = requests.post(f"{server.base_url}/oauth/v2/token", timeout=10,
                             data={"grant_type": "client_credentials", "scope": "openid"},
                             auth=HTTPBasicAuth(answer["clientId"], answer["clientSecret"]))
    assert response.status_code == 200, response.text
    secrets_seen.append(response.json()["access_token"])

    dump = database_dump(server.database_url)
    logs = server.log_path.read_text(errors="replace") + worker_output
    # The dump and the logs did record the flow (so the absences below mean something).
    for trace in ("$argon2", "sweep-human", "sweep-scim@example.com", "user.human.password.changed"):
        assert trace in dump, trace
    assert "DEBUG" in logs and "POST /management/v1/users/human" in logs
    assert all(len(value) >= 12 for value in secrets_seen)  # long enough not to match by chance
    for value in secrets_seen:
        assert value not in dump, f"a secret is in the database: {value[:6]}…"
        assert value not in logs, f"a secret is in a log: {value[:6]}…"
