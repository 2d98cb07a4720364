"""Discovery endpoints (RFC 7644 §4, RFC 7643 §5-7) and unknown URLs under /scim/v2.

scim2-tester stops after discovery unless these parse, and Entra reads /Schemas,
so the payloads are checked field by field, without a token.
"""
import pytest

from tests.http.scim_helpers import CORE, ENTERPRISE, GROUP, LIST_RESPONSE, SCIM_JSON, assert_scim_error

SPC = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
RESOURCE_TYPE = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"

DISCOVERY_PATHS = [
    "/ServiceProviderConfig",
    "/ResourceTypes",
    "/ResourceTypes/User",
    "/Schemas",
    f"/Schemas/{CORE}",
    f"/Schemas/{ENTERPRISE}",
]
LIST_PATHS = ["/ServiceProviderConfig", "/ResourceTypes", "/Schemas"]

ATTRIBUTE_TYPES = {"string", "boolean", "decimal", "integer", "dateTime", "binary", "reference", "complex"}
MUTABILITIES = {"readOnly", "readWrite", "immutable", "writeOnly"}
RETURNED = {"always", "never", "default", "request"}
UNIQUENESS = {"none", "server", "global"}


def get_json(client, path):
    response = client.get("/scim/v2" + path)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == SCIM_JSON
    return response.get_json()


