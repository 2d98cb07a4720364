"""Memberships (#57) and the organisation endpoints the user API needs: /orgs/me, AddOrg, org members."""
from flask import current_app

from auth.permissions import AUTHENTICATED, ORG_ROLES
from models import org_members
from models.members import IAM_SCOPE
from models.orgs import get_org
from models.predicates import Compare, and_

from . import wire
from .http import body, context, respond
from .humans import changed
from .queries import text
from .schemas import (
    AddOrgMemberRequest,
    AddOrgRequest,
    ListOrgMembersRequest,
    ListUserMembershipsRequest,
    UpdateOrgMemberRequest,
)
from .users import paging

# Roles an organisation member can hold (ZITADEL's ORG_ role prefix).
MEMBER_ROLES = [role for role in ORG_ROLES if role.startswith("ORG_")]
NOTHING = "\x00"


def _scopes(queries, org_id):
    """The scopes MembershipQuery filters allow (ANDed); projects never match, as there are none."""
    allowed = None
    for query in queries:
        (kind, payload), = query.items()
        if kind == "iam_query":
            wanted = {IAM_SCOPE} if payload.get("iam") else {org_id}
        elif kind == "org_query":
            wanted = {payload.get("org_id", "")}
        else:
            wanted = set()
        allowed = wanted if allowed is None else allowed & wanted
    return allowed


def list_memberships(user_id):
    _, org_id = context("user.membership.read")
    request_ = body(ListUserMembershipsRequest)
    offset, limit, _ = paging(request_.get("query", {}))
    total, rows = org_members.memberships(org_id, user_id, scopes=_scopes(request_.get("queries", []), org_id),
                                          offset=offset, limit=limit)
    return respond(wire.message(details=wire.list_details(total),
                                result=[wire.membership(m, name, IAM_SCOPE) for m, name in rows]))


def get_my_org():
    _, org_id = context("org.read")
    return respond({"org": wire.org(get_org(org_id))})


def add_org():
    # As in ZITADEL, any caller may create an organisation and becomes its ORG_OWNER, unless the
    # operator reserved that for administrators (ORG_CREATION).
    rule = current_app.config["SETTINGS"].org_creation
    principal, _ = context(AUTHENTICATED if rule == "authenticated" else "org.create")
    name = body(AddOrgRequest)["name"]
    org = org_members.create_owned_org(name, principal.user)
    return respond({"id": org.id, "details": wire.details_created(wire.stamp(org), org.id)})


def add_member():
    principal, org_id = context("org.member.write")
    request_ = body(AddOrgMemberRequest)
    stamp = org_members.add_member(org_id, request_["user_id"], request_.get("roles", []), principal.editor_id,
                                   MEMBER_ROLES)
    return respond({"details": wire.details_created(stamp, org_id)})


def update_member(user_id):
    principal, org_id = context("org.member.write")
    roles = body(UpdateOrgMemberRequest).get("roles", [])
    stamp = org_members.change_member(org_id, user_id, roles, principal.editor_id, MEMBER_ROLES)
    return changed(stamp, org_id)


def remove_member(user_id):
    # No body binding: whatever is sent is ignored (§1.1).
    principal, org_id = context("org.member.delete")
    event = org_members.remove_member(org_id, user_id, principal.editor_id)
    # Removing a non-member succeeds with empty details, as ZITADEL's does.
    return respond({"details": wire.details_changed(event, org_id) if event else {}})


MEMBER_TEXT_QUERIES = {"first_name_query": ("first_name", "first_name"),
                       "last_name_query": ("last_name", "last_name"), "email_query": ("email", "email")}


def _member_predicate(queries):
    parts = []
    for query in queries:
        (kind, payload), = query.items()
        if kind == "user_id_query":
            parts.append(Compare("id", "eq", payload.get("user_id", NOTHING)))
        else:
            field, value_key = MEMBER_TEXT_QUERIES[kind]
            parts.append(text(field, payload, value_key))
    return and_(*parts)


def list_members():
    _, org_id = context("org.member.read")
    request_ = body(ListOrgMembersRequest)
    offset, limit, _ = paging(request_.get("query", {}))
    total, rows = org_members.search_members(org_id, _member_predicate(request_.get("queries", [])),
                                             offset=offset, limit=limit)
    return respond(wire.message(details=wire.list_details(total),
                                result=[wire.org_member(member, user) for member, user in rows]))
