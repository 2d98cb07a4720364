"""SCIM schema definitions (RFC 7643 §4, §7): the one description of what we support.

These definitions are served at /Schemas and drive input validation
(scim/validation.py), filter and path resolution (scim/filters.py) and
attribute projection (scim/projection.py).
"""
import functools

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SEARCH_REQUEST = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
SPC_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
RESOURCE_TYPE_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SCHEMA_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"
# ZITADEL's switch for Okta's random passwords (issue #10009), accepted as a
# boolean attribute of our own extension on create.
ZITADEL_IGNORE_PASSWORD = "urn:zitadel:scim:ignorePasswordOnCreate"


def attr(name, type="string", *, multi=False, required=False, case_exact=False, mutability="readWrite",
         returned="default", uniqueness="none", sub=None, canonical=None, ref_types=None, description=""):
    definition = {
        "name": name,
        "type": type,
        "multiValued": multi,
        "description": description or name,
        "required": required,
        "caseExact": case_exact,
        "mutability": mutability,
        "returned": returned,
        "uniqueness": uniqueness,
    }
    if sub is not None:
        definition["subAttributes"] = sub
    if canonical:
        definition["canonicalValues"] = canonical
    if ref_types:
        definition["referenceTypes"] = ref_types
    return definition


def _multi(name, *, value_type="string", types=(), ref_types=None, description=""):
    """The usual shape of a multi-valued attribute: value, display, type, primary."""
    return attr(name, "complex", multi=True, description=description, sub=[
        attr("value", value_type, ref_types=ref_types, description=f"Value of the {name} entry"),
        attr("display", description="A human-readable name, primarily used for display purposes"),
        attr("type", canonical=list(types) or None, description=f"A label indicating the {name} entry's function"),
        attr("primary", "boolean", description="Indicates the preferred entry; at most one per attribute"),
    ])


USER_ATTRIBUTES = [
    attr("userName", required=True, uniqueness="server",
         description="Unique identifier for the User, used to sign in; compared case-insensitively"),
    attr("name", "complex", description="The components of the user's real name", sub=[
        attr("formatted", description="The full name, formatted for display"),
        attr("familyName", description="The family name of the User"),
        attr("givenName", description="The given name of the User"),
        attr("middleName", description="The middle name(s) of the User"),
        attr("honorificPrefix", description="The honorific prefix(es) of the User"),
        attr("honorificSuffix", description="The honorific suffix(es) of the User"),
    ]),
    attr("displayName", description="The name of the User, suitable for display to end-users"),
    attr("nickName", description="The casual way to address the user"),
    attr("profileUrl", "reference", ref_types=["external"], description="A URI of the User's online profile"),
    attr("title", description="The user's title, such as \"Vice President\""),
    attr("userType", description="Used to identify the relationship between the organization and the user"),
    attr("preferredLanguage", description="The User's preferred written or spoken language (RFC 7231)"),
    attr("locale", description="The User's default location for localizing values"),
    attr("timezone", description="The User's time zone in IANA Time Zone database format"),
    attr("active", "boolean", description="The User's administrative status; false deactivates the User"),
    attr("password", mutability="writeOnly", returned="never",
         description="The User's cleartext password, write-only; stored only as a hash"),
    _multi("emails", types=("work", "home", "other"), description="Email addresses for the user"),
    _multi("phoneNumbers", types=("work", "home", "mobile", "fax", "pager", "other"),
           description="Phone numbers for the User"),
    _multi("ims", types=("aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"),
           description="Instant messaging addresses for the User"),
    _multi("photos", value_type="reference", types=("photo", "thumbnail"), ref_types=["external"],
           description="URLs of photos of the User"),
    attr("addresses", "complex", multi=True, description="A physical mailing address for this User", sub=[
        attr("formatted", description="The full mailing address, formatted for display"),
        attr("streetAddress", description="The full street address component"),
        attr("locality", description="The city or locality component"),
        attr("region", description="The state or region component"),
        attr("postalCode", description="The zip code or postal code component"),
        attr("country", description="The country name component"),
        attr("type", canonical=["work", "home", "other"], description="A label indicating the address' function"),
        attr("primary", "boolean", description="Indicates the preferred mailing address"),
    ]),
    attr("groups", "complex", multi=True, mutability="readOnly",
         description="The groups the User belongs to; changed through /Groups only", sub=[
             attr("value", case_exact=True, mutability="readOnly", description="The id of the Group"),
             attr("$ref", "reference", mutability="readOnly", ref_types=["Group"], description="The URI of the Group"),
             attr("display", mutability="readOnly", description="The displayName of the Group"),
             attr("type", mutability="readOnly", canonical=["direct"],
                  description="Always direct: groups do not nest"),
         ]),
    _multi("entitlements", description="A list of entitlements for the User"),
    _multi("roles", description="A list of roles for the User"),
    _multi("x509Certificates", value_type="binary", description="A list of certificates issued to the User"),
]

