"""Domain errors, independent of any wire protocol.

Each carries a kind (named after the gRPC code ZITADEL uses for it), the
i18n key and the error id that ZITADEL clients see, and an English message.
Adapters translate kinds into their own format: SCIM Error bodies or the
management API's {code, message, details}.
"""


class DomainError(Exception):
    kind = "internal"

    def __init__(self, message, error_id="", key="", **extra):
        super().__init__(message)
        self.message = message
        self.error_id = error_id
        self.key = key
        self.extra = extra


class InvalidArgument(DomainError):
    kind = "invalid_argument"


class NotFound(DomainError):
    kind = "not_found"


class AlreadyExists(DomainError):
    kind = "already_exists"


class PermissionDenied(DomainError):
    kind = "permission_denied"


class FailedPrecondition(DomainError):
    kind = "failed_precondition"


class Unauthenticated(DomainError):
    kind = "unauthenticated"


class VersionMismatch(DomainError):
    """The caller's expected version (ETag / If-Match) is not the current one."""

    kind = "version_mismatch"


class Unavailable(DomainError):
    kind = "unavailable"


def user_not_found(error_id="QUERY-Dfbg2"):
    return NotFound("User could not be found", error_id, "Errors.User.NotFound")


def user_already_exists(error_id="V3-DKcYh"):
    return AlreadyExists("User already exists", error_id, "Errors.User.AlreadyExists")
