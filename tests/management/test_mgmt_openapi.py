"""The management API's OpenAPI document (/openapi.json) and its docs page (/docs)."""
import re

import jsonschema_rs

import management

PREFIX = "/management/v1"


def document(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def served_routes(app):
    """(METHOD, OpenAPI path) of every management route the application serves."""
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(PREFIX):
            path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: "{" + re.sub(r"_(\w)", lambda c: c.group(1).upper(),
                                                                       m.group(1)) + "}", rule.rule)
            found |= {(method, path) for method in rule.methods - {"HEAD", "OPTIONS"}}
    return found


def test_every_route_is_documented_and_nothing_else(app, client):
    paths = document(client)["paths"]
    documented = {(method.upper(), path) for path, item in paths.items() for method in item}
    assert documented == served_routes(app)


def test_extension_routes_are_marked(client):
    paths = document(client)["paths"]
    marked = {path for path, item in paths.items() for op in item.values() if op.get("x-extension")}
    assert marked == {f"{PREFIX}/users/{{userId}}/auth_factors/otp/_import",
                      f"{PREFIX}/users/{{userId}}/auth_factors/otp_sms/_enable",
                      f"{PREFIX}/users/{{userId}}/auth_factors/otp_email/_enable"}
    search = document(client)["components"]["schemas"]["SearchQuery"]["properties"]
    assert search["metadataKeyQuery"].get("x-extension") and "x-extension" not in search["userNameQuery"]


def test_request_schemas_are_the_validating_ones(client):
    doc = document(client)
    schemas = doc["components"]["schemas"]
    add = schemas["AddHumanUserRequest"]
    assert set(add["required"]) == {"userName", "profile", "email"}
    assert add["properties"]["userName"] == {"type": "string", "minLength": 1, "maxLength": 200}
    assert schemas["HumanProfile"]["properties"]["gender"]["enum"] == [
        "GENDER_UNSPECIFIED", "GENDER_FEMALE", "GENDER_MALE", "GENDER_DIVERSE"]
    assert schemas["ListQuery"]["properties"]["offset"] == {"type": "string", "format": "uint64"}
    assert schemas["SetUserMetadataRequest"]["properties"]["value"]["format"] == "byte"
    operation = doc["paths"][f"{PREFIX}/users/human"]["post"]
    assert operation["operationId"] == "AddHumanUser"
    assert operation["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/AddHumanUserRequest"}
    query = doc["paths"][f"{PREFIX}/users/_is_unique"]["get"]["parameters"]
    assert {p["name"] for p in query if p["in"] == "query"} == {"userName", "email"}
    assert doc["paths"][f"{PREFIX}/users/{{userId}}/metadata/{{key}}"]["post"]["parameters"][1]["name"] == "key"


def test_documented_bodies_accept_what_the_server_accepts(mgmt, client):
    """A body valid for the server validates against the document's schema, and vice versa for a broken one."""
    doc = document(client)
    schema = {"$ref": "#/components/schemas/AddHumanUserRequest", "components": doc["components"]}
    body = {"userName": "doc", "profile": {"firstName": "D", "lastName": "C", "gender": "GENDER_MALE"},
            "email": {"email": "doc@acme.example", "isEmailVerified": True}}
    assert jsonschema_rs.validator_for(schema).is_valid(body)
    assert mgmt.post("/users/human", body).status_code == 200
    broken = {**body, "userName": ""}
    assert not jsonschema_rs.validator_for(schema).is_valid(broken)
    assert mgmt.post("/users/human", broken).status_code == 400


def test_errors_share_one_documented_shape(client):
    doc = document(client)
    status = doc["components"]["schemas"]["Status"]
    for item in doc["paths"].values():
        for operation in item.values():
            assert operation["responses"]["403"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/Status"}
    response = client.get(f"{PREFIX}/users/1")
    assert jsonschema_rs.validator_for(status).is_valid(response.get_json())


def test_docs_page_needs_no_internet(client):
    response = client.get("/docs")
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert 'fetch("/openapi.json")' in page
    # Everything is inline: no external script, style or font.
    assert not re.search(r"(src|href)=\"https?://", page)


def test_document_and_docs_need_no_token(client):
    assert client.get("/openapi.json").status_code == 200 and client.get("/docs").status_code == 200
    assert management.EXTENSION_ROUTES
