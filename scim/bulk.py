"""POST /Bulk (RFC 7644 §3.7).

Each operation is dispatched to the same route a single request would reach
(so validation, permissions, errors and the one-transaction rule are the
same), in an order that resolves bulkId references: an operation that names
"bulkId:x" runs after the operation that creates x. References that can never
be resolved (a cycle, or a bulkId no operation declares) fail that operation
with 409 / 400. failOnErrors stops processing after that many errors.
"""
import json
import re

from flask import current_app, request

from .errors import ScimError, error_body
from .http import base_url, context, read_json, respond, settings

BULK_REQUEST = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
BULK_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
MAX_OPERATIONS = 1000
METHODS = ("POST", "PUT", "PATCH", "DELETE")
PATH = re.compile(r"^/(Users|Groups)(/[^/?#]+)?$")
REFERENCE = re.compile(r"bulkId:([A-Za-z0-9._~-]+)")


def max_payload():
    return settings().max_body_bytes


def _references(operation):
    text = json.dumps(operation.get("data")) + " " + str(operation.get("path", ""))
    return set(REFERENCE.findall(text))


def _resolve(value, created):
    text = json.dumps(value)
    text = REFERENCE.sub(lambda m: created.get(m.group(1), m.group(0)), text)
    return json.loads(text)


def _check(operations):
    if len(operations) > MAX_OPERATIONS:
        # No scimType: RFC 7644 defines tooMany for a 400 (too many results), not for a 413.
        raise ScimError(413, f"a bulk request may hold at most {MAX_OPERATIONS} operations (maxOperations)")
    declared = set()
    for position, operation in enumerate(operations):
        if not isinstance(operation, dict):
            raise ScimError(400, f"operation {position + 1} is not an object", "invalidSyntax")
        method = str(operation.get("method", "")).upper()
        if method not in METHODS:
            raise ScimError(400, f"operation {position + 1}: method must be one of {', '.join(METHODS)}",
                            "invalidSyntax")
        path = operation.get("path")
        match = PATH.match(path) if isinstance(path, str) else None
        if match is None or (method == "POST") == bool(match.group(2)):
            raise ScimError(400, f"operation {position + 1}: invalid path {path!r} for {method}", "invalidPath")
        if method == "POST":
            bulk_id = operation.get("bulkId")
            if not isinstance(bulk_id, str) or not bulk_id or bulk_id in declared:
                raise ScimError(400, f"operation {position + 1}: POST needs a unique bulkId", "invalidValue")
            declared.add(bulk_id)
        if method in ("POST", "PUT", "PATCH") and not isinstance(operation.get("data"), dict):
            raise ScimError(400, f"operation {position + 1}: data must be an object", "invalidSyntax")
    return declared


def _dispatch(prefix, method, path, data, version):
    """Run one operation through the app's own routing and error handling."""
    headers = {"Authorization": request.headers.get("Authorization", ""), "Content-Type": "application/scim+json"}
    if version:
        headers["If-Match"] = version
    body = json.dumps(data) if data is not None else None
    with current_app.test_request_context(prefix + path, method=method, data=body, headers=headers,
                                          base_url=request.host_url):
        response = current_app.full_dispatch_request()
    return response.status_code, response.get_json(silent=True) or {}, response.headers


def _result(operation, status, body=None, location=None, version=None):
    result = {"method": operation["method"].upper(), "status": str(status)}
    for key, value in (("bulkId", operation.get("bulkId")), ("location", location), ("version", version)):
        if value:
            result[key] = value
    if status >= 400:
        result["response"] = body
    return result


def bulk():
    # Each operation checks its own permission when dispatched; a caller who may not even
    # read users has no operation it could run.
    context("user.read")
    body = read_json(too_large=f"the bulk request exceeds maxPayloadSize ({max_payload()} bytes)")
    lowered = {k.lower(): v for k, v in body.items()}
    if body.get("schemas") and BULK_REQUEST not in body["schemas"]:
        raise ScimError(400, f"a bulk body must have the schema {BULK_REQUEST}", "invalidSyntax")
    operations = lowered.get("operations")
    if not isinstance(operations, list) or not operations:
        raise ScimError(400, "Operations must be a non-empty list", "invalidSyntax")
    fail_on_errors = lowered.get("failonerrors")
    if fail_on_errors is not None and (isinstance(fail_on_errors, bool) or not isinstance(fail_on_errors, int)
                                       or fail_on_errors < 1):
        raise ScimError(400, "failOnErrors must be a positive integer", "invalidValue")
    declared = _check(operations)
    prefix = request.path[: -len("/Bulk")]
    created, results, errors = {}, {}, 0

    def stopped():
        return fail_on_errors is not None and errors >= fail_on_errors

    pending = list(range(len(operations)))
    while pending and not stopped():
        # An operation naming a bulkId that no operation declares fails in its turn (400).
        ready = [i for i in pending
                 if _references(operations[i]) <= set(created) or _references(operations[i]) - declared]
        if not ready:
            # Whatever is left waits on a bulkId that no remaining operation will produce.
            for i in pending:
                if stopped():
                    break
                missing = _references(operations[i]) - set(created)
                detail = "circular or failed bulkId reference: " + ", ".join(sorted(missing))
                results[i] = _result(operations[i], 409, error_body(409, detail, "invalidValue"))
                errors += 1
            break
        index = ready[0]
        pending.remove(index)
        operation = operations[index]
        unknown = _references(operation) - declared
        if unknown:
            detail = f"unknown bulkId {sorted(unknown)[0]!r}"
            results[index] = _result(operation, 400, error_body(400, detail, "invalidValue"))
            errors += 1
            continue
        method = operation["method"].upper()
        path = _resolve(operation["path"], created)
        status, response, headers = _dispatch(prefix, method, path,
                                              _resolve(operation.get("data"), created) if method != "DELETE"
                                              else None, operation.get("version"))
        location = response.get("meta", {}).get("location") or headers.get("Location")
        if location is None and method != "POST":
            # RFC 7644 §3.7.3: location is required in every result except a failed POST (DELETE has no body)
            location = base_url() + path
        if method == "POST" and status == 201:
            created[operation["bulkId"]] = response["id"]
        if status >= 400:
            errors += 1
        results[index] = _result(operation, status, response if status >= 400 else None, location,
                                 headers.get("ETag"))
    return respond({"schemas": [BULK_RESPONSE], "Operations": [results[i] for i in sorted(results)]})
