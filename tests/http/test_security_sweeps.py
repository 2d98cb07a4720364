"""Sweeps over every SCIM and management route, enumerated from the app's URL map.

- no token: 401; a token whose user holds no role: 403, code 7 on the management API (or,
  for /Me, 404: a service account has no SCIM User; AddOrg needs no role, as in ZITADEL);
- a token of another organisation aimed at this organisation's users and groups, by id
  or through x-zitadel-orgid / /scim/v2/{orgId}: 403 (code 7) or 404 (code 5) (or ZITADEL's
  documented 400 "user could not be found" quirk), and none of the victim's data in any body;
- management path parameters over 200 runes: 400 code 3, never a 5xx;
- a malformed body sent to a management RPC without a body binding is ignored.
New routes are swept automatically.
"""
import re
import uuid

import pytest

from tests.conftest import make_tenant

MANAGEMENT = "/management/v1/"
# Management RPCs any caller with a valid token may use (ZITADEL's "authenticated" auth option).
AUTHENTICATED_ONLY = {("POST", "/management/v1/orgs")}
PUBLIC = {"/scim/v2/ServiceProviderConfig", "/scim/v2/ResourceTypes", "/scim/v2/ResourceTypes/<name>",
          "/scim/v2/Schemas", "/scim/v2/Schemas/<path:schema_id>", "/scim/v2/openapi.json"}
API_PREFIXES = ("/scim/v2/", "/management/v1/")


def _routes(app):
    for rule in app.url_map.iter_rules():
        path = rule.rule
        if not path.startswith(API_PREFIXES) or "<scim_org:org>" in path or path in PUBLIC:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, path


def _fill(path, values):
    def value(match):
        name = match.group(1).split(":")[-1]
        if name in ("user_id", "id", "userId"):
            return values["user"]
        if name == "group_id":
            return values["group"]
        return values.get(name, "x")
    return re.sub(r"<([^>]+)>", value, path)


@pytest.fixture(scope="module")
def victim(app):
    """An organisation with a user and a group whose data must never leak."""
    tenant = make_tenant()
    client = app.test_client()
    name = f"victim-{uuid.uuid4().hex[:8]}@example.com"
    headers = {**tenant.auth, "Content-Type": "application/scim+json"}
    user = client.post("/scim/v2/Users", json={"userName": name, "title": "SecretTitle"}, headers=headers).get_json()
    group = client.post("/scim/v2/Groups", json={"displayName": f"VictimGroup-{uuid.uuid4().hex[:6]}",
                                                 "members": [{"value": user["id"]}]}, headers=headers).get_json()
    return {"tenant": tenant, "user": user["id"], "group": group["id"], "secrets": [name, "SecretTitle",
                                                                                       group["displayName"]]}


def _body(method, url):
    """A request body that would succeed for the resource's owner, so only authorisation can refuse it."""
    if "/scim/v2/" in url and method in ("POST", "PUT", "PATCH"):
        target = "displayName" if "/Groups" in url else "title" if method == "PATCH" else "userName"
        if method == "PATCH":
            return {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                    "Operations": [{"op": "replace", "path": target, "value": "Intruder"}]}
        if url.endswith("/Bulk"):
            return {"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
                    "Operations": [{"method": "DELETE", "path": "/Users/x"}]}
        return {target: f"intruder-{uuid.uuid4().hex[:6]}"}
    for (verb, suffix), body in MANAGEMENT_BODIES.items():
        if verb in (None, method) and url.endswith(suffix):
            return body
    return {} if method in ("POST", "PUT", "PATCH") else None


