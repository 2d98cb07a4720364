"""Request plumbing of the management routes: caller, organisation context, body, response."""
import json

from flask import g, jsonify, request

from auth.permissions import has_permission
from auth.principal import authenticate
from models.errors import NotFound
from models.orgs import get_org

from .errors import PERMISSION_DENIED, ApiError, validation_error
from .messages import load

ORG_HEADER = "x-zitadel-orgid"
# Deeper JSON than this cannot be a valid request (queries nest at most 20 levels).
MAX_JSON_DEPTH = 96


def context(permission):
    """Authenticate, resolve the ctx org (§1.4) and check permission (§1.5); returns (principal, org_id)."""
    principal = authenticate(request.headers.get("Authorization"))
    org_id = (request.headers.get(ORG_HEADER) or "").strip() or principal.org_id
    if org_id != principal.org_id:
        try:
            get_org(org_id)
        except NotFound:
            raise ApiError(PERMISSION_DENIED, "Organisation doesn't exist", "AUTH-Bs7Ds") from None
    if not has_permission(principal.roles, org_id, permission):
        raise ApiError(PERMISSION_DENIED, "No matching permissions found", "AUTH-5mWD2")
    g.principal = principal
    return principal, org_id


def _depth(value):
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        stack.extend((child, level + 1) for child in children if isinstance(child, dict | list))
    return deepest


def raw_body():
    """The JSON body (an empty body is `{}`); malformed JSON is code 3 (§1.1)."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise validation_error(f"proto: syntax error: {error}") from None
    if not isinstance(data, dict):
        raise validation_error("proto: syntax error: the request body must be a JSON object")
    if _depth(data) > MAX_JSON_DEPTH:
        raise ApiError(3, "Too many query nesting levels (Max 20)", "USER-zsQ97")
    return data


def body(schema, **path):
    """The body loaded through schema; path parameters override same-named body fields."""
    data = raw_body()
    data.update(path)
    return load(schema, data)


def args(schema):
    """Query-string parameters loaded through schema (for routes without a body binding)."""
    return load(schema, request.args.to_dict())


def path_id(value, message="Request", field="Id"):
    if not 1 <= len(value) <= 200:
        raise validation_error(f"invalid {message}.{field}: value length must be between 1 and 200 runes, inclusive")
    return value


def respond(payload):
    return jsonify(payload)
