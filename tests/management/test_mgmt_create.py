"""#6 AddHumanUser, #7 ImportHumanUser, #8 AddMachineUser."""
import bcrypt
import pytest
from argon2 import PasswordHasher
from passlib.hash import pbkdf2_sha256, pbkdf2_sha512

from models.db import db
from models.mgmt_tables import IdpLink, Notification
from models.password_import import verify
from models.tables import User
from tests.management.mgmt_helpers import absent, assert_denied, assert_error, assert_invalid

PROFILE = {"firstName": "Minnie", "lastName": "Mouse"}


def add(mgmt, **body):
    return mgmt.post("/users/human", {"userName": "minnie", "profile": PROFILE,
                                      "email": {"email": "minnie@acme.example"}, **body})


def stored(user_id):
    with db.connection_context():
        return User.get_by_id(user_id)


def outbox(user_id):
    with db.connection_context():
        return [n.kind for n in Notification.select().where(Notification.user_id == user_id).order_by(Notification.id)]


def test_add_human_ready(mgmt):
    response = add(mgmt, email={"email": "minnie@acme.example", "isEmailVerified": True},
                   initialPassword="Password1!", phone={"phone": "+41 71 000 00 00", "isPhoneVerified": True},
                   profile={**PROFILE, "nickName": "min", "preferredLanguage": "de", "gender": "GENDER_FEMALE"})
    answer = response.get_json()
    assert response.status_code == 200 and set(answer) == {"userId", "details"}
    assert set(answer["details"]) == {"sequence", "creationDate", "resourceOwner"}
    user = mgmt.user(answer["userId"])
    assert user["state"] == "USER_STATE_ACTIVE"
    assert user["human"]["phone"] == {"phone": "+41710000000", "isPhoneVerified": True}
    assert user["human"]["profile"] == {**PROFILE, "nickName": "min", "displayName": "Minnie Mouse",
                                        "preferredLanguage": "de", "gender": "GENDER_FEMALE"}
    assert user["details"]["sequence"] == answer["details"]["sequence"]
    # An administrator's password must be changed at the first login.
    assert stored(answer["userId"]).password_change_required
    assert outbox(answer["userId"]) == []


def test_add_human_without_verified_email_or_password_is_initial(mgmt):
    unverified = add(mgmt, initialPassword="Password1!").get_json()["userId"]
    assert mgmt.user(unverified)["state"] == "USER_STATE_INITIAL"
    assert outbox(unverified) == ["user.initialization"]
    no_password = add(mgmt, userName="nopw", email={"email": "n@acme.example", "isEmailVerified": True},
                      phone={"phone": "+41710000001"}).get_json()["userId"]
    assert mgmt.user(no_password)["state"] == "USER_STATE_INITIAL"
    assert outbox(no_password) == ["user.initialization", "user.phone.verification"]


def test_add_human_is_visible_to_scim(mgmt, scim):
    user_id = add(mgmt, email={"email": "minnie@acme.example", "isEmailVerified": True}).get_json()["userId"]
    resource = scim.get(f"/Users/{user_id}").get_json()
    assert resource["userName"] == "minnie" and resource["emails"][0]["value"] == "minnie@acme.example"


@pytest.mark.parametrize("body, status, code, text, error_id", [
    ({"email": {"email": "not-an-email"}}, 400, 3, "Email is invalid", "EMAIL-599BI"),
    ({"phone": {"phone": "+41 not a number"}}, 400, 3, "Phone is invalid", "PHONE-so0wa"),
    ({"profile": {"firstName": "  ", "lastName": "Mouse"}}, 400, 3, "Given name in profile is empty", "USER-UCej2"),
    ({"profile": {"firstName": "M", "lastName": " "}}, 400, 3, "Family name in profile is empty", "USER-4hB7d"),
    ({"initialPassword": "Short1!"}, 400, 3, "Password is too short", "DOMAIN-HuJf6"),
    ({"initialPassword": "PASSWORD1!"}, 400, 3, "Password must contain lower case", "DOMAIN-co3Xw"),
    ({"initialPassword": "password1!"}, 400, 3, "Password must contain upper case", "DOMAIN-VoaRj"),
    ({"initialPassword": "Password!!"}, 400, 3, "Password must contain number", "DOMAIN-ZBv4H"),
    ({"initialPassword": "Password11"}, 400, 3, "Password must contain symbol", "DOMAIN-ZDLwA"),
])
def test_add_human_errors(mgmt, body, status, code, text, error_id):
    assert_error(add(mgmt, **body), status, code, text, error_id)
    assert absent(mgmt, "minnie")


