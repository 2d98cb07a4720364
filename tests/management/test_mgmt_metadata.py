"""#15-#20 metadata (§6.4), including the FailedPrecondition quirk for unknown users."""
import base64
import json

import pytest

from tests.management.mgmt_helpers import assert_denied, assert_error, assert_invalid, b64

UNKNOWN_USER = (400, 9, "User could not be found", "COMMAND-uXHNj")


def keys(mgmt, user_id, **body):
    found = mgmt.ok("post", f"/users/{user_id}/metadata/_search", body)
    return [(m["key"], m["value"]) for m in found.get("result", [])]


def test_set_get_and_search(mgmt):
    user_id = mgmt.human()
    details = mgmt.ok("post", f"/users/{user_id}/metadata/team", {"value": b64("blue")})["details"]
    assert set(details) == {"sequence", "creationDate", "resourceOwner"}
    assert mgmt.user(user_id)["details"]["sequence"] == details["sequence"]
    again = mgmt.ok("post", f"/users/{user_id}/metadata/team", {"value": b64("blue")})["details"]
    assert again["sequence"] == details["sequence"]
    metadata = mgmt.ok("get", f"/users/{user_id}/metadata/team")["metadata"]
    assert metadata["key"] == "team" and metadata["value"] == b64("blue")
    assert set(metadata["details"]) == {"sequence", "creationDate", "changeDate", "resourceOwner"}
    # URL-safe base64 without padding is accepted too.
    mgmt.ok("post", f"/users/{user_id}/metadata/raw", {"value": "-_8"})
    assert mgmt.ok("get", f"/users/{user_id}/metadata/raw")["metadata"]["value"] == "+/8="
    assert keys(mgmt, user_id) == [("raw", "+/8="), ("team", b64("blue"))]
    query = {"queries": [{"keyQuery": {"key": "TE", "method": "TEXT_QUERY_METHOD_STARTS_WITH_IGNORE_CASE"}}]}
    assert keys(mgmt, user_id, **query) == [("team", b64("blue"))]
    page = mgmt.ok("post", f"/users/{user_id}/metadata/_search", {"query": {"limit": 1, "offset": "1"}})
    assert page["details"]["totalResult"] == "2" and [m["key"] for m in page["result"]] == ["team"]


def test_literal_paths_beat_keys(mgmt):
    user_id = mgmt.human()
    mgmt.ok("post", f"/users/{user_id}/metadata/_bulk", {"metadata": [{"key": "a", "value": b64("1")}]})
    assert keys(mgmt, user_id) == [("a", b64("1"))]


def test_bulk_set_and_remove(mgmt):
    user_id = mgmt.human()
    entries = [{"key": "a", "value": b64("1")}, {"key": "b", "value": b64("2")}]
    details = mgmt.ok("post", f"/users/{user_id}/metadata/_bulk", {"metadata": entries})["details"]
    assert set(details) == {"sequence", "changeDate", "resourceOwner"}
    same = mgmt.ok("post", f"/users/{user_id}/metadata/_bulk", {"metadata": entries})["details"]
    assert same["sequence"] == details["sequence"]
    assert_error(mgmt.post(f"/users/{user_id}/metadata/_bulk", {"metadata": []}), 400, 3, "Metadata list is empty",
                 "META-9mm2d")
    missing = mgmt.delete(f"/users/{user_id}/metadata/_bulk", {"keys": ["a", "nope"]})
    assert_error(missing, 404, 5, "One or more keys do not exist", "META-2nnds")
    assert [k for k, _ in keys(mgmt, user_id)] == ["a", "b"]
    mgmt.ok("delete", f"/users/{user_id}/metadata/_bulk", {"keys": ["a", "b"]})
    assert keys(mgmt, user_id) == []
    assert_error(mgmt.delete(f"/users/{user_id}/metadata/_bulk", {"keys": []}), 400, 3, "Metadata list is empty",
                 "META-9mm2d")


def test_remove_one(mgmt):
    user_id = mgmt.human()
    mgmt.ok("post", f"/users/{user_id}/metadata/k", {"value": b64("v")})
    details = mgmt.ok("delete", f"/users/{user_id}/metadata/k")["details"]
    assert set(details) == {"sequence", "changeDate", "resourceOwner"}
    assert_error(mgmt.delete(f"/users/{user_id}/metadata/k"), 404, 5, "Metadata not found", "META-ncnw3")
    assert_error(mgmt.get(f"/users/{user_id}/metadata/k"), 404, 5, "Metadata not found", "QUERY-Rgh32")
    events = [c["eventType"]["key"] for c in mgmt.ok("post", f"/users/{user_id}/changes/_search")["result"]]
    assert events[:2] == ["EventTypes.user.metadata.removed", "EventTypes.user.metadata.set"]


