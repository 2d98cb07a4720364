"""Request messages of the management API as marshmallow schemas.

They validate every request and are the source of the OpenAPI document, so
they stay declarative: one class per protobuf message, named as in ZITADEL's
protos (`proto` is the Go name used in validation errors).
"""
from marshmallow import ValidationError, fields, validates_schema

from . import wire
from .fields import Bool, Bytes, Enum, LanguageTag, Text, Uint32, Uint64, check_bytes_length
from .messages import Message

TEXT_METHODS = {
    0: "TEXT_QUERY_METHOD_EQUALS", 1: "TEXT_QUERY_METHOD_EQUALS_IGNORE_CASE",
    2: "TEXT_QUERY_METHOD_STARTS_WITH", 3: "TEXT_QUERY_METHOD_STARTS_WITH_IGNORE_CASE",
    4: "TEXT_QUERY_METHOD_CONTAINS", 5: "TEXT_QUERY_METHOD_CONTAINS_IGNORE_CASE",
    6: "TEXT_QUERY_METHOD_ENDS_WITH", 7: "TEXT_QUERY_METHOD_ENDS_WITH_IGNORE_CASE",
}
USER_FIELD_NAMES = {
    0: "USER_FIELD_NAME_UNSPECIFIED", 1: "USER_FIELD_NAME_USER_NAME", 2: "USER_FIELD_NAME_FIRST_NAME",
    3: "USER_FIELD_NAME_LAST_NAME", 4: "USER_FIELD_NAME_NICK_NAME", 5: "USER_FIELD_NAME_DISPLAY_NAME",
    6: "USER_FIELD_NAME_EMAIL", 7: "USER_FIELD_NAME_STATE", 8: "USER_FIELD_NAME_TYPE",
    9: "USER_FIELD_NAME_CREATION_DATE",
}
PHONE_PREFIX = 'value does not have prefix "+"'
METADATA_VALUE_RULE = check_bytes_length(1, 500_000)
METADATA_VALUE_REQUIRED = "value length must be between 1 and 500000 bytes, inclusive"


def _phone_prefix(value):
    if not value.startswith("+"):
        raise ValidationError(PHONE_PREFIX)


class ListQuery(Message):
    proto = "ListQuery"
    offset = Uint64()
    limit = Uint32()
    asc = Bool()


# ---- user search (§4.6) ---------------------------------------------------------------

class TextQuery(Message):
    """A text condition: its value field comes from the subclass; method defaults to EQUALS."""

    method = Enum(TEXT_METHODS)


class UserNameQuery(TextQuery):
    proto = "UserNameQuery"
    user_name = Text(0, 200)


class FirstNameQuery(TextQuery):
    proto = "FirstNameQuery"
    first_name = Text(0, 200)


class LastNameQuery(TextQuery):
    proto = "LastNameQuery"
    last_name = Text(0, 200)


class NickNameQuery(TextQuery):
    proto = "NickNameQuery"
    nick_name = Text(0, 200)


class DisplayNameQuery(TextQuery):
    proto = "DisplayNameQuery"
    display_name = Text(0, 200)


class EmailQuery(TextQuery):
    proto = "EmailQuery"
    email_address = Text(0, 200)


class LoginNameQuery(TextQuery):
    proto = "LoginNameQuery"
    login_name = Text(0, 200)


class StateQuery(Message):
    proto = "StateQuery"
    state = Enum(wire.USER_STATES)


class TypeQuery(Message):
    proto = "TypeQuery"
    type = Enum(wire.USER_TYPES)


class InUserIDQuery(Message):
    proto = "InUserIDQuery"
    user_ids = fields.List(Text(0, 200))


class InUserEmailsQuery(Message):
    proto = "InUserEmailsQuery"
    user_emails = fields.List(Text(0, 200))


class MetadataKeyQuery(TextQuery):
    """Extension (not in ZITADEL v1; asked for in ZITADEL #9053): users having a metadata key."""

    proto = "MetadataKeyQuery"
    key = Text(0, 200)