def test_add_human_duplicate_username(mgmt, other):
    assert add(mgmt).status_code == 200
    assert_error(add(mgmt, userName="MINNIE"), 409, 6, "User already exists", "V3-DKcYh")
    # Usernames are unique per organisation.
    assert add(other).status_code == 200


@pytest.mark.parametrize("body, message", [
    ({"userName": ""}, "invalid AddHumanUserRequest.UserName: value length must be between 1 and 200 runes, inclusive"),
    ({"profile": None}, "invalid AddHumanUserRequest.Profile: value is required"),
    ({"email": {}}, "invalid AddHumanUserRequest.Email: embedded message failed validation | caused by: "
                    "invalid AddHumanUserRequest_Email.Email: value length must be between 1 and 200 runes, inclusive"),
    ({"phone": {"phone": "0710000000"}}, "invalid AddHumanUserRequest.Phone: embedded message failed validation | "
                                         "caused by: invalid AddHumanUserRequest_Phone.Phone: value does not have "
                                         'prefix "+"'),
    ({"profile": {**PROFILE, "gender": "GENDER_OTHER"}}, None),
    ({"userName": 42}, None),
])
def test_add_human_validation(mgmt, body, message):
    assert_invalid(add(mgmt, **body), message)
    assert absent(mgmt, "minnie")


@pytest.mark.parametrize("sent, kept", [
    ("!!bad", "und"), ("en--us", "und"), ("und", "und"), ("EN-us", "en-US"), ("de_ch", "de-CH"),
    ("sr-latn-rs", "sr-Latn-RS"), ("es-419", "es-419"),
])
@pytest.mark.parametrize("create", ["add", "import"])
def test_preferred_language_is_a_bcp47_tag(mgmt, create, sent, kept):
    # Reference §6.2 (6): a tag that cannot be parsed is the undefined language, `und`.
    profile = {**PROFILE, "preferredLanguage": sent}
    response = add(mgmt, profile=profile) if create == "add" else imported(mgmt, profile=profile)
    user_id = response.get_json()["userId"]
    assert mgmt.ok("get", f"/users/{user_id}/profile")["profile"]["preferredLanguage"] == kept
    assert mgmt.user(user_id)["human"]["profile"]["preferredLanguage"] == kept


def test_preferred_language_length_is_checked_on_what_was_sent(mgmt):
    # Ten runes at most, before the tag is parsed: a longer unparseable one is refused, not made `und`.
    assert_invalid(add(mgmt, profile={**PROFILE, "preferredLanguage": "!!bad-value"}),
                   "invalid AddHumanUserRequest.Profile: embedded message failed validation | caused by: invalid "
                   "AddHumanUserRequest_Profile.PreferredLanguage: value length must be at most 10 runes")
    assert absent(mgmt, "minnie")


def test_add_human_needs_user_write(reader, roleless):
    assert_denied(add(reader))
    assert_denied(add(roleless))


def imported(mgmt, **body):
    full = {"userName": "imp", "profile": PROFILE, "email": {"email": "imp@acme.example", "isEmailVerified": True},
            **body}
    return mgmt.post("/users/human/_import", full)


@pytest.mark.parametrize("make_hash", [
    lambda pw: bcrypt.hashpw(pw.encode(), bcrypt.gensalt(4)).decode().replace("$2b$", "$2y$"),
    lambda pw: bcrypt.hashpw(pw.encode(), bcrypt.gensalt(4)).decode().replace("$2b$", "$2a$"),
    lambda pw: PasswordHasher(time_cost=1, memory_cost=1024).hash(pw),
    lambda pw: pbkdf2_sha256.using(rounds=1000).hash(pw),
    lambda pw: pbkdf2_sha512.using(rounds=1000).hash(pw),
], ids=["bcrypt-2y", "bcrypt-2a", "argon2id", "pbkdf2-sha256", "pbkdf2-sha512"])
def test_import_hashed_password(mgmt, make_hash):
    response = imported(mgmt, hashedPassword={"value": make_hash("Secret-123")}, passwordChangeRequired=True)
    user_id = response.get_json()["userId"]
    assert mgmt.user(user_id)["state"] == "USER_STATE_ACTIVE"
    row = stored(user_id)
    assert verify(row.password_hash, "Secret-123") and not verify(row.password_hash, "wrong")
    assert row.password_change_required


def test_import_unsupported_hash(mgmt):
    text = ("Password hash encoding not supported. Check out "
            "https://zitadel.com/docs/concepts/architecture/secrets#hashed-secrets")
    assert_error(imported(mgmt, hashedPassword={"value": "plain-text"}), 400, 3, text, "USER-JDk4t")
    assert absent(mgmt, "imp")


