"""A pytest port of Okta's "SCIM 2.0 Spec Test" (the Runscope/BlazeMeter test that
Okta asks integrators to pass), against the live gateway with a database of its own.

Okta's test is a list of twelve HTTP steps with assertions; this module runs them in
the same order, one test per step, after seeding one active user with a name and an
email (step 1 reads the first user of the list). Where Okta's file checks only a status
code, a few assertions that the RFC requires are added (noted in each step); step 9
checks ``totalResults == 1`` as Apache SCIMple's port of the same test does.
"""

from __future__ import annotations

import random
import time

import pytest
import requests

LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"

INVALID_USER_EMAIL = "abcdefgh@atko.com"
USER_ID_THAT_DOES_NOT_EXIST = "010101001010101011001010101011"
OTHER_MISSING_USER_ID = "00919288221112222"

# Okta sends and accepts plain JSON.
JSON_HEADERS = {
    "Accept": "application/scim+json, application/json",
    "Content-Type": "application/json; charset=utf-8",
}


class OktaRun:
    """What the steps share: the HTTP session, Okta's random values, captured ids."""

    def __init__(self, server):
        self.server = server
        self.http = requests.Session()
        self.http.headers.update(JSON_HEADERS)
        self.http.headers.update(server.auth_headers)
        digits = random.randint(100, 999)
        self.given_name = f"Runscope{digits}"
        self.family_name = "Username"
        self.username = f"{self.given_name}{self.family_name}@atko.com"
        self.email = self.username
        self.username_caps = self.username.upper()
        self.captured: dict[str, str] = {}

    def url(self, path: str) -> str:
        return self.server.scim_url + path

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.http.get(self.url(path), timeout=30, **kwargs)

    def post(self, path: str, body: dict) -> requests.Response:
        return self.http.post(self.url(path), json=body, timeout=30)

    def need(self, name: str) -> str:
        if name not in self.captured:
            pytest.fail(f"an earlier step did not capture {name!r}", pytrace=False)
        return self.captured[name]

    def okta_user_body(self) -> dict:
        return {
            "schemas": [CORE_USER],
            "userName": self.username,
            "name": {"givenName": self.given_name, "familyName": self.family_name},
            "emails": [{"primary": True, "value": self.email, "type": "work"}],
            "displayName": f"{self.given_name} {self.family_name}",
            "active": True,
        }


@pytest.fixture(scope="module")
def okta(fresh_live_server):
    run = OktaRun(fresh_live_server)
    seed = {
        "schemas": [CORE_USER],
        "userName": "seed.user@example.com",
        "name": {"givenName": "Seed", "familyName": "User"},
        "emails": [{"primary": True, "value": "seed.user@example.com", "type": "work"}],
        "displayName": "Seed User",
        "active": True,
    }
    response = run.post("/Users", seed)
    assert response.status_code == 201, f"seeding the first user failed: {response.status_code} {response.text[:500]}"
    yield run
    run.http.close()


