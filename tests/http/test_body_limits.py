"""The request body limit (max_body_bytes) holds however the body is framed, on every API.

A body sent with Transfer-Encoding: chunked has no Content-Length to check up
front; it must still be refused whole (413, nothing written) rather than read
up to the limit and parsed cut short.
"""
import io
import json

import pytest
import requests

from tests.http.scim_helpers import CORE, SCIM_JSON, assert_scim_error, user_names
from tests.support.live_server import start_live_server

BULK_REQUEST = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
# Valid JSON up to the limit, then padding past it, then garbage: cut at the limit it parses.
TRUNCATABLE = b'{"userName":"trunc@x.com"}' + b" " * 1_100_000 + b"GARBAGE"


class Trickle(io.BytesIO):
    """A request stream that hands out small pieces, as a socket does."""

    def read(self, size=-1):
        return super().read(min(size, 4096) if size is not None and size >= 0 else 4096)


def send(client, tenant, path, body, *, chunked):
    headers = {**tenant.auth, "Content-Type": SCIM_JSON}
    if not chunked:
        return client.post(path, data=body, headers=headers)
    # What gunicorn hands over for a chunked body: no Content-Length, a stream it terminates itself.
    return client.post(path, input_stream=Trickle(body), headers={**headers, "Transfer-Encoding": "chunked"},
                       environ_overrides={"wsgi.input_terminated": True})


def assert_413_without_scim_type(response, words):
    body = assert_scim_error(response, 413)
    assert "scimType" not in body
    assert words in body["detail"]


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_an_oversized_body_is_413_and_creates_nothing(client, tenant, scim, chunked):
    response = send(client, tenant, "/scim/v2/Users", TRUNCATABLE, chunked=chunked)
    assert_413_without_scim_type(response, "1048576 bytes")
    assert user_names(scim) == []


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_body_one_byte_over_the_limit_is_413(client, tenant, scim, app, chunked):
    limit = app.config["SETTINGS"].max_body_bytes
    head = b'{"userName":"edge@x.com"}'
    response = send(client, tenant, "/scim/v2/Users", head + b" " * (limit + 1 - len(head)), chunked=chunked)
    assert_scim_error(response, 413)
    assert user_names(scim) == []


def test_a_chunked_body_under_the_limit_is_read_whole(client, tenant, scim):
    body = json.dumps({"schemas": [CORE], "userName": "streamed@x.com", "title": "t" * 10_000}).encode()
    response = send(client, tenant, "/scim/v2/Users", b" " * 200_000 + body, chunked=True)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["title"] == "t" * 10_000


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_an_oversized_bulk_body_is_413_naming_max_payload_size(client, tenant, scim, chunked):
    operation = {"method": "POST", "path": "/Users", "bulkId": "a", "data": {"userName": "bulk-trunc@x.com"}}
    head = json.dumps({"schemas": [BULK_REQUEST], "Operations": [operation]}).encode()
    response = send(client, tenant, "/scim/v2/Bulk", head + b" " * 1_100_000 + b"GARBAGE", chunked=chunked)
    assert_413_without_scim_type(response, "maxPayloadSize")
    assert user_names(scim) == []


def test_an_oversized_put_is_413_and_changes_nothing(client, tenant, scim):
    user = scim.create_user("unchanged@x.com", title="before")
    body = b'{"userName":"unchanged@x.com","title":"after"}' + b" " * 1_100_000 + b"GARBAGE"
    headers = {**tenant.auth, "Content-Type": SCIM_JSON, "Transfer-Encoding": "chunked"}
    response = client.put(f"/scim/v2/Users/{user['id']}", input_stream=Trickle(body), headers=headers,
                          environ_overrides={"wsgi.input_terminated": True})
    assert_scim_error(response, 413)
    assert scim.get(f"/Users/{user['id']}").get_json()["title"] == "before"


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    server = start_live_server("body-limits", tmp_path_factory.mktemp("body-limit-logs"))
    yield server
    server.stop()


def pieces(body, size=65_536):
    for start in range(0, len(body), size):
        yield body[start:start + size]


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_gunicorn_refuses_an_oversized_body_either_way(live, chunked):
    headers = {**live.auth_headers, "Content-Type": SCIM_JSON}
    # requests sends a generator body with Transfer-Encoding: chunked and no Content-Length.
    data = pieces(TRUNCATABLE) if chunked else TRUNCATABLE
    try:
        response = requests.post(live.scim_url + "/Users", data=data, headers=headers, timeout=30)
    except requests.ConnectionError:
        # The server may close the connection after answering, before the rest of the body is sent.
        response = None
    if response is not None:
        assert response.status_code == 413, response.text
        assert response.headers["Content-Type"].startswith(SCIM_JSON)
        assert "scimType" not in response.json()
    listed = requests.get(live.scim_url + "/Users", params={"filter": 'userName eq "trunc@x.com"'},
                          headers=live.auth_headers, timeout=10).json()
    assert listed["totalResults"] == 0


def test_a_chunked_body_of_exactly_the_limit_is_read_whole(client, tenant, scim, app):
    limit = app.config["SETTINGS"].max_body_bytes
    head = b'{"userName":"exact@x.com"}'
    response = send(client, tenant, "/scim/v2/Users", head + b" " * (limit - len(head)), chunked=True)
    assert response.status_code == 201, response.get_json()


# The same limit holds for the management API and the token service (body_limit.py sits in front of all).

@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_an_oversized_management_body_is_413_and_creates_nothing(client, tenant, chunked):
    body = (b'{"userName":"mgmt-trunc","profile":{"firstName":"M","lastName":"T"},"email":{"email":"m@x.com"}}'
            + b" " * 1_100_000 + b"GARBAGE")
    headers = {**tenant.auth, "Content-Type": "application/json"}
    if chunked:
        response = client.post("/management/v1/users/human", input_stream=Trickle(body),
                               headers={**headers, "Transfer-Encoding": "chunked"},
                               environ_overrides={"wsgi.input_terminated": True})
    else:
        response = client.post("/management/v1/users/human", data=body, headers=headers)
    assert response.status_code == 413, response.get_data(as_text=True)
    assert set(response.get_json()) >= {"code", "message"}
    found = client.get("/management/v1/users/_is_unique", query_string={"userName": "mgmt-trunc"},
                       headers=tenant.auth)
    assert found.get_json() == {"isUnique": True}


def test_an_oversized_chunked_token_request_is_413_not_parsed_cut_short(client):
    body = b"grant_type=client_credentials&client_id=nobody&client_secret=x&pad=" + b"a" * 1_100_000
    response = client.post("/oauth/v2/token", input_stream=Trickle(body),
                           headers={"Content-Type": "application/x-www-form-urlencoded",
                                    "Transfer-Encoding": "chunked"},
                           environ_overrides={"wsgi.input_terminated": True})
    assert response.status_code == 413, response.get_data(as_text=True)
    assert response.get_json()["error"] == "invalid_request"
