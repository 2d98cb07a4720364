"""The management API's one serializer: domain rows -> protobuf-JSON (reference §1.2).

uint64 as strings, enums by name, bytes as padded standard base64, RFC 3339
`Z` timestamps, and zero values (False, 0, "", empty lists, None) omitted,
while set-but-empty sub-messages stay `{}`.
"""
import base64

from models import orgs
from models.tables import UserState, UserType, utcnow
from models.user_changes import stamp_of

GENDERS = {0: "GENDER_UNSPECIFIED", 1: "GENDER_FEMALE", 2: "GENDER_MALE", 3: "GENDER_DIVERSE"}
ACCESS_TOKEN_TYPES = {0: "ACCESS_TOKEN_TYPE_BEARER", 1: "ACCESS_TOKEN_TYPE_JWT"}
USER_TYPES = {0: "TYPE_UNSPECIFIED", UserType.HUMAN: "TYPE_HUMAN", UserType.MACHINE: "TYPE_MACHINE"}
USER_STATES = {0: "USER_STATE_UNSPECIFIED", 3: "USER_STATE_DELETED", 5: "USER_STATE_SUSPEND", **UserState.NAMES}


def message(**fields):
    """A protobuf message: drops zero scalars and empty lists, keeps sub-messages (even `{}`)."""
    return {k: v for k, v in fields.items() if v is not None and v is not False and v != "" and v != []
            and not (isinstance(v, int) and not isinstance(v, bool) and v == 0)}


def uint64(number):
    return str(number) if number else None


def enum(names, number):
    return names.get(number) if number else None


def timestamp(moment):
    """RFC 3339 in UTC with `Z`, with 0, 3 or 6 fractional digits as protobuf does."""
    if moment is None:
        return None
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    micros = moment.microsecond
    if micros:
        text += f".{micros // 1000:03d}" if micros % 1000 == 0 else f".{micros:06d}"
    return text + "Z"


def duration(seconds):
    return f"{int(seconds)}s"


def b64(data):
    return base64.b64encode(bytes(data)).decode("ascii") if data else None


def details_created(event, org_id):
    """ObjectDetails of a creating mutation (§4.1): sequence, creationDate, resourceOwner."""
    return message(sequence=uint64(event.id), creationDate=timestamp(event.created_at), resourceOwner=org_id)


def details_changed(event, org_id):
    """ObjectDetails of any other mutation: sequence, changeDate, resourceOwner."""
    return message(sequence=uint64(event.id), changeDate=timestamp(event.created_at), resourceOwner=org_id)


def details_of(row, org_id):
    """ObjectDetails of a read object: all four fields."""
    return message(sequence=uint64(row.sequence), creationDate=timestamp(row.created_at),
                   changeDate=timestamp(row.changed_at), resourceOwner=org_id)


def list_details(total, processed_sequence=None):
    return message(totalResult=uint64(total), processedSequence=uint64(processed_sequence),
                   viewTimestamp=timestamp(utcnow()))


def profile(user):
    return message(firstName=user.first_name, lastName=user.last_name, nickName=user.nick_name,
                   displayName=user.display_name, preferredLanguage=user.preferred_language or "und",
                   gender=enum(GENDERS, user.gender))


def email(user):
    return message(email=user.email, isEmailVerified=user.email_verified)


def phone(user):
    return message(phone=user.phone, isPhoneVerified=user.phone_verified)


def human(user):
    return message(profile=profile(user), email=email(user), phone=phone(user),
                   passwordChanged=timestamp(user.password_changed_at))


def machine(user, has_secret=False):
    return message(name=user.name, description=user.description, hasSecret=has_secret,
                   accessTokenType=enum(ACCESS_TOKEN_TYPES, user.access_token_type))


def login_name(user):
    """userName@<primary org domain>: user names are unique per organisation (userLoginMustBeDomain)."""
    return f"{user.username}@{orgs.domain_of(user.org_id)}"


def user(row, has_secret=False):
    """A User; has_secret tells whether a machine user has a client secret (machine.hasSecret)."""
    kind = {"human": human(row)} if row.is_human else {"machine": machine(row, has_secret)}
    # An organisation has one domain here, so one login name, which is also the preferred one.
    name = login_name(row)
    return message(id=row.id, details=details_of(row, row.org_id), state=enum(USER_STATES, row.state),
                   userName=row.username, loginNames=[name], preferredLoginName=name, **kind)


def metadata(row, org_id):
    return message(details=details_of(row, org_id), key=row.key, value=b64(row.value))


