"""#21-#31 profile, e-mail, phone, resends and avatar of humans (§6.5)."""
import base64

import pytest

from models.db import db
from models.mgmt_tables import Notification
from tests.management.mgmt_helpers import assert_denied, assert_error, assert_invalid

PROFILE = {"firstName": "Daisy", "lastName": "Duck", "displayName": "Daisy D."}


def kinds(user_id):
    with db.connection_context():
        return [n.kind for n in Notification.select().where(Notification.user_id == user_id).order_by(Notification.id)]


def history(mgmt, user_id):
    return [c["eventType"]["key"].removeprefix("EventTypes.")
            for c in mgmt.ok("post", f"/users/{user_id}/changes/_search", {"query": {"asc": True}})["result"]]


def test_get_profile_email_phone(mgmt):
    user_id = mgmt.human(phone={"phone": "+41710000000", "isPhoneVerified": True})
    profile = mgmt.ok("get", f"/users/{user_id}/profile")
    assert set(profile["details"]) == {"sequence", "creationDate", "changeDate", "resourceOwner"}
    assert profile["profile"] == {"firstName": "Minnie", "lastName": "Mouse", "displayName": "Minnie Mouse",
                                  "preferredLanguage": "und"}
    email = mgmt.ok("get", f"/users/{user_id}/email")
    assert email["email"] == {"email": "minnie@acme.example", "isEmailVerified": True}
    assert mgmt.ok("get", f"/users/{user_id}/phone")["phone"] == {"phone": "+41710000000", "isPhoneVerified": True}
    without = mgmt.human("nophone")
    assert mgmt.ok("get", f"/users/{without}/phone")["phone"] == {}


@pytest.mark.parametrize("part", ["profile", "email", "phone"])
def test_reads_of_unknown_foreign_and_machine_users(mgmt, other, roleless, part):
    assert_error(mgmt.get(f"/users/404/{part}"), 404, 5, "User could not be found", "QUERY-HNhb3")
    foreign = other.human("foreign")
    assert_error(mgmt.get(f"/users/{foreign}/{part}"), 404, 5, "User could not be found", "QUERY-HNhb3")
    machine = mgmt.machine()
    assert_error(mgmt.get(f"/users/{machine}/{part}"), 400, 9, "The User must be personal", "QUERY-WLTce")
    assert_denied(roleless.get(f"/users/{machine}/{part}"))


def test_update_profile(mgmt, scim):
    user_id = mgmt.human()
    body = {**PROFILE, "nickName": "dd", "preferredLanguage": "de", "gender": "GENDER_FEMALE"}
    details = mgmt.ok("put", f"/users/{user_id}/profile", body)["details"]
    assert set(details) == {"sequence", "changeDate", "resourceOwner"}
    profile = mgmt.ok("get", f"/users/{user_id}/profile")
    assert profile["details"]["sequence"] == details["sequence"]
    assert profile["profile"] == {**PROFILE, "nickName": "dd", "preferredLanguage": "de", "gender": "GENDER_FEMALE"}
    assert history(mgmt, user_id)[-1] == "user.human.profile.changed"
    # A full replacement: what is left out is cleared.
    mgmt.ok("put", f"/users/{user_id}/profile", PROFILE)
    assert mgmt.ok("get", f"/users/{user_id}/profile")["profile"] == {**PROFILE, "preferredLanguage": "und"}
    resource = scim.get(f"/Users/{user_id}").get_json()
    assert resource["name"] == {"givenName": "Daisy", "familyName": "Duck"} and resource["displayName"] == "Daisy D."
    assert_error(mgmt.put(f"/users/{user_id}/profile", PROFILE), 400, 9, "Profile not changed", "COMMAND-2M0fs")


