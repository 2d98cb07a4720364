"""SCIM errors (RFC 7644 §3.12) and their rendering: the only place SCIM error bodies are made."""
import json

from flask import Response

from .schemas import ERROR

MEDIA_TYPE = "application/scim+json"

# domain error kind -> (HTTP status, scimType)
DOMAIN_ERRORS = {
    "invalid_argument": (400, "invalidValue"),
    "not_found": (404, None),
    "already_exists": (409, "uniqueness"),
    "permission_denied": (403, None),
    "failed_precondition": (400, None),
    "unauthenticated": (401, None),
    "version_mismatch": (412, None),
    "unavailable": (503, None),
}


class ScimError(Exception):
    def __init__(self, status, detail, scim_type=None, headers=None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.scim_type = scim_type
        self.headers = headers or {}


def error_body(status, detail, scim_type=None):
    body = {"schemas": [ERROR], "status": str(status), "detail": detail}
    if scim_type:
        body["scimType"] = scim_type
    return body


def render(error: ScimError):
    response = Response(json.dumps(error_body(error.status, error.detail, error.scim_type)),
                        status=error.status, mimetype=MEDIA_TYPE)
    if error.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="scim"'
    for name, value in error.headers.items():
        response.headers[name] = value
    return response


def from_domain(error):
    status, scim_type = DOMAIN_ERRORS.get(error.kind, (500, None))
    return ScimError(status, error.message, scim_type)
