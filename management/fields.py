"""marshmallow fields for protobuf-JSON input (reference §1.2): what each wire type accepts.

Messages follow protoc-gen-validate's wording, because clients match on them
(`value length must be between 1 and 200 runes, inclusive`).
"""
import base64
import binascii
import datetime
import re

from marshmallow import ValidationError, fields, validate

INVALID_STRING = "invalid value for string type"


def length_rule(min_len, max_len):
    if min_len and max_len:
        text = f"value length must be between {min_len} and {max_len} runes, inclusive"
    elif max_len:
        text = f"value length must be at most {max_len} runes"
    else:
        text = f"value length must be at least {min_len} runes"
    return validate.Length(min=min_len or None, max=max_len or None, error=text), text


class Text(fields.String):
    """A proto string with a length rule; a required one that is absent breaks the rule, as "" would."""

    def __init__(self, min_len=0, max_len=0, **kwargs):
        rule, text = length_rule(min_len, max_len)
        messages = {"invalid": INVALID_STRING, "required": text, **kwargs.pop("error_messages", {})}
        if min_len:
            kwargs.setdefault("required", True)
        extra = kwargs.pop("validate", None)
        rules = [rule, *([extra] if callable(extra) else extra or [])]
        super().__init__(validate=rules, error_messages=messages, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        # NUL and lone surrogates cannot be stored (PostgreSQL, UTF-8): invalid input, not a 500.
        if "\x00" in text or any("\ud800" <= c <= "\udfff" for c in text):
            raise self.make_error("invalid")
        return text


# RFC 5646 well-formedness: language (with extlangs), script, region, variants, extensions, private use;
# or a private-use tag alone. `_` is accepted as a separator, as ZITADEL's parser accepts it.
LANGUAGE_TAG = re.compile(r"""
    (?: (?:[a-z]{2,3}(?:-[a-z]{3}){0,3} | [a-z]{4,8})
        (?:-[a-z]{4})?
        (?:-(?:[a-z]{2}|[0-9]{3}))?
        (?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*
        (?:-[0-9a-wyz](?:-[a-z0-9]{2,8})+)*
        (?:-x(?:-[a-z0-9]{1,8})+)?
    ) | x(?:-[a-z0-9]{1,8})+
""", re.VERBOSE)


def language_tag(text):
    """A BCP 47 tag in its canonical case (`en-US`, `sr-Latn`); "" when it is undefined (`und`) or cannot be
    parsed, which ZITADEL stores as `und` and this gateway leaves unset (rendered `und`)."""
    tag = text.strip().lower().replace("_", "-")
    if tag == "und" or not LANGUAGE_TAG.fullmatch(tag):
        return ""
    head, *rest = tag.split("-")
    if head == "x":
        return tag
    canonical = [head]
    for part in rest:
        if len(part) == 1:
            # A singleton: the extensions and private use after it stay lower case.
            break
        # Regions upper case, scripts title case (RFC 5646 §2.1.1).
        canonical.append(part.upper() if len(part) == 2 else part.title() if len(part) == 4 and part.isalpha()
                         else part)
    return "-".join(canonical + rest[len(canonical) - 1:])


class LanguageTag(Text):
    """A proto string holding a language: the length rule is checked on what was sent, then the tag is
    canonicalised, as ZITADEL's API layer does (language.Make)."""

    def deserialize(self, value, attr=None, data=None, **kwargs):
        text = super().deserialize(value, attr, data, **kwargs)
        return language_tag(text) if isinstance(text, str) else text


class Uint64(fields.Integer):
    """uint64/int64: a JSON number or a decimal string."""

    default_error_messages = {"invalid": "invalid value for uint64 type"}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        if isinstance(value, str):
            value = value.strip()
            if not value.isdigit():
                raise self.make_error("invalid")
        number = super()._deserialize(value, attr, data, **kwargs)
        if number < 0 or number >= 2**64:
            raise self.make_error("invalid")
        return number


class Uint32(Uint64):
    default_error_messages = {"invalid": "invalid value for uint32 type"}

    def _deserialize(self, value, attr, data, **kwargs):
        number = super()._deserialize(value, attr, data, **kwargs)
        if number >= 2**32:
            raise self.make_error("invalid")
        return number


class Bool(fields.Boolean):
    default_error_messages = {"invalid": "invalid value for bool type"}
    truthy = {True}
    falsy = {False}


class Enum(fields.Field):
    """A proto enum: its value name or its number; loads as the number."""

    default_error_messages = {"invalid": "invalid value for enum type",
                              "undefined": "value must be one of the defined enum values"}

    def __init__(self, names, **kwargs):
        self.names = names
        self.numbers = {name: number for number, name in names.items()}
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and value in self.numbers:
            return self.numbers[value]
        if isinstance(value, int) and not isinstance(value, bool):
            if value not in self.names:
                raise self.make_error("undefined")
            return value
        raise self.make_error("invalid")

    def _serialize(self, value, attr, obj, **kwargs):
        return self.names.get(value) if value is not None else None


class Bytes(fields.Field):
    """proto bytes: standard or URL-safe base64, padded or not; loads as bytes."""

    default_error_messages = {"invalid": "invalid value for bytes type"}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise self.make_error("invalid")
        text = value.strip().replace("-", "+").replace("_", "/")
        text += "=" * (-len(text) % 4)
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise self.make_error("invalid") from None


class Timestamp(fields.Field):
    """google.protobuf.Timestamp: an RFC 3339 string; loads as a naive UTC datetime."""

    default_error_messages = {"invalid": "invalid value for Timestamp type"}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise self.make_error("invalid")
        try:
            moment = datetime.datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise self.make_error("invalid") from None
        if moment.tzinfo is None:
            raise self.make_error("invalid")
        return moment.astimezone(datetime.UTC).replace(tzinfo=None)


def check_bytes_length(min_len, max_len):
    def rule(value):
        if not min_len <= len(value) <= max_len:
            raise ValidationError(f"value length must be between {min_len} and {max_len} bytes, inclusive")
    return rule