def test_update_profile_normalises_the_language(mgmt):
    user_id = mgmt.human()
    mgmt.ok("put", f"/users/{user_id}/profile", {**PROFILE, "preferredLanguage": "DE_ch"})
    assert mgmt.ok("get", f"/users/{user_id}/profile")["profile"]["preferredLanguage"] == "de-CH"
    mgmt.ok("put", f"/users/{user_id}/profile", {**PROFILE, "preferredLanguage": "!!bad"})
    assert mgmt.ok("get", f"/users/{user_id}/profile")["profile"]["preferredLanguage"] == "und"
    # An unparseable tag is the undefined language, the same as none at all: nothing changes.
    assert_error(mgmt.put(f"/users/{user_id}/profile", PROFILE), 400, 9, "Profile not changed", "COMMAND-2M0fs")
    assert_error(mgmt.put(f"/users/{user_id}/profile", {**PROFILE, "preferredLanguage": "?"}), 400, 9,
                 "Profile not changed", "COMMAND-2M0fs")


def test_update_profile_errors(mgmt, other, reader):
    user_id = mgmt.human()
    before = mgmt.ok("get", f"/users/{user_id}/profile")
    assert_error(mgmt.put("/users/404/profile", PROFILE), 400, 9, "Profile not found", "COMMAND-3M9sd")
    foreign = other.human("foreign")
    assert_error(mgmt.put(f"/users/{foreign}/profile", PROFILE), 400, 9, "Profile not found", "COMMAND-3M9sd")
    machine = mgmt.machine()
    assert_error(mgmt.put(f"/users/{machine}/profile", PROFILE), 400, 9, "Profile not found", "COMMAND-3M9sd")
    assert_error(mgmt.put(f"/users/{user_id}/profile", {**PROFILE, "firstName": "  "}), 400, 3,
                 "Given name in profile is empty", "USER-UCej2")
    assert_invalid(mgmt.put(f"/users/{user_id}/profile", {"firstName": "A", "lastName": "B"}),
                   "invalid UpdateHumanProfileRequest.DisplayName: value length must be between 1 and 200 runes, "
                   "inclusive")
    assert_invalid(mgmt.put(f"/users/{user_id}/profile", {**PROFILE, "preferredLanguage": "x" * 11}))
    assert_invalid(mgmt.put(f"/users/{user_id}/profile", {**PROFILE, "gender": 9}))
    assert_invalid(mgmt.put(f"/users/{user_id}/profile", data="{", content_type="application/json"))
    assert_denied(reader.put(f"/users/{user_id}/profile", PROFILE))
    assert mgmt.ok("get", f"/users/{user_id}/profile") == before


def test_update_email_unverified_sends_a_code(mgmt):
    user_id = mgmt.human()
    details = mgmt.ok("put", f"/users/{user_id}/email", {"email": "new@acme.example"})["details"]
    assert mgmt.ok("get", f"/users/{user_id}/email")["email"] == {"email": "new@acme.example"}
    assert mgmt.user(user_id)["details"]["sequence"] == details["sequence"]
    assert kinds(user_id) == ["user.email.verification"]
    assert history(mgmt, user_id)[-2:] == ["user.human.email.changed", "user.human.email.code.added"]
    # The same address, now verified, is a change; the same again is not.
    mgmt.ok("put", f"/users/{user_id}/email", {"email": "new@acme.example", "isEmailVerified": True})
    assert mgmt.ok("get", f"/users/{user_id}/email")["email"] == {"email": "new@acme.example",
                                                                  "isEmailVerified": True}
    assert history(mgmt, user_id)[-1] == "user.human.email.verified"
    assert_error(mgmt.put(f"/users/{user_id}/email", {"email": "new@acme.example"}), 400, 9, "Email not changed",
                 "COMMAND-2b7fM")


