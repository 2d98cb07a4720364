"""Auth factors, passkeys and social logins (#35-#43, #55-#56), and the factor-import extensions."""
from models import auth_factors, idp_links

from . import wire
from .http import body, context, raw_body, respond
from .humans import changed
from .schemas import ImportHumanTOTPRequest, ListHumanLinkedIDPsRequest
from .users import bodyless_write, paging, passkey_link, passkey_registration


def list_auth_factors(user_id):
    # No body binding; the factors are the user's whatever its organisation (ZITADEL's quirk, §6.7).
    context("user.read")
    return respond(wire.message(result=[wire.auth_factor(f) for f in auth_factors.list_factors(user_id)]))


def _remover(kind):
    def operation(org_id, user_id, editor):
        return auth_factors.remove(org_id, user_id, kind, editor)
    return operation


def remove_otp(user_id):
    return bodyless_write(_remover("otp"), user_id)


def remove_otp_sms(user_id):
    return bodyless_write(_remover("otp_sms"), user_id)


def remove_otp_email(user_id):
    return bodyless_write(_remover("otp_email"), user_id)


def _token_remover(kind, token_id):
    def operation(org_id, user_id, editor):
        return auth_factors.remove(org_id, user_id, kind, editor, token_id=token_id)
    return operation


def remove_u2f(user_id, token_id):
    return bodyless_write(_token_remover("u2f", token_id), user_id)


def list_passwordless(user_id):
    context("user.read")
    return respond(wire.message(result=[wire.webauthn_token(t) for t in auth_factors.list_passkeys(user_id)]))


def add_passwordless_link(user_id):
    principal, org_id = context("user.credential.write")
    event, row, plain = auth_factors.add_passwordless_link(org_id, user_id, principal.editor_id, None)
    registration = passkey_registration(row.user, row, plain)
    return respond({"details": wire.details_created(event, org_id), "link": registration["link"],
                    "expiration": registration["expiration"]})


def send_passwordless_link(user_id):
    principal, org_id = context("user.write")
    raw_body()
    event, _, _ = auth_factors.add_passwordless_link(
        org_id, user_id, principal.editor_id, lambda row, plain: passkey_link(row.user, row, plain), send=True)
    return respond({"details": wire.details_created(event, org_id)})


def remove_passwordless(user_id, token_id):
    return bodyless_write(_token_remover("passkey", token_id), user_id)


# ---- extensions (not ZITADEL paths' meaning; marked x-extension in the OpenAPI document) -----

def import_totp(user_id):
    principal, org_id = context("user.credential.write")
    secret = body(ImportHumanTOTPRequest)["secret"]
    return respond({"details": wire.details_created(auth_factors.import_totp(org_id, user_id, secret,
                                                                             principal.editor_id), org_id)})


def _enable(kind, user_id):
    principal, org_id = context("user.credential.write")
    raw_body()
    return respond({"details": wire.details_created(auth_factors.enable_otp(org_id, user_id, kind,
                                                                            principal.editor_id), org_id)})


def enable_otp_sms(user_id):
    return _enable("otp_sms", user_id)


def enable_otp_email(user_id):
    return _enable("otp_email", user_id)


# ---- social logins (§6.10) ----------------------------------------------------------------------

def list_idp_links(user_id):
    _, org_id = context("user.read")
    offset, limit, _ = paging(body(ListHumanLinkedIDPsRequest).get("query", {}))
    total, links = idp_links.list_links(org_id, user_id, offset=offset, limit=limit)
    return respond(wire.message(details=wire.list_details(total), result=[wire.idp_link(link) for link in links]))


def remove_idp_link(user_id, idp_id, linked_user_id):
    principal, org_id = context("user.write")
    return changed(idp_links.remove_link(org_id, user_id, idp_id, linked_user_id, principal.editor_id), org_id)
