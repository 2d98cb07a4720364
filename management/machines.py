"""Machine-user endpoints #44-#54 (reference §6.8-§6.9): update, secret, keys, personal access tokens.

Parse, call models/machine_credentials.py, render; secrets, key files and
tokens appear in exactly one response each and are never logged.
"""
from marshmallow import ValidationError, fields

from models import machine_credentials as credentials
from models.credential_tables import KeyType
from models.user_changes import Stamp
from models.user_lookup import last_sequence

from . import wire
from .fields import Bytes, Enum, Text, Timestamp
from .http import body, context, raw_body, respond
from .messages import Message
from .schemas import ListQuery
from .users import paging

NOT_ZERO = "value must not be in list [0]"


def _not_unspecified(value):
    if value == 0:
        raise ValidationError(NOT_ZERO)


class UpdateMachineRequest(Message):
    proto = "UpdateMachineRequest"
    description = Text(0, 500)
    name = Text(1, 200)
    access_token_type = Enum(wire.ACCESS_TOKEN_TYPES)


class AddMachineKeyRequest(Message):
    proto = "AddMachineKeyRequest"
    type = Enum(wire.KEY_TYPES, required=True, validate=_not_unspecified, error_messages={"required": NOT_ZERO})
    expiration_date = Timestamp()
    public_key = Bytes()


class ListRequest(Message):
    """ListMachineKeysRequest / ListPersonalAccessTokensRequest: paging only."""

    proto = "ListMachineKeysRequest"
    query = fields.Nested(ListQuery)


class AddPersonalAccessTokenRequest(Message):
    proto = "AddPersonalAccessTokenRequest"
    expiration_date = Timestamp()


# ---- (44) ---------------------------------------------------------------------------------

def update_machine(user_id):
    principal, org_id = context("user.write")
    request_ = body(UpdateMachineRequest)
    event = credentials.update_machine(org_id, user_id, principal.editor_id,
                                       name=request_["name"], description=request_.get("description"),
                                       access_token_type=request_.get("access_token_type", 0))
    return respond({"details": wire.details_changed(event, org_id)})


# ---- (45, 46) -----------------------------------------------------------------------------

def generate_secret(user_id):
    principal, org_id = context("user.write")
    raw_body()
    made = credentials.set_secret(org_id, user_id, principal.editor_id)
    return respond({"clientId": made.client_id, "clientSecret": made.secret,
                    "details": wire.details_created(made.event, org_id)})


def remove_secret(user_id):
    principal, org_id = context("user.write")
    event = credentials.remove_secret(org_id, user_id, principal.editor_id)
    return respond({"details": wire.details_changed(event, org_id)})


# ---- (47-50) ------------------------------------------------------------------------------

def get_key(user_id, key_id):
    _, org_id = context("user.read")
    row = credentials.get_key(org_id, user_id, key_id)
    return respond({"key": wire.machine_key(row, org_id)})


def _listing(user_id, lister, render):
    _, org_id = context("user.read")
    offset, limit, ascending = paging(body(ListRequest).get("query", {}))
    total, rows = lister(org_id, user_id, offset=offset, limit=limit, ascending=ascending)
    return respond(wire.message(details=wire.list_details(total, last_sequence()),
                                result=[render(row, org_id) for row in rows]))


def list_keys(user_id):
    return _listing(user_id, credentials.list_keys, wire.machine_key)


def add_key(user_id):
    principal, org_id = context("user.write")
    request_ = body(AddMachineKeyRequest)
    made = credentials.add_key(org_id, user_id, principal.editor_id,
                               key_type=request_.get("type", KeyType.JSON),
                               expires_at=request_.get("expiration_date"), public_key=request_.get("public_key"))
    return respond(wire.message(keyId=made.key.id, keyDetails=wire.b64(made.key_file),
                                details=wire.details_created(made.event, org_id)))


def remove_key(user_id, key_id):
    principal, org_id = context("user.write")
    event = credentials.remove_key(org_id, user_id, key_id, principal.editor_id)
    return respond({"details": wire.details_changed(event, org_id)})


# ---- (51-54) ------------------------------------------------------------------------------

def get_pat(user_id, token_id):
    _, org_id = context("user.read")
    row = credentials.get_pat(org_id, user_id, token_id)
    return respond({"token": wire.personal_access_token(row, org_id)})


def list_pats(user_id):
    return _listing(user_id, credentials.list_pats, wire.personal_access_token)


def add_pat(user_id):
    principal, org_id = context("user.write")
    request_ = body(AddPersonalAccessTokenRequest)
    row, token = credentials.add_pat(org_id, user_id, principal.editor_id, expires_at=request_.get("expiration_date"))
    return respond({"tokenId": row.id, "token": token,
                    "details": wire.details_created(Stamp(row.sequence, row.created_at), org_id)})


def remove_pat(user_id, token_id):
    principal, org_id = context("user.write")
    event = credentials.remove_pat(org_id, user_id, token_id, principal.editor_id)
    return respond({"details": wire.details_changed(event, org_id)})


MACHINE_ROUTES = [
    ("/users/<user_id>/machine", "PUT", update_machine),
    ("/users/<user_id>/secret", "PUT", generate_secret),
    ("/users/<user_id>/secret", "DELETE", remove_secret),
    ("/users/<user_id>/keys/<key_id>", "GET", get_key),
    ("/users/<user_id>/keys/_search", "POST", list_keys),
    ("/users/<user_id>/keys", "POST", add_key),
    ("/users/<user_id>/keys/<key_id>", "DELETE", remove_key),
    ("/users/<user_id>/pats/<token_id>", "GET", get_pat),
    ("/users/<user_id>/pats/_search", "POST", list_pats),
    ("/users/<user_id>/pats", "POST", add_pat),
    ("/users/<user_id>/pats/<token_id>", "DELETE", remove_pat),
]
