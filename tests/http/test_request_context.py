"""Security headers and request ids on every response, whichever API answers."""
import logging

import flask
import pytest


@pytest.mark.parametrize("path", ["/healthz", "/scim/v2/ServiceProviderConfig", "/scim/v2/Users",
                                  "/scim/v2/Nope", "/management/v1/users/_search"])
def test_every_response_is_uncacheable_unsniffable_and_has_a_request_id(client, path):
    response = client.get(path)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert len(response.headers["X-Request-Id"]) == 32


def test_responses_carrying_credentials_are_not_cached(scim):
    created = scim.create_user("headers@example.com")
    response = scim.get(f"/Users/{created['id']}")
    assert response.headers["Cache-Control"] == "no-store" and response.headers["Pragma"] == "no-cache"


def test_a_sane_caller_request_id_is_echoed_and_a_hostile_one_replaced(client):
    assert client.get("/healthz", headers={"X-Request-Id": "abc-123"}).headers["X-Request-Id"] == "abc-123"
    for hostile in ("x" * 65, "a b", "<script>", "id;drop"):
        replaced = client.get("/healthz", headers={"X-Request-Id": hostile}).headers["X-Request-Id"]
        assert replaced != hostile and len(replaced) == 32


def test_log_lines_name_the_request(app, caplog):
    caplog.set_level(logging.INFO)
    with app.test_request_context("/healthz", headers={"X-Request-Id": "trace-me-42"}):
        app.preprocess_request()
        logging.getLogger("gateway.test").info("inside the request")
    logging.getLogger("gateway.test").info("outside any request")
    by_message = {r.getMessage(): r.request_id for r in caplog.records}
    assert by_message["inside the request"] == "trace-me-42"
    assert by_message["outside any request"] == "-"


@pytest.mark.parametrize("method, path", [("GET", "/healthz"), ("DELETE", "/healthz"), ("GET", "/nowhere"),
                                          ("GET", "/oauth/v2/keys")])
def test_each_security_header_is_sent_once_and_a_routes_own_cache_control_wins(client, method, path):
    response = client.open(path, method=method, headers={"X-Request-Id": "once-1"})
    names = [name.lower() for name, _ in response.headers.items()]
    for name in ("cache-control", "x-content-type-options", "x-frame-options", "referrer-policy", "x-request-id"):
        assert names.count(name) == 1, (name, response.headers)
    assert response.headers["X-Request-Id"] == "once-1"
    if path == "/oauth/v2/keys":  # the JWKS may be cached for a minute (it sets its own Cache-Control)
        assert "max-age" in response.headers["Cache-Control"]


def test_no_request_opens_a_cookie_session(app, scim):
    # Bearer tokens only: no answer sets a cookie, and a session refuses to be written.
    scim.create_user("cookie@example.com")
    for response in (scim.get("/Users"), scim.get("/Users?filter=userName eq \"cookie@example.com\"")):
        assert response.status_code == 200 and "Set-Cookie" not in response.headers
    with app.test_request_context("/scim/v2/Users"):
        app.preprocess_request()
        with pytest.raises(RuntimeError, match="session is unavailable"):
            flask.session["user"] = "x"
