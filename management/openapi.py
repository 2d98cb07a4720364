"""The OpenAPI 3 document of the management API, generated from the routing table and the marshmallow
schemas that validate the requests (apispec), served at /openapi.json with a docs page at /docs.

Request bodies and query parameters are the request schemas themselves, so the document cannot
drift from what the server accepts. Responses are described by the error shape every route shares
and a generic JSON object (the serializer, wire.py, builds them from domain rows).
"""
import re
from pathlib import Path

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import jsonify, send_file

from . import humans, logins, machines, metadata, orgs, policies, schemas, users
from .fields import Bytes, Enum, Timestamp, Uint32, Uint64

DOCS_PAGE = Path(__file__).with_name("docs.html")

# view -> (ZITADEL RPC name, request schema or None, where the request travels: "body" or "query")
OPERATIONS = {
    users.get_by_id: ("GetUserByID", None, None),
    users.get_by_login_name_global: ("GetUserByLoginNameGlobal", schemas.GetUserByLoginNameGlobalRequest, "query"),
    users.search: ("ListUsers", schemas.ListUsersRequest, "body"),
    users.changes: ("ListUserChanges", schemas.ListUserChangesRequest, "body"),
    users.is_unique: ("IsUserUnique", schemas.IsUserUniqueRequest, "query"),
    users.add_human: ("AddHumanUser", schemas.AddHumanUserRequest, "body"),
    users.import_human: ("ImportHumanUser", schemas.ImportHumanUserRequest, "body"),
    users.add_machine_user: ("AddMachineUser", schemas.AddMachineUserRequest, "body"),
    users.deactivate: ("DeactivateUser", None, None),
    users.reactivate: ("ReactivateUser", None, None),
    users.lock: ("LockUser", None, None),
    users.unlock: ("UnlockUser", None, None),
    users.remove: ("RemoveUser", None, None),
    users.rename: ("UpdateUserName", schemas.UpdateUserNameRequest, "body"),
    metadata.set_one: ("SetUserMetadata", schemas.SetUserMetadataRequest, "body"),
    metadata.set_bulk: ("BulkSetUserMetadata", schemas.BulkSetUserMetadataRequest, "body"),
    metadata.search: ("ListUserMetadata", schemas.ListUserMetadataRequest, "body"),
    metadata.get_one: ("GetUserMetadata", None, None),
    metadata.remove_one: ("RemoveUserMetadata", None, None),
    metadata.remove_bulk: ("BulkRemoveUserMetadata", schemas.BulkRemoveUserMetadataRequest, "body"),
    humans.get_profile: ("GetHumanProfile", None, None),
    humans.update_profile: ("UpdateHumanProfile", schemas.UpdateHumanProfileRequest, "body"),
    humans.get_email: ("GetHumanEmail", None, None),
    humans.update_email: ("UpdateHumanEmail", schemas.UpdateHumanEmailRequest, "body"),
    humans.resend_initialization: ("ResendHumanInitialization", schemas.ResendHumanInitializationRequest, "body"),
    humans.resend_email_verification: ("ResendHumanEmailVerification", None, None),
    humans.get_phone: ("GetHumanPhone", None, None),
    humans.update_phone: ("UpdateHumanPhone", schemas.UpdateHumanPhoneRequest, "body"),
    humans.remove_phone: ("RemoveHumanPhone", None, None),
    humans.resend_phone_verification: ("ResendHumanPhoneVerification", None, None),
    humans.remove_avatar: ("RemoveHumanAvatar", None, None),
    humans.set_initial_password: ("SetHumanInitialPassword", schemas.SetHumanInitialPasswordRequest, "body"),
    humans.set_password: ("SetHumanPassword", schemas.SetHumanPasswordRequest, "body"),
    humans.reset_password: ("SendHumanResetPasswordNotification", schemas.SendHumanResetPasswordNotificationRequest,
                            "body"),
    logins.list_auth_factors: ("ListHumanAuthFactors", None, None),
    logins.remove_otp: ("RemoveHumanAuthFactorOTP", None, None),
    logins.remove_u2f: ("RemoveHumanAuthFactorU2F", None, None),
    logins.remove_otp_sms: ("RemoveHumanAuthFactorOTPSMS", None, None),
    logins.remove_otp_email: ("RemoveHumanAuthFactorOTPEmail", None, None),
    logins.list_passwordless: ("ListHumanPasswordless", None, None),
    logins.add_passwordless_link: ("AddPasswordlessRegistration", None, None),
    logins.send_passwordless_link: ("SendPasswordlessRegistration", None, None),
    logins.remove_passwordless: ("RemoveHumanPasswordless", None, None),
    logins.list_idp_links: ("ListHumanLinkedIDPs", schemas.ListHumanLinkedIDPsRequest, "body"),
    logins.remove_idp_link: ("RemoveHumanLinkedIDP", None, None),
    logins.import_totp: ("ImportHumanTOTP", schemas.ImportHumanTOTPRequest, "body"),
    logins.enable_otp_sms: ("EnableHumanOTPSMS", None, None),
    logins.enable_otp_email: ("EnableHumanOTPEmail", None, None),
    orgs.list_memberships: ("ListUserMemberships", schemas.ListUserMembershipsRequest, "body"),
    orgs.get_my_org: ("GetMyOrg", None, None),
    orgs.add_org: ("AddOrg", schemas.AddOrgRequest, "body"),
    orgs.add_member: ("AddOrgMember", schemas.AddOrgMemberRequest, "body"),
    orgs.list_members: ("ListOrgMembers", schemas.ListOrgMembersRequest, "body"),
    orgs.update_member: ("UpdateOrgMember", schemas.UpdateOrgMemberRequest, "body"),
    orgs.remove_member: ("RemoveOrgMember", None, None),
    policies.get_policy: ("GetPasswordComplexityPolicy", None, None),
    policies.get_default_policy: ("GetDefaultPasswordComplexityPolicy", None, None),
    policies.add_policy: ("AddCustomPasswordComplexityPolicy", schemas.AddCustomPasswordComplexityPolicyRequest,
                          "body"),
    policies.update_policy: ("UpdateCustomPasswordComplexityPolicy",
                             schemas.UpdateCustomPasswordComplexityPolicyRequest, "body"),
    policies.reset_policy: ("ResetPasswordComplexityPolicyToDefault", None, None),
    machines.update_machine: ("UpdateMachine", machines.UpdateMachineRequest, "body"),
    machines.generate_secret: ("GenerateMachineSecret", None, None),
    machines.remove_secret: ("RemoveMachineSecret", None, None),
    machines.get_key: ("GetMachineKeyByIDs", None, None),
    machines.list_keys: ("ListMachineKeys", machines.ListRequest, "body"),
    machines.add_key: ("AddMachineKey", machines.AddMachineKeyRequest, "body"),
    machines.remove_key: ("RemoveMachineKey", None, None),
    machines.get_pat: ("GetPersonalAccessTokenByIDs", None, None),
    machines.list_pats: ("ListPersonalAccessTokens", machines.ListRequest, "body"),
    machines.add_pat: ("AddPersonalAccessToken", machines.AddPersonalAccessTokenRequest, "body"),
    machines.remove_pat: ("RemovePersonalAccessToken", None, None),
}

