"""Human endpoints #21-#34 (reference §6.5-§6.6): profile, e-mail, phone, avatar, passwords."""
from models import human_contact, user_lookup, user_passwords

from . import wire
from .http import body, context, respond
from .schemas import (
    ResendHumanInitializationRequest,
    SendHumanResetPasswordNotificationRequest,
    SetHumanInitialPasswordRequest,
    SetHumanPasswordRequest,
    UpdateHumanEmailRequest,
    UpdateHumanPhoneRequest,
    UpdateHumanProfileRequest,
)
from .users import bodyless_write, fieldless_write


def _read(user_id, part, render):
    """GetHumanProfile/Email/Phone: the user's details and one part of it."""
    _, org_id = context("user.read")
    user = user_lookup.human_in_org(org_id, user_id)
    return respond({"details": wire.details_of(user, org_id), part: render(user)})


def changed(event, org_id):
    """The answer of most writes: change-style details (§4.1)."""
    return respond({"details": wire.details_changed(event, org_id)})


def get_profile(user_id):
    return _read(user_id, "profile", wire.profile)


def update_profile(user_id):
    principal, org_id = context("user.write")
    request_ = body(UpdateHumanProfileRequest)
    return changed(human_contact.update_profile(org_id, user_id, request_, principal.editor_id), org_id)


def get_email(user_id):
    return _read(user_id, "email", wire.email)


def _contact(user_id, schema, field, operation):
    """UpdateHumanEmail / UpdateHumanPhone: the value and whether it counts as verified."""
    principal, org_id = context("user.write")
    request_ = body(schema)
    event = operation(org_id, user_id, request_[field], request_.get(f"is_{field}_verified", False),
                      principal.editor_id)
    return changed(event, org_id)


def update_email(user_id):
    return _contact(user_id, UpdateHumanEmailRequest, "email", human_contact.change_email)


def resend_initialization(user_id):
    principal, org_id = context("user.write")
    email = body(ResendHumanInitializationRequest).get("email")
    return changed(human_contact.resend_initialization(org_id, user_id, email, principal.editor_id), org_id)


def resend_email_verification(user_id):
    return fieldless_write(human_contact.resend_email_verification, user_id)


def get_phone(user_id):
    return _read(user_id, "phone", wire.phone)


def update_phone(user_id):
    return _contact(user_id, UpdateHumanPhoneRequest, "phone", human_contact.change_phone)


def remove_phone(user_id):
    return bodyless_write(human_contact.remove_phone, user_id)


def resend_phone_verification(user_id):
    return fieldless_write(human_contact.resend_phone_verification, user_id)


def remove_avatar(user_id):
    return bodyless_write(human_contact.remove_avatar, user_id)


def set_initial_password(user_id):
    principal, org_id = context("user.write")
    password = body(SetHumanInitialPasswordRequest)["password"]
    event = user_passwords.set_password(org_id, user_id, password, principal.editor_id, change_required=True)
    return changed(event, org_id)


def set_password(user_id):
    principal, org_id = context("user.write")
    request_ = body(SetHumanPasswordRequest)
    event = user_passwords.set_password(org_id, user_id, request_["password"], principal.editor_id,
                                        change_required=not request_.get("no_change_required", False))
    return changed(event, org_id)


def reset_password(user_id):
    principal, org_id = context("user.write")
    channel = body(SendHumanResetPasswordNotificationRequest).get("type", 0)
    return changed(user_passwords.request_reset(org_id, user_id, channel, principal.editor_id), org_id)