ENTERPRISE_ATTRIBUTES = [
    attr("employeeNumber", description="Numeric or alphanumeric identifier assigned to a person"),
    attr("costCenter", description="Identifies the name of a cost center"),
    attr("organization", description="Identifies the name of an organization"),
    attr("division", description="Identifies the name of a division"),
    attr("department", description="Identifies the name of a department"),
    attr("manager", "complex", description="The User's manager", sub=[
        attr("value", case_exact=True, description="The id of the SCIM resource representing the User's manager"),
        attr("$ref", "reference", ref_types=["User"], description="The URI of the SCIM resource of the manager"),
        attr("displayName", mutability="readOnly", returned="request",
             description="The displayName of the User's manager, returned when requested by attributes"),
    ]),
]

GROUP_ATTRIBUTES = [
    attr("displayName", required=True, uniqueness="server",
         description="A human-readable name for the Group, unique in the organisation (case-insensitively)"),
    attr("members", "complex", multi=True, description="The members of the Group: Users only (no nesting)", sub=[
        attr("value", case_exact=True, mutability="immutable", description="The id of the member User"),
        attr("$ref", "reference", mutability="immutable", ref_types=["User"], description="The URI of the member"),
        attr("display", mutability="readOnly", returned="request",
             description="The displayName (else userName) of the member, returned when members are requested"),
        attr("type", mutability="immutable", canonical=["User"], description="Always User"),
    ]),
]

# Attributes every resource has (RFC 7643 §3.1); not listed in /Schemas.
COMMON_ATTRIBUTES = [
    attr("id", case_exact=True, mutability="readOnly", returned="always", uniqueness="server"),
    attr("externalId", case_exact=True, description="Identifier of the resource as defined by the provisioning client"),
    attr("meta", "complex", mutability="readOnly", sub=[
        attr("resourceType", case_exact=True, mutability="readOnly"),
        attr("created", "dateTime", mutability="readOnly"),
        attr("lastModified", "dateTime", mutability="readOnly"),
        attr("location", "reference", mutability="readOnly", ref_types=["uri"]),
        attr("version", case_exact=True, mutability="readOnly"),
    ]),
]

SCHEMAS = {
    USER_SCHEMA: {"id": USER_SCHEMA, "name": "User", "description": "User Account", "attributes": USER_ATTRIBUTES},
    ENTERPRISE_SCHEMA: {"id": ENTERPRISE_SCHEMA, "name": "EnterpriseUser", "description": "Enterprise User",
                        "attributes": ENTERPRISE_ATTRIBUTES},
    GROUP_SCHEMA: {"id": GROUP_SCHEMA, "name": "Group", "description": "Group", "attributes": GROUP_ATTRIBUTES},
}

RESOURCE_TYPES = {
    "User": {
        "id": "User", "name": "User", "endpoint": "/Users", "description": "User Account",
        "schema": USER_SCHEMA, "schemaExtensions": [{"schema": ENTERPRISE_SCHEMA, "required": False}],
    },
    "Group": {
        "id": "Group", "name": "Group", "endpoint": "/Groups", "description": "Group",
        "schema": GROUP_SCHEMA, "schemaExtensions": [],
    },
}


def find(attributes, name):
    """The definition named name (case-insensitive) in a list of attribute definitions, or None."""
    lowered = name.lower()
    for definition in attributes:
        if definition["name"].lower() == lowered:
            return definition
    return None


# Paths come from clients' filters: bounded. Every filter of a sync resolves the same few.
@functools.lru_cache(maxsize=1024)
def resolve(urn, name, sub_attr=None, *, core=USER_SCHEMA, extensions=(ENTERPRISE_SCHEMA,)):
    """Resolve an attribute path to (schema urn, attribute definition, sub-attribute definition or None).

    Returns None when the path names nothing we support. The definitions are the schemas'
    own (shared, never to be changed by a caller).
    """
    if urn is not None:
        schema_id = next((s for s in (core, *extensions) if s.lower() == urn.lower()), None)
        if schema_id is None:
            return None
        candidates = [(schema_id, SCHEMAS[schema_id]["attributes"])]
        if schema_id == core:
            candidates.append((core, COMMON_ATTRIBUTES))
    else:
        # Extension attributes are found without their URN too (Entra sends "manager"),
        # after the core ones; no extension name clashes with a core name.
        candidates = [(core, SCHEMAS[core]["attributes"]), (core, COMMON_ATTRIBUTES)]
        candidates += [(ext, SCHEMAS[ext]["attributes"]) for ext in extensions]
    for schema_id, attributes in candidates:
        definition = find(attributes, name)
        if definition is None:
            continue
        if sub_attr is None:
            return schema_id, definition, None
        sub = find(definition.get("subAttributes", ()), sub_attr)
        return (schema_id, definition, sub) if sub is not None else None
    return None


def resolve_group(urn, name, sub_attr=None):
    """resolve() for Group attributes (no extensions)."""
    return resolve(urn, name, sub_attr, core=GROUP_SCHEMA, extensions=())
