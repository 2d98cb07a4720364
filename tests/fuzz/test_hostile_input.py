"""Hostile filters and PATCH paths through HTTP: a 400 with the right scimType or a correct
answer, never a 500 and never a slow request."""
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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
