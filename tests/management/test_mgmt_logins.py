"""#35-#43 auth factors and passkeys (§6.7), the factor-import extensions, #55-#56 social logins (§6.10)."""
import urllib.parse
import uuid

import pyotp
import pytest

from models.auth_factors import verify_totp
from models.codes import code_hash
from models.db import db
from models.mgmt_tables import AuthFactor, AuthFactorState, Notification, UserCode
from tests.conftest import make_tenant
from tests.management.mgmt_helpers import MgmtClient, assert_denied, assert_error, assert_invalid, factor

OTP_MISSING = "Multifactor OTP (OneTimePassword) doesn't exist"
WEBAUTHN_MISSING = "WebAuthN Token could not be found"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def factors(mgmt, user_id):
    return mgmt.ok("post", f"/users/{user_id}/auth_factors/_search").get("result", [])


def test_list_shows_ready_factors_only(mgmt):
    user_id = mgmt.human()
    assert mgmt.ok("post", f"/users/{user_id}/auth_factors/_search") == {}
    factor(user_id, "otp")
    key = factor(user_id, "u2f", name="YubiKey")
    factor(user_id, "u2f", state=AuthFactorState.NOT_READY, name="half")
    factor(user_id, "otp_sms")
    factor(user_id, "otp_email")
    factor(user_id, "passkey", name="laptop")
    assert factors(mgmt, user_id) == [
        {"state": "AUTH_FACTOR_STATE_READY", "otp": {}},
        {"state": "AUTH_FACTOR_STATE_READY", "u2f": {"id": key, "name": "YubiKey"}},
        {"state": "AUTH_FACTOR_STATE_READY", "otpSms": {}},
        {"state": "AUTH_FACTOR_STATE_READY", "otpEmail": {}},
    ]


def test_lists_filter_by_user_id_only(mgmt, other, roleless):
    """ZITADEL's quirk: the factor and passkey lists do not check the user's organisation."""
    foreign = other.human("foreign")
    factor(foreign, "otp")
    passkey = factor(foreign, "passkey", name="phone")
    assert factors(mgmt, foreign) == [{"state": "AUTH_FACTOR_STATE_READY", "otp": {}}]
    listed = mgmt.ok("post", f"/users/{foreign}/passwordless/_search")
    assert listed == {"result": [{"id": passkey, "state": "AUTH_FACTOR_STATE_READY", "name": "phone"}]}
    assert mgmt.ok("post", "/users/404/auth_factors/_search") == {}
    assert_denied(roleless.post(f"/users/{foreign}/auth_factors/_search"))
    assert_denied(roleless.post(f"/users/{foreign}/passwordless/_search"))
    # Removing them is scoped to the ctx org.
    assert_error(mgmt.delete(f"/users/{foreign}/auth_factors/otp"), 404, 5, OTP_MISSING, "COMMAND-Hd9sd")
    assert factors(other, foreign)


@pytest.mark.parametrize("kind, path, error_id, event", [
    ("otp", "auth_factors/otp", "COMMAND-Hd9sd", "user.human.mfa.otp.removed"),
    ("otp_sms", "auth_factors/otp_sms", "COMMAND-Sr3h3", "user.human.mfa.otp.sms.removed"),
    ("otp_email", "auth_factors/otp_email", "COMMAND-b312D", "user.human.mfa.otp.email.removed"),
])
def test_remove_otp_factors(mgmt, other, reader, kind, path, error_id, event):
    user_id = mgmt.human()
    assert_error(mgmt.delete(f"/users/{user_id}/{path}"), 404, 5, OTP_MISSING, error_id)
    assert_error(mgmt.delete(f"/users/404/{path}"), 404, 5, OTP_MISSING, error_id)
    # A user of another organisation is as unknown, and keeps its factor.
    foreign = other.human("foreign")
    factor(foreign, kind)
    assert_error(mgmt.delete(f"/users/{foreign}/{path}"), 404, 5, OTP_MISSING, error_id)
    assert factors(other, foreign) != []
    factor(user_id, kind)
    assert_denied(reader.delete(f"/users/{user_id}/{path}"))
    details = mgmt.ok("delete", f"/users/{user_id}/{path}")["details"]
    assert mgmt.user(user_id)["details"]["sequence"] == details["sequence"]
    assert factors(mgmt, user_id) == []
    last = mgmt.ok("post", f"/users/{user_id}/changes/_search", {"query": {"limit": 1}})["result"][0]
    assert last["eventType"]["key"] == f"EventTypes.{event}"


