"""POST /Bulk (RFC 7644 §3.7): bulkId references, failOnErrors, limits, per-operation results."""
import json

from tests.conftest import ScimClient, make_tenant
from tests.http.scim_helpers import CORE, GROUP, PATCH_OP, SCIM_JSON, assert_scim_error

BULK_REQUEST = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
BULK_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
UNKNOWN_ID = "010101001010101011001010101011"


def bulk(scim, *operations, fail_on_errors=None, headers=None):
    body = {"schemas": [BULK_REQUEST], "Operations": list(operations)}
    if fail_on_errors is not None:
        body["failOnErrors"] = fail_on_errors
    return scim.post("/Bulk", body, headers=headers)


def results(response):
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == SCIM_JSON
    body = response.get_json()
    assert body["schemas"] == [BULK_RESPONSE]
    return body["Operations"]


def post_user(bulk_id, user_name, **attributes):
    return {"method": "POST", "path": "/Users", "bulkId": bulk_id,
            "data": {"schemas": [CORE], "userName": user_name, **attributes}}


def post_group(bulk_id, display_name, *member_refs):
    return {"method": "POST", "path": "/Groups", "bulkId": bulk_id,
            "data": {"schemas": [GROUP], "displayName": display_name,
                     "members": [{"type": "User", "value": ref} for ref in member_refs]}}


def id_of(result):
    return result["location"].rsplit("/", 1)[1]


def group_named(scim, name):
    body = scim.get("/Groups", query_string={"filter": f'displayName eq "{name}"'}).get_json()
    assert body["totalResults"] == 1, body
    return body["Resources"][0]


def user_names(scim):
    return sorted(r["userName"] for r in scim.get("/Users").get_json()["Resources"])


# --------------------------------------------------------------------------- bulkId references


def test_rfc_example_user_created_and_added_to_a_group_in_one_request(scim):
    ops = results(bulk(scim, post_user("qwerty", "alice@example.com"),
                       post_group("ytrewq", "Tour Guides", "bulkId:qwerty")))
    assert [(r["method"], r["bulkId"], r["status"]) for r in ops] == [("POST", "qwerty", "201"),
                                                                      ("POST", "ytrewq", "201")]
    user = scim.get(f"/Users/{id_of(ops[0])}").get_json()
    assert user["userName"] == "alice@example.com"
    assert ops[0]["location"] == user["meta"]["location"]
    # the version the POST reported; joining the group in the next operation moved it on
    assert int(ops[0]["version"][3:-1]) < int(user["meta"]["version"][3:-1])
    group = group_named(scim, "Tour Guides")
    assert ops[1]["location"] == group["meta"]["location"]
    assert [m["value"] for m in group["members"]] == [user["id"]]
    assert "response" not in ops[0] and "response" not in ops[1]


def test_group_listed_before_the_user_it_references_still_resolves(scim):
    ops = results(bulk(scim, post_group("g", "First", "bulkId:u"), post_user("u", "late@example.com")))
    # results come back in request order, each with its own status
    assert [(r["bulkId"], r["status"]) for r in ops] == [("g", "201"), ("u", "201")]
    group = scim.get(f"/Groups/{id_of(ops[0])}").get_json()
    assert [m["value"] for m in group["members"]] == [id_of(ops[1])]
    assert "bulkId" not in json.dumps(group)


def test_bulk_id_in_a_patch_path_and_value(scim):
    ops = results(bulk(
        scim,
        {"method": "PATCH", "path": "/Groups/bulkId:g", "data": {"schemas": [PATCH_OP], "Operations": [
            {"op": "add", "path": "members", "value": [{"value": "bulkId:u2"}]}]}},
        post_group("g", "Patched", "bulkId:u1"),
        post_user("u1", "one@example.com"),
        post_user("u2", "two@example.com"),
    ))
    assert [r["status"] for r in ops] == ["200", "201", "201", "201"]
    group_id = id_of(ops[1])
    assert ops[0]["location"] == ops[1]["location"]
    assert ops[0]["version"] != ops[1]["version"]
    group = scim.get(f"/Groups/{group_id}").get_json()
    assert sorted(m["value"] for m in group["members"]) == sorted([id_of(ops[2]), id_of(ops[3])])
    assert group["meta"]["version"] == ops[0]["version"]