def test_update_email_errors(mgmt, other, reader):
    user_id = mgmt.human()
    initial = mgmt.human("initial", verified=False)
    assert_error(mgmt.put(f"/users/{initial}/email", {"email": "x@acme.example"}), 400, 9,
                 "User is not yet initialized", "COMMAND-J8dsk")
    assert_error(mgmt.put("/users/404/email", {"email": "x@acme.example"}), 400, 9, "Email not found",
                 "COMMAND-0Pe4r")
    foreign = other.human("foreign")
    assert_error(mgmt.put(f"/users/{foreign}/email", {"email": "x@acme.example"}), 400, 9, "Email not found",
                 "COMMAND-0Pe4r")
    assert_error(mgmt.put(f"/users/{user_id}/email", {"email": "not-an-email"}), 400, 3, "Email is invalid",
                 "EMAIL-599BI")
    assert_invalid(mgmt.put(f"/users/{user_id}/email", {}),
                   "invalid UpdateHumanEmailRequest.Email: value length must be between 1 and 200 runes, inclusive")
    assert_invalid(mgmt.put(f"/users/{user_id}/email", {"email": "y@acme.example", "isEmailVerified": "yes"}))
    assert_denied(reader.put(f"/users/{user_id}/email", {"email": "r@acme.example"}))
    assert mgmt.ok("get", f"/users/{user_id}/email")["email"]["email"] == "minnie@acme.example"
    assert other.ok("get", f"/users/{foreign}/email")["email"]["email"] == "foreign@acme.example"


def test_email_change_shows_in_scim(mgmt, scim):
    created = scim.create_user("scim-mail", name={"givenName": "S", "familyName": "M"}, emails=[
        {"value": "home@acme.example", "type": "home"},
        {"value": "work@acme.example", "type": "work", "primary": True}])
    user_id = created["id"]
    mgmt.ok("put", f"/users/{user_id}/email", {"email": "changed@acme.example", "isEmailVerified": True})
    emails = scim.get(f"/Users/{user_id}").get_json()["emails"]
    assert emails == [{"value": "home@acme.example", "type": "home"},
                      {"value": "changed@acme.example", "type": "work", "primary": True}]
    found = scim.get('/Users?filter=emails.value eq "changed@acme.example"').get_json()
    assert [r["id"] for r in found["Resources"]] == [user_id]
    assert scim.get('/Users?filter=emails.value eq "work@acme.example"').get_json()["totalResults"] == 0
    # Through the metadata endpoint the list is visible as JSON too.
    metadata = mgmt.ok("get", f"/users/{user_id}/metadata/urn:zitadel:scim:emails")["metadata"]
    assert "changed@acme.example" in base64.b64decode(metadata["value"]).decode()


def test_phone_change_and_removal_show_in_scim(mgmt, scim):
    created = scim.create_user("scim-phone", name={"givenName": "S", "familyName": "P"},
                               emails=[{"value": "p@acme.example"}],
                               phoneNumbers=[{"value": "+41710000001", "type": "work"},
                                             {"value": "+41710000002", "type": "mobile"}])
    user_id = created["id"]
    mgmt.ok("put", f"/users/{user_id}/phone", {"phone": "+41 71 000 00 09", "isPhoneVerified": True})
    phones = scim.get(f"/Users/{user_id}").get_json()["phoneNumbers"]
    assert phones == [{"value": "+41710000009", "type": "work"}, {"value": "+41710000002", "type": "mobile"}]
    mgmt.ok("delete", f"/users/{user_id}/phone")
    assert scim.get(f"/Users/{user_id}").get_json()["phoneNumbers"] == [{"value": "+41710000002", "type": "mobile"}]


def test_resend_initialization(mgmt):
    user_id = mgmt.human("init", verified=False, password=None)
    mgmt.ok("post", f"/users/{user_id}/_resend_initialization", {})
    assert kinds(user_id) == ["user.initialization", "user.initialization"]
    mgmt.ok("post", f"/users/{user_id}/_resend_initialization", {"email": "other@acme.example"})
    assert mgmt.ok("get", f"/users/{user_id}/email")["email"] == {"email": "other@acme.example"}
    assert history(mgmt, user_id)[-2:] == ["user.human.email.changed", "user.human.initialization.code.added"]
    assert_error(mgmt.post(f"/users/{user_id}/_resend_initialization", {"email": "bad"}), 400, 3,
                 "Email is invalid", "EMAIL-599BI")


