"""Between the domain and SCIM: User rows <-> SCIM User resources.

The storage mapping follows ZITADEL's SCIM server (reference §8.2): attributes
with a user column use it; every other SCIM attribute is user metadata under
urn:zitadel:scim:<attribute>, JSON-serialised when it is complex or
multi-valued. COLUMNS and the *_METADATA lists below are the one table of that
mapping; filters and sorting use it too. Two attributes are mapped with care:

- externalId belongs to the client that sent it: a caller whose service user
  has the metadata urn:zitadel:scim:provisioningDomain = d keeps it under
  urn:zitadel:scim:d:externalId, so two IdPs provisioning one user each keep
  their own (and each reads, filters and replaces only its own).
- name.formatted and displayName both map to the profile display name,
  displayName winning when both are given. So that a client reads back what
  it wrote, name.formatted is also kept as metadata when displayName took the
  profile, and a marker (displayName unassigned) says when name.formatted did.
"""
import json
import re

import orjson

from models.tables import UserState
from models.users import SCIM_PREFIX, HumanInput

from .schemas import ENTERPRISE_SCHEMA, GROUP_SCHEMA, USER_SCHEMA

# States that read as active: true (reference §8.2)
ACTIVE_STATES = (UserState.ACTIVE, UserState.INITIAL)

# (attribute, sub-attribute) -> domain field with a column
COLUMNS = {
    ("id", None): "id",
    ("userName", None): "username",
    ("name", "givenName"): "first_name",
    ("name", "familyName"): "last_name",
    ("displayName", None): "display_name",
    ("nickName", None): "nick_name",
    ("preferredLanguage", None): "preferred_language",
}
# core attribute (or attribute.sub) kept as plain-text metadata
TEXT_METADATA = ("profileUrl", "title", "userType", "locale", "timezone",
                 "name.middleName", "name.honorificPrefix", "name.honorificSuffix")
EXTERNAL_ID = "externalId"
# metadata attribute of name.formatted when displayName holds the profile display name
FORMATTED = "name.formatted"
# The profile display name is name.formatted's, and SCIM's displayName unassigned.
DISPLAY_NAME_UNASSIGNED = (SCIM_PREFIX + "displayName", b"unassigned")
# core multi-valued attributes kept as JSON metadata
LIST_METADATA = ("emails", "phoneNumbers", "ims", "photos", "addresses", "entitlements", "roles", "x509Certificates")
ENTERPRISE_TEXT = ("employeeNumber", "costCenter", "organization", "division", "department")
# metadata attribute name of an enterprise attribute (under SCIM_PREFIX)
ENTERPRISE_KEY = "enterprise:{}"
# A user always has a state, but SCIM's `active` can be unassigned (never sent, or
# removed by PATCH); this marker keeps it unassigned in SCIM reads while the user stays active.
ACTIVE_UNASSIGNED = (SCIM_PREFIX + "active", b"unassigned")


def external_id_attr(provisioning_domain=None):
    """The metadata attribute name (after urn:zitadel:scim:) of a caller's externalId."""
    return f"{provisioning_domain}:{EXTERNAL_ID}" if provisioning_domain else EXTERNAL_ID


def is_external_id_key(key):
    """Whether a metadata key holds some caller's externalId (its own or another domain's)."""
    return key == SCIM_PREFIX + EXTERNAL_ID or (key.startswith(SCIM_PREFIX) and key.endswith(":" + EXTERNAL_ID))


def metadata_attr(schema_id, attribute, sub_attr=None, provisioning_domain=None):
    """The metadata attribute name (after urn:zitadel:scim:) holding an attribute, or None."""
    if schema_id == ENTERPRISE_SCHEMA:
        return ENTERPRISE_KEY.format(attribute)
    if attribute == EXTERNAL_ID:
        return external_id_attr(provisioning_domain)
    dotted = f"{attribute}.{sub_attr}" if sub_attr else attribute
    if dotted in TEXT_METADATA or attribute in LIST_METADATA:
        return dotted if dotted in TEXT_METADATA else attribute
    return None


def iso(moment):
    # isoformat, three times faster than strftime, writes the same for a naive UTC moment.
    if not moment:
        return None
    if moment.tzinfo is None:
        return moment.isoformat(timespec="microseconds") + "Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def version_of(resource):
    return f'W/"{resource.version}"'