def test_put_patch_delete_of_existing_resources_report_status_location_and_version(scim):
    user = scim.create_user("existing@example.com")
    doomed = scim.create_user("doomed@example.com")
    ops = results(bulk(
        scim,
        {"method": "PUT", "path": f"/Users/{user['id']}", "version": user["meta"]["version"],
         "data": {"schemas": [CORE], "userName": "existing@example.com", "title": "Put"}},
        {"method": "PATCH", "path": f"/Users/{user['id']}",
         "data": {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "nickName", "value": "Nick"}]}},
        {"method": "DELETE", "path": f"/Users/{doomed['id']}"},
    ))
    assert [(r["method"], r["status"]) for r in ops] == [("PUT", "200"), ("PATCH", "200"), ("DELETE", "204")]
    current = scim.get(f"/Users/{user['id']}").get_json()
    assert (current["title"], current["nickName"]) == ("Put", "Nick")
    assert ops[0]["location"] == ops[1]["location"] == user["meta"]["location"]
    assert ops[1]["version"] == current["meta"]["version"]
    # RFC 7644 §3.7.3: location is required except for a failed POST
    assert ops[2]["location"] == doomed["meta"]["location"]
    assert_scim_error(scim.get(f"/Users/{doomed['id']}"), 404)


def test_stale_version_fails_that_operation_with_412(scim):
    user = scim.create_user("versioned@example.com")
    ops = results(bulk(scim, {"method": "PUT", "path": f"/Users/{user['id']}", "version": 'W/"1"',
                              "data": {"schemas": [CORE], "userName": "versioned@example.com", "title": "x"}}))
    assert ops[0]["status"] == "412"
    assert ops[0]["response"]["status"] == "412"
    assert "title" not in scim.get(f"/Users/{user['id']}").get_json()


def test_unknown_bulk_id_fails_that_operation_with_400_and_the_rest_runs(scim):
    ops = results(bulk(scim, post_group("g", "Orphan", "bulkId:nobody"), post_user("u", "fine@example.com")))
    assert [r["status"] for r in ops] == ["400", "201"]
    assert ops[0]["response"]["scimType"] == "invalidValue"
    assert "nobody" in ops[0]["response"]["detail"]
    assert "location" not in ops[0]
    assert scim.get("/Groups").get_json()["totalResults"] == 0
    assert user_names(scim) == ["fine@example.com"]


def test_circular_references_are_409_for_those_operations(scim):
    ops = results(bulk(
        scim,
        post_group("a", "A", "bulkId:b"),
        post_group("b", "B", "bulkId:a"),
        post_group("self", "Self", "bulkId:self"),
        post_user("u", "independent@example.com"),
    ))
    assert [r["status"] for r in ops] == ["409", "409", "409", "201"]
    for result in ops[:3]:
        assert result["response"]["status"] == "409"
        assert result["response"]["detail"]
    assert scim.get("/Groups").get_json()["totalResults"] == 0


def test_reference_to_a_failed_post_fails_the_dependent_operation(scim):
    scim.create_user("taken@example.com")
    ops = results(bulk(scim, post_user("u", "taken@example.com"), post_group("g", "Needs U", "bulkId:u")))
    assert ops[0]["status"] == "409"
    assert ops[0]["response"]["scimType"] == "uniqueness"
    assert ops[1]["status"] == "409"
    assert scim.get("/Groups").get_json()["totalResults"] == 0


# --------------------------------------------------------------------------- failOnErrors


