"""PATCH on Groups: membership operations become row-level domain changes.

A group's members are never loaded to apply a PATCH: add, remove and replace
on `members` turn into models.groups.GroupChange operations on the rows they
name. displayName and externalId go through the generic engine (scim/patch.py)
on a two-attribute document. Dialects accepted on purpose (reference
scim-idp-interop.md §2, §5): op names in any case; members without `type`;
`[{"$ref": null, "value": id}]` (Entra); remove with `members[value eq "id"]`
and with the members named in `value` (Entra); `replace` of members with a
full list or `[]` (Okta "Push now"); a no-path `replace` carrying
`{id, displayName}` (Okta rename; the readOnly id is ignored).
"""
from models.groups import GroupChange

from . import filter_parser as fp
from .errors import ScimError
from .patch import apply as apply_patch
from .schemas import GROUP_SCHEMA, resolve_group
from .validation import check_member, validate_group


def _member_ids(value):
    if value is None:
        return []
    entries = value if isinstance(value, list) else [value]
    ids = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise ScimError(400, "members must be objects with a value (the member's id)", "invalidValue")
        lowered = {str(k).lower(): v for k, v in entry.items()}
        member = {"value": lowered.get("value"), "type": lowered.get("type")}
        check_member(member)
        ids.append(str(member["value"]))
    return ids


def _ids_from_filter(node):
    """members[value eq "a" or value eq "b"] -> ["a", "b"]."""
    if isinstance(node, fp.Comparison) and node.op == "eq" and node.path.attr.lower() == "value":
        return [str(node.value)]
    if isinstance(node, fp.LogicalOr):
        return _ids_from_filter(node.left) + _ids_from_filter(node.right)
    raise ScimError(400, 'a members filter must be value eq "<id>" (several joined by or)', "invalidFilter")


QUALIFIED_MEMBERS = f"{GROUP_SCHEMA}:members".lower()


def _is_members(name):
    """members, also URN-qualified (a no-path value key)."""
    return isinstance(name, str) and name.lower() in ("members", QUALIFIED_MEMBERS)


def _names_members(path):
    """Whether a parsed attribute path is members, bare or under the Group schema's URN."""
    return path.attr.lower() == "members" and (path.urn is None or path.urn.lower() == GROUP_SCHEMA.lower())


def _member_op(op, value):
    if op == "add":
        return ("add", _member_ids(value))
    if op == "replace":
        return ("replace", _member_ids(value))
    # remove: the members named in value (Entra); with no value at all, every member
    # (RFC 7644 §3.5.2.2). An empty list names nobody, so it removes nobody.
    return ("remove", None if value is None or value == {} else _member_ids(value))


def to_change(group, operations):
    """The GroupChange a list of validated PATCH operations makes to group."""
    document = {"displayName": group.display_name}
    if group.external_id:
        document["externalId"] = group.external_id
    attribute_ops, member_ops = [], []
    for operation in operations:
        op, path, value = operation["op"], operation.get("path"), operation.get("value")
        if path in (None, ""):
            if op == "remove":
                raise ScimError(400, "remove needs a path", "noTarget")
            if not isinstance(value, dict):
                raise ScimError(400, f"{op} without a path needs an object value", "invalidValue")
            rest = {k: v for k, v in value.items() if not _is_members(k)}
            for key, item in value.items():
                if _is_members(key):
                    member_ops.append(_member_op(op, item))
            if rest:
                attribute_ops.append({"op": op, "path": None, "value": rest})
            continue
        try:
            parsed = fp.parse_path(path)
        except fp.PathError as error:
            raise ScimError(400, f"invalid path {path!r}: {error}", "invalidPath") from None
        if not _names_members(parsed.path):
            attribute_ops.append(operation)
        elif parsed.path.sub_attr or parsed.sub_attr:
            raise ScimError(400, "members can only be changed as whole entries", "invalidPath")
        elif parsed.filter is not None:
            if op != "remove":
                raise ScimError(400, f"{op} cannot target members[...]; use add on members", "invalidPath")
            member_ops.append(("remove", _ids_from_filter(parsed.filter)))
        else:
            member_ops.append(_member_op(op, value))
    if attribute_ops:
        document = validate_group(apply_patch(document, attribute_ops, schema_resolver=resolve_group))
    return GroupChange(display_name=document.get("displayName"), external_id=document.get("externalId"),
                       set_external_id=True, member_ops=member_ops)
