"""Request and response plumbing shared by the SCIM routes."""
import json
import re

import orjson
from flask import Response, current_app, g, has_request_context, request
from werkzeug.exceptions import RequestEntityTooLarge

from auth.permissions import has_permission
from auth.principal import authenticate
from models.errors import DomainError
from models.orgs import get_org
from models.tables import UserType
from models.users import SCIM_PREFIX, metadata_of
from request_context import public_origin

from .errors import MEDIA_TYPE, ScimError, from_domain

JSON_TYPES = ("application/scim+json", "application/json")
# Metadata of the calling service user that scopes the externalIds it writes and reads (reference §8.2).
PROVISIONING_DOMAIN = SCIM_PREFIX + "provisioningDomain"
# A scoped key urn:zitadel:scim:<domain>:externalId must fit metadata keys (200 characters).
MAX_PROVISIONING_DOMAIN = 200 - len(SCIM_PREFIX) - len(":externalId")


def _encode(body):
    try:
        return orjson.dumps(body)
    except TypeError:  # an integer past 64 bits in a client's own value, which orjson does not write
        return json.dumps(body, ensure_ascii=False).encode("utf-8")


def respond(body, status=200, headers=None):
    response = Response(_encode(body), status=status, mimetype=MEDIA_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def read_json(too_large=None):
    """The JSON object in the request body, or a SCIM error.

    too_large is the detail of the 413 answered when the body is over the limit.
    """
    mimetype = request.mimetype or ""
    if mimetype and mimetype not in JSON_TYPES and not mimetype.endswith("+json"):
        raise ScimError(415, f"unsupported Content-Type {mimetype!r}; send application/scim+json", "invalidSyntax")
    raw = _body(too_large)
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise ScimError(400, f"the request body is not valid JSON: {error}", "invalidSyntax") from None
    if not isinstance(body, dict):
        raise ScimError(400, "the request body must be a JSON object", "invalidSyntax")
    return body


def _body(too_large=None):
    """The raw request body, whole, or 413 when it is over max_body_bytes.

    Every body has a Content-Length by now, chunked ones too (body_limit.py), so
    Werkzeug's own check is the whole rule.
    """
    try:
        return request.get_data(cache=True)
    except RequestEntityTooLarge:
        limit = settings().max_body_bytes
        raise ScimError(413, too_large or f"the request body exceeds the limit of {limit} bytes") from None


def settings():
    return current_app.config["SETTINGS"]


def base_url():
    """Absolute URL of the SCIM base the caller used (with or without the org segment)."""
    org_segment = f"/{g.scim_org_in_path}" if g.get("scim_org_in_path") else ""
    return f"{public_origin()}/scim/v2{org_segment}"


def context(permission, *, self_id=None):
    """Authenticate the caller and resolve the organisation; returns (principal, org_id).

    permission None only authenticates. A user acting on its own resource
    (self_id, as /Me does) needs no role.
    """
    current = g._get_current_object()  # (one context lookup, not four)
    try:
        principal = current.get("principal") or authenticate(request.headers.get("Authorization"))
        org_id = current.get("scim_org_in_path") or principal.org_id
        if org_id != principal.org_id:
            get_org(org_id)
    except DomainError as error:
        raise from_domain(error) from None
    own = self_id is not None and self_id == principal.user_id and org_id == principal.org_id
    if permission is not None and not own and not has_permission(principal.roles, org_id, permission):
        raise ScimError(403, "No matching permissions found")
    current.principal = principal
    return principal, org_id


def caller_metadata():
    """The authenticated caller's own metadata (its SCIM switches).

    Read once per principal: a machine user's principal is kept between requests
    (auth/principal_cache.py) and its metadata with it, since any change to that
    metadata moves the auth epoch. Bulk operations run as nested requests sharing
    g.principal: the same caller, so the same answer.
    """
    principal = g.principal
    if principal.metadata is not None:
        return principal.metadata
    cached = g.get("caller_metadata")
    if cached is None or cached[0] != principal.user_id:
        cached = g.caller_metadata = (principal.user_id, metadata_of([principal.user_id])[principal.user_id])
    if principal.user is not None and principal.user.type == UserType.MACHINE:
        principal.metadata = cached[1]
    return cached[1]


def provisioning_domain():
    """The caller's provisioning domain, or None (none set, or no authenticated SCIM request)."""
    if not has_request_context() or g.get("principal") is None:
        return None
    raw = caller_metadata().get(PROVISIONING_DOMAIN)
    domain = raw.decode("utf-8", "replace").strip() if raw is not None else ""
    if len(domain) > MAX_PROVISIONING_DOMAIN:
        raise ScimError(400, f"the caller's {PROVISIONING_DOMAIN} is longer than {MAX_PROVISIONING_DOMAIN} "
                             "characters", "invalidValue")
    return domain or None


def int_param(name, default, args=None):
    """The integer query parameter name (args: the query as a plain dict, if the caller has it)."""
    raw = (request.args if args is None else args).get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError:
        raise ScimError(400, f"{name} must be an integer", "invalidValue") from None


# One entity-tag of an If-Match / If-None-Match list (RFC 9110 §8.8.3): W/"n" or "n".
ENTITY_TAG = re.compile(r'\s*(?:W/)?"([^"]*)"\s*')


def _listed_versions(header):
    """The versions an entity-tag list names; tags that are not ours (or malformed) name none."""
    versions = set()
    for item in header.split(","):
        match = ENTITY_TAG.fullmatch(item)
        if match and match.group(1).isdigit():
            versions.add(int(match.group(1)))
    return versions


def expected_versions():
    """The versions If-Match accepts, or None when any will do (absent or "*").

    Our tags are all weak (W/"n"), so they are compared by their number, as
    SCIM clients expect of If-Match, although RFC 9110 §13.1.1 would compare
    strongly (and then never match a weak tag).
    """
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    return _listed_versions(header)


def none_match(current):
    """Whether If-None-Match names the current version (weak comparison, RFC 9110 §13.1.2)."""
    header = request.headers.get("If-None-Match")
    if header is None:
        return False
    return header.strip() == "*" or current in _listed_versions(header)