def test_resend_initialization_errors(mgmt, other, reader):
    ready = mgmt.human()
    assert_error(mgmt.post(f"/users/{ready}/_resend_initialization"), 400, 9, "User is already initialized",
                 "COMMAND-2M9sd")
    assert_error(mgmt.post("/users/404/_resend_initialization"), 404, 5, "User could not be found", "COMMAND-2M9df")
    foreign = other.human("foreign", verified=False)
    assert_error(mgmt.post(f"/users/{foreign}/_resend_initialization"), 404, 5, "User could not be found",
                 "COMMAND-2M9df")
    assert_invalid(mgmt.post(f"/users/{foreign}/_resend_initialization", {"email": "x" * 201}))
    assert_denied(reader.post(f"/users/{ready}/_resend_initialization"))
    assert kinds(foreign) == ["user.initialization"]


def test_resend_email_verification(mgmt, other, reader):
    user_id = mgmt.human()
    assert_error(mgmt.post(f"/users/{user_id}/email/_resend_verification"), 400, 9, "Email is already verified",
                 "COMMAND-3M9ds")
    mgmt.ok("put", f"/users/{user_id}/email", {"email": "unverified@acme.example"})
    mgmt.ok("post", f"/users/{user_id}/email/_resend_verification", {})
    assert kinds(user_id) == ["user.email.verification", "user.email.verification"]
    initial = mgmt.human("initial", verified=False)
    assert_error(mgmt.post(f"/users/{initial}/email/_resend_verification"), 400, 9, "User is not yet initialized",
                 "COMMAND-E3fbw")
    assert_error(mgmt.post("/users/404/email/_resend_verification"), 404, 5, "Email not found", "COMMAND-0Pe4r")
    foreign = other.human("foreign")
    assert_error(mgmt.post(f"/users/{foreign}/email/_resend_verification"), 404, 5, "Email not found",
                 "COMMAND-0Pe4r")
    assert_invalid(mgmt.post(f"/users/{user_id}/email/_resend_verification", data="[", content_type="application/json"))
    assert_denied(reader.post(f"/users/{user_id}/email/_resend_verification"))
    assert kinds(user_id) == ["user.email.verification", "user.email.verification"]


def test_update_phone(mgmt):
    user_id = mgmt.human()
    mgmt.ok("put", f"/users/{user_id}/phone", {"phone": "+41 71 000 00 00"})
    assert mgmt.ok("get", f"/users/{user_id}/phone")["phone"] == {"phone": "+41710000000"}
    assert kinds(user_id) == ["user.phone.verification"]
    mgmt.ok("put", f"/users/{user_id}/phone", {"phone": "+41710000000", "isPhoneVerified": True})
    assert mgmt.ok("get", f"/users/{user_id}/phone")["phone"] == {"phone": "+41710000000", "isPhoneVerified": True}
    assert_error(mgmt.put(f"/users/{user_id}/phone", {"phone": "+41710000000"}), 400, 9, "Phone not changed",
                 "COMMAND-wF94r")
    assert history(mgmt, user_id)[-1] == "user.human.phone.verified"


