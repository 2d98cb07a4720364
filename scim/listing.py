"""List and search parameters (RFC 7644 §3.4.2, §3.4.3) and the ListResponse, for every resource type.

Two ways to page: startIndex (RFC 7644, the default) and cursor (RFC 9865).
A cursor is base64url JSON naming where the next page starts (a part of the
listing and the key of a row, see models/search.py) and a digest of the query
it belongs to. It is strictly parsed, not trusted: it only picks a position
in a listing that is still filtered and scoped to the caller's organisation,
so a forged cursor can show nothing the caller could not list anyway. Cursors
do not expire (no cursorTimeout): a key stays a valid position.
"""
import base64
import binascii
import dataclasses
import hashlib
import json
import re
from urllib.parse import parse_qsl

from flask import request

from models.errors import InvalidArgument
from models.search import Position, cursor_page

from .errors import ScimError
from .http import int_param, read_json, respond, settings
from .schemas import LIST_RESPONSE, SEARCH_REQUEST

# Largest row offset sent to the database (both stop at 2**63 - 1); a startIndex
# past any real table is simply an empty page.
MAX_OFFSET = 2**62


@dataclasses.dataclass
class ListParams:
    filter: str | None
    sort_by: str | None
    ascending: bool
    start_index: int
    count: int
    attributes: str | None
    excluded: str | None
    # RFC 9865 cursor; None pages by startIndex, "" asks for the first page
    cursor: str | None = None

    @property
    def offset(self):
        return min(self.start_index - 1, MAX_OFFSET)


def default_count():
    current = settings()
    return min(current.scim_default_count, current.scim_max_count)


def _params(filter_text, sort_by, sort_order, start_index, count, attributes, excluded, cursor=None):
    if sort_order not in (None, "", "ascending", "descending"):
        raise ScimError(400, "sortOrder must be ascending or descending", "invalidValue")
    maximum = settings().scim_max_count
    if cursor is None:
        count = min(max(0, count), maximum)
    else:
        if start_index is not None:
            raise ScimError(400, "startIndex and cursor cannot be combined: page by one or the other (RFC 9865)",
                            "invalidValue")
        if not isinstance(cursor, str) or not CURSOR_CHARACTERS.fullmatch(cursor):
            raise ScimError(400, INVALID_CURSOR, "invalidCursor")
        if not 0 <= count <= maximum:
            raise ScimError(400, f"count must be between 0 and {maximum} (maxPageSize) with a cursor",
                            "invalidCount")
    return ListParams(filter_text or None, sort_by or None, sort_order != "descending", max(1, start_index or 1),
                      count, attributes, excluded, cursor)


def from_query():
    """ListParams from a GET's query string."""
    # The first value of each parameter, as request.args.get gives it, parsed as werkzeug parses
    # request.args; into a plain dict, without building the MultiDict a lookup never reads again.
    args = {}
    for name, value in parse_qsl(request.query_string.decode(), keep_blank_values=True, errors="werkzeug.url_quote"):
        args.setdefault(name, value)
    return _params(args.get("filter"), args.get("sortBy"), args.get("sortOrder"),
                   int_param("startIndex", None, args), int_param("count", default_count(), args),
                   args.get("attributes"), args.get("excludedAttributes"), args.get("cursor"))


def from_search_request():
    """ListParams from a POST .search body (a SearchRequest)."""
    body = read_json()
    if body.get("schemas") and SEARCH_REQUEST not in body["schemas"]:
        raise ScimError(400, f"a search body must have the schema {SEARCH_REQUEST}", "invalidSyntax")
    lowered = {k.lower(): v for k, v in body.items()}

    def number(name, default):
        value = lowered.get(name.lower())
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            raise ScimError(400, f"{name} must be an integer", "invalidValue")
        return value

    def names(name):
        value = lowered.get(name.lower())
        return ",".join(str(v) for v in value) if isinstance(value, list) else value

    return _params(lowered.get("filter"), lowered.get("sortby"), lowered.get("sortorder"),
                   number("startIndex", None), number("count", default_count()),
                   names("attributes"), names("excludedAttributes"), lowered.get("cursor"))


def list_response(total, params, resources):
    return respond({"schemas": [LIST_RESPONSE], "totalResults": total, "itemsPerPage": len(resources),
                    "startIndex": params.start_index, "Resources": resources})


# ---------------------------------------------------------------- cursors (RFC 9865)

CURSOR_CHARACTERS = re.compile(r"[A-Za-z0-9._~-]*")  # RFC 3986 unreserved
CURSOR_VERSION = 1
MAX_CURSOR_LENGTH = 2048
# One message for every refused cursor, whatever the reason (RFC 9865's security considerations:
# do not tell a malformed cursor from another query's or another organisation's).
INVALID_CURSOR = "the cursor is not one this query returned; start again with an empty cursor"


def _query_digest(params, org_id, scope):
    """What a cursor is bound to: the organisation, the endpoint and the parameters that shape the list."""
    shape = json.dumps([CURSOR_VERSION, org_id, scope, params.filter, params.sort_by, params.ascending])
    return base64.urlsafe_b64encode(hashlib.sha256(shape.encode()).digest()[:12]).decode("ascii")


def _encode(position, listings, digest):
    body = {"v": CURSOR_VERSION, "q": digest, "p": position.part, "b": position.backward,
            "k": listings[position.part].dump_key(position.key)}
    raw = json.dumps(body, separators=(",", ":"), ensure_ascii=True).encode("ascii")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _decode(cursor, listings, digest):
    """The Position a cursor names; invalidCursor unless it is exactly one _encode made for this query."""
    if cursor == "":
        return Position()
    try:
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise ValueError
        body = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(body, dict) or set(body) != {"v", "q", "p", "b", "k"}:
            raise ValueError
        part = body["p"]
        if (body["v"] != CURSOR_VERSION or body["q"] != digest or not isinstance(body["b"], bool)
                or isinstance(part, bool) or not isinstance(part, int) or not 0 <= part < len(listings)):
            raise ValueError
        position = Position(part, listings[part].parse_key(body["k"]), body["b"])
        if _encode(position, listings, digest) != cursor:  # one spelling per position
            raise ValueError
        return position
    except (ValueError, binascii.Error, InvalidArgument, RecursionError):
        raise ScimError(400, INVALID_CURSOR, "invalidCursor") from None


def cursor_response(params, org_id, scope, listings, render):
    """The ListResponse of one cursor page over listings (models.search.Listing), read one after another.

    render turns the page's (part, row) pairs into resources. totalResults is given only when it
    costs nothing (the whole result fits the first page) or when it is all that was asked (count=0):
    counting every match on every page would make deep pages cost what the whole listing does.
    """
    digest = _query_digest(params, org_id, scope)
    position = _decode(params.cursor, listings, digest)
    if params.count == 0:
        return respond({"schemas": [LIST_RESPONSE], "totalResults": sum(listing.count() for listing in listings),
                        "itemsPerPage": 0, "Resources": []})
    page = cursor_page(listings, position, params.count)
    resources = render(page.rows)
    body = {"schemas": [LIST_RESPONSE]}
    if position.key is None and page.next is None:
        body["totalResults"] = len(resources)
    body["itemsPerPage"] = len(resources)
    if page.previous is not None:
        body["previousCursor"] = _encode(page.previous, listings, digest)
    if page.next is not None:
        body["nextCursor"] = _encode(page.next, listings, digest)
    body["Resources"] = resources
    return respond(body)