def walk_nulls(value, where="$"):
    """Paths of every null in a JSON document (Entra rejects nulls in /Schemas)."""
    if value is None:
        return [where]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in walk_nulls(v, f"{where}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in walk_nulls(v, f"{where}[{i}]")]
    return []


def assert_valid_attribute(definition, where):
    for key in ("name", "type", "multiValued", "description", "required", "caseExact", "mutability",
                "returned", "uniqueness"):
        assert key in definition, f"{where} lacks {key}"
    assert isinstance(definition["name"], str) and definition["name"]
    assert definition["type"] in ATTRIBUTE_TYPES, where
    assert isinstance(definition["multiValued"], bool), where
    assert isinstance(definition["required"], bool), where
    assert isinstance(definition["caseExact"], bool), where
    assert definition["mutability"] in MUTABILITIES, where
    assert definition["returned"] in RETURNED, where
    assert definition["uniqueness"] in UNIQUENESS, where
    if definition["type"] == "complex":
        assert definition["subAttributes"], f"{where} is complex without subAttributes"
        for sub in definition["subAttributes"]:
            assert sub["type"] != "complex", f"{where}.{sub['name']}: complex attributes cannot nest"
            assert_valid_attribute(sub, f"{where}.{sub['name']}")
    else:
        assert "subAttributes" not in definition, where
    if definition["type"] == "reference":
        assert definition["referenceTypes"], where


# ------------------------------------------------------------------ ServiceProviderConfig


def test_service_provider_config_advertises_patch_sort_etag_and_bulk_limits(client):
    body = get_json(client, "/ServiceProviderConfig")
    assert body["schemas"] == [SPC]
    assert body["patch"] == {"supported": True}
    assert body["sort"] == {"supported": True}
    assert body["etag"] == {"supported": True}
    assert body["bulk"] == {"supported": True, "maxOperations": 1000, "maxPayloadSize": 1_048_576}
    assert body["changePassword"]["supported"] is True
    assert body["filter"]["supported"] is True
    assert body["authenticationSchemes"][0]["type"] == "oauthbearertoken"
    assert body["meta"]["resourceType"] == "ServiceProviderConfig"
    assert body["meta"]["location"].endswith("/scim/v2/ServiceProviderConfig")
    assert walk_nulls(body) == []


def test_service_provider_config_max_results_is_the_enforced_page_limit(app, scim, monkeypatch):
    monkeypatch.setattr(app.config["SETTINGS"], "scim_max_count", 3)
    advertised = get_json(scim.client, "/ServiceProviderConfig")["filter"]["maxResults"]
    assert advertised == 3
    for i in range(4):
        scim.create_user(f"max-results-{i}@example.com")
    page = scim.get("/Users", query_string={"count": 100}).get_json()
    assert page["totalResults"] == 4
    assert page["itemsPerPage"] == advertised
    assert len(page["Resources"]) == advertised


def test_service_provider_config_default_max_results_matches_settings(app, client):
    body = get_json(client, "/ServiceProviderConfig")
    assert body["filter"]["maxResults"] == app.config["SETTINGS"].scim_max_count


# ------------------------------------------------------------------------- ResourceTypes


def test_resource_types_list_has_user_with_enterprise_extension_and_group(client):
    body = get_json(client, "/ResourceTypes")
    assert body["schemas"] == [LIST_RESPONSE]
    assert body["totalResults"] == 2 and body["itemsPerPage"] == 2 and body["startIndex"] == 1
    user, group = body["Resources"]
    assert group["id"] == "Group" and group["endpoint"] == "/Groups" and group["schema"] == GROUP
    assert group["schemaExtensions"] == []
    assert user["schemas"] == [RESOURCE_TYPE]
    assert user["id"] == "User" and user["name"] == "User"
    assert user["endpoint"] == "/Users"
    assert user["schema"] == CORE
    assert user["schemaExtensions"] == [{"schema": ENTERPRISE, "required": False}]
    assert user["meta"]["resourceType"] == "ResourceType"
    assert user["meta"]["location"].endswith("/scim/v2/ResourceTypes/User")


def test_resource_type_by_name_is_the_list_entry(client):
    listed = get_json(client, "/ResourceTypes")["Resources"][0]
    assert get_json(client, "/ResourceTypes/User") == listed


def test_unknown_resource_type_is_404_scim_error(client):
    assert_scim_error(client.get("/scim/v2/ResourceTypes/Widget"), 404)


# ------------------------------------------------------------------------------ Schemas


def test_schemas_list_has_core_user_enterprise_user_and_group(client):
    body = get_json(client, "/Schemas")
    assert body["schemas"] == [LIST_RESPONSE]
    assert body["totalResults"] == 3 == len(body["Resources"])
    assert {s["id"] for s in body["Resources"]} == {CORE, ENTERPRISE, GROUP}
    for schema in body["Resources"]:
        assert schema["schemas"] == [SCHEMA]
        assert schema["meta"]["resourceType"] == "Schema"
        assert schema["meta"]["location"].endswith(f"/scim/v2/Schemas/{schema['id']}")


@pytest.mark.parametrize("schema_id", [CORE, ENTERPRISE])
def test_schema_attributes_are_valid_attribute_objects(client, schema_id):
    body = get_json(client, f"/Schemas/{schema_id}")
    assert body["id"] == schema_id
    assert body["attributes"]
    for definition in body["attributes"]:
        assert_valid_attribute(definition, definition["name"])
    assert walk_nulls(body) == []


def test_core_user_schema_marks_username_required_unique_and_password_write_only(client):
    attributes = {a["name"]: a for a in get_json(client, f"/Schemas/{CORE}")["attributes"]}
    assert attributes["userName"]["required"] is True
    assert attributes["userName"]["uniqueness"] == "server"
    assert attributes["userName"]["caseExact"] is False
    assert attributes["password"]["mutability"] == "writeOnly"
    assert attributes["password"]["returned"] == "never"
    assert attributes["emails"]["multiValued"] is True
    assert {"givenName", "familyName", "formatted"} <= {s["name"] for s in attributes["name"]["subAttributes"]}


def test_enterprise_schema_has_the_six_attributes_and_read_only_manager_display_name(client):
    attributes = {a["name"]: a for a in get_json(client, f"/Schemas/{ENTERPRISE}")["attributes"]}
    assert set(attributes) == {"employeeNumber", "costCenter", "organization", "division", "department", "manager"}
    manager_subs = {s["name"]: s for s in attributes["manager"]["subAttributes"]}
    assert manager_subs["displayName"]["mutability"] == "readOnly"
    assert manager_subs["$ref"]["referenceTypes"] == ["User"]


def test_schema_by_id_is_the_list_entry(client):
    listed = {s["id"]: s for s in get_json(client, "/Schemas")["Resources"]}
    assert get_json(client, f"/Schemas/{ENTERPRISE}") == listed[ENTERPRISE]


def test_unknown_schema_is_404_scim_error(client):
    assert_scim_error(client.get("/scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:Widget"), 404)


# ------------------------------------------------------------- methods, filters, tokens


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize("path", DISCOVERY_PATHS)
def test_discovery_endpoints_answer_405_to_writes(client, tenant, path, method):
    response = getattr(client, method)("/scim/v2" + path, json={"schemas": [CORE]}, headers=tenant.auth)
    assert_scim_error(response, 405)


@pytest.mark.parametrize("path", LIST_PATHS)
def test_filter_on_discovery_endpoint_is_403(client, path):
    response = client.get("/scim/v2" + path, query_string={"filter": 'id eq "User"'})
    assert_scim_error(response, 403)


@pytest.mark.parametrize("path", DISCOVERY_PATHS)
def test_discovery_works_without_a_token(client, path):
    response = client.get("/scim/v2" + path)
    assert response.status_code == 200
    assert response.mimetype == SCIM_JSON


def test_discovery_under_an_org_prefix_reports_that_base(client, tenant):
    body = client.get(f"/scim/v2/{tenant.org_id}/Schemas/{CORE}").get_json()
    assert body["meta"]["location"].endswith(f"/scim/v2/{tenant.org_id}/Schemas/{CORE}")


@pytest.mark.parametrize("path", ["/Nope", "/Widgets", "/Users/1/extra", "/Me/x"])
def test_unknown_url_under_scim_base_is_404_scim_error(client, tenant, path):
    assert_scim_error(client.get("/scim/v2" + path, headers=tenant.auth), 404)


def test_unknown_url_without_token_is_still_a_scim_404(client):
    assert_scim_error(client.get("/scim/v2/DoesNotExist"), 404)