@pytest.mark.parametrize("kind, path", [("u2f", "auth_factors/u2f"), ("passkey", "passwordless")])
def test_remove_webauthn_tokens(mgmt, other, reader, kind, path):
    user_id = mgmt.human()
    token = factor(user_id, kind, name="key")
    assert_error(mgmt.delete(f"/users/{user_id}/{path}/404"), 404, 5, WEBAUTHN_MISSING, "COMMAND-DAfb2")
    foreign = other.human("foreign")
    foreign_token = factor(foreign, kind)
    assert_error(mgmt.delete(f"/users/{foreign}/{path}/{foreign_token}"), 404, 5, WEBAUTHN_MISSING, "COMMAND-DAfb2")
    assert_denied(reader.delete(f"/users/{user_id}/{path}/{token}"))
    mgmt.ok("delete", f"/users/{user_id}/{path}/{token}")
    assert_error(mgmt.delete(f"/users/{user_id}/{path}/{token}"), 404, 5, WEBAUTHN_MISSING, "COMMAND-DAfb2")
    with db.connection_context():
        assert AuthFactor.select().where(AuthFactor.id == foreign_token).exists()


def test_passwordless_link(mgmt, client, tenant):
    user_id = mgmt.human()
    answer = mgmt.ok("post", f"/users/{user_id}/passwordless/_link")
    assert set(answer) == {"details", "link", "expiration"} and answer["expiration"] == "3600s"
    assert set(answer["details"]) == {"sequence", "creationDate", "resourceOwner"}
    link = urllib.parse.urlsplit(answer["link"])
    assert link.path == "/ui/login/login/passwordless/init"
    params = dict(urllib.parse.parse_qsl(link.query))
    assert params["userID"] == user_id and params["orgID"] == tenant.org_id
    with db.connection_context():
        row = UserCode.get_by_id(params["codeID"])
        # Only the code's hash is stored, and it expires after an hour.
        assert row.code_hash == code_hash(params["code"]) and params["code"] not in row.code_hash
        assert (row.expires_at - row.created_at).total_seconds() == 3600


def passkey_codes(user_id):
    with db.connection_context():
        codes = UserCode.select().where((UserCode.user == user_id) & (UserCode.kind == "passwordless")).count()
        sent = Notification.select().where(Notification.user_id == user_id).count()
    return codes, sent


def test_passwordless_link_errors(mgmt, other, reader, client, tenant):
    user_id = mgmt.human()
    # #41 needs user.credential.write, which ORG_USER_MANAGER does not hold.
    manager = MgmtClient(client, make_tenant(("ORG_USER_MANAGER",), scope=tenant.org_id), org_header=tenant.org_id)
    assert_denied(manager.post(f"/users/{user_id}/passwordless/_link"))
    # #42 needs user.write, which ORG_OWNER_VIEWER does not hold.
    assert_denied(reader.post(f"/users/{user_id}/passwordless/_send_link", {}))
    assert_invalid(mgmt.post(f"/users/{user_id}/passwordless/_send_link", data="{", content_type="application/json"))
    assert passkey_codes(user_id) == (0, 0)
    assert manager.post(f"/users/{user_id}/passwordless/_send_link", json={}).status_code == 200
    assert passkey_codes(user_id) == (1, 1)
    assert_error(mgmt.post("/users/404/passwordless/_link"), 404, 5, "User could not be found", "COMMAND-Dsh3i")
    foreign = other.human("foreign")
    assert_error(mgmt.post(f"/users/{foreign}/passwordless/_link"), 404, 5, "User could not be found",
                 "COMMAND-Dsh3i")
    assert_error(mgmt.post(f"/users/{foreign}/passwordless/_send_link"), 404, 5, "User could not be found",
                 "COMMAND-Dsh3i")
    assert passkey_codes(foreign) == (0, 0)


