"""SCIM filters and sortBy -> the shared predicate form (models/predicates.py).

The parser (scim/filter_parser.py) knows the grammar; this module knows what
the attributes mean: which are columns, which are metadata kept in the search
index, their types and their case rules (caseExact from scim/schemas.py).
Anything we cannot translate is an invalidFilter error; nothing is ever
filtered in Python.
"""
import datetime

from models import predicates as p
from models.tables import UserType
from models.users import SCIM_PREFIX

from . import filter_parser as fp
from .casting import ACTIVE_STATES, ACTIVE_UNASSIGNED, COLUMNS, DISPLAY_NAME_UNASSIGNED, FORMATTED, metadata_attr
from .errors import ScimError
from .http import provisioning_domain
from .schemas import resolve, resolve_group

META_FIELDS = {"created": "created_at", "lastModified": "changed_at"}
MULTI_SUBS = {"value", "type", "primary", "display"}
# Only human users are SCIM resources (machine users are service accounts).
HUMANS = p.Compare("type", "eq", UserType.HUMAN)
# The profile display name holds name.formatted, and displayName is unassigned (scim/casting.py).
FORMATTED_IS_DISPLAY = p.AnyOf(DISPLAY_NAME_UNASSIGNED[0][len(SCIM_PREFIX):],
                               p.Compare("value", "eq", DISPLAY_NAME_UNASSIGNED[1].decode()))


def invalid(detail):
    return ScimError(400, detail, "invalidFilter")


class UnknownAttribute(ScimError):
    """A filter names an attribute this resource type does not have (root .search skips the type)."""

    def __init__(self, detail):
        super().__init__(400, detail, "invalidFilter")


def parse(text, resource="User"):
    """The predicate of a filter on Users (default) or Groups."""
    leaf, value_path = (_group_leaf, _group_value_path) if resource == "Group" else (_leaf, _value_path)
    try:
        return to_predicate(fp.parse_filter(text), leaf, value_path)
    except fp.FilterError as error:
        raise invalid(f"invalid filter: {error}") from None


def _datetime(value):
    if not isinstance(value, str):
        raise invalid("dateTime attributes compare with a dateTime string")
    try:
        moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise invalid(f"{value!r} is not an xsd:dateTime") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment


def _resolve(path):
    found = resolve(path.urn, path.attr, path.sub_attr)
    if found is None:
        name = ".".join(x for x in (path.attr, path.sub_attr) if x)
        raise UnknownAttribute(f"unknown or unsupported attribute {name!r}")
    return found


def _check_value(definition, op, value):
    kind = definition["type"]
    if op in ("gt", "ge", "lt", "le") and kind in ("boolean", "binary", "complex"):
        raise invalid(f"{op} is not defined for {kind} attributes")
    if op in ("co", "sw", "ew") and kind in ("boolean", "dateTime"):
        raise invalid(f"{op} is not defined for {kind} attributes")
    if kind == "boolean":
        if not isinstance(value, bool):
            raise invalid(f"{definition['name']} compares with true or false")
        return value
    if value is None:
        return None
    if isinstance(value, bool):
        raise invalid(f"{definition['name']} does not compare with a boolean")
    return value if isinstance(value, str) else str(value)


def _compare(field, definition, op, value):
    value = _check_value(definition, op, value)
    if value is None:
        if op == "eq":
            return p.Not(p.Present(field))
        if op == "ne":
            return p.Present(field)
        raise invalid(f"{op} null is not meaningful")
    return p.Compare(field, op, value, ignore_case=not definition["caseExact"] and isinstance(value, str))


def _entry(collection, sub_name, definition, op, value):
    """A condition on one entry of a metadata-backed (search-indexed) attribute."""
    if op == "pr":
        return p.AnyOf(collection, p.Present(sub_name))
    return p.AnyOf(collection, _compare(sub_name, definition, op, value))


