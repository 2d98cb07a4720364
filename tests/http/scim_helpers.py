"""Constants and assertions shared by the SCIM HTTP tests."""

SCIM_JSON = "application/scim+json"
CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"

def assert_scim_error(response, status, scim_type=None):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == SCIM_JSON
    body = response.get_json()
    assert body["schemas"] == [ERROR]
    assert body["status"] == str(status)
    assert isinstance(body["detail"], str) and body["detail"]
    if scim_type is not None:
        assert body.get("scimType") == scim_type
    return body

def user_names(scim, filter_text=None):
    query = {"count": 1000}
    if filter_text:
        query["filter"] = filter_text
    response = scim.get("/Users", query_string=query)
    assert response.status_code == 200, response.get_json()
    return sorted(r["userName"] for r in response.get_json()["Resources"])
