"""PATCH (RFC 7644 §3.5.2) applied to a resource document, with the IdP dialects.

The operations change a copy of the full SCIM representation; the caller then
validates the result exactly as a PUT body and stores it in one transaction,
so a request is applied wholly or not at all. Dialects accepted on purpose
(reference scim-idp-interop.md §2, §5):
- op names in any case ("Add", "Replace", "Remove": Entra);
- a no-path value object whose keys are attribute names, dotted paths
  ("name.givenName") or URN-qualified paths ("urn:...:User:employeeNumber");
- add/replace on emails[type eq "work"].value creates the entry when no entry
  matches (Entra; the RFC would answer noTarget);
- remove on a multi-valued attribute with the entries named in "value";
- the enterprise manager addressed without its URN, set as a string, {value}
  or [{value}], cleared with an empty value or remove manager[value eq "id"];
- readOnly attributes in a no-path value (Okta sends the id) are ignored.
"""
import copy

from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load

from schema_instances import instance

from . import filter_parser as fp
from .errors import ScimError
from .schemas import ENTERPRISE_SCHEMA, PATCH_OP, resolve
from .validation import lax_bool

OPS = ("add", "replace", "remove")
MAX_OPERATIONS = 1000


def _lower_keys(data):
    return {k.lower() if isinstance(k, str) else k: v for k, v in data.items()}


class OperationSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    op = fields.String(required=True)
    path = fields.String(load_default=None, allow_none=True)
    value = fields.Raw(load_default=None, allow_none=True)

    @pre_load
    def lower(self, data, **kwargs):
        if not isinstance(data, dict):
            raise ValidationError("each operation must be an object")
        return _lower_keys(data)


class PatchRequestSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    schemas = fields.List(fields.String(), load_default=list)
    operations = fields.List(fields.Nested(OperationSchema), required=True)

    @pre_load
    def lower(self, data, **kwargs):
        if not isinstance(data, dict):
            raise ValidationError("the body must be a PatchOp object")
        return _lower_keys(data)


def parse_request(body):
    """The list of operations of a PatchOp body, validated."""
    try:
        request = instance(PatchRequestSchema).load(body)
    except ValidationError as error:
        raise ScimError(400, f"invalid PatchOp request: {error.messages}", "invalidSyntax") from None
    if request["schemas"] and PATCH_OP not in request["schemas"]:
        raise ScimError(400, f"a PATCH body must have the schema {PATCH_OP}", "invalidSyntax")
    operations = request["operations"]
    if not operations:
        raise ScimError(400, "Operations must not be empty", "invalidValue")
    if len(operations) > MAX_OPERATIONS:
        raise ScimError(400, f"at most {MAX_OPERATIONS} operations per request", "invalidValue")
    for operation in operations:
        operation["op"] = operation["op"].lower()
        if operation["op"] not in OPS:
            raise ScimError(400, f"unknown op {operation['op']!r}; use add, replace or remove", "invalidValue")
    return operations


def apply(resource, operations, *, schema_resolver=resolve):
    """A new resource document with the operations applied."""
    document = copy.deepcopy(resource)
    for operation in operations:
        op, path, value = operation["op"], operation.get("path"), operation.get("value")
        if path in (None, ""):
            if op == "remove":
                raise ScimError(400, "remove needs a path", "noTarget")
            _apply_no_path(document, op, value, schema_resolver)
        elif path.strip().lower() == ENTERPRISE_SCHEMA.lower():
            # The extension's URN names its whole container (RFC 7643 §3.3).
            if op == "remove":
                document.pop(ENTERPRISE_SCHEMA, None)
            else:
                _apply_no_path(document, op, {ENTERPRISE_SCHEMA: value}, schema_resolver)
        else:
            _apply_path(document, op, path, value, schema_resolver, strict_readonly=True)
    return document


def _apply_no_path(document, op, value, schema_resolver):
    if not isinstance(value, dict):
        raise ScimError(400, f"{op} without a path needs an object value", "invalidValue")
    for key, item in value.items():
        if not isinstance(key, str):
            continue
        if key.lower() == ENTERPRISE_SCHEMA.lower() and isinstance(item, dict):
            for sub_key, sub_item in item.items():
                if sub_key.lower() == "schemas":
                    continue
                _apply_path(document, op, f"{ENTERPRISE_SCHEMA}:{sub_key}", sub_item, schema_resolver,
                            strict_readonly=False)
        elif key.lower() == "schemas":
            continue
        else:
            _apply_path(document, op, key, item, schema_resolver, strict_readonly=False)


def _resolve_path(path, schema_resolver):
    try:
        parsed = fp.parse_path(path)
    except fp.PathError as error:
        raise ScimError(400, f"invalid path {path!r}: {error}", "invalidPath") from None
    attr = parsed.path
    # emails[type eq "work"].value: the sub-attribute after the brackets must exist as well
    sub_attr = attr.sub_attr if attr.sub_attr is not None else parsed.sub_attr
    found = schema_resolver(attr.urn, attr.attr, sub_attr)
    if found is None:
        raise ScimError(400, f"unknown attribute in path {path!r}", "invalidPath")
    if parsed.filter is not None:
        _check_filter_names(parsed.filter, found[1], path)
    return parsed, found