def test_update_phone_errors(mgmt, other, reader):
    user_id = mgmt.human()
    assert_error(mgmt.put("/users/404/phone", {"phone": "+41710000000"}), 400, 9, "User could not be found",
                 "COMMAND-3M0fs")
    foreign = other.human("foreign")
    assert_error(mgmt.put(f"/users/{foreign}/phone", {"phone": "+41710000000"}), 400, 9, "User could not be found",
                 "COMMAND-3M0fs")
    assert_error(mgmt.put(f"/users/{user_id}/phone", {"phone": "+41 nope"}), 400, 3, "Phone is invalid",
                 "PHONE-so0wa")
    assert_invalid(mgmt.put(f"/users/{user_id}/phone", {"phone": "0710000000"}),
                   'invalid UpdateHumanPhoneRequest.Phone: value does not have prefix "+"')
    assert_invalid(mgmt.put(f"/users/{user_id}/phone", {}))
    assert_denied(reader.put(f"/users/{user_id}/phone", {"phone": "+41710000000"}))
    assert mgmt.ok("get", f"/users/{user_id}/phone")["phone"] == {}


def test_remove_phone_and_resend_verification(mgmt, other, reader):
    user_id = mgmt.human()
    assert_error(mgmt.delete(f"/users/{user_id}/phone"), 404, 5, "Phone not found", "COMMAND-p6rsc")
    assert_error(mgmt.post(f"/users/{user_id}/phone/_resend_verification"), 404, 5, "Phone not found",
                 "COMMAND-2b7Hf")
    mgmt.ok("put", f"/users/{user_id}/phone", {"phone": "+41710000000"})
    mgmt.ok("post", f"/users/{user_id}/phone/_resend_verification", {})
    assert kinds(user_id) == ["user.phone.verification", "user.phone.verification"]
    assert_denied(reader.delete(f"/users/{user_id}/phone"))
    assert_denied(reader.post(f"/users/{user_id}/phone/_resend_verification"))
    # #30 maps its body onto a request without fields: malformed JSON is refused, and no code is sent.
    assert_invalid(mgmt.post(f"/users/{user_id}/phone/_resend_verification", data="{", content_type="application/json"))
    assert_invalid(mgmt.post(f"/users/{user_id}/phone/_resend_verification", data="[]",
                             content_type="application/json"))
    assert kinds(user_id) == ["user.phone.verification", "user.phone.verification"]
    assert mgmt.ok("get", f"/users/{user_id}/phone")["phone"] == {"phone": "+41710000000"}
    mgmt.ok("put", f"/users/{user_id}/phone", {"phone": "+41710000000", "isPhoneVerified": True})
    assert_error(mgmt.post(f"/users/{user_id}/phone/_resend_verification"), 400, 9, "Phone already verified",
                 "COMMAND-2M9sf")
    details = mgmt.ok("delete", f"/users/{user_id}/phone")["details"]
    assert set(details) == {"sequence", "changeDate", "resourceOwner"}
    assert mgmt.ok("get", f"/users/{user_id}/phone")["phone"] == {}
    foreign = other.human("foreign", phone={"phone": "+41710000000"})
    assert_error(mgmt.delete(f"/users/{foreign}/phone"), 400, 9, "User could not be found", "COMMAND-3M9fs")
    assert_error(mgmt.delete("/users/404/phone"), 400, 9, "User could not be found", "COMMAND-3M9fs")
    assert_error(mgmt.post(f"/users/{foreign}/phone/_resend_verification"), 400, 9, "User could not be found",
                 "COMMAND-2M0fs")
    assert other.ok("get", f"/users/{foreign}/phone")["phone"] == {"phone": "+41710000000"}


def test_remove_avatar(mgmt, other, reader):
    user_id = mgmt.human()
    details = mgmt.ok("delete", f"/users/{user_id}/avatar")["details"]
    assert mgmt.user(user_id)["details"]["sequence"] == details["sequence"]
    assert history(mgmt, user_id)[-1] == "user.human.avatar.removed"
    assert_error(mgmt.delete("/users/404/avatar"), 404, 5, "Errors.Users.NotFound", "USER-35N8f")
    foreign = other.human("foreign")
    assert_error(mgmt.delete(f"/users/{foreign}/avatar"), 404, 5, "Errors.Users.NotFound", "USER-35N8f")
    assert_denied(reader.delete(f"/users/{user_id}/avatar"))
