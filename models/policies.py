"""Password complexity policy per organisation (ZITADEL's defaults where an org has none)."""
import dataclasses

from .errors import InvalidArgument
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
    """Raise the policy's error for the first rule the password breaks."""
    policy = complexity(org_id)
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