ERROR_STATUSES = {"400": "Invalid argument (code 3) or failed precondition (code 9)",
                  "401": "No or invalid bearer token (code 16)", "403": "Permission denied (code 7)",
                  "404": "Not found (code 5)", "409": "Already exists (code 6)",
                  "503": "The database is unavailable (code 14)"}
STATUS_SCHEMA = {
    "type": "object", "required": ["code", "message"],
    "properties": {
        "code": {"type": "integer", "description": "gRPC status code"},
        "message": {"type": "string", "description": "English text and, in parentheses, ZITADEL's error id"},
        "details": {"type": "array", "items": {"type": "object", "properties": {
            "@type": {"type": "string", "enum": ["type.googleapis.com/zitadel.v1.ErrorDetail"]},
            "id": {"type": "string"}, "message": {"type": "string"}}}},
    },
}


def _enum_property(self, field, **kwargs):
    """Proto enums travel by name (their numbers are accepted too)."""
    if isinstance(field, Enum):
        return {"type": "string", "enum": list(field.names.values())}
    return {}


def _openapi_path(rule):
    """`/users/<user_id>/metadata/<path:key>` -> `/users/{userId}/metadata/{key}`."""
    def name(match):
        head, *rest = match.group(1).split(":")[-1].split("_")
        return "{" + head + "".join(part.title() for part in rest) + "}"
    return re.sub(r"<([^>]+)>", name, rule)


def _parameters(path):
    return [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in re.findall(r"{([^}]+)}", path)]


def build(prefix, routes, extension_routes):
    spec = APISpec(title="Gateway Management API (ZITADEL v1 compatible)", version="1", openapi_version="3.0.3",
                   plugins=[MarshmallowPlugin()],
                   info={"description": "ZITADEL Management API v1 user endpoints on the gateway's users. "
                                        "Operations marked x-extension are not ZITADEL's."})
    plugin = spec.plugins[0]
    plugin.map_to_openapi_type(Uint64, "string", "uint64")
    plugin.map_to_openapi_type(Uint32, "integer", "int32")
    plugin.map_to_openapi_type(Bytes, "string", "byte")
    plugin.map_to_openapi_type(Timestamp, "string", "date-time")
    plugin.converter.add_attribute_function(_enum_property)
    spec.components.schema("Status", STATUS_SCHEMA)
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer",
                                               "description": "A personal access token"})
    extensions = {id(view) for _, _, view in extension_routes}
    paths = {}
    for rule, method, view in [*routes, *extension_routes]:
        rpc, request_schema, where = OPERATIONS[view]
        path = prefix + _openapi_path(rule)
        operation = {
            "operationId": rpc, "summary": rpc, "security": [{"bearer": []}],
            "parameters": _parameters(path),
            "responses": {"200": {"description": "Success", "content": {"application/json": {
                "schema": {"type": "object"}}}},
                **{status: {"description": text, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Status"}}}} for status, text in ERROR_STATUSES.items()}},
        }
        if where == "body":
            operation["requestBody"] = {"content": {"application/json": {"schema": request_schema}}}
        elif where == "query":
            operation["parameters"] += [{"in": "query", "schema": request_schema}]
        if id(view) in extensions:
            operation["x-extension"] = True
        paths.setdefault(path, {})[method.lower()] = operation
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def register(app, prefix, routes, extension_routes):
    """Serve the document at /openapi.json and the docs page at /docs (no token needed, like discovery)."""
    def document():
        cached = app.extensions.get("management_openapi")
        if cached is None:
            cached = app.extensions["management_openapi"] = build(prefix, routes, extension_routes)
        return jsonify(cached)

    app.add_url_rule("/openapi.json", endpoint="management_openapi", view_func=document)
    app.add_url_rule("/docs", endpoint="management_docs", view_func=lambda: send_file(DOCS_PAGE,
                                                                                       mimetype="text/html"))
