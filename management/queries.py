"""ZITADEL user search queries (§4.6) -> the shared predicate form of models/predicates.py."""
from models.errors import InvalidArgument
from models.predicates import AnyOf, Compare, Not, and_, or_

MAX_NESTING = 20

# TextQueryMethod number -> (operator, ignore case)
TEXT_METHODS = {0: ("eq", False), 1: ("eq", True), 2: ("sw", False), 3: ("sw", True),
                4: ("co", False), 5: ("co", True), 6: ("ew", False), 7: ("ew", True)}

# query key -> (domain field, payload key)
TEXT_QUERIES = {
    "user_name_query": ("username", "user_name"),
    "first_name_query": ("first_name", "first_name"),
    "last_name_query": ("last_name", "last_name"),
    "nick_name_query": ("nick_name", "nick_name"),
    "display_name_query": ("display_name", "display_name"),
    "email_query": ("email", "email_address"),
    # A user's only login name is its userName (organisations have no domains here).
    "login_name_query": ("login_name", "login_name"),
}

# UserFieldName number -> models.search.SORT_FIELDS name (0: by id)
SORT_COLUMNS = {0: None, 1: "username", 2: "first_name", 3: "last_name", 4: "nick_name", 5: "display_name",
                6: "email", 7: "state", 8: "type", 9: "created_at"}


def too_deep():
    return InvalidArgument("Too many query nesting levels (Max 20)", "USER-zsQ97", "Errors.Query.TooManyNestingLevels")


def text(field, payload, value_key):
    op, ignore_case = TEXT_METHODS[payload.get("method", 0)]
    return Compare(field, op, payload.get(value_key, ""), ignore_case=ignore_case)


def _metadata_key(payload):
    return AnyOf("metadata", text("key", payload, "key"))


def _metadata_value(payload):
    value = Compare("value", "eq", payload["value"])
    key = payload.get("key")
    return AnyOf("metadata", and_(Compare("key", "eq", key), value) if key else value)


def translate(query, level=1):
    """One SearchQuery (a loaded oneof) as a predicate; level counts nesting from 1."""
    if level > MAX_NESTING:
        raise too_deep()
    (kind, payload), = query.items()
    if kind in TEXT_QUERIES:
        field, value_key = TEXT_QUERIES[kind]
        return text(field, payload, value_key)
    if kind == "state_query":
        return Compare("state", "eq", payload.get("state", 0))
    if kind == "type_query":
        return Compare("type", "eq", payload.get("type", 0))
    if kind == "in_user_ids_query":
        return Compare("id", "in", list(payload.get("user_ids", [])))
    if kind == "in_user_emails_query":
        return Compare("email", "in", list(payload.get("user_emails", [])))
    if kind == "metadata_key_query":
        return _metadata_key(payload)
    if kind == "metadata_value_query":
        return _metadata_value(payload)
    if kind == "not_query":
        return Not(translate(payload["query"], level + 1))
    parts = [translate(sub, level + 1) for sub in payload.get("queries", [])]
    if kind == "or_query":
        return or_(*parts) if parts else and_()
    return and_(*parts)


def user_predicate(queries):
    """The top-level queries, ANDed (the org is added by the search itself)."""
    return and_(*(translate(q) for q in queries))
