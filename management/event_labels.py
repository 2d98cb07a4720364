"""English labels of event types (ZITADEL's `EventTypes.*` texts), for ListUserChanges."""

LABELS = {
    "user.human.added": "Person added",
    "user.machine.added": "Technical user added",
    "user.username.changed": "Username changed",
    "user.human.profile.changed": "Profile changed",
    "user.human.email.changed": "Email address changed",
    "user.human.email.verified": "Email address verified",
    "user.human.email.code.added": "Email address verification code generated",
    "user.human.phone.changed": "Phone number changed",
    "user.human.phone.verified": "Phone number verified",
    "user.human.phone.removed": "Phone number removed",
    "user.human.phone.code.added": "Phone number code generated",
    "user.human.avatar.removed": "Avatar removed",
    "user.human.password.changed": "Password changed",
    "user.human.password.code.added": "Password code generated",
    "user.human.initialization.code.added": "Initialization code generated",
    "user.human.mfa.otp.added": "Multifactor OTP added",
    "user.human.mfa.otp.removed": "Multifactor OTP removed",
    "user.human.mfa.otp.sms.added": "Multifactor OTP SMS added",
    "user.human.mfa.otp.sms.removed": "Multifactor OTP SMS removed",
    "user.human.mfa.otp.email.added": "Multifactor OTP Email added",
    "user.human.mfa.otp.email.removed": "Multifactor OTP Email removed",
    "user.human.mfa.u2f.token.removed": "Multifactor U2F token removed",
    "user.human.passwordless.token.removed": "Passwordless token removed",
    "user.human.passwordless.initialization.code.added": "Passwordless initialization code generated",
    "user.human.passwordless.initialization.code.sent": "Passwordless initialization code sent",
    "user.human.externalidp.added": "External IDP added",
    "user.human.externalidp.removed": "External IDP removed",
    "user.locked": "User locked",
    "user.unlocked": "User unlocked",
    "user.deactivated": "User deactivated",
    "user.reactivated": "User reactivated",
    "user.removed": "User deleted",
    "user.metadata.set": "Metadata set",
    "user.metadata.removed": "Metadata removed",
    "user.personal.access.token.added": "Personal Access Token added",
}


def label(event_type):
    return LABELS.get(event_type, event_type)
