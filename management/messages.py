"""The base of every request schema, and loading a request through one.

Field names go out as lowerCamelCase and come in as either lowerCamelCase or
the proto's snake_case; unknown fields are ignored and JSON null means
"unset" (protobuf-JSON rules). A broken field rule becomes a plain code-3
status worded as protoc-gen-validate words it (reference §3.1).
"""
from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load

from .errors import validation_error


def camel(name):
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def pascal(name):
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


class Message(Schema):
    """A protobuf request message; `proto` is its Go type name, used in error texts."""

    proto = "Request"

    class Meta:
        unknown = EXCLUDE

    def on_bind_field(self, field_name, field_obj):
        if field_obj.data_key is None:
            field_obj.data_key = camel(field_name)

    @pre_load
    def protojson_names(self, data, **kwargs):
        if not isinstance(data, dict):
            return data
        data = {key: value for key, value in data.items() if value is not None}
        for name, field in self.fields.items():
            if field.data_key not in data and name in data:
                data[field.data_key] = data[name]
        return data


def _first(schema, errors):
    """The first broken rule, in declaration order, as protoc-gen-validate reports it."""
    for name, field in schema.fields.items():
        if field.data_key not in errors:
            continue
        error = errors[field.data_key]
        where = f"{schema.proto}.{pascal(name)}"
        inner = field.inner if isinstance(field, fields.List) else None
        if isinstance(error, dict) and isinstance(inner, fields.Nested):
            index, nested = next(iter(error.items()))
            return (f"invalid {where}[{index}]: embedded message failed validation | caused by: "
                    f"{_first(inner.schema, nested)}")
        if isinstance(error, dict) and isinstance(field, fields.Nested):
            return f"invalid {where}: embedded message failed validation | caused by: {_first(field.schema, error)}"
        if isinstance(error, dict):
            index, texts = next(iter(error.items()))
            return f"invalid {where}[{index}]: {texts[0]}"
        return f"invalid {where}: {error[0]}"
    whole = errors.get("_schema", ["invalid request"])
    return whole[0] if isinstance(whole, list) else str(whole)


def load(schema, data):
    """Validate and load one request message; raises the code-3 ApiError on a broken rule."""
    if not isinstance(data, dict):
        raise validation_error(f"invalid {schema.proto}: a JSON object is required")
    try:
        return schema.load(data)
    except ValidationError as error:
        raise validation_error(_first(schema, error.messages)) from None