# Valid management bodies, so that only the organisation can be the reason for a refusal.
MANAGEMENT_BODIES = {
    (None, "/username"): {"userName": "intruder"},
    (None, "/profile"): {"firstName": "In", "lastName": "Truder", "displayName": "Intruder"},
    (None, "/email"): {"email": "intruder@example.com"},
    (None, "/phone"): {"phone": "+41790000000"},
    (None, "/password"): {"password": "Intruder-Passw0rd!"},
    (None, "/password/_initialize"): {"password": "Intruder-Passw0rd!"},
    (None, "/metadata/x"): {"value": "eA=="},
    ("POST", "/metadata/_bulk"): {"metadata": [{"key": "k", "value": "eA=="}]},
    ("DELETE", "/metadata/_bulk"): {"keys": ["k"]},
    (None, "/machine"): {"name": "Intruder"},
    (None, "/keys"): {"type": "KEY_TYPE_JSON"},
}


def _call(client, method, url, headers):
    return client.open(url, method=method, json=_body(method, url), headers=headers)


def _documented_not_found(response):
    """ZITADEL answers some lookups of an unknown user with 400 "User could not be found" or,
    for its list endpoints (history, metadata search), 200 with an empty result (reference
    §6.1 (4), §6.4); a user of another organisation must look exactly like that."""
    body = response.get_json(silent=True) or {}
    if response.status_code == 400:
        # A request-shape error (code 3 without details, reference §3.1) is decided before the
        # target is looked at, so it says nothing about it either.
        shape_error = body.get("code") == 3 and "details" not in body
        # ZITADEL's per-endpoint answers for an unknown user: "User could not be found",
        # "Profile not found", "Email not found", "Password not found"... (§6.4-§6.6)
        message = body.get("message", "").lower()
        return shape_error or "could not be found" in message or " not found (" in message
    return response.status_code == 200 and not body.get("result") and set(body) <= {"result", "details"}


def test_every_route_refuses_a_missing_token(app, client, victim):
    swept = 0
    for method, path in _routes(app):
        response = _call(client, method, _fill(path, victim), {})
        assert response.status_code == 401, (method, path, response.status_code)
        swept += 1
    assert swept > 20


def _code(response):
    return (response.get_json(silent=True) or {}).get("code")


# gRPC code of each refusal status on the management API (reference §3.2)
REFUSAL_CODES = {403: 7, 404: 5}


def _assert_refusal_code(method, path, response):
    """A management refusal carries the gRPC code of its status in the body."""
    if path.startswith(MANAGEMENT) and response.status_code in REFUSAL_CODES:
        assert _code(response) == REFUSAL_CODES[response.status_code], (method, path, response.get_json())


def test_every_route_refuses_a_token_without_roles(app, client, victim):
    powerless = make_tenant(roles=())
    for method, path in _routes(app):
        response = _call(client, method, _fill(path, victim), powerless.auth)
        where = (method, path, response.status_code, response.get_data(as_text=True))
        if (method, path) in AUTHENTICATED_ONLY:
            # Let through, then refused for its empty body: a request-shape error.
            assert response.status_code == 400 and _code(response) == 3, where
            continue
        allowed = {403, 404} if path.endswith("/Me") else {403}
        assert response.status_code in allowed, where
        _assert_refusal_code(method, path, response)


def _assert_no_leak(response, victim, where):
    text = response.get_data(as_text=True)
    for secret in victim["secrets"]:
        assert secret not in text, f"{where} leaked {secret!r}"


def test_another_organisation_sees_nothing_of_the_victim(app, client, victim):
    intruder = make_tenant()
    for method, path in _routes(app):
        url = _fill(path, victim)
        response = _call(client, method, url, intruder.auth)
        where = f"{method} {url} -> {response.status_code}"
        _assert_no_leak(response, victim, where)
        if any(f"<{n}>" in path for n in ("user_id", "id", "userId", "group_id")):
            assert response.status_code in (403, 404) or _documented_not_found(response), (
            where, response.get_data(as_text=True)[:300])
        _assert_refusal_code(method, path, response)