def _check_filter_names(node, definition, path):
    """Every name inside the brackets must be a sub-attribute of the filtered attribute."""
    if isinstance(node, (fp.LogicalAnd, fp.LogicalOr)):
        _check_filter_names(node.left, definition, path)
        _check_filter_names(node.right, definition, path)
    elif isinstance(node, fp.Negation):
        _check_filter_names(node.expr, definition, path)
    elif isinstance(node, (fp.Comparison, fp.Presence)):
        subs = definition.get("subAttributes", ())
        if not any(s["name"].lower() == node.path.attr.lower() for s in subs):
            raise ScimError(400, f"{definition['name']} has no sub-attribute {node.path.attr!r} (path {path!r})",
                            "invalidPath")


def _container(document, schema_id):
    if schema_id == ENTERPRISE_SCHEMA:
        return document.setdefault(ENTERPRISE_SCHEMA, {})
    return document


def _key(mapping, name):
    return next((k for k in mapping if isinstance(k, str) and k.lower() == name.lower()), name)


def _is_empty(value):
    return value is None or value == "" or value == [] or value == {}


def _apply_path(document, op, path, value, schema_resolver, *, strict_readonly):
    parsed, (schema_id, definition, sub) = _resolve_path(path, schema_resolver)
    target = sub or definition
    if definition["mutability"] == "readOnly" or target["mutability"] == "readOnly":
        if strict_readonly:
            raise ScimError(400, f"{path} is readOnly", "mutability")
        return
    container = _container(document, schema_id)
    name = definition["name"]
    key = _key(container, name)
    if parsed.filter is not None:
        _apply_filtered(container, key, definition, parsed, sub["name"] if sub else None, op, value)
    elif sub is not None:
        _apply_sub(container, key, definition, sub["name"], op, value)
    elif definition["multiValued"]:
        _apply_multi(container, key, definition, op, value)
    elif definition["type"] == "complex":
        _apply_complex(container, key, definition, op, value)
    elif op == "remove" or _is_empty(value):
        if definition["required"]:
            raise ScimError(400, f"{name} is required and cannot be removed", "invalidValue")
        container.pop(key, None)
    else:
        container[key] = value
    if schema_id == ENTERPRISE_SCHEMA and not document.get(ENTERPRISE_SCHEMA):
        document.pop(ENTERPRISE_SCHEMA, None)


def _as_entries(value, name):
    entries = value if isinstance(value, list) else [value]
    for entry in entries:
        if not isinstance(entry, dict):
            raise ScimError(400, f"values of {name} must be objects", "invalidValue")
    return [dict(e) for e in entries if not _is_empty(e)]


def _manager_value(value):
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        value = {"value": str(value)} if str(value) else None
    return value


def _apply_complex(container, key, definition, op, value):
    if definition["name"] == "manager":
        value = _manager_value(value)
    if op == "remove" or _is_empty(value) or (isinstance(value, dict) and _is_empty(value.get("value", 0))):
        container.pop(key, None)
        return
    if not isinstance(value, dict):
        raise ScimError(400, f"{definition['name']} needs an object value", "invalidValue")
    current = container.get(key) if isinstance(container.get(key), dict) else {}
    merged = dict(current)
    for sub_key, sub_value in value.items():
        merged[_key(merged, sub_key)] = sub_value
    container[key] = {k: v for k, v in merged.items() if not _is_empty(v)}


def _apply_sub(container, key, definition, sub_name, op, value):
    current = container.get(key)
    if definition["multiValued"]:
        for entry in current or []:
            if op == "remove" or _is_empty(value):
                entry.pop(_key(entry, sub_name), None)
            else:
                entry[_key(entry, sub_name)] = value
        return
    current = dict(current) if isinstance(current, dict) else {}
    if op == "remove" or _is_empty(value):
        current.pop(_key(current, sub_name), None)
    else:
        current[_key(current, sub_name)] = value
    if current:
        container[key] = current
    else:
        container.pop(key, None)


def _same(a, b):
    return {k.lower(): v for k, v in a.items()} == {k.lower(): v for k, v in b.items()}


def _entry_value(entry):
    return entry.get(_key(entry, "value"))


def _apply_multi(container, key, definition, op, value):
    current = list(container.get(key) or [])
    if op == "remove":
        if _is_empty(value):
            container.pop(key, None)
            return
        # Entra: {"op":"Remove","path":"members","value":[{"value":"id"}]}
        doomed = {_entry_value(e) for e in _as_entries(value, definition["name"])}
        current = [e for e in current if _entry_value(e) not in doomed]
    elif op == "replace":
        current = _as_entries(value, definition["name"]) if not _is_empty(value) else []
    else:
        for entry in _as_entries(value, definition["name"]):
            if not any(_same(entry, existing) for existing in current):
                current.append(entry)
    _single_primary(current)
    if current:
        container[key] = current
    else:
        container.pop(key, None)