class MetadataValueQuery(Message):
    """Extension: users having a metadata entry with exactly this value (under `key` when given)."""

    proto = "MetadataValueQuery"
    value = Bytes(required=True, validate=METADATA_VALUE_RULE,
                  error_messages={"required": METADATA_VALUE_REQUIRED})
    key = Text(0, 200)


class OrQuery(Message):
    proto = "OrQuery"
    queries = fields.List(fields.Nested(lambda: SearchQuery()))


class AndQuery(Message):
    proto = "AndQuery"
    queries = fields.List(fields.Nested(lambda: SearchQuery()))


class NotQuery(Message):
    proto = "NotQuery"
    query = fields.Nested(lambda: SearchQuery(), required=True, error_messages={"required": "value is required"})


def exactly_one(message, data):
    """A protobuf oneof: exactly one member set."""
    if len(data) > 1:
        raise ValidationError(f"proto: oneof {message}.query is already set")
    if not data:
        raise ValidationError(f"invalid {message}.Query: value is required")


class SearchQuery(Message):
    proto = "SearchQuery"
    user_name_query = fields.Nested(UserNameQuery)
    first_name_query = fields.Nested(FirstNameQuery)
    last_name_query = fields.Nested(LastNameQuery)
    nick_name_query = fields.Nested(NickNameQuery)
    display_name_query = fields.Nested(DisplayNameQuery)
    email_query = fields.Nested(EmailQuery)
    state_query = fields.Nested(StateQuery)
    type_query = fields.Nested(TypeQuery)
    login_name_query = fields.Nested(LoginNameQuery)
    in_user_ids_query = fields.Nested(InUserIDQuery)
    in_user_emails_query = fields.Nested(InUserEmailsQuery)
    or_query = fields.Nested(OrQuery)
    and_query = fields.Nested(AndQuery)
    not_query = fields.Nested(NotQuery)
    metadata_key_query = fields.Nested(MetadataKeyQuery, metadata={"x-extension": True})
    metadata_value_query = fields.Nested(MetadataValueQuery, metadata={"x-extension": True})

    @validates_schema
    def one_member(self, data, **kwargs):
        exactly_one("zitadel.user.v1.SearchQuery", data)


class ListUsersRequest(Message):
    proto = "ListUsersRequest"
    query = fields.Nested(ListQuery)
    sorting_column = Enum(USER_FIELD_NAMES)
    queries = fields.List(fields.Nested(SearchQuery))


# ---- reads ------------------------------------------------------------------------------

class GetUserByLoginNameGlobalRequest(Message):
    proto = "GetUserByLoginNameGlobalRequest"
    login_name = Text(1, 200)


class ChangeQuery(Message):
    proto = "ChangeQuery"
    sequence = Uint64()
    limit = Uint32()
    asc = Bool()


class ListUserChangesRequest(Message):
    proto = "ListUserChangesRequest"
    query = fields.Nested(ChangeQuery)


class IsUserUniqueRequest(Message):
    proto = "IsUserUniqueRequest"
    user_name = Text(0, 200)
    email = Text(0, 200)


# ---- create -----------------------------------------------------------------------------

class HumanProfile(Message):
    proto = "AddHumanUserRequest_Profile"
    first_name = Text(1, 200)
    last_name = Text(1, 200)
    nick_name = Text(0, 200)
    display_name = Text(0, 200)
    preferred_language = LanguageTag(0, 10)
    gender = Enum(wire.GENDERS)


class HumanEmail(Message):
    proto = "AddHumanUserRequest_Email"
    email = Text(1, 200)
    is_email_verified = Bool()


class HumanPhone(Message):
    proto = "AddHumanUserRequest_Phone"
    phone = Text(1, 50, validate=_phone_prefix)
    is_phone_verified = Bool()