def _leaf(path, op, value=None):
    schema_id, definition, sub = _resolve(path)
    name, sub_name = definition["name"], sub["name"] if sub else None
    target = sub or definition
    if name == "password":
        raise invalid("password cannot be filtered")
    if name == "meta":
        return _meta_leaf(sub_name, op, value)
    if name == "active":
        if op == "pr":
            key, marker = ACTIVE_UNASSIGNED
            return p.Not(p.AnyOf(key[len(SCIM_PREFIX):], p.Compare("value", "eq", marker.decode())))
        if op not in ("eq", "ne") or not isinstance(value, bool):
            raise invalid("active supports eq and ne with true or false")
        active = p.Compare("state", "in", ACTIVE_STATES)
        return active if (op == "eq") == value else p.Not(active)
    if (name, sub_name) in (("displayName", None), ("name", "formatted")):
        return _display_name(sub_name == "formatted", target, op, value)
    column = COLUMNS.get((name, sub_name))
    if column is not None:
        return p.Present(column) if op == "pr" else _compare(column, target, op, value)
    if name == "groups" and sub_name not in (None, "value"):
        raise invalid("groups can be filtered by value only")
    if definition["type"] == "complex" and definition["multiValued"]:
        sub_def = sub or _value_sub(definition)
        return _entry(name, _index_field(definition, sub_def), sub_def, op, value)
    name_part = sub_name if definition["type"] == "complex" and name == "name" else None
    # externalId is the caller's own (scoped by its provisioning domain), as it reads and writes it
    collection = metadata_attr(schema_id, name, name_part, provisioning_domain())
    if collection is None or (definition["type"] == "complex" and name != "name" and sub_name not in (None, "value")):
        raise invalid(f"{name} cannot be filtered")
    return _single(collection, target, op, value)


def _display_name(formatted, definition, op, value):
    """displayName or name.formatted: both may live in the display_name column (scim/casting.py).

    The column is displayName's unless the marker says it is name.formatted's;
    name.formatted is otherwise the metadata kept next to a displayName.
    """
    if op == "ne":
        return p.Not(_display_name(formatted, definition, "eq", value))
    if op == "eq" and value is None:
        return p.Not(_display_name(formatted, definition, "pr", None))
    column = p.Present("display_name") if op == "pr" else _compare("display_name", definition, op, value)
    if not formatted:
        return p.and_(p.Not(FORMATTED_IS_DISPLAY), column)
    return p.or_(_single(FORMATTED, definition, op, value), p.and_(FORMATTED_IS_DISPLAY, column))


def _single(collection, definition, op, value):
    """A condition on a single-valued metadata-backed attribute; unassigned reads like a NULL column."""
    if op == "ne":
        # like a column: "ne" holds for users without the attribute too
        return p.Not(_single(collection, definition, "eq", value))
    if op == "eq" and value is None:
        return p.Not(_entry(collection, "value", definition, "pr", None))
    return _entry(collection, "value", definition, op, value)


def _value_path(node):
    schema_id, definition, _ = _resolve(node.path)
    if definition["type"] != "complex":
        raise invalid(f"{definition['name']} is not a complex attribute")
    if not definition["multiValued"]:
        # manager[value eq "x"] and name[givenName eq "x"]: a filter on the one entry.
        return to_predicate(_rebase(node.filter, node.path))
    return p.AnyOf(definition["name"], _entry_predicate(node.filter, definition))


def _rebase(node, parent):
    """Turn the relative paths inside brackets into parent.sub paths."""
    if isinstance(node, (fp.LogicalAnd, fp.LogicalOr)):
        return type(node)(_rebase(node.left, parent), _rebase(node.right, parent))
    if isinstance(node, fp.Negation):
        return fp.Negation(_rebase(node.expr, parent))
    if isinstance(node, (fp.Comparison, fp.Presence)):
        path = fp.AttrPath(parent.urn, parent.attr, node.path.attr)
        return fp.Comparison(path, node.op, node.value) if isinstance(node, fp.Comparison) else fp.Presence(path)
    raise invalid("value filters cannot be nested")


def _value_sub(definition):
    """The sub-attribute that stands for an entry as a whole: value (addresses: formatted)."""
    return next(s for s in definition["subAttributes"] if s["name"] in ("value", "formatted"))


def _index_field(definition, sub):
    """The search-index field holding a sub-attribute of a multi-valued attribute."""
    name = "value" if sub["name"] == "formatted" else sub["name"]
    if name not in MULTI_SUBS:
        raise invalid(f"{definition['name']}.{sub['name']} cannot be filtered")
    return name


def _entry_predicate(node, definition):
    if isinstance(node, fp.LogicalAnd):
        return p.and_(_entry_predicate(node.left, definition), _entry_predicate(node.right, definition))
    if isinstance(node, fp.LogicalOr):
        return p.or_(_entry_predicate(node.left, definition), _entry_predicate(node.right, definition))
    if isinstance(node, fp.Negation):
        return p.Not(_entry_predicate(node.expr, definition))
    if isinstance(node, (fp.Comparison, fp.Presence)):
        sub_name = node.path.attr if node.path.sub_attr is None else None
        sub = next((s for s in definition["subAttributes"] if sub_name and s["name"].lower() == sub_name.lower()), None)
        if sub is None:
            raise invalid(f"{definition['name']}.{node.path.attr} cannot be filtered")
        field = _index_field(definition, sub)
        if isinstance(node, fp.Presence):
            return p.Present(field)
        return _compare(field, sub, node.op, node.value)
    raise invalid("value filters cannot be nested")


