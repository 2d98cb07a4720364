"""Metadata endpoints #15-#20 (reference §6.4): values travel as base64."""
from models import user_metadata

from . import wire
from .http import body, context, respond
from .queries import text
from .schemas import (
    BulkRemoveUserMetadataRequest,
    BulkSetUserMetadataRequest,
    ListUserMetadataRequest,
    SetUserMetadataRequest,
)
from .users import paging


def set_one(user_id, key):
    principal, org_id = context("user.write")
    request_ = body(SetUserMetadataRequest)
    event = user_metadata.set_metadata(org_id, user_id, key, request_["value"], principal.editor_id)
    return respond({"details": wire.details_created(event, org_id)})


def set_bulk(user_id):
    principal, org_id = context("user.write")
    entries = [(m["key"], m["value"]) for m in body(BulkSetUserMetadataRequest).get("metadata", [])]
    event = user_metadata.set_many(org_id, user_id, entries, principal.editor_id)
    return respond({"details": wire.details_changed(event, org_id)})


def search(user_id):
    _, org_id = context("user.read")
    request_ = body(ListUserMetadataRequest)
    offset, limit, _ = paging(request_.get("query", {}))
    predicates = [text("key", q["key_query"], "key") for q in request_.get("queries", [])]
    total, rows = user_metadata.list_metadata(org_id, user_id, predicates, offset=offset, limit=limit)
    return respond(wire.message(details=wire.list_details(total), result=[wire.metadata(r, org_id) for r in rows]))


def get_one(user_id, key):
    _, org_id = context("user.read")
    return respond({"metadata": wire.metadata(user_metadata.get_metadata(org_id, user_id, key), org_id)})


def remove_one(user_id, key):
    principal, org_id = context("user.write")
    event = user_metadata.remove_metadata(org_id, user_id, key, principal.editor_id)
    return respond({"details": wire.details_changed(event, org_id)})


def remove_bulk(user_id):
    principal, org_id = context("user.write")
    keys = body(BulkRemoveUserMetadataRequest).get("keys", [])
    event = user_metadata.remove_many(org_id, user_id, keys, principal.editor_id)
    return respond({"details": wire.details_changed(event, org_id)})
