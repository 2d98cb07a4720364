"""E-mail addresses and phone numbers of humans: syntax and normal form (reference §4.4)."""
import re

import phonenumbers

from .errors import InvalidArgument

# local@domain with DNS-label domains, close to the RFC 5322 subset ZITADEL accepts.
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)
DEFAULT_REGION = "CH"


def normal_email(address):
    address = (address or "").strip()
    if not address:
        raise InvalidArgument("Email is empty", "EMAIL-spblu", "Errors.User.Email.Empty")
    if not _EMAIL.match(address):
        raise InvalidArgument("Email is invalid", "EMAIL-599BI", "Errors.User.Email.Invalid")
    return address


def normal_phone(number):
    """E.164 form of a phone number (numbers without a country code are read as Swiss, as ZITADEL does)."""
    number = (number or "").strip()
    if not number:
        raise InvalidArgument("Phone is empty", "PHONE-Zt0NV", "Errors.User.Phone.Empty")
    try:
        parsed = phonenumbers.parse(number, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        raise InvalidArgument("Phone is invalid", "PHONE-so0wa", "Errors.User.Phone.Invalid") from None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