def change(event, editor, label, org_id):
    """change.v1.Change: one event of a user's history."""
    editor_name = None
    if editor is not None:
        editor_name = editor.display_name or editor.name or editor.username
    return message(changeDate=timestamp(event.created_at),
                   eventType={"key": f"EventTypes.{event.type}", "localizedMessage": label},
                   sequence=uint64(event.id), editorId=event.editor_id, editorDisplayName=editor_name,
                   resourceOwnerId=org_id, editorPreferredLoginName=login_name(editor) if editor else None)


def stamp(row):
    """A row's own sequence and last change, in the shape details_created/changed take."""
    return stamp_of(row)


AUTH_FACTOR_STATES = {0: "AUTH_FACTOR_STATE_UNSPECIFIED", 1: "AUTH_FACTOR_STATE_NOT_READY",
                      2: "AUTH_FACTOR_STATE_READY", 3: "AUTH_FACTOR_STATE_REMOVED"}
IDP_TYPES = {0: "IDP_TYPE_UNSPECIFIED", 1: "IDP_TYPE_OIDC", 3: "IDP_TYPE_JWT"}
ORG_STATES = {0: "ORG_STATE_UNSPECIFIED", 1: "ORG_STATE_ACTIVE", 2: "ORG_STATE_INACTIVE", 3: "ORG_STATE_REMOVED"}
# AuthFactor kind -> its oneof member
FACTOR_KEYS = {"otp": "otp", "u2f": "u2f", "otp_sms": "otpSms", "otp_email": "otpEmail"}


def auth_factor(row):
    """user.v1.AuthFactor: the state and one of otp {}, u2f {id, name}, otpSms {}, otpEmail {}."""
    inner = message(id=row.id, name=row.name) if row.kind == "u2f" else {}
    return message(state=enum(AUTH_FACTOR_STATES, row.state), **{FACTOR_KEYS[row.kind]: inner})


def webauthn_token(row):
    return message(id=row.id, state=enum(AUTH_FACTOR_STATES, row.state), name=row.name)


def idp_link(row):
    return message(userId=row.user_id, idpId=row.idp_id, idpName=row.idp_name, providedUserId=row.provided_user_id,
                   providedUserName=row.provided_user_name, idpType=enum(IDP_TYPES, row.idp_type))


def membership(member, display_name, iam_scope):
    """user.v1.Membership: roles in the instance (iam: true) or in one organisation (orgId)."""
    where = {"iam": True} if member.scope == iam_scope else {"orgId": member.scope}
    owner = None if member.scope == iam_scope else member.scope
    return message(userId=member.user_id, details=details_of(member, owner), roles=member.role_list,
                   displayName=display_name, **where)


def org(row):
    """org.v1.Org; primaryDomain is the generated one (models/orgs.py)."""
    return message(id=row.id, details=details_of(row, row.id), state=ORG_STATES[1], name=row.name,
                   primaryDomain=row.domain)


def org_member(member, row):
    """member.v1.Member: the roles and who holds them; userResourceOwner is the holder's own organisation,
    which need not be the one the roles are in."""
    return message(userId=row.id, details=details_of(member, member.scope), roles=member.role_list,
                   preferredLoginName=login_name(row), email=row.email, firstName=row.first_name,
                   lastName=row.last_name, displayName=row.display_name or row.name,
                   userType=enum(USER_TYPES, row.type), userResourceOwner=row.org_id)


KEY_TYPES = {0: "KEY_TYPE_UNSPECIFIED", 1: "KEY_TYPE_JSON"}


def machine_key(row, org_id):
    """authn.v1.Key: a machine key's id, details (changeDate = creationDate), type and expiry; no key material."""
    details = message(sequence=uint64(row.sequence), creationDate=timestamp(row.created_at),
                      changeDate=timestamp(row.created_at), resourceOwner=org_id)
    return message(id=row.id, details=details, type=enum(KEY_TYPES, row.type),
                   expirationDate=timestamp(row.expires_at))


def personal_access_token(row, org_id):
    """user.v1.PersonalAccessToken: never the token itself."""
    details = message(sequence=uint64(row.sequence), creationDate=timestamp(row.created_at),
                      changeDate=timestamp(row.created_at), resourceOwner=org_id)
    return message(id=row.id, details=details, expirationDate=timestamp(row.expires_at),
                   scopes=row.scopes.split())


def password_policy(policy, org_id):
    """policy.v1.PasswordComplexityPolicy; the built-in default has no details of its own."""
    return message(details=details_of(policy.row, org_id) if policy.row else None,
                   minLength=uint64(policy.min_length), hasUppercase=policy.has_uppercase,
                   hasLowercase=policy.has_lowercase, hasNumber=policy.has_number, hasSymbol=policy.has_symbol,
                   isDefault=policy.is_default)