def test_fail_on_errors_1_stops_after_the_first_error(scim):
    ops = results(bulk(
        scim,
        post_user("a", "a@example.com"),
        post_user("bad", ""),
        post_user("c", "c@example.com"),
        post_user("d", "d@example.com"),
        fail_on_errors=1,
    ))
    assert [(r["bulkId"], r["status"]) for r in ops] == [("a", "201"), ("bad", "400")]
    assert user_names(scim) == ["a@example.com"]


def test_fail_on_errors_1_counts_an_unknown_bulk_id_in_request_order(scim):
    ops = results(bulk(scim, post_group("g", "Orphan", "bulkId:nobody"), post_user("u", "never@example.com"),
                       fail_on_errors=1))
    assert [(r["bulkId"], r["status"]) for r in ops] == [("g", "400")]
    assert user_names(scim) == []


def test_fail_on_errors_1_reports_one_of_several_unresolvable_operations(scim):
    ops = results(bulk(scim, post_user("u", "first@example.com"), post_group("a", "A", "bulkId:b"),
                       post_group("b", "B", "bulkId:a"), fail_on_errors=1))
    assert [(r["bulkId"], r["status"]) for r in ops] == [("u", "201"), ("a", "409")]


def test_fail_on_errors_2_accepts_one_error(scim):
    ops = results(bulk(
        scim,
        post_user("bad1", ""),
        post_user("b", "b@example.com"),
        post_user("bad2", ""),
        post_user("d", "d@example.com"),
        fail_on_errors=2,
    ))
    assert [(r["bulkId"], r["status"]) for r in ops] == [("bad1", "400"), ("b", "201"), ("bad2", "400")]
    assert user_names(scim) == ["b@example.com"]


def test_without_fail_on_errors_every_operation_runs(scim):
    ops = results(bulk(scim, post_user("bad", ""), post_user("b", "b@example.com"), post_user("dup", "b@example.com")))
    assert [r["status"] for r in ops] == ["400", "201", "409"]


def test_invalid_fail_on_errors_is_400(scim):
    for value in (0, -1, "1", True, 1.5):
        response = bulk(scim, post_user("a", "a@example.com"), fail_on_errors=value)
        assert_scim_error(response, 400, "invalidValue")
    assert user_names(scim) == []


# --------------------------------------------------------------------------- limits and request errors


def test_service_provider_config_advertises_the_limits(app, scim):
    config = scim.get("/ServiceProviderConfig").get_json()
    assert config["bulk"] == {"supported": True, "maxOperations": 1000,
                              "maxPayloadSize": app.config["SETTINGS"].max_body_bytes}


def test_1001_operations_is_413_naming_max_operations(scim):
    operations = [{"method": "DELETE", "path": f"/Users/{UNKNOWN_ID}{i}"} for i in range(1001)]
    body = assert_scim_error(bulk(scim, *operations), 413)
    assert "scimType" not in body and "maxOperations" in body["detail"]