class AddHumanUserRequest(Message):
    proto = "AddHumanUserRequest"
    user_name = Text(1, 200)
    profile = fields.Nested(HumanProfile, required=True, error_messages={"required": "value is required"})
    email = fields.Nested(HumanEmail, required=True, error_messages={"required": "value is required"})
    phone = fields.Nested(HumanPhone)
    initial_password = Text(0, 200)


class ImportProfile(HumanProfile):
    proto = "ImportHumanUserRequest_Profile"


class ImportEmail(HumanEmail):
    proto = "ImportHumanUserRequest_Email"


class ImportPhone(HumanPhone):
    proto = "ImportHumanUserRequest_Phone"


class HashedPassword(Message):
    proto = "ImportHumanUserRequest_HashedPassword"
    value = Text(1, 1000)


class ImportIDP(Message):
    proto = "ImportHumanUserRequest_IDP"
    config_id = Text(1, 200)
    external_user_id = Text(1, 200)
    display_name = Text(0, 200)


class ImportHumanUserRequest(Message):
    proto = "ImportHumanUserRequest"
    user_name = Text(1, 200)
    profile = fields.Nested(ImportProfile, required=True, error_messages={"required": "value is required"})
    email = fields.Nested(ImportEmail, required=True, error_messages={"required": "value is required"})
    phone = fields.Nested(ImportPhone)
    password = Text(0, 200)
    hashed_password = fields.Nested(HashedPassword)
    password_change_required = Bool()
    request_passwordless_registration = Bool()
    # Accepted and ignored, as ZITADEL's v1 handler ignores it.
    otp_code = Text(0, 200)
    idps = fields.List(fields.Nested(ImportIDP))


class AddMachineUserRequest(Message):
    proto = "AddMachineUserRequest"
    user_name = Text(1, 200)
    name = Text(1, 200)
    description = Text(0, 500)
    access_token_type = Enum(wire.ACCESS_TOKEN_TYPES)
    user_id = Text(0, 200)


class UpdateUserNameRequest(Message):
    proto = "UpdateUserNameRequest"
    user_name = Text(1, 200)


# ---- metadata (§6.4) --------------------------------------------------------------------

class SetUserMetadataRequest(Message):
    proto = "SetUserMetadataRequest"
    value = Bytes(required=True, validate=METADATA_VALUE_RULE, error_messages={"required": METADATA_VALUE_REQUIRED})


class MetadataEntry(Message):
    proto = "BulkSetUserMetadataRequest_Metadata"
    key = Text(1, 200)
    value = Bytes(required=True, validate=METADATA_VALUE_RULE, error_messages={"required": METADATA_VALUE_REQUIRED})


class BulkSetUserMetadataRequest(Message):
    proto = "BulkSetUserMetadataRequest"
    metadata = fields.List(fields.Nested(MetadataEntry))


class MetadataQuery(Message):
    proto = "MetadataQuery"
    key_query = fields.Nested(MetadataKeyQuery)

    @validates_schema
    def one_member(self, data, **kwargs):
        exactly_one("zitadel.metadata.v1.MetadataQuery", data)


class ListUserMetadataRequest(Message):
    proto = "ListUserMetadataRequest"
    query = fields.Nested(ListQuery)
    queries = fields.List(fields.Nested(MetadataQuery))


class BulkRemoveUserMetadataRequest(Message):
    proto = "BulkRemoveUserMetadataRequest"
    keys = fields.List(Text(1, 200))


# ---- profile, e-mail, phone (§6.5) ------------------------------------------------------

class UpdateHumanProfileRequest(HumanProfile):
    """A full replacement: unlike on create, displayName is required."""

    proto = "UpdateHumanProfileRequest"
    display_name = Text(1, 200)


class UpdateHumanEmailRequest(HumanEmail):
    proto = "UpdateHumanEmailRequest"


class ResendHumanInitializationRequest(Message):
    proto = "ResendHumanInitializationRequest"
    email = Text(0, 200)


class UpdateHumanPhoneRequest(HumanPhone):
    proto = "UpdateHumanPhoneRequest"


# ---- passwords (§6.6) -------------------------------------------------------------------

