"""An OpenAPI 3 description of the SCIM API, generated from scim/schemas.py.

The resource schemas come from the same attribute definitions that /Schemas
serves and that validate requests, so the document cannot drift from the
server. Served at /scim/v2/openapi.json (no token needed, like discovery).
"""
from flask import current_app

from .bulk import MAX_OPERATIONS
from .filter_parser import MAX_DEPTH, MAX_FILTER_LENGTH, MAX_TERMS
from .http import respond
from .schemas import COMMON_ATTRIBUTES, ENTERPRISE_SCHEMA, GROUP_SCHEMA, SCHEMAS, USER_SCHEMA

ERROR_CODES = {"400": "Bad request (scimType tells which)", "401": "No or invalid bearer token",
               "403": "The token's roles do not allow this", "404": "No such resource in the organisation",
               "409": "A unique value is taken (scimType uniqueness)", "412": "If-Match names another version",
               "413": "The body is too large", "415": "The body is not JSON", "503": "The database is unavailable"}
SCIM_TYPES = ["application/scim+json", "application/json"]


def _json_schema(definition, *, writing):
    kind = definition["type"]
    if kind == "complex":
        properties = {sub["name"]: _json_schema(sub, writing=writing) for sub in definition.get("subAttributes", ())
                      if not (writing and sub["mutability"] == "readOnly")}
        schema = {"type": "object", "properties": properties}
    elif kind == "boolean":
        # Entra sends "True"/"False"; they are read as booleans.
        schema = {"type": "boolean"} if not writing else {"oneOf": [{"type": "boolean"},
                                                                     {"type": "string", "enum": ["True", "False"]}]}
    elif kind in ("integer", "decimal"):
        schema = {"type": "number"}
    else:
        schema = {"type": "string"}
    if definition.get("description"):
        schema["description"] = definition["description"]
    return {"type": "array", "items": schema} if definition["multiValued"] else schema


def _resource(schema_id, *, writing, extensions=()):
    attributes = SCHEMAS[schema_id]["attributes"] + COMMON_ATTRIBUTES
    properties = {"schemas": {"type": "array", "items": {"type": "string"}}}
    for definition in attributes:
        if writing and definition["mutability"] in ("readOnly",):
            continue
        if not writing and definition["returned"] == "never":
            continue
        properties[definition["name"]] = _json_schema(definition, writing=writing)
    for extension in extensions:
        properties[extension] = {"type": "object", "properties": {
            d["name"]: _json_schema(d, writing=writing) for d in SCHEMAS[extension]["attributes"]}}
    required = [d["name"] for d in attributes if d["required"]]
    schema = {"type": "object", "properties": properties}
    if writing and required:
        schema["required"] = required
    if not writing:
        # returned "always" (RFC 7643 §7); attributes= may leave out everything else, meta included
        schema["required"] = ["schemas", "id"]
    return schema


def _content(ref):
    return {media: {"schema": {"$ref": ref}} for media in SCIM_TYPES}


def _answers(ok, *errors, ok_schema=None):
    answers = {code: {"description": ERROR_CODES[code], "content": {"application/scim+json": {
        "schema": {"$ref": "#/components/schemas/Error"}}}} for code in ("400", "401", "403", "503", *errors)}
    if ok == "204":
        answers["204"] = {"description": "Done, no body"}
    elif ok == "304":
        answers["304"] = {"description": "Not modified (If-None-Match)"}
    else:
        answers[ok] = {"description": "Success", "content": {"application/scim+json": {"schema": ok_schema}}}
    return answers