@pytest.mark.parametrize("method, path, body", [
    ("post", "/metadata/k", {"value": b64("v")}),
    ("post", "/metadata/_bulk", {"metadata": [{"key": "k", "value": b64("v")}]}),
    ("delete", "/metadata/k", None),
    ("delete", "/metadata/_bulk", {"keys": ["k"]}),
])
def test_writes_for_unknown_or_foreign_users_are_failed_precondition(mgmt, other, method, path, body):
    assert_error(mgmt.call(method, "/users/404" + path, body), *UNKNOWN_USER)
    foreign = other.human("foreign")
    other.ok("post", f"/users/{foreign}/metadata/k", {"value": b64("theirs")})
    assert_error(mgmt.call(method, f"/users/{foreign}" + path, body), *UNKNOWN_USER)
    assert keys(other, foreign) == [("k", b64("theirs"))]


def test_reads_of_foreign_users(mgmt, other):
    foreign = other.human("foreign")
    other.ok("post", f"/users/{foreign}/metadata/k", {"value": b64("theirs")})
    assert mgmt.ok("post", f"/users/{foreign}/metadata/_search", {})["details"] != {}
    assert keys(mgmt, foreign) == []
    assert_error(mgmt.get(f"/users/{foreign}/metadata/k"), 404, 5, "Metadata not found", "QUERY-Rgh32")


def test_permissions(mgmt, reader, roleless):
    user_id = mgmt.human()
    mgmt.ok("post", f"/users/{user_id}/metadata/k", {"value": b64("v")})
    for method, path, body in (("post", "/metadata/k", {"value": b64("v")}), ("delete", "/metadata/k", None),
                               ("post", "/metadata/_bulk", {"metadata": [{"key": "k", "value": b64("w")}]}),
                               ("delete", "/metadata/_bulk", {"keys": ["k"]})):
        assert_denied(reader.call(method, f"/users/{user_id}" + path, body))
    assert_denied(roleless.get(f"/users/{user_id}/metadata/k"))
    assert_denied(roleless.post(f"/users/{user_id}/metadata/_search", {}))
    assert reader.ok("get", f"/users/{user_id}/metadata/k")["metadata"]["value"] == b64("v")


@pytest.mark.parametrize("path, body, message", [
    ("/metadata/k", {}, "invalid SetUserMetadataRequest.Value: value length must be between 1 and 500000 bytes, "
                        "inclusive"),
    ("/metadata/k", {"value": ""}, None),
    ("/metadata/k", {"value": "not base64!"}, None),
    ("/metadata/_bulk", {"metadata": [{"key": "", "value": b64("v")}]}, None),
    ("/metadata/_bulk", {"metadata": [{"key": "k"}]}, None),
    ("/metadata/_search", {"queries": [{}]}, None),
])
def test_malformed_input_changes_nothing(mgmt, path, body, message):
    user_id = mgmt.human()
    mgmt.ok("post", f"/users/{user_id}/metadata/k", {"value": b64("v")})
    assert_invalid(mgmt.post(f"/users/{user_id}" + path, body), message)
    assert keys(mgmt, user_id) == [("k", b64("v"))]


@pytest.mark.parametrize("request_, message", [
    ({"body": {"keys": [""]}},
     "invalid BulkRemoveUserMetadataRequest.Keys[0]: value length must be between 1 and 200 runes, inclusive"),
    ({"body": {"keys": ["k", "x" * 201]}},
     "invalid BulkRemoveUserMetadataRequest.Keys[1]: value length must be between 1 and 200 runes, inclusive"),
    ({"body": {"keys": "k"}}, None),
    ({"data": "{", "content_type": "application/json"}, None),
])
def test_malformed_bulk_removal_changes_nothing(mgmt, request_, message):
    # #20 is all-or-nothing: a bad request removes none of the keys it names.
    user_id = mgmt.human()
    mgmt.ok("post", f"/users/{user_id}/metadata/_bulk", {"metadata": [{"key": "k", "value": b64("v")},
                                                                       {"key": "j", "value": b64("w")}]})
    before = mgmt.user(user_id)["details"]["sequence"]
    assert_invalid(mgmt.delete(f"/users/{user_id}/metadata/_bulk", **request_), message)
    assert keys(mgmt, user_id) == [("j", b64("w")), ("k", b64("v"))]
    assert mgmt.user(user_id)["details"]["sequence"] == before


def test_scim_metadata_round_trip(mgmt, scim):
    created = scim.create_user("meta@example.com", name={"givenName": "M", "familyName": "E"}, title="Boss",
                               emails=[{"value": "meta@example.com", "primary": True}])
    user_id = created["id"]
    title = mgmt.ok("get", f"/users/{user_id}/metadata/urn:zitadel:scim:title")["metadata"]["value"]
    assert title == b64("Boss")
    mgmt.ok("post", f"/users/{user_id}/metadata/urn:zitadel:scim:title", {"value": b64("Chief")})
    mgmt.ok("post", f"/users/{user_id}/metadata/urn:zitadel:scim:externalId", {"value": b64("X-9")})
    assert scim.get(f"/Users/{user_id}").get_json()["title"] == "Chief"
    found = scim.get("/Users", query_string={"filter": 'externalId eq "X-9"'}).get_json()
    assert [r["id"] for r in found["Resources"]] == [user_id]
    encoded = mgmt.ok("get", f"/users/{user_id}/metadata/urn:zitadel:scim:emails")["metadata"]["value"]
    emails = json.loads(base64.b64decode(encoded))
    assert emails[0]["value"] == "meta@example.com"
