"""Password complexity policy per organisation (ZITADEL's defaults where an org has none), and its changes."""
import dataclasses

from . import events
from .db import transaction
from .errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from .mgmt_tables import PasswordPolicy


@dataclasses.dataclass(frozen=True)
class Complexity:
    min_length: int = 8
    has_lowercase: bool = True
    has_uppercase: bool = True
    has_number: bool = True
    has_symbol: bool = True
    is_default: bool = True
    row: object = None


DEFAULT = Complexity()
RULE_FIELDS = ("min_length", "has_lowercase", "has_uppercase", "has_number", "has_symbol")


def complexity(org_id):
    row = PasswordPolicy.get_or_none(PasswordPolicy.org == org_id)
    if row is None:
        return DEFAULT
    return Complexity(**{f: getattr(row, f) for f in RULE_FIELDS}, is_default=False, row=row)


def check_password(org_id, password):
    """Raise the org's policy's error for the first rule the password breaks."""
    check_against(complexity(org_id), password)


def check_against(policy, password):
    """check_password with the policy already read (import workers have no database)."""
    if len(password) < policy.min_length:
        raise InvalidArgument("Password is too short", "DOMAIN-HuJf6", "Errors.User.PasswordComplexityPolicy.MinLength")
    rules = (
        (policy.has_lowercase, str.islower, "Password must contain lower case", "DOMAIN-co3Xw", "HasLower"),
        (policy.has_uppercase, str.isupper, "Password must contain upper case", "DOMAIN-VoaRj", "HasUpper"),
        (policy.has_number, str.isdigit, "Password must contain number", "DOMAIN-ZBv4H", "HasNumber"),
        (policy.has_symbol, lambda c: not c.isalnum(), "Password must contain symbol", "DOMAIN-ZDLwA", "HasSymbol"),
    )
    for wanted, test, text, error_id, key in rules:
        if wanted and not any(test(c) for c in password):
            raise InvalidArgument(text, error_id, f"Errors.User.PasswordComplexityPolicy.{key}")



# ---- the organisation's own policy (ZITADEL's custom password complexity policy) -------------

MAX_MIN_LENGTH = 72


def _checked(rules):
    if not 1 <= rules["min_length"] <= MAX_MIN_LENGTH:
        raise InvalidArgument("Errors.User.PasswordComplexityPolicy.MinLengthNotAllowed", "MODEL-Lsp0e",
                              "Errors.User.PasswordComplexityPolicy.MinLengthNotAllowed")
    return {field: rules[field] for field in RULE_FIELDS}


def _event(org_id, event_type, editor, rules=None):
    return events.append("org", org_id, org_id, event_type, editor, rules)


def add_policy(org_id, rules, editor):
    """AddCustomPasswordComplexityPolicy: the org's own rules instead of the default."""
    rules = _checked(rules)
    with transaction():
        if PasswordPolicy.get_or_none(PasswordPolicy.org == org_id) is not None:
            raise AlreadyExists("Password complexity policy already exists", "Org-LdhbS",
                                "Errors.Org.PasswordComplexityPolicy.AlreadyExists")
        event = _event(org_id, "org.policy.password.complexity.added", editor, rules)
        PasswordPolicy.create(org=org_id, **rules, created_at=event.created_at, changed_at=event.created_at,
                              sequence=event.id)
        return event


def change_policy(org_id, rules, editor):
    rules = _checked(rules)
    with transaction():
        row = PasswordPolicy.get_or_none(PasswordPolicy.org == org_id)
        if row is None:
            raise NotFound("Password complexity policy not found", "ORG-Dgs3g",
                           "Errors.Org.PasswordComplexityPolicy.NotFound")
        if all(getattr(row, field) == value for field, value in rules.items()):
            raise FailedPrecondition("Policy has not been changed", "Org-DAs21",
                                     "Errors.Org.PasswordComplexityPolicy.NotChanged")
        event = _event(org_id, "org.policy.password.complexity.changed", editor, rules)
        PasswordPolicy.update(**rules, changed_at=event.created_at, sequence=event.id).where(
            PasswordPolicy.org == org_id).execute()
        return event


def remove_policy(org_id, editor):
    """ResetPasswordComplexityPolicyToDefault."""
    with transaction():
        if PasswordPolicy.get_or_none(PasswordPolicy.org == org_id) is None:
            raise NotFound("Password complexity policy not found", "ORG-ADgs2",
                           "Errors.Org.PasswordComplexityPolicy.NotFound")
        event = _event(org_id, "org.policy.password.complexity.removed", editor)
        PasswordPolicy.delete().where(PasswordPolicy.org == org_id).execute()
        return event