LIST_PARAMETERS = [
    {"name": name, "in": "query", "required": False, "schema": {"type": kind}, "description": text}
    for name, kind, text in (
        ("filter", "string", f"RFC 7644 §3.4.2.2 filter; at most {MAX_FILTER_LENGTH} characters, nesting depth "
                             f"{MAX_DEPTH}, {MAX_TERMS} conditions (400 invalidFilter beyond)"),
        ("startIndex", "integer", "1-based (index paging, the default); not together with cursor (400)"),
        ("cursor", "string", "RFC 9865 cursor paging: empty for the first page, then the nextCursor (or "
                             "previousCursor) of the page before, with the same filter, sortBy and sortOrder; "
                             "400 invalidCursor for any other value"),
        ("count", "integer", "page size; with startIndex clamped to the advertised maximum, with cursor "
                             "0 to the maximum (400 invalidCount beyond)"),
        ("sortBy", "string", "attribute path"), ("sortOrder", "string", "ascending or descending"),
        ("attributes", "string", "comma-separated"), ("excludedAttributes", "string", "comma-separated"))
]
PROJECTION = [p for p in LIST_PARAMETERS if p["name"] in ("attributes", "excludedAttributes")]


def _crud(name, resource_ref, write_ref, *, with_me=False):
    item = {"$ref": resource_ref}
    listing = {"$ref": "#/components/schemas/ListResponse"}
    by_id = [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}]
    paths = {
        f"/{name}": {
            "get": {"summary": f"List or filter {name}", "parameters": LIST_PARAMETERS,
                    "responses": _answers("200", "400", ok_schema=listing)},
            "post": {"summary": f"Create one of {name}", "parameters": PROJECTION,
                     "requestBody": {"required": True, "content": _content(write_ref)},
                     "responses": _answers("201", "400", "409", "413", "415", ok_schema=item)},
        },
        f"/{name}/.search": {"post": {"summary": f"Search {name}", "requestBody": {
            "required": True, "content": _content("#/components/schemas/SearchRequest")},
            "responses": _answers("200", "400", "413", "415", ok_schema=listing)}},
        f"/{name}/{{id}}": {
            "get": {"summary": "Read one", "parameters": by_id + PROJECTION,
                    "responses": {**_answers("200", "400", "404", ok_schema=item),
                                  "304": {"description": "Not modified (If-None-Match)"}}},
            "put": {"summary": "Replace", "parameters": by_id + PROJECTION,
                    "requestBody": {"required": True, "content": _content(write_ref)},
                    "responses": _answers("200", "400", "404", "409", "412", "413", "415", ok_schema=item)},
            "patch": {"summary": "Modify (PatchOp)", "parameters": by_id + PROJECTION,
                      "requestBody": {"required": True, "content": _content("#/components/schemas/PatchOp")},
                      "responses": _answers("200", "400", "404", "409", "412", "413", "415", ok_schema=item)},
            "delete": {"summary": "Delete", "parameters": by_id, "responses": _answers("204", "404", "412")},
        },
    }
    return paths