def test_send_passwordless_link_queues_a_notification(mgmt):
    user_id = mgmt.human()
    details = mgmt.ok("post", f"/users/{user_id}/passwordless/_send_link", {})["details"]
    assert set(details) == {"sequence", "creationDate", "resourceOwner"}
    with db.connection_context():
        (row,) = Notification.select().where(Notification.user_id == user_id)
        assert row.kind == "user.passwordless.registration"
        # No webhook is configured here: the notification is only recorded, without the code.
        assert row.status == "logged" and row.sealed is None and '"code"' not in row.payload


def test_import_totp(mgmt, other, reader):
    user_id = mgmt.human()
    details = mgmt.ok("post", f"/users/{user_id}/auth_factors/otp/_import", {"secret": SECRET.lower()})["details"]
    assert set(details) == {"sequence", "creationDate", "resourceOwner"}
    assert factors(mgmt, user_id) == [{"state": "AUTH_FACTOR_STATE_READY", "otp": {}}]
    with db.connection_context():
        assert verify_totp(user_id, pyotp.TOTP(SECRET).now())
        assert not verify_totp(user_id, "000000" if pyotp.TOTP(SECRET).now() != "000000" else "111111")
    assert_error(mgmt.post(f"/users/{user_id}/auth_factors/otp/_import", {"secret": SECRET}), 409, 6,
                 "Multifactor OTP (OneTimePassword) is already set up", "COMMAND-do9se")
    fresh = mgmt.human("fresh")
    assert_error(mgmt.post(f"/users/{fresh}/auth_factors/otp/_import", {"secret": "not base32!"}), 400, 3,
                 "The TOTP secret must be base32 of at least 128 bits", "MGMT-TOTP1")
    assert_error(mgmt.post(f"/users/{fresh}/auth_factors/otp/_import", {"secret": "JBSWY3DP"}), 400, 3,
                 "The TOTP secret must be base32 of at least 128 bits", "MGMT-TOTP1")
    assert_invalid(mgmt.post(f"/users/{fresh}/auth_factors/otp/_import", {}))
    assert_denied(reader.post(f"/users/{fresh}/auth_factors/otp/_import", {"secret": SECRET}))
    foreign = other.human("foreign")
    assert_error(mgmt.post(f"/users/{foreign}/auth_factors/otp/_import", {"secret": SECRET}), 404, 5,
                 "User could not be found", "COMMAND-MM9fs")
    assert factors(mgmt, fresh) == [] and factors(other, foreign) == []


@pytest.mark.parametrize("kind, key, contact, exists_id, not_ready_id", [
    ("otp_sms", "otpSms", {"phone": {"phone": "+41710000000", "isPhoneVerified": True}}, "COMMAND-Ad3g2",
     "COMMAND-Q54j2"),
    ("otp_email", "otpEmail", {}, "COMMAND-MKL2s", "COMMAND-KLJ2d"),
])
def test_enable_otp_channels(mgmt, other, reader, kind, key, contact, exists_id, not_ready_id):
    user_id = mgmt.human(**contact)
    mgmt.ok("post", f"/users/{user_id}/auth_factors/{kind}/_enable", {})
    assert factors(mgmt, user_id) == [{"state": "AUTH_FACTOR_STATE_READY", key: {}}]
    assert_error(mgmt.post(f"/users/{user_id}/auth_factors/{kind}/_enable"), 409, 6,
                 "Multifactor OTP (OneTimePassword) is already set up", exists_id)
    unverified = mgmt.human("unverified", phone={"phone": "+41710000001"}, verified=False)
    assert_error(mgmt.post(f"/users/{unverified}/auth_factors/{kind}/_enable"), 400, 9,
                 "Multifactor OTP (OneTimePassword) isn't ready", not_ready_id)
    assert_denied(reader.post(f"/users/{unverified}/auth_factors/{kind}/_enable"))
    foreign = other.human("foreign", **contact)
    assert_error(mgmt.post(f"/users/{foreign}/auth_factors/{kind}/_enable"), 404, 5, "User could not be found",
                 "COMMAND-MM9fs")
    assert factors(mgmt, unverified) == [] and factors(other, foreign) == []