def json_of(response: requests.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        pytest.fail(
            f"{response.request.method} {response.url} answered {response.status_code} "
            f"with a body that is not JSON: {response.text[:300]!r}",
            pytrace=False,
        )
    assert isinstance(body, dict), f"expected a JSON object, got {body!r}"
    return body


def expect_status(response: requests.Response, status: int) -> dict:
    assert response.status_code == status, (
        f"{response.request.method} {response.url}: expected {status}, got "
        f"{response.status_code}: {response.text[:500]}"
    )
    return json_of(response)


def is_number(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def assert_list_response(body: dict) -> None:
    assert LIST_RESPONSE in body.get("schemas", []), body
    for key in ("totalResults", "itemsPerPage", "startIndex"):
        assert is_number(body.get(key)), f"{key} is not a number: {body.get(key)!r}"


def assert_user_fields(user: dict) -> None:
    """Okta's 'not empty' checks on a user read back from the server."""
    assert user.get("id"), user
    assert user.get("name", {}).get("familyName"), user
    assert user.get("name", {}).get("givenName"), user
    assert user.get("userName"), user
    assert user.get("active") is not None, user
    assert user.get("emails") and user["emails"][0].get("value"), user


def assert_error(body: dict, status: int) -> None:
    assert ERROR in body.get("schemas", []), body
    assert body.get("detail"), f"the Error has no detail: {body}"
    # RFC 7644 §3.12: "status" is the HTTP status code as a string.
    assert body.get("status") == str(status), body


def test_step_01_list_first_user(okta):
    body = expect_status(okta.get("/Users", params={"count": 1, "startIndex": 1}), 200)
    assert_list_response(body)
    assert body.get("Resources"), f"Resources is empty: {body}"
    first = body["Resources"][0]
    assert_user_fields(first)
    okta.captured["ISVUserid"] = first["id"]


def test_step_02_get_that_user(okta):
    user_id = okta.need("ISVUserid")
    body = expect_status(okta.get(f"/Users/{user_id}"), 200)
    assert_user_fields(body)
    assert body["id"] == user_id


def test_step_03_filter_on_unknown_username(okta):
    response = okta.get("/Users", params={"filter": f'userName eq "{INVALID_USER_EMAIL}"'})
    body = expect_status(response, 200)
    assert_list_response(body)  # added: the RFC's ListResponse
    assert body["totalResults"] == 0


def test_step_04_get_unknown_user_is_404(okta):
    body = expect_status(okta.get(f"/Users/{USER_ID_THAT_DOES_NOT_EXIST}"), 404)
    assert ERROR in body.get("schemas", []), body
    assert body.get("detail"), body


def test_step_05_filter_on_random_username(okta):
    response = okta.get("/Users", params={"filter": f'userName eq "{okta.username}"'})
    body = expect_status(response, 200)
    assert_list_response(body)
    assert body["totalResults"] == 0


def test_step_06_create_user(okta):
    body = expect_status(okta.post("/Users", okta.okta_user_body()), 201)
    assert body.get("active") is True, body
    assert body.get("id"), body
    assert body.get("name", {}).get("familyName") == okta.family_name, body
    assert body.get("name", {}).get("givenName") == okta.given_name, body
    assert CORE_USER in body.get("schemas", []), body
    assert body.get("userName") == okta.username, body
    okta.captured["idUserOne"] = body["id"]
    okta.captured["randomUserEmail"] = body["emails"][0]["value"]


def test_step_07_get_created_user(okta):
    user_id = okta.need("idUserOne")
    body = expect_status(okta.get(f"/Users/{user_id}"), 200)
    assert body.get("id") == user_id
    assert body.get("userName") == okta.username, body
    assert body.get("name", {}).get("familyName") == okta.family_name, body
    assert body.get("name", {}).get("givenName") == okta.given_name, body
    assert body["emails"][0]["value"] == okta.need("randomUserEmail"), body


def test_step_08_create_same_user_again_is_409(okta):
    body = expect_status(okta.post("/Users", okta.okta_user_body()), 409)
    assert ERROR in body.get("schemas", []), body  # added: RFC 7644 §3.12 error body


def test_step_09_filter_on_upper_case_username(okta):
    user_id = okta.need("idUserOne")
    response = okta.get("/Users", params={"filter": f'userName eq "{okta.username_caps}"'})
    body = expect_status(response, 200)
    assert_list_response(body)
    # userName is caseExact=false (RFC 7643 §4.1.1), so the upper-case copy matches.
    assert body["totalResults"] == 1, body
    assert [user["id"] for user in body.get("Resources", [])] == [user_id]


def test_step_10_list_groups_quickly(okta):
    started = time.monotonic()
    response = okta.get("/Groups")
    elapsed = time.monotonic() - started
    expect_status(response, 200)
    assert elapsed < 0.6, f"GET /Groups took {elapsed * 1000:.0f} ms (Okta allows 600 ms)"


def test_step_11_bad_authorization_is_401(okta):
    response = requests.get(
        okta.url("/Users"),
        headers={**JSON_HEADERS, "Authorization": "non-token"},
        timeout=30,
    )
    body = expect_status(response, 401)
    assert_error(body, 401)


def test_step_12_get_other_unknown_user_is_404(okta):
    body = expect_status(okta.get(f"/Users/{OTHER_MISSING_USER_ID}"), 404)
    assert_error(body, 404)
