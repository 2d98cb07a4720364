"""Validation of incoming SCIM User resources with marshmallow.

The marshmallow schemas are generated from the SCIM definitions in
scim/schemas.py, so what /Schemas advertises is exactly what is accepted.
Tolerances the IdPs need are deliberate and live here:
- attribute names in any case (RFC 7643 §2.1) become the canonical names;
- booleans sent as strings ("True", "fAlSe": any case; Entra) are read as booleans;
- numbers sent for string attributes are read as strings (IdP mappings emit them, see LaxString);
- a single object where a list is expected is read as a one-element list;
- the enterprise manager may be a string id, {value} or [{value}];
- null and empty values mean "unassigned";
- unknown attributes and readOnly attributes are ignored (RFC 7644 §3.5.1 for readOnly;
  unknown ones because IdPs send attributes of their own, e.g. Okta's "groups").
"""
from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load

from schema_instances import instance

from .errors import ScimError
from .schemas import ENTERPRISE_SCHEMA, GROUP_SCHEMA, SCHEMAS, USER_SCHEMA

MAX_STRING = 16_384


class LaxString(fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        # Deliberately lenient: IdP attribute mappings emit numbers for string attributes
        # (employeeNumber, costCenter, a numeric userName from an HR id), and refusing them
        # would fail the provisioning of that user. The text read back is str(number).
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        value = super()._deserialize(value, attr, data, **kwargs)
        # Neither can be stored: PostgreSQL text refuses U+0000, and a lone surrogate
        # (legal in JSON as "\ud800") has no UTF-8 form for either database.
        if "\x00" in value:
            raise ValidationError("must not contain U+0000")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValidationError("must not contain an unpaired UTF-16 surrogate") from None
        return value


def lax_bool(value):
    """True or False for a boolean, or the string "true"/"false" in any case: Entra sends
    "True"/"False", other mappings "TRUE". None for anything else (marshmallow would also take
    "yes", "on", 1...): that is a wrong type. PATCH reads booleans by the same rule."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("true", "false"):
            return text == "true"
    return None


class LaxBoolean(fields.Boolean):
    """A boolean as lax_bool reads it."""

    def _deserialize(self, value, attr, data, **kwargs):
        result = lax_bool(value)
        if result is None:
            raise self.make_error("invalid", input=value)
        return result


def _canonical_keys(data, attributes):
    """Rename keys to their canonical case; drop unknown, readOnly and null ones."""
    by_lower = {a["name"].lower(): a for a in attributes}
    result = {}
    for key, value in data.items():
        definition = by_lower.get(key.lower()) if isinstance(key, str) else None
        if definition is None or definition["mutability"] == "readOnly":
            continue
        if value is None or value == [] or value == "":
            continue
        if definition["multiValued"] and not isinstance(value, list):
            value = [value]
        result[definition["name"]] = value
    return result


def _field(definition):
    kind = definition["type"]
    if kind == "complex":
        nested = fields.Nested(_schema_for(definition["subAttributes"], definition["name"]), unknown=EXCLUDE)
        field = nested
    elif kind == "boolean":
        field = LaxBoolean()
    elif kind in ("integer",):
        field = fields.Integer(strict=False)
    elif kind == "decimal":
        field = fields.Float()
    else:
        field = LaxString(validate=_max_length)
    if definition["multiValued"]:
        field = fields.List(field)
    return field


def _max_length(value):
    if len(value) > MAX_STRING:
        raise ValidationError(f"longer than {MAX_STRING} characters")


_cache = {}


def _loader(schema_urn, name):
    return instance(_schema_for(SCHEMAS[schema_urn]["attributes"], name))


def _schema_for(attributes, name):
    key = (name, id(attributes))
    if key in _cache:
        return _cache[key]
    declared = {d["name"]: _field(d) for d in attributes if d["mutability"] != "readOnly"}

    @pre_load
    def canonicalise(self, data, **kwargs):
        if not isinstance(data, dict):
            raise ValidationError("must be an object")
        return _canonical_keys(data, attributes)

    declared["canonicalise"] = canonicalise
    declared["Meta"] = type("Meta", (), {"unknown": EXCLUDE})
    schema_class = type(f"{name}Schema", (Schema,), declared)
    _cache[key] = schema_class
    return schema_class


def _manager(value):
    """Entra and Okta send the manager as a string id, {value} or [{value}]."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, (str, int)):
        value = {"value": str(value)}
    if isinstance(value, dict):
        lowered = {str(k).lower(): v for k, v in value.items()}
        if lowered.get("value") in (None, ""):
            return None
    return value


def _split_extension(data):
    """Separate the enterprise extension (nested under its URN, or URN-qualified keys) from core data."""
    core, extension = {}, {}
    prefix = ENTERPRISE_SCHEMA.lower()
    for key, value in data.items():
        lowered = key.lower() if isinstance(key, str) else ""
        if lowered == prefix:
            if isinstance(value, dict):
                extension.update(value)
            elif value is not None:
                raise ScimError(400, f"{ENTERPRISE_SCHEMA} must be an object", "invalidValue")
        elif lowered.startswith(prefix + ":"):
            extension[key[len(prefix) + 1:]] = value
        elif lowered.startswith(USER_SCHEMA.lower() + ":"):
            core[key[len(USER_SCHEMA) + 1:]] = value
        else:
            core[key] = value
    return core, extension


def _first_error(messages, prefix=""):
    if isinstance(messages, dict):
        for key, value in messages.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            return _first_error(value, path)
    if isinstance(messages, list) and messages:
        return _first_error(messages[0], prefix)
    return f"{prefix}: {messages}" if prefix else str(messages)


def _external_id(data, resource):
    """externalId is a common attribute (RFC 7643 §3.1), not part of any schema's list."""
    for key, value in data.items():
        if isinstance(key, str) and key.lower() == "externalid" and value not in (None, ""):
            resource["externalId"] = LaxString(validate=_max_length).deserialize(value)


def validate_group(data):
    """A canonical Group resource dict from request data, or ScimError(400)."""
    if not isinstance(data, dict):
        raise ScimError(400, "the request body must be a JSON object", "invalidSyntax")
    members = next((v for k, v in data.items() if isinstance(k, str) and k.lower() == "members"), None)
    if members is not None and not isinstance(members, list):
        members = [members]
    for member in members or ():
        if not isinstance(member, dict):
            raise ScimError(400, "each member must be an object with a value (the member's id)", "invalidValue")
    try:
        resource = _loader(GROUP_SCHEMA, "Group").load(data)
        _external_id(data, resource)
    except ValidationError as error:
        raise ScimError(400, f"invalid attribute {_first_error(error.messages)}", "invalidValue") from None
    if not resource.get("displayName"):
        raise ScimError(400, "displayName is required", "invalidValue")
    for member in resource.get("members", ()):
        check_member(member)
    return resource


def check_member(member):
    """A member entry must name a user: groups do not nest."""
    if not member.get("value"):
        raise ScimError(400, "each member needs a value (the member's id)", "invalidValue")
    if str(member.get("type") or "User").lower() != "user":
        raise ScimError(400, "members must be Users: groups do not nest", "invalidValue")


def validate_user(data):
    """A canonical User resource dict from request data, or ScimError(400 invalidValue)."""
    if not isinstance(data, dict):
        raise ScimError(400, "the request body must be a JSON object", "invalidSyntax")
    core, extension = _split_extension(data)
    try:
        resource = _loader(USER_SCHEMA, "User").load(core)
        _external_id(core, resource)
        if extension:
            extension = {k: v for k, v in extension.items()}
            for key in list(extension):
                if key.lower() == "manager":
                    extension[key] = _manager(extension[key])
            loaded = _loader(ENTERPRISE_SCHEMA, "EnterpriseUser").load(extension)
            if loaded:
                resource[ENTERPRISE_SCHEMA] = loaded
    except ValidationError as error:
        raise ScimError(400, f"invalid attribute {_first_error(error.messages)}", "invalidValue") from None
    if not resource.get("userName"):
        raise ScimError(400, "userName is required", "invalidValue")
    for definition in SCHEMAS[USER_SCHEMA]["attributes"]:
        if definition["multiValued"] and resource.get(definition["name"]):
            _single_primary(resource[definition["name"]])
    return resource


def _single_primary(entries):
    """At most one entry may be primary (RFC 7643 §2.4); as in PATCH, the last one marked wins."""
    marked = [e for e in entries if isinstance(e, dict) and e.get("primary") is True]
    for entry in marked[:-1]:
        entry.pop("primary")
