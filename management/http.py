"""Request plumbing of the management routes: caller, organisation context, body, response."""
import json

from flask import g, jsonify, request

from auth.permissions import has_permission
from auth.principal import authenticate
from models.errors import NotFound
from models.orgs import get_org
from schema_instances import instance

from .errors import PERMISSION_DENIED, ApiError, validation_error
from .fields import length_rule
from .messages import load, pascal

ORG_HEADER = "x-zitadel-orgid"
# Deeper JSON than this cannot be a valid request (queries nest at most 20 levels).
MAX_JSON_DEPTH = 96

# ZITADEL's generic user and metadata RPCs call the user id `id`; the others call it `user_id`.
ID_NAMED = frozenset({
    "GetUserByIDRequest", "DeactivateUserRequest", "ReactivateUserRequest", "LockUserRequest", "UnlockUserRequest",
    "RemoveUserRequest", "SetUserMetadataRequest", "BulkSetUserMetadataRequest", "ListUserMetadataRequest",
    "GetUserMetadataRequest", "RemoveUserMetadataRequest", "BulkRemoveUserMetadataRequest",
})
# Their protos only require the user id to be non-empty: a longer one is left to the lookup, as ZITADEL does.
NO_MAXIMUM = frozenset({
    "SetHumanInitialPasswordRequest", "SetHumanPasswordRequest", "GenerateMachineSecretRequest",
    "AddMachineKeyRequest", "AddPersonalAccessTokenRequest",
})
PATH_MAX_RUNES = 200


def context(permission):
    """Authenticate, resolve the ctx org (§1.4), check permission (§1.5), then the path parameters' field rules
    (ZITADEL validates a request after authorising it); returns (principal, org_id).
    """
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
    # Endpoints are named after their RPC (see blueprint()), whose request message carries the path fields.
    check_path(request.endpoint.rpartition(".")[2] + "Request", request.view_args or {})
    return principal, org_id


def check_path(message, values):
    """Path parameters are fields of the request message: 1..200 runes unless its proto sets no maximum."""
    for name, value in values.items():
        is_user_id = name == "user_id"
        longest = 0 if is_user_id and message in NO_MAXIMUM else PATH_MAX_RUNES
        if not value or (longest and len(value) > longest):
            field = "Id" if is_user_id and message in ID_NAMED else pascal(name)
            raise validation_error(f"invalid {message}.{field}: {length_rule(1, longest)[1]}")


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


def body(schema_class, **path):
    """The body loaded through schema_class; path parameters override same-named body fields."""
    data = raw_body()
    data.update(path)
    return load(instance(schema_class), data)


def args(schema_class):
    """Query-string parameters loaded through schema_class (for routes without a body binding)."""
    return load(instance(schema_class), request.args.to_dict())


def respond(payload):
    return jsonify(payload)
