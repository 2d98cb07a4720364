"""Hostile filters and PATCH paths through HTTP: a 400 with the right scimType or a correct
answer; hostile credentials and forms on the token service: an RFC 6749 error. Never a 500 and
never a slow request."""
import base64
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oauth import limiter

TOKENS = ["userName", "emails", "name.givenName", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:",
          "eq", "ne", "co", "sw", "pr", "gt", "and", "or", "not", "(", ")", "[", "]", '"', '\\"', " ", ".",
          "'; DROP TABLE user; --", "%", "_", "\\", "\u00e9", "\u0000", "\ud7ff", "𝔘", "null", "true", "1e999"]
hostile = st.one_of(
    st.text(max_size=300),
    st.lists(st.sampled_from(TOKENS), max_size=60).map("".join),
    st.lists(st.sampled_from(TOKENS), max_size=60).map(" ".join),
    st.integers(1, 5000).map(lambda n: "(" * n + 'userName eq "x"' + ")" * n),
    st.integers(1, 12_000).map(lambda n: 'userName eq "' + "a" * n + '"'),
    st.integers(1, 3000).map(lambda n: " or ".join(['userName pr'] * n)),
)
SETTINGS = settings(max_examples=150, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))


def _timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


@given(text=hostile)
@SETTINGS
def test_hostile_filters_get_invalid_filter_or_an_answer(scim, text):
    response, seconds = _timed(lambda: scim.get("/Users", query_string={"filter": text}))
    assert seconds < 2, f"{seconds:.1f} s for {text[:80]!r}"
    assert response.status_code in (200, 400), (response.status_code, text[:200])
    if response.status_code == 400:
        assert response.get_json()["scimType"] in ("invalidFilter", "invalidValue"), response.get_json()
    else:
        assert response.get_json()["totalResults"] >= 0


@given(path=hostile)
@SETTINGS
def test_hostile_patch_paths_get_a_scim_error_or_apply(scim, path):
    # One target per test: hypothesis runs every example with the same (per-test) client.
    if not hasattr(scim, "target"):
        scim.target = scim.create_user("target@example.com")
    target = scim.target
    body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": path, "value": "x"}]}
    response, seconds = _timed(lambda: scim.patch(f"/Users/{target['id']}", body))
    assert seconds < 2, f"{seconds:.1f} s for {path[:80]!r}"
    assert response.status_code in (200, 400), (response.status_code, path[:200], response.get_data(as_text=True)[:300])
    if response.status_code == 400:
        assert response.get_json()["scimType"] in ("invalidPath", "invalidValue", "mutability", "noTarget",
                                                   "invalidFilter", "invalidSyntax")


# ---- the token service: hostile credentials and forms get an RFC 6749 error, never a 500 -----

OAUTH_ENDPOINTS = ["/oauth/v2/token", "/oauth/v2/introspect", "/oauth/v2/revoke"]
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# Header values travel as latin-1 without control characters.
header_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=120)
basic_headers = st.one_of(
    st.binary(max_size=80).map(lambda raw: "Basic " + base64.b64encode(raw).decode()),
    st.lists(st.binary(max_size=30), min_size=2, max_size=3).map(
        lambda parts: "Basic " + base64.b64encode(b":".join(parts)).decode()),
    header_text.map(lambda text: "Basic " + text),
    header_text.map(lambda text: "bAsIc " + text),
    header_text,
)


def _segment(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


JWT_PARTS = ["", "eyJ", "e30", "bnVsbA", _segment(b'{"alg":"RS256","kid":"1"}'), _segment(b'{"alg":"none"}'),
             _segment(b'{"iss":"ci-bot","sub":1}'), _segment(b'{"iss":["x"]}'), _segment(b"[" * 50_000),
             _segment(b'{"a":' * 20_000), "\u00e9", "%", "\u0000", "=="]
assertions = st.one_of(
    st.text(max_size=300),
    st.lists(st.sampled_from(JWT_PARTS), max_size=4).map(".".join),
    st.binary(max_size=200).map(lambda raw: ".".join([_segment(b'{"alg":"RS256","kid":"1"}'), _segment(raw), "c2ln"])),
)
oauth_forms = st.fixed_dictionaries({}, optional={
    "grant_type": st.one_of(st.sampled_from(["client_credentials", JWT_BEARER, "password", ""]), st.text(max_size=40)),
    "assertion": assertions,
    "client_id": st.text(max_size=60),
    "client_secret": st.text(max_size=60),
    "scope": st.text(max_size=200),
    "token": st.one_of(st.text(max_size=200), assertions),
    "token_type_hint": st.one_of(st.sampled_from(["access_token", "refresh_token", "id_token", ""]),
                                 st.text(max_size=40)),
})


def _oauth_error(response, statuses):
    assert response.status_code in statuses, (response.status_code, response.get_data(as_text=True)[:300])
    if response.status_code != 200:
        assert isinstance(response.get_json()["error"], str), response.get_json()


@given(header=basic_headers, endpoint=st.sampled_from(OAUTH_ENDPOINTS))
@SETTINGS
def test_hostile_basic_credentials_get_invalid_client(client, header, endpoint):
    limiter.reset()  # each example is judged on its own, not on the rate limit the previous ones used up
    response, seconds = _timed(lambda: client.post(endpoint, headers={"Authorization": header},
                                                   data={"grant_type": "client_credentials", "token": "x"}))
    assert seconds < 2, f"{seconds:.1f} s for {header[:80]!r}"
    _oauth_error(response, (400, 401))
    if response.status_code == 401 and header[:6].lower() == "basic ":
        assert response.get_json()["error"] == "invalid_client"
        assert response.headers["WWW-Authenticate"].startswith("Basic ")


@given(form=oauth_forms, header=st.one_of(st.none(), basic_headers), endpoint=st.sampled_from(OAUTH_ENDPOINTS))
@SETTINGS
def test_hostile_oauth_forms_get_an_rfc6749_error(client, form, header, endpoint):
    limiter.reset()
    headers = {"Authorization": header} if header is not None else {}
    response, seconds = _timed(lambda: client.post(endpoint, data=form, headers=headers))
    assert seconds < 2, f"{seconds:.1f} s for {form!r:.200}"
    _oauth_error(response, (400, 401))
