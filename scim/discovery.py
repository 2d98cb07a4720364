"""Discovery endpoints (RFC 7644 §4): ServiceProviderConfig, ResourceTypes, Schemas."""
from flask import request

from .bulk import MAX_OPERATIONS, max_payload
from .errors import ScimError
from .http import base_url, respond, settings
from .listing import default_count
from .schemas import (
    LIST_RESPONSE,
    RESOURCE_TYPE_SCHEMA,
    RESOURCE_TYPES,
    SCHEMA_SCHEMA,
    SCHEMAS,
    SPC_SCHEMA,
)

DOCS = "https://datatracker.ietf.org/doc/html/rfc7644"


def _no_filter():
    if request.args.get("filter"):
        raise ScimError(403, "filtering is not supported on discovery endpoints")


def _list(resources):
    return respond({"schemas": [LIST_RESPONSE], "totalResults": len(resources), "itemsPerPage": len(resources),
                    "startIndex": 1, "Resources": resources})


def _meta(kind, path):
    return {"resourceType": kind, "location": f"{base_url()}{path}"}


def _pagination():
    """RFC 9865 §4: both methods; startIndex stays the default, so clients that never ask for a cursor
    see no change. No cursorTimeout: a cursor is a key and does not expire."""
    pagination = {"cursor": True, "index": True, "defaultPaginationMethod": "index"}
    if default_count() > 0:
        pagination["defaultPageSize"] = default_count()
    if settings().scim_max_count > 0:
        pagination["maxPageSize"] = settings().scim_max_count
    return pagination


def service_provider_config():
    _no_filter()
    return respond({
        "schemas": [SPC_SCHEMA],
        "documentationUri": DOCS,
        "patch": {"supported": True},
        "bulk": {"supported": True, "maxOperations": MAX_OPERATIONS, "maxPayloadSize": max_payload()},
        "filter": {"supported": True, "maxResults": settings().scim_max_count},
        "changePassword": {"supported": True},
        "sort": {"supported": True},
        "pagination": _pagination(),
        "etag": {"supported": True},
        "authenticationSchemes": [{
            "type": "oauthbearertoken", "name": "OAuth Bearer Token", "primary": True,
            "description": "A personal access token of a machine user, sent as Authorization: Bearer <token>",
            "specUri": "https://www.rfc-editor.org/info/rfc6750",
        }],
        "meta": _meta("ServiceProviderConfig", "/ServiceProviderConfig"),
    })


def _resource_type(name):
    body = dict(RESOURCE_TYPES[name])
    return {"schemas": [RESOURCE_TYPE_SCHEMA], **body, "meta": _meta("ResourceType", f"/ResourceTypes/{name}")}


def resource_types():
    _no_filter()
    return _list([_resource_type(name) for name in RESOURCE_TYPES])


def resource_type(name):
    found = next((n for n in RESOURCE_TYPES if n.lower() == name.lower()), None)
    if found is None:
        raise ScimError(404, f"resource type {name!r} not found")
    return respond(_resource_type(found))


def _schema(schema_id):
    body = dict(SCHEMAS[schema_id])
    return {"schemas": [SCHEMA_SCHEMA], **body, "meta": _meta("Schema", f"/Schemas/{schema_id}")}


def schemas():
    _no_filter()
    return _list([_schema(schema_id) for schema_id in SCHEMAS])


def schema(schema_id):
    found = next((s for s in SCHEMAS if s.lower() == schema_id.lower()), None)
    if found is None:
        raise ScimError(404, f"schema {schema_id!r} not found")
    return respond(_schema(found))