RESET_TYPES = {0: "TYPE_EMAIL", 1: "TYPE_SMS"}


class SetHumanInitialPasswordRequest(Message):
    proto = "SetHumanInitialPasswordRequest"
    password = Text(1, 72)


class SetHumanPasswordRequest(Message):
    proto = "SetHumanPasswordRequest"
    password = Text(1, 72)
    no_change_required = Bool()


class SendHumanResetPasswordNotificationRequest(Message):
    proto = "SendHumanResetPasswordNotificationRequest"
    type = Enum(RESET_TYPES)


# ---- auth factors, social logins, memberships (§6.7, §6.10, §6.11) ---------------------

class ImportHumanTOTPRequest(Message):
    """Extension: a TOTP secret (base32) exported from another system."""

    proto = "ImportHumanTOTPRequest"
    secret = Text(1, 200)


class ListHumanLinkedIDPsRequest(Message):
    proto = "ListHumanLinkedIDPsRequest"
    query = fields.Nested(ListQuery)


class MembershipOrgQuery(Message):
    proto = "MembershipOrgQuery"
    org_id = Text(0, 200)


class MembershipProjectQuery(Message):
    proto = "MembershipProjectQuery"
    project_id = Text(0, 200)


class MembershipProjectGrantQuery(Message):
    proto = "MembershipProjectGrantQuery"
    project_grant_id = Text(0, 200)


class MembershipIAMQuery(Message):
    proto = "MembershipIAMQuery"
    iam = Bool()


class MembershipQuery(Message):
    proto = "MembershipQuery"
    org_query = fields.Nested(MembershipOrgQuery)
    project_query = fields.Nested(MembershipProjectQuery)
    project_grant_query = fields.Nested(MembershipProjectGrantQuery)
    iam_query = fields.Nested(MembershipIAMQuery)

    @validates_schema
    def one_member(self, data, **kwargs):
        exactly_one("zitadel.user.v1.MembershipQuery", data)


class ListUserMembershipsRequest(Message):
    proto = "ListUserMembershipsRequest"
    query = fields.Nested(ListQuery)
    queries = fields.List(fields.Nested(MembershipQuery))


# ---- organisations and their members --------------------------------------------------

class AddOrgRequest(Message):
    proto = "AddOrgRequest"
    name = Text(1, 200)


class AddOrgMemberRequest(Message):
    proto = "AddOrgMemberRequest"
    user_id = Text(1, 200)
    roles = fields.List(Text(0, 200))


class UpdateOrgMemberRequest(Message):
    proto = "UpdateOrgMemberRequest"
    roles = fields.List(Text(0, 200))


class MemberEmailQuery(TextQuery):
    proto = "EmailQuery"
    email = Text(0, 200)


class MemberUserIDQuery(Message):
    proto = "UserIDQuery"
    user_id = Text(0, 200)


class MemberSearchQuery(Message):
    proto = "SearchQuery"
    first_name_query = fields.Nested(FirstNameQuery)
    last_name_query = fields.Nested(LastNameQuery)
    email_query = fields.Nested(MemberEmailQuery)
    user_id_query = fields.Nested(MemberUserIDQuery)

    @validates_schema
    def one_member(self, data, **kwargs):
        exactly_one("zitadel.member.v1.SearchQuery", data)


class ListOrgMembersRequest(Message):
    proto = "ListOrgMembersRequest"
    query = fields.Nested(ListQuery)
    queries = fields.List(fields.Nested(MemberSearchQuery))


# ---- password complexity policy ---------------------------------------------------------

class AddCustomPasswordComplexityPolicyRequest(Message):
    proto = "AddCustomPasswordComplexityPolicyRequest"
    min_length = Uint64()
    has_uppercase = Bool()
    has_lowercase = Bool()
    has_number = Bool()
    has_symbol = Bool()


class UpdateCustomPasswordComplexityPolicyRequest(AddCustomPasswordComplexityPolicyRequest):
    proto = "UpdateCustomPasswordComplexityPolicyRequest"
