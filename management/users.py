"""User endpoints #1-#14 (reference §6.1-§6.3): parse, call the domain, render."""
from flask import current_app

from models import human_onboarding, user_lookup, user_state
from models.machine_create import add_machine
from models.machine_credentials import with_secret
from models.search import search_users
from models.users import HumanInput
from request_context import public_origin

from . import wire
from .event_labels import label
from .http import args, body, context, raw_body, respond
from .queries import SORT_COLUMNS, user_predicate
from .schemas import (
    AddHumanUserRequest,
    AddMachineUserRequest,
    GetUserByLoginNameGlobalRequest,
    ImportHumanUserRequest,
    IsUserUniqueRequest,
    ListUserChangesRequest,
    ListUsersRequest,
    UpdateUserNameRequest,
)

# Largest row offset handed to the database (both stop at 2**63 - 1).
MAX_OFFSET = 2**62


def get_by_id(user_id):
    _, org_id = context("user.read")
    user = user_lookup.in_org(org_id, user_id)
    return respond({"user": _user(user)})


def _users(rows):
    """Users rendered with machine.hasSecret, looked up for the whole page in one query."""
    secrets = with_secret([row.id for row in rows if not row.is_human])
    return [wire.user(row, row.id in secrets) for row in rows]


def _user(row):
    return _users([row])[0]


def get_by_login_name_global():
    context("user.global.read")
    request_ = args(GetUserByLoginNameGlobalRequest)
    return respond({"user": _user(user_lookup.by_login_name(request_["login_name"]))})


def paging(list_query):
    """(offset, limit, ascending) of a ListQuery: limit 0 means no limit, default order descending."""
    return (min(list_query.get("offset", 0), MAX_OFFSET), list_query.get("limit") or None,
            list_query.get("asc", False))


def search():
    _, org_id = context("user.read")
    request_ = body(ListUsersRequest)
    offset, limit, ascending = paging(request_.get("query", {}))
    total, users = search_users(org_id, user_predicate(request_.get("queries", [])),
                                sort=SORT_COLUMNS[request_.get("sorting_column", 0)], ascending=ascending,
                                offset=offset, limit=limit)
    return respond(wire.message(details=wire.list_details(total, user_lookup.last_sequence()),
                                result=_users(users)))


def changes(user_id):
    _, org_id = context("user.read")
    query = body(ListUserChangesRequest).get("query", {})
    found = user_lookup.changes(org_id, user_id, after=query.get("sequence", 0), limit=query.get("limit") or None,
                                ascending=query.get("asc", False))
    return respond(wire.message(result=[wire.change(e, editor, label(e.type), org_id) for e, editor in found]))


def is_unique():
    _, org_id = context("user.read")
    request_ = args(IsUserUniqueRequest)
    unique = user_lookup.is_unique(org_id, request_.get("user_name"), request_.get("email"))
    return respond(wire.message(isUnique=unique))


def _human_input(request_, password, change_required):
    profile, email, phone = request_["profile"], request_["email"], request_.get("phone", {})
    first, last = profile["first_name"].strip(), profile["last_name"].strip()
    return HumanInput(
        username=request_["user_name"], first_name=first, last_name=last,
        nick_name=profile.get("nick_name") or None,
        # The default display name is the adapter's rule, as in ZITADEL's v1 API.
        display_name=profile.get("display_name") or f"{first} {last}",
        preferred_language=profile.get("preferred_language") or None, gender=profile.get("gender", 0),
        email=email["email"], email_verified=email.get("is_email_verified", False),
        phone=phone.get("phone"), phone_verified=phone.get("is_phone_verified", False),
        password=password or None, password_change_required=change_required,
    )


def human_input_of_import(request_):
    """The HumanInput of a loaded ImportHumanUserRequest (the import CLI reads the same bodies)."""
    return _human_input(request_, request_.get("password"), request_.get("password_change_required", False))


def add_human():
    principal, org_id = context("user.write")
    request_ = body(AddHumanUserRequest)
    # A password set by an administrator must be changed at first login.
    data = _human_input(request_, request_.get("initial_password"), True)
    created = human_onboarding.add_human(org_id, data, principal.editor_id)
    return respond({"userId": created.user.id, "details": wire.details_created(created.event, org_id)})


def passkey_link(user, code_row, code):
    settings = current_app.config["SETTINGS"]
    return settings.passkey_link_template.format(origin=public_origin(), userID=user.id, orgID=user.org_id,
                                                 codeID=code_row.id, code=code)


def passkey_registration(user, code_row, code):
    lifetime = wire.duration((code_row.expires_at - code_row.created_at).total_seconds())
    return {"link": passkey_link(user, code_row, code), "lifetime": lifetime, "expiration": lifetime}


def import_human():
    principal, org_id = context("user.write")
    request_ = body(ImportHumanUserRequest)
    data = human_input_of_import(request_)
    setup = human_onboarding.Onboarding(
        password_hash=request_.get("hashed_password", {}).get("value"),
        passwordless=request_.get("request_passwordless_registration", False),
        idps=request_.get("idps", []),
    )
    created = human_onboarding.add_human(org_id, data, principal.editor_id, setup, import_rules=True)
    answer = {"userId": created.user.id, "details": wire.details_created(created.event, org_id)}
    if created.passwordless_code is not None:
        answer["passwordlessRegistration"] = passkey_registration(created.user, created.passwordless_code,
                                                                  created.passwordless_plain)
    return respond(answer)


def add_machine_user():
    principal, org_id = context("user.write")
    request_ = body(AddMachineUserRequest)
    user = add_machine(org_id, request_["user_name"], request_["name"], principal.editor_id,
                       description=request_.get("description"), access_token_type=request_.get("access_token_type", 0),
                       user_id=request_.get("user_id"))
    # AddMachineUser answers with change-style details (a ZITADEL quirk, §4.1).
    return respond({"userId": user.id, "details": wire.details_changed(wire.stamp(user), org_id)})


def _user_write(operation, user_id, read_body):
    principal, org_id = context("user.write")
    if read_body:
        raw_body()
    event = operation(org_id, user_id, principal.editor_id)
    return respond({"details": wire.details_changed(event, org_id)})


def bodyless_write(operation, user_id):
    """A user.write without a body binding (the DELETEs): any body is ignored (§1.1). Change-style details."""
    return _user_write(operation, user_id, read_body=False)


def fieldless_write(operation, user_id):
    """A user.write whose body maps onto a request without fields: the body is read for its syntax only."""
    return _user_write(operation, user_id, read_body=True)


def deactivate(user_id):
    return fieldless_write(user_state.deactivate, user_id)


def reactivate(user_id):
    return fieldless_write(user_state.reactivate, user_id)


def lock(user_id):
    return fieldless_write(user_state.lock, user_id)


def unlock(user_id):
    return fieldless_write(user_state.unlock, user_id)


def remove(user_id):
    principal, org_id = context("user.delete")
    event = user_state.remove(org_id, user_id, principal.editor_id)
    return respond({"details": wire.details_changed(event, org_id)})


def rename(user_id):
    principal, org_id = context("user.write")
    request_ = body(UpdateUserNameRequest)
    event = user_state.rename(org_id, user_id, request_["user_name"], principal.editor_id)
    return respond({"details": wire.details_changed(event, org_id)})
