"""The management API's one error renderer: gRPC-gateway bodies (reference §3).

`{code, message, details:[{@type, id, message}]}` with the HTTP status of the
gRPC code. Request-validation errors and plain statuses carry no details.
"""
from flask import jsonify

ERROR_DETAIL_TYPE = "type.googleapis.com/zitadel.v1.ErrorDetail"

INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS, PERMISSION_DENIED = 3, 5, 6, 7
FAILED_PRECONDITION, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, UNAUTHENTICATED = 9, 12, 13, 14, 16

# gRPC code -> HTTP status (§3.2; FAILED_PRECONDITION is 400, not 412)
HTTP_STATUS = {2: 500, 3: 400, 4: 504, 5: 404, 6: 409, 7: 403, 8: 429, 9: 400, 12: 501, 13: 500, 14: 503, 16: 401}

# domain error kind -> gRPC code
DOMAIN_CODES = {
    "invalid_argument": INVALID_ARGUMENT,
    "not_found": NOT_FOUND,
    "already_exists": ALREADY_EXISTS,
    "permission_denied": PERMISSION_DENIED,
    "failed_precondition": FAILED_PRECONDITION,
    "unauthenticated": UNAUTHENTICATED,
    "version_mismatch": FAILED_PRECONDITION,
    "unavailable": UNAVAILABLE,
}


class ApiError(Exception):
    """An error raised by the adapter itself (validation, routing)."""

    def __init__(self, code, text, error_id=""):
        super().__init__(text)
        self.code, self.text, self.error_id = code, text, error_id


def validation_error(message):
    """A request that breaks a field rule: a plain status without details (§3.1)."""
    return ApiError(INVALID_ARGUMENT, message)


def body(code, text, error_id=""):
    if not error_id:
        return {"code": code, "message": text}
    return {"code": code, "message": f"{text} ({error_id})",
            "details": [{"@type": ERROR_DETAIL_TYPE, "id": error_id, "message": text}]}


def render(code, text, error_id=""):
    return jsonify(body(code, text, error_id)), HTTP_STATUS.get(code, 500)


def render_api_error(error: ApiError):
    return render(error.code, error.text, error.error_id)


def render_domain_error(error):
    return render(DOMAIN_CODES.get(error.kind, INTERNAL), error.message, error.error_id)


def render_http_error(error):
    if error.code == 404:
        return render(NOT_FOUND, "Not Found")
    if error.code == 405:
        return render(UNIMPLEMENTED, "Method Not Allowed")[0], 405
    if error.code == 413:
        return render(8, "request body too large")[0], 413
    if error.code == 400:
        return render(INVALID_ARGUMENT, error.description or "Bad Request")
    return render(INTERNAL if error.code >= 500 else INVALID_ARGUMENT, error.name)[0], error.code