def test_import_states(mgmt):
    plain = imported(mgmt, password="Password1!").get_json()["userId"]
    assert mgmt.user(plain)["state"] == "USER_STATE_ACTIVE" and not stored(plain).password_change_required
    unverified = imported(mgmt, userName="unv", email={"email": "u@acme.example"}, password="Password1!")
    assert mgmt.user(unverified.get_json()["userId"])["state"] == "USER_STATE_INITIAL"
    nothing = imported(mgmt, userName="none").get_json()["userId"]
    assert mgmt.user(nothing)["state"] == "USER_STATE_INITIAL"
    # The v1 handler ignores otpCode.
    ignored = imported(mgmt, userName="otp", password="Password1!", otpCode="123456")
    assert mgmt.user(ignored.get_json()["userId"])["state"] == "USER_STATE_ACTIVE"


def test_import_with_idp_link_is_ready(mgmt):
    body = {"userName": "linked", "email": {"email": "l@acme.example"},
            "idps": [{"configId": "google", "externalUserId": "g-1", "displayName": "Linked"}]}
    user_id = imported(mgmt, **body).get_json()["userId"]
    assert mgmt.user(user_id)["state"] == "USER_STATE_ACTIVE"
    with db.connection_context():
        assert IdpLink.get(IdpLink.user == user_id).provided_user_id == "g-1"
    clash = imported(mgmt, **{**body, "userName": "linked2"})
    assert_error(clash, 409, 6, "External IDP already linked", "COMMAND-mJT2s")
    assert_invalid(imported(mgmt, userName="x", idps=[{"configId": "google"}]))


def test_import_passwordless_registration(mgmt):
    answer = imported(mgmt, requestPasswordlessRegistration=True).get_json()
    assert mgmt.user(answer["userId"])["state"] == "USER_STATE_ACTIVE"
    registration = answer["passwordlessRegistration"]
    assert registration["lifetime"] == registration["expiration"] == "3600s"
    assert registration["link"].startswith("http://localhost/ui/login/login/passwordless/init?userID=")
    assert f"orgID={mgmt.tenant.org_id}" in registration["link"] and "&code=" in registration["link"]


def test_import_rules(mgmt, reader):
    assert_denied(imported(reader))
    assert_invalid(imported(mgmt, hashedPassword={"value": ""}))
    assert imported(mgmt).status_code == 200
    assert_error(imported(mgmt), 409, 6, "User already exists", "V3-DKcYh")


def test_add_machine(mgmt):
    response = mgmt.post("/users/machine", {"userName": "ci-bot", "name": "CI bot", "description": "builds"})
    answer = response.get_json()
    assert set(answer["details"]) == {"sequence", "changeDate", "resourceOwner"}
    user = mgmt.user(answer["userId"])
    assert user["state"] == "USER_STATE_ACTIVE" and user["machine"] == {"name": "CI bot", "description": "builds"}


def test_add_machine_with_own_id(mgmt, other):
    chosen = "3f2c9c58-5d0e-4d6a-9d5e-1d7d2f5f0a11"
    assert mgmt.machine("own-id", userId=chosen) == chosen
    taken = other.post("/users/machine", {"userName": "again", "name": "n", "userId": chosen})
    assert_error(taken, 400, 9, "Errors.User.AlreadyExisting", "COMMAND-k2una")
    assert absent(other, "again") and mgmt.user(chosen)["userName"] == "own-id"


def test_add_machine_errors(mgmt, reader):
    dup = mgmt.machine("dup")
    assert_error(mgmt.post("/users/machine", {"userName": "dup", "name": "n"}), 409, 6, "User already exists",
                 "V3-DKcYh")
    assert_error(mgmt.post("/users/machine", {"userName": "blank", "name": "  "}), 400, 3, "Userdata is invalid",
                 "COMMAND-bm9Ds")
    assert_invalid(mgmt.post("/users/machine", {"userName": "n"}),
                   "invalid AddMachineUserRequest.Name: value length must be between 1 and 200 runes, inclusive")
    assert_invalid(mgmt.post("/users/machine", {"userName": "n", "name": "n", "description": "d" * 501}))
    assert_invalid(mgmt.post("/users/machine", data="{", content_type="application/json"))
    assert_denied(reader.post("/users/machine", {"userName": "r", "name": "r"}))
    # Nothing was created, and the existing "dup" is untouched.
    assert absent(mgmt, "blank") and absent(mgmt, "n") and absent(mgmt, "r")
    found = mgmt.ok("post", "/users/_search", {"queries": [{"userNameQuery": {"userName": "dup"}}]})
    assert [u["id"] for u in found["result"]] == [dup] and found["result"][0]["machine"] == {"name": "CI bot"}