def test_naming_the_victims_organisation_is_refused(app, client, victim):
    intruder = make_tenant()
    org = victim["tenant"].org_id
    for method, path in _routes(app):
        if path.startswith("/scim/v2/"):
            url = "/scim/v2/" + org + _fill(path, victim)[len("/scim/v2"):]
            headers = intruder.auth
        else:
            url, headers = _fill(path, victim), {**intruder.auth, "x-zitadel-orgid": org}
        response = _call(client, method, url, headers)
        where = f"{method} {url} -> {response.status_code}"
        _assert_no_leak(response, victim, where)
        if (method, path) in AUTHENTICATED_ONLY:
            # AddOrg creates a new organisation whatever the ctx org: its empty body is refused as such.
            assert response.status_code == 400 and _code(response) == 3, where
            continue
        assert response.status_code in (403, 404), where
        _assert_refusal_code(method, path, response)


def _management_routes_with_parameters(app):
    for method, path in _routes(app):
        if path.startswith(MANAGEMENT):
            for name in re.findall(r"<(?:[^:>]+:)?([^>]+)>", path):
                yield method, path, name


# Request messages whose user id has no maximum length in ZITADEL's protos: a long one is merely unknown.
UNBOUNDED_USER_IDS = {(method, f"{MANAGEMENT}users/<user_id>/{rest}") for method, rest in (
    ("POST", "password"), ("POST", "password/_initialize"), ("PUT", "secret"), ("POST", "keys"), ("POST", "pats"))}


@pytest.fixture(scope="module")
def owner(app):
    """An organisation of its own with a human, for the sweeps that must be authorised."""
    tenant = make_tenant()
    body = {"userName": "owned", "profile": {"firstName": "O", "lastName": "W"}, "email": {"email": "o@example.com"}}
    user = app.test_client().post(MANAGEMENT + "users/human", json=body, headers=tenant.auth).get_json()
    return {"tenant": tenant, "user": user["userId"]}


def test_every_management_path_parameter_is_at_most_200_runes(app, client, owner):
    swept = 0
    for method, path, name in _management_routes_with_parameters(app):
        url = _fill(path.replace(f"<{name}>", "<long>").replace(f"<path:{name}>", "<long>"),
                    {**owner, "long": "1" * 201})
        response = _call(client, method, url, owner["tenant"].auth)
        where = (method, path, name, response.status_code, response.get_json(silent=True))
        assert response.status_code < 500, where
        if name == "user_id" and (method, path) in UNBOUNDED_USER_IDS:
            assert response.status_code in (400, 404) and _code(response) in (5, 9), where
            continue
        assert response.status_code == 400 and _code(response) == 3, where
        assert response.get_json()["message"].endswith(": value length must be between 1 and 200 runes, inclusive"), (
            where)
        swept += 1
    assert swept > 40


# Management RPCs without a body binding besides the GETs and DELETEs (reference §5, "no body"),
# and the one DELETE that has a body.
BODYLESS_POSTS = ("/auth_factors/_search", "/passwordless/_search", "/passwordless/_link")
BODY_BOUND_DELETES = ("/metadata/_bulk",)


def test_a_malformed_body_is_ignored_without_a_body_binding(app, client):
    tenant = make_tenant()
    body = {"userName": "ignored", "profile": {"firstName": "I", "lastName": "G"}, "email": {"email": "i@example.com"}}
    user = client.post(MANAGEMENT + "users/human", json=body, headers=tenant.auth).get_json()["userId"]
    swept = 0
    for method, path in _routes(app):
        bodyless = method in ("GET", "DELETE") and not path.endswith(BODY_BOUND_DELETES)
        if not path.startswith(MANAGEMENT) or not (bodyless or (method == "POST" and path.endswith(BODYLESS_POSTS))):
            continue
        response = client.open(_fill(path, {"user": user}), method=method, data="{",
                                content_type="application/json", headers=tenant.auth)
        message = (response.get_json(silent=True) or {}).get("message", "")
        assert response.status_code < 500 and not message.startswith("proto: syntax error"), (method, path, message)
        swept += 1
    assert swept > 20
