"""List and search parameters (RFC 7644 §3.4.2, §3.4.3) and the ListResponse, for every resource type."""
import dataclasses

from flask import request

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

    @property
    def offset(self):
        return min(self.start_index - 1, MAX_OFFSET)


def _params(filter_text, sort_by, sort_order, start_index, count, attributes, excluded):
    if sort_order not in (None, "", "ascending", "descending"):
        raise ScimError(400, "sortOrder must be ascending or descending", "invalidValue")
    return ListParams(filter_text or None, sort_by or None, sort_order != "descending", max(1, start_index),
                      min(max(0, count), settings().scim_max_count), attributes, excluded)


def from_query():
    """ListParams from a GET's query string."""
    args = request.args
    return _params(args.get("filter"), args.get("sortBy"), args.get("sortOrder"), int_param("startIndex", 1),
                   int_param("count", settings().scim_default_count), args.get("attributes"),
                   args.get("excludedAttributes"))


def from_search_request():
    """ListParams from a POST .search body (a SearchRequest)."""
    body = read_json()
    if body.get("schemas") and SEARCH_REQUEST not in body["schemas"]:
        raise ScimError(400, f"a search body must have the schema {SEARCH_REQUEST}", "invalidSyntax")
    lowered = {k.lower(): v for k, v in body.items()}

    def number(name, default):
        value = lowered.get(name.lower(), default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ScimError(400, f"{name} must be an integer", "invalidValue")
        return value

    def names(name):
        value = lowered.get(name.lower())
        return ",".join(str(v) for v in value) if isinstance(value, list) else value

    return _params(lowered.get("filter"), lowered.get("sortby"), lowered.get("sortorder"),
                   number("startIndex", 1), number("count", settings().scim_default_count),
                   names("attributes"), names("excludedAttributes"))


def list_response(total, params, resources):
    return respond({"schemas": [LIST_RESPONSE], "totalResults": total, "itemsPerPage": len(resources),
                    "startIndex": params.start_index, "Resources": resources})