def test_1000_operations_are_accepted(scim):
    user = scim.create_user("many@example.com")
    operations = [{"method": "PATCH", "path": f"/Users/{user['id']}", "data": {
        "schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "title", "value": f"T{i}"}]}}
        for i in range(1000)]
    ops = results(bulk(scim, *operations))
    assert len(ops) == 1000
    assert {r["status"] for r in ops} == {"200"}
    assert scim.get(f"/Users/{user['id']}").get_json()["title"] == "T999"


def test_body_over_max_payload_is_413(app, scim):
    limit = app.config["SETTINGS"].max_body_bytes
    response = bulk(scim, post_user("big", "big@example.com", title="x" * (limit + 1)))
    assert_scim_error(response, 413)
    assert user_names(scim) == []


def test_invalid_method_or_path_is_400(scim):
    for operation in (
        {"method": "GET", "path": "/Users"},
        {"method": "POST", "path": "/Users/123", "bulkId": "x", "data": {"userName": "x"}},
        {"method": "PATCH", "path": "/Users", "data": {}},
        {"method": "DELETE", "path": "/Schemas/x"},
        {"method": "POST", "path": "/Bulk", "bulkId": "x", "data": {}},
        {"method": "PUT", "path": "Users/1", "data": {}},
        {"method": "POST", "path": "/Users", "data": {"userName": "no-bulk-id"}},
        {"method": "PUT", "path": "/Users/1"},
        "not an operation",
    ):
        response = bulk(scim, post_user("ok", "ok@example.com"), operation)
        assert_scim_error(response, 400)
    # a request rejected as a whole runs nothing
    assert user_names(scim) == []


def test_duplicate_bulk_ids_are_400(scim):
    assert_scim_error(bulk(scim, post_user("same", "a@example.com"), post_user("same", "b@example.com")), 400,
                      "invalidValue")
    assert user_names(scim) == []


def test_malformed_bulk_bodies_are_400(scim):
    assert_scim_error(scim.post("/Bulk", {"schemas": [BULK_REQUEST], "Operations": []}), 400)
    assert_scim_error(scim.post("/Bulk", {"schemas": [BULK_REQUEST]}), 400)
    assert_scim_error(scim.post("/Bulk", {"schemas": [PATCH_OP], "Operations": [post_user("a", "a@x.com")]}), 400)
    response = scim.client.post("/scim/v2/Bulk", data="{", headers=scim.tenant.auth, content_type=SCIM_JSON)
    assert_scim_error(response, 400, "invalidSyntax")


def test_operations_key_and_method_in_any_case(scim):
    response = scim.post("/Bulk", {"schemas": [BULK_REQUEST], "operations": [
        {"method": "post", "path": "/Users", "bulkId": "a", "data": {"userName": "lower@example.com"}}]})
    ops = results(response)
    assert [(r["method"], r["status"]) for r in ops] == [("POST", "201")]


# --------------------------------------------------------------------------- authorisation


def test_each_operation_is_checked_against_permissions(client, app):
    viewer = ScimClient(client, make_tenant(roles=("ORG_OWNER_VIEWER",)))
    ops = results(bulk(viewer, post_user("u", "nope@example.com"), post_group("g", "Nope")))
    assert [r["status"] for r in ops] == ["403", "403"]
    assert ops[0]["response"]["status"] == "403"
    assert viewer.get("/Users").get_json()["totalResults"] == 0
    assert viewer.get("/Groups").get_json()["totalResults"] == 0


def test_bad_token_is_401_for_the_whole_request(client, app):
    response = client.post("/scim/v2/Bulk", json={"schemas": [BULK_REQUEST], "Operations": [
        post_user("u", "x@example.com")]}, headers={"Authorization": "Bearer not-a-token"}, content_type=SCIM_JSON)
    assert_scim_error(response, 401)
    assert_scim_error(client.post("/scim/v2/Bulk", json={}, content_type=SCIM_JSON), 401)


def test_operations_stay_in_the_callers_org(client, scim):
    other = ScimClient(client, make_tenant())
    theirs = other.create_user("theirs@example.com")
    ops = results(bulk(scim, {"method": "DELETE", "path": f"/Users/{theirs['id']}"},
                       post_group("g", "Poach", theirs["id"])))
    assert [r["status"] for r in ops] == ["404", "400"]
    assert other.get(f"/Users/{theirs['id']}").status_code == 200


def test_bulk_under_an_explicit_org_prefix(client, scim):
    explicit = ScimClient(client, scim.tenant, prefix=f"/scim/v2/{scim.tenant.org_id}")
    ops = results(bulk(explicit, post_user("u", "explicit@example.com"), post_group("g", "Explicit", "bulkId:u")))
    assert [r["status"] for r in ops] == ["201", "201"]
    assert f"/scim/v2/{scim.tenant.org_id}/Users/" in ops[0]["location"]
    assert group_named(scim, "Explicit")["members"][0]["value"] == id_of(ops[0])