def document():
    error = {"type": "object", "required": ["schemas", "status", "detail"], "properties": {
        "schemas": {"type": "array", "items": {"type": "string"}}, "status": {"type": "string"},
        "detail": {"type": "string"}, "scimType": {"type": "string"}}}
    cursor = {"type": "string", "pattern": "^[A-Za-z0-9._~-]+$"}
    list_response = {"type": "object",
                     "description": "Index pages always carry totalResults and startIndex. Cursor pages (RFC 9865) "
                                    "carry no startIndex, nextCursor except on the last page, previousCursor except "
                                    "on the first, and totalResults only when the whole result fits the first page "
                                    "or count is 0",
                     "required": ["schemas", "itemsPerPage", "Resources"],
                     "properties": {"schemas": {"type": "array", "items": {"type": "string"}},
                                    "totalResults": {"type": "integer"}, "itemsPerPage": {"type": "integer"},
                                    "startIndex": {"type": "integer"},
                                    "nextCursor": {**cursor, "description": "cursor of the next page"},
                                    "previousCursor": {**cursor, "description": "cursor of the previous page"},
                                    "Resources": {"type": "array", "items": {"type": "object"}}}}
    patch_op = {"type": "object", "required": ["Operations"], "properties": {
        "schemas": {"type": "array", "items": {"type": "string"}},
        "Operations": {"type": "array", "items": {"type": "object", "required": ["op"], "properties": {
            "op": {"type": "string", "description": "add, replace or remove, in any case"},
            "path": {"type": "string"}, "value": {}}}}}}
    search = {"type": "object", "properties": {
        "schemas": {"type": "array", "items": {"type": "string"}}, "filter": {"type": "string"},
        "startIndex": {"type": "integer"}, "count": {"type": "integer"}, "sortBy": {"type": "string"},
        "cursor": {"type": "string", "description": "RFC 9865 cursor, as the cursor query parameter"},
        "sortOrder": {"type": "string"}, "attributes": {"type": "array", "items": {"type": "string"}},
        "excludedAttributes": {"type": "array", "items": {"type": "string"}}}}
    bulk_request = {"type": "object", "required": ["Operations"], "properties": {
        "schemas": {"type": "array", "items": {"type": "string"}}, "failOnErrors": {"type": "integer"},
        "Operations": {"type": "array", "maxItems": MAX_OPERATIONS, "items": {"type": "object", "properties": {
            "method": {"type": "string"}, "path": {"type": "string"}, "bulkId": {"type": "string"},
            "version": {"type": "string"}, "data": {"type": "object"}}}}}}
    bulk_response = {"type": "object", "required": ["schemas", "Operations"], "properties": {
        "schemas": {"type": "array", "items": {"type": "string"}},
        "Operations": {"type": "array", "items": {"type": "object", "required": ["method", "status"]}}}}
    paths = {}
    paths.update(_crud("Users", "#/components/schemas/User", "#/components/schemas/UserInput"))
    paths.update(_crud("Groups", "#/components/schemas/Group", "#/components/schemas/GroupInput"))
    item = {"$ref": "#/components/schemas/User"}
    paths["/Me"] = {
        "get": {"summary": "The token's own User", "parameters": PROJECTION,
                "responses": _answers("200", "404", ok_schema=item)},
        "put": {"summary": "Replace one's own User", "requestBody": {"required": True, "content": _content(
            "#/components/schemas/UserInput")}, "responses": _answers("200", "400", "404", "409", "413", "415",
                                                                       ok_schema=item)},
        "patch": {"summary": "Modify one's own User", "requestBody": {"required": True, "content": _content(
            "#/components/schemas/PatchOp")}, "responses": _answers("200", "400", "404", "409", "413", "415",
                                                                     ok_schema=item)},
        "delete": {"summary": "Delete one's own User", "responses": _answers("204", "404")},
    }
    paths["/.search"] = {"post": {"summary": "Search Users and Groups", "requestBody": {
        "required": True, "content": _content("#/components/schemas/SearchRequest")},
        "responses": _answers("200", "400", "413", "415", ok_schema={"$ref": "#/components/schemas/ListResponse"})}}
    paths["/Bulk"] = {"post": {"summary": "Several operations in one request", "requestBody": {
        "required": True, "content": _content("#/components/schemas/BulkRequest")},
        "responses": _answers("200", "400", "413", "415", ok_schema={"$ref": "#/components/schemas/BulkResponse"})}}
    for path in ("/ServiceProviderConfig", "/ResourceTypes", "/Schemas"):
        paths[path] = {"get": {"summary": f"Discovery: {path[1:]}", "security": [], "responses": {
            "200": {"description": "Success", "content": {"application/scim+json": {"schema": {"type": "object"}}}}}}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "SCIM 2.0 provisioning gateway", "version": "2.0",
                 "description": "RFC 7643/7644 Users, Groups, Bulk and /Me; see the README for the IdP dialects "
                                "accepted. The organisation is the token's, or /scim/v2/{orgId}/..."},
        "servers": [{"url": (current_app.config["SETTINGS"].issuer or "") + "/scim/v2"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "User": _resource(USER_SCHEMA, writing=False, extensions=(ENTERPRISE_SCHEMA,)),
                "UserInput": _resource(USER_SCHEMA, writing=True, extensions=(ENTERPRISE_SCHEMA,)),
                "Group": _resource(GROUP_SCHEMA, writing=False),
                "GroupInput": _resource(GROUP_SCHEMA, writing=True),
                "Error": error, "ListResponse": list_response, "PatchOp": patch_op, "SearchRequest": search,
                "BulkRequest": bulk_request, "BulkResponse": bulk_response,
            },
        },
    }


def serve():
    return respond(document())
