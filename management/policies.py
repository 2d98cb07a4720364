"""The organisation's password complexity policy (ZITADEL's /policies/password/complexity endpoints)."""
from models import policies

from . import wire
from .http import body, context, respond
from .humans import changed
from .schemas import AddCustomPasswordComplexityPolicyRequest, UpdateCustomPasswordComplexityPolicyRequest

RULES = ("min_length", "has_uppercase", "has_lowercase", "has_number", "has_symbol")


def _rules(request_):
    # A proto request: a field left out is its zero value (so minLength 0 is refused by the domain).
    return {field: request_.get(field, 0 if field == "min_length" else False) for field in RULES}


def get_policy():
    _, org_id = context("policy.read")
    return respond({"policy": wire.password_policy(policies.complexity(org_id), org_id)})


def get_default_policy():
    _, org_id = context("policy.read")
    return respond({"policy": wire.password_policy(policies.DEFAULT, org_id)})


def add_policy():
    principal, org_id = context("policy.write")
    event = policies.add_policy(org_id, _rules(body(AddCustomPasswordComplexityPolicyRequest)),
                                principal.editor_id)
    return respond({"details": wire.details_created(event, org_id)})


def update_policy():
    principal, org_id = context("policy.write")
    event = policies.change_policy(org_id, _rules(body(UpdateCustomPasswordComplexityPolicyRequest)),
                                   principal.editor_id)
    return changed(event, org_id)


def reset_policy():
    # No body binding: whatever is sent is ignored (§1.1).
    principal, org_id = context("policy.delete")
    return changed(policies.remove_policy(org_id, principal.editor_id), org_id)