def _loads(raw):
    """The JSON in a metadata value, or None (no value, or not JSON)."""
    if raw is None:
        return None
    if not _LONG_DIGITS.search(raw):
        # json.loads took twice as long, for several values of every user rendered
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass  # what orjson refuses and json reads (NaN, a lone surrogate...)
    try:
        return json.loads(raw)
    except ValueError:
        return None


# orjson reads an integer past 64 bits as a float; json keeps it exact. A run this long
# (inside a string too, which is harmless) sends the value to json.
_LONG_DIGITS = re.compile(rb"[0-9]{19}")


_EMPTY = (None, "", [], {})


def _clean(mapping):
    return {k: v for k, v in mapping.items() if v not in _EMPTY}


# Whole metadata keys, built once: to_scim reads some twenty of them for every user rendered.
_NAME_KEYS = tuple((sub, SCIM_PREFIX + "name." + sub) for sub in ("middleName", "honorificPrefix", "honorificSuffix"))
_TEXT_KEYS = tuple((attr, SCIM_PREFIX + attr) for attr in ("profileUrl", "title", "userType"))
_LOCALE_KEY, _TIMEZONE_KEY, _FORMATTED_KEY = (SCIM_PREFIX + attr for attr in ("locale", "timezone", FORMATTED))
_LIST_KEYS = tuple((attr, SCIM_PREFIX + attr) for attr in LIST_METADATA)
_ENTERPRISE_KEYS = tuple((attr, SCIM_PREFIX + ENTERPRISE_KEY.format(attr)) for attr in ENTERPRISE_TEXT)
_MANAGER_KEY = SCIM_PREFIX + ENTERPRISE_KEY.format("manager")


# The user fields to_scim reads, and groups_sequence (which tells groups_of_users whether to look):
# a listing reads only these, not the other columns (the password hash among them) it would drop.
RENDERED_FIELDS = ("id", "username", "state", "created_at", "changed_at", "sequence", "groups_sequence",
                   "first_name", "last_name", "nick_name", "display_name", "preferred_language", "email", "phone")


def to_scim(user, metadata, users_url, manager_names=None, groups=(), groups_url=None, provisioning_domain=None):
    """The full SCIM representation of a human user (before attribute projection).

    groups: [(group id, displayName)] of the user's memberships; provisioning_domain:
    the caller's, which selects the externalId it reads.
    """
    get = metadata.get

    def text(key):
        raw = get(key)
        return raw.decode("utf-8") if raw is not None else None

    formatted_is_display = get(DISPLAY_NAME_UNASSIGNED[0]) == DISPLAY_NAME_UNASSIGNED[1]
    name = {
        "formatted": user.display_name if formatted_is_display else text(_FORMATTED_KEY),
        "familyName": user.last_name,
        "givenName": user.first_name,
    }
    for sub, key in _NAME_KEYS:
        name[sub] = text(key)
    resource = {
        "schemas": [USER_SCHEMA],
        "id": user.id,
        "externalId": text(SCIM_PREFIX + external_id_attr(provisioning_domain)),
        "userName": user.username,
        "name": _clean(name),
        "displayName": None if formatted_is_display else user.display_name,
        "nickName": user.nick_name,
    }
    for attr, key in _TEXT_KEYS:
        resource[attr] = text(key)
    resource["preferredLanguage"] = user.preferred_language
    resource["locale"] = text(_LOCALE_KEY)
    resource["timezone"] = text(_TIMEZONE_KEY)
    for attr, key in _LIST_KEYS:
        resource[attr] = _loads(get(key))
    resource["groups"] = [{"value": gid, "$ref": f"{groups_url}/{gid}", "display": name, "type": "direct"}
                          for gid, name in groups]
    # Users created through the management API have one address and no SCIM list.
    if not resource["emails"] and user.email:
        resource["emails"] = [{"value": user.email, "primary": True}]
    if not resource["phoneNumbers"] and user.phone:
        resource["phoneNumbers"] = [{"value": user.phone, "primary": True}]
    enterprise = {attr: value for attr, key in _ENTERPRISE_KEYS if (value := text(key))}
    manager_id = _manager_id(metadata)
    if manager_id:
        enterprise["manager"] = _clean({
            "value": manager_id,
            "$ref": f"{users_url}/{manager_id}",
            "displayName": (manager_names or {}).get(manager_id),
        })
    resource = _clean(resource)
    if get(ACTIVE_UNASSIGNED[0]) != ACTIVE_UNASSIGNED[1] or user.state not in ACTIVE_STATES:
        resource["active"] = user.state in ACTIVE_STATES
    if enterprise:
        resource["schemas"] = [USER_SCHEMA, ENTERPRISE_SCHEMA]
        resource[ENTERPRISE_SCHEMA] = enterprise
    resource["meta"] = {
        "resourceType": "User",
        "created": iso(user.created_at),
        "lastModified": iso(user.changed_at),
        "location": f"{users_url}/{user.id}",
        "version": version_of(user),
    }
    return resource