def test_removing_the_phone_removes_otp_sms(mgmt):
    user_id = mgmt.human(phone={"phone": "+41710000000", "isPhoneVerified": True})
    mgmt.ok("post", f"/users/{user_id}/auth_factors/otp_sms/_enable")
    mgmt.ok("delete", f"/users/{user_id}/phone")
    assert factors(mgmt, user_id) == []


def imported_with_link(mgmt, user_name="linked", external=None):
    return mgmt.ok("post", "/users/human/_import", {
        "userName": user_name, "profile": {"firstName": "L", "lastName": "K"},
        "email": {"email": f"{user_name}@acme.example"},
        "idps": [{"configId": "google", "externalUserId": external, "displayName": f"{user_name}@gmail"}]})["userId"]


def test_social_logins(mgmt, other, reader, roleless):
    # External identities are unique in the whole instance, so each test run links fresh ones.
    mine, theirs = f"g-{uuid.uuid4().hex}", f"g-{uuid.uuid4().hex}"
    user_id = imported_with_link(mgmt, external=mine)
    listed = mgmt.ok("post", f"/users/{user_id}/idps/_search", {"query": {"limit": 10}})
    assert listed["details"]["totalResult"] == "1"
    assert listed["result"] == [{"userId": user_id, "idpId": "google", "idpName": "linked@gmail",
                                 "providedUserId": mine, "providedUserName": "linked@gmail"}]
    foreign = imported_with_link(other, "foreign", theirs)
    assert "result" not in mgmt.ok("post", f"/users/{foreign}/idps/_search", {})
    missing = (404, 5, "External IDP not found", "COMMAND-1M9xR")
    assert_error(mgmt.delete(f"/users/{foreign}/idps/google/{theirs}"), *missing)
    assert_error(mgmt.delete(f"/users/{user_id}/idps/google/{mine}x"), *missing)
    assert_denied(reader.delete(f"/users/{user_id}/idps/google/{mine}"))
    assert_denied(roleless.post(f"/users/{user_id}/idps/_search", {}))
    assert_invalid(mgmt.post(f"/users/{user_id}/idps/_search", {"query": {"limit": -1}}))
    details = mgmt.ok("delete", f"/users/{user_id}/idps/google/{mine}")["details"]
    assert mgmt.user(user_id)["details"]["sequence"] == details["sequence"]
    assert "result" not in mgmt.ok("post", f"/users/{user_id}/idps/_search", {})
    # The external identity is free to be linked again.
    imported_with_link(mgmt, "relinked", mine)
    assert other.ok("post", f"/users/{foreign}/idps/_search", {})["details"]["totalResult"] == "1"


def test_imported_totp_secrets_are_stored_sealed_and_refused_without_a_key(mgmt):
    from models import auth_factors
    from models.mgmt_tables import AuthFactor

    user_id = mgmt.human("sealed")
    mgmt.ok("post", f"/users/{user_id}/auth_factors/otp/_import", {"secret": SECRET})
    with db.connection_context():
        stored = AuthFactor.get((AuthFactor.user == user_id) & (AuthFactor.kind == "otp")).secret
    assert SECRET not in stored and SECRET.lower() not in stored
    keyless = mgmt.human("keyless")
    saved = auth_factors._cipher
    auth_factors.configure(None)
    try:
        assert_error(mgmt.post(f"/users/{keyless}/auth_factors/otp/_import", {"secret": SECRET}), 400, 9,
                     "Importing TOTP secrets needs MFA_ENCRYPTION_KEY, so that they are stored encrypted",
                     "MGMT-TOTP2")
    finally:
        auth_factors._cipher = saved
    assert factors(mgmt, keyless) == []