def _meta_leaf(sub_name, op, value):
    if sub_name not in META_FIELDS:
        raise invalid(f"meta.{sub_name} cannot be filtered")
    if op == "pr":
        return p.TRUE
    if op in ("co", "sw", "ew"):
        raise invalid(f"{op} is not defined for dateTime attributes")
    return p.Compare(META_FIELDS[sub_name], op, _datetime(value))


# Group attribute -> domain field of the group table
GROUP_COLUMNS = {"id": "id", "displayName": "display_name", "externalId": "external_id"}


def _group_leaf(path, op, value=None):
    found = resolve_group(path.urn, path.attr, path.sub_attr)
    if found is None:
        name = ".".join(x for x in (path.attr, path.sub_attr) if x)
        raise UnknownAttribute(f"unknown or unsupported Group attribute {name!r}")
    _, definition, sub = found
    name, sub_name = definition["name"], sub["name"] if sub else None
    if name == "meta":
        return _meta_leaf(sub_name, op, value)
    if name in GROUP_COLUMNS:
        field = GROUP_COLUMNS[name]
        return p.Present(field) if op == "pr" else _compare(field, definition, op, value)
    if name == "members" and sub_name in (None, "value"):
        return _member(op, value)
    raise invalid(f"{name}.{sub_name} cannot be filtered" if sub_name else f"{name} cannot be filtered")


def _member(op, value):
    value_def = next(s for s in resolve_group(None, "members")[1]["subAttributes"] if s["name"] == "value")
    return _entry("members", "value", value_def, op, value)


def _group_value_path(node):
    found = resolve_group(node.path.urn, node.path.attr)
    if found is None or found[1]["name"] != "members":
        raise invalid("only members[...] value filters are supported on Groups")
    return p.AnyOf("members", _member_condition(node.filter))


def _member_condition(node):
    if isinstance(node, fp.LogicalAnd):
        return p.and_(_member_condition(node.left), _member_condition(node.right))
    if isinstance(node, fp.LogicalOr):
        return p.or_(_member_condition(node.left), _member_condition(node.right))
    if isinstance(node, fp.Negation):
        return p.Not(_member_condition(node.expr))
    if isinstance(node, (fp.Comparison, fp.Presence)) and node.path.attr.lower() == "value":
        if isinstance(node, fp.Presence):
            return p.Present("value")
        return _compare("value", {"name": "value", "type": "string", "caseExact": True}, node.op, node.value)
    raise invalid("members can be filtered by value only")


def to_predicate(node, leaf=_leaf, value_path=_value_path):
    if isinstance(node, fp.LogicalAnd):
        return p.and_(to_predicate(node.left, leaf, value_path), to_predicate(node.right, leaf, value_path))
    if isinstance(node, fp.LogicalOr):
        return p.or_(to_predicate(node.left, leaf, value_path), to_predicate(node.right, leaf, value_path))
    if isinstance(node, fp.Negation):
        return p.Not(to_predicate(node.expr, leaf, value_path))
    if isinstance(node, fp.Presence):
        return leaf(node.path, "pr")
    if isinstance(node, fp.Comparison):
        return leaf(node.path, node.op, node.value)
    if isinstance(node, fp.ValuePath):
        return value_path(node)
    raise invalid("unsupported filter expression")


def sort_field(sort_by, resource="User"):
    """The domain sort field for a sortBy attribute path."""
    try:
        parsed = fp.parse_path(sort_by)
    except fp.PathError:
        raise ScimError(400, f"invalid sortBy {sort_by!r}", "invalidValue") from None
    if parsed.filter is not None:
        # sortBy is an attribute path (RFC 7644 §3.4.2.3); a value filter would be silently ignored
        raise ScimError(400, f"sortBy cannot contain a value filter: {sort_by!r}", "invalidValue")
    path = parsed.path
    found = (resolve_group if resource == "Group" else resolve)(path.urn, path.attr, path.sub_attr)
    if found is not None:
        _, definition, sub = found
        if resource == "Group" and definition["name"] in GROUP_COLUMNS and sub is None:
            return GROUP_COLUMNS[definition["name"]]
        name, sub_name = definition["name"], sub["name"] if sub else None
        if name == "meta" and sub_name in META_FIELDS:
            return META_FIELDS[sub_name]
        if name == "emails" and sub_name in (None, "value"):
            return "email"
        if (name, sub_name) in COLUMNS:
            return COLUMNS[(name, sub_name)]
    raise ScimError(400, f"cannot sort by {sort_by!r}", "invalidValue")