def group_to_scim(group, members, groups_url, users_url):
    """The SCIM representation of a group; members None leaves them out (not loaded)."""
    resource = {"schemas": [GROUP_SCHEMA], "id": group.id}
    if group.external_id:
        resource["externalId"] = group.external_id
    resource["displayName"] = group.display_name
    if members:
        resource["members"] = [{"value": uid, "$ref": f"{users_url}/{uid}", "display": display, "type": "User"}
                               for uid, display in members]
    resource["meta"] = {
        "resourceType": "Group",
        "created": iso(group.created_at),
        "lastModified": iso(group.changed_at),
        "location": f"{groups_url}/{group.id}",
        "version": version_of(group),
    }
    return resource


def manager_ids(metadata_by_user):
    ids = set()
    for metadata in metadata_by_user.values():
        manager_id = _manager_id(metadata)
        if manager_id:
            ids.add(manager_id)
    return ids


def _manager_id(metadata):
    manager = _loads(metadata.get(_MANAGER_KEY))
    return manager.get("value") if isinstance(manager, dict) else None


def _primary_value(entries):
    if not entries:
        return None
    chosen = next((e for e in entries if e.get("primary") is True), entries[0])
    return chosen.get("value")


def _encode(value):
    if isinstance(value, str):
        return value.encode("utf-8")
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def from_scim(resource, *, email_verified=True, phone_verified=True, unassign_missing_active=False,
              provisioning_domain=None):
    """A HumanInput from a validated, canonical SCIM User resource.

    A missing `active` means true on POST and PUT; after a PATCH (whose document
    always carries `active` unless an operation removed it) it means unassigned.
    provisioning_domain is the caller's: it scopes the externalId key.
    """
    name = resource.get("name") or {}
    metadata = {}
    if resource.get(EXTERNAL_ID) not in (None, ""):
        metadata[SCIM_PREFIX + external_id_attr(provisioning_domain)] = _encode(resource[EXTERNAL_ID])
    display_name, formatted = resource.get("displayName") or None, name.get("formatted") or None
    if display_name and formatted:
        metadata[SCIM_PREFIX + FORMATTED] = _encode(formatted)
    elif formatted:
        display_name = formatted
        metadata[DISPLAY_NAME_UNASSIGNED[0]] = DISPLAY_NAME_UNASSIGNED[1]
    for attr in TEXT_METADATA:
        head, _, sub = attr.partition(".")
        value = (resource.get(head) or {}).get(sub) if sub else resource.get(head)
        if value not in (None, ""):
            metadata[SCIM_PREFIX + attr] = _encode(value)
    for attr in LIST_METADATA:
        if resource.get(attr):
            metadata[SCIM_PREFIX + attr] = _encode(resource[attr])
    enterprise = resource.get(ENTERPRISE_SCHEMA) or {}
    for attr in ENTERPRISE_TEXT:
        if enterprise.get(attr) not in (None, ""):
            metadata[SCIM_PREFIX + ENTERPRISE_KEY.format(attr)] = _encode(enterprise[attr])
    manager = enterprise.get("manager") or {}
    if manager.get("value"):
        metadata[SCIM_PREFIX + ENTERPRISE_KEY.format("manager")] = _encode({"value": manager["value"]})
    if unassign_missing_active and "active" not in resource:
        metadata[ACTIVE_UNASSIGNED[0]] = ACTIVE_UNASSIGNED[1]
    email = _primary_value(resource.get("emails"))
    phone = _primary_value(resource.get("phoneNumbers"))
    return HumanInput(
        username=resource["userName"],
        first_name=name.get("givenName"),
        last_name=name.get("familyName"),
        nick_name=resource.get("nickName"),
        display_name=display_name,
        preferred_language=resource.get("preferredLanguage"),
        email=email,
        email_verified=email_verified,
        phone=phone,
        phone_verified=phone_verified,
        password=resource.get("password"),
        active=resource.get("active", True) is not False,
        metadata=metadata,
    )