def _single_primary(entries):
    """At most one entry may be primary: the last one marked wins (RFC 7643 §2.4)."""
    marked = [e for e in entries if lax_bool(e.get(_key(e, "primary"))) is True]
    for entry in marked[:-1]:
        entry.pop(_key(entry, "primary"), None)


def _apply_filtered(container, key, definition, parsed, sub_name, op, value):
    if definition["type"] != "complex":
        raise ScimError(400, f"{definition['name']} has no sub-attributes to filter on", "invalidPath")
    if not definition["multiValued"]:
        # remove manager[value eq "id"] (Entra)
        current = container.get(key)
        if isinstance(current, dict) and matches(current, parsed.filter, definition):
            if op == "remove":
                container.pop(key, None)
            else:
                _apply_complex(container, key, definition, op, {sub_name: value} if sub_name else value)
        return
    entries = list(container.get(key) or [])
    hits = [e for e in entries if matches(e, parsed.filter, definition)]
    if op == "remove":
        if sub_name:
            for entry in hits:
                entry.pop(_key(entry, sub_name), None)
        else:
            entries = [e for e in entries if e not in hits]
    elif hits:
        for entry in hits:
            if sub_name:
                entry[_key(entry, sub_name)] = value
            elif isinstance(value, dict):
                for sub_key, sub_value in value.items():
                    entry[_key(entry, sub_key)] = sub_value
            else:
                raise ScimError(400, f"{definition['name']} entries are objects", "invalidValue")
    else:
        # Entra: add/replace on emails[type eq "work"].value creates the missing entry.
        entry = _entry_from_filter(parsed.filter, definition)
        if entry is None:
            raise ScimError(400, f"no {definition['name']} entry matches the path filter", "noTarget")
        if sub_name:
            entry[sub_name] = value
        elif isinstance(value, dict):
            entry.update(value)
        else:
            raise ScimError(400, f"{definition['name']} entries are objects", "invalidValue")
        entries.append(entry)
    entries = [e for e in entries if not _is_empty(e)]
    _single_primary(entries)
    if entries:
        container[key] = entries
    else:
        container.pop(key, None)


def _entry_from_filter(node, definition):
    """{sub: value} from a filter made only of eq comparisons joined by and; else None."""
    if isinstance(node, fp.Comparison) and node.op == "eq" and node.path.sub_attr is None:
        subs = definition.get("subAttributes", ())
        name = next((s["name"] for s in subs if s["name"].lower() == node.path.attr.lower()), node.path.attr)
        return {name: node.value}
    if isinstance(node, fp.LogicalAnd):
        left, right = _entry_from_filter(node.left, definition), _entry_from_filter(node.right, definition)
        if left is not None and right is not None:
            return {**left, **right}
    return None


def _text(value, case_exact):
    text = value if isinstance(value, str) else str(value)
    return text if case_exact else text.casefold()


def _compare(actual, op, expected, case_exact):
    if op == "pr":
        return not _is_empty(actual)
    if actual is None:
        return op == "ne" and expected is not None
    if isinstance(expected, bool) or isinstance(actual, bool):
        actual_bool = lax_bool(actual) is True
        return (actual_bool == expected) if op == "eq" else (actual_bool != expected) if op == "ne" else False
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        a, b = actual, expected
    else:
        a, b = _text(actual, case_exact), _text(expected, case_exact)
    return {
        "eq": lambda: a == b, "ne": lambda: a != b,
        "co": lambda: isinstance(a, str) and b in a, "sw": lambda: isinstance(a, str) and a.startswith(b),
        "ew": lambda: isinstance(a, str) and a.endswith(b),
        "gt": lambda: a > b, "ge": lambda: a >= b, "lt": lambda: a < b, "le": lambda: a <= b,
    }[op]()


def matches(entry, node, definition):
    """Whether one entry of a complex attribute satisfies a value filter (one resource, not a table)."""
    if isinstance(node, fp.LogicalAnd):
        return matches(entry, node.left, definition) and matches(entry, node.right, definition)
    if isinstance(node, fp.LogicalOr):
        return matches(entry, node.left, definition) or matches(entry, node.right, definition)
    if isinstance(node, fp.Negation):
        return not matches(entry, node.expr, definition)
    if isinstance(node, (fp.Comparison, fp.Presence)):
        name = node.path.attr
        sub = next((s for s in definition.get("subAttributes", ()) if s["name"].lower() == name.lower()), None)
        if sub is None:
            raise ScimError(400, f"{definition['name']} has no sub-attribute {name!r}", "invalidFilter")
        actual = entry.get(_key(entry, sub["name"]))
        if isinstance(node, fp.Presence):
            return _compare(actual, "pr", None, sub["caseExact"])
        return _compare(actual, node.op, node.value, sub["caseExact"])
    raise ScimError(400, "value filters cannot be nested", "invalidFilter")
