"""#32-#34 passwords (§6.6) and the organisation's complexity policy."""
import pytest

from models.db import db
from models.mgmt_tables import Notification
from models.passwords import verify_password
from models.tables import User
from tests.management.mgmt_helpers import assert_denied, assert_error, assert_invalid

INITIAL = (400, 9, "User is not yet initialized")


def stored(user_id):
    with db.connection_context():
        return User.get_by_id(user_id)


def test_set_initial_password_requires_a_change(mgmt):
    # Active without a password: imported with a passkey registration (INITIAL users cannot get one here).
    user_id = mgmt.ok("post", "/users/human/_import", {
        "userName": "passkey", "profile": {"firstName": "P", "lastName": "K"},
        "email": {"email": "pk@acme.example", "isEmailVerified": True},
        "requestPasswordlessRegistration": True})["userId"]
    assert "passwordChanged" not in mgmt.user(user_id)["human"]
    details = mgmt.ok("post", f"/users/{user_id}/password/_initialize", {"password": "Initial-Pass1"})["details"]
    assert set(details) == {"sequence", "changeDate", "resourceOwner"}
    row = stored(user_id)
    assert verify_password(row.password_hash, "Initial-Pass1") and row.password_change_required
    assert row.password_hash.startswith("$argon2id$")
    assert mgmt.user(user_id)["human"]["passwordChanged"]


@pytest.mark.parametrize("body, change_required", [
    ({"password": "Secret-Pass1"}, True), ({"password": "Secret-Pass1", "noChangeRequired": True}, False),
])
def test_set_password(mgmt, body, change_required):
    user_id = mgmt.human()
    mgmt.ok("post", f"/users/{user_id}/password", body)
    row = stored(user_id)
    assert verify_password(row.password_hash, "Secret-Pass1") and row.password_change_required is change_required


@pytest.mark.parametrize("path", ["password/_initialize", "password"])
def test_password_errors(mgmt, other, reader, path):
    user_id = mgmt.human()
    before = stored(user_id).password_hash
    initial = mgmt.human("initial", verified=False)
    assert_error(mgmt.post(f"/users/{initial}/{path}", {"password": "Secret-Pass1"}), *INITIAL, "COMMAND-M9dse")
    assert_error(mgmt.post(f"/users/404/{path}", {"password": "Secret-Pass1"}), 400, 9, "Password not found",
                 "COMMAND-G8dh3")
    foreign = other.human("foreign")
    assert_error(mgmt.post(f"/users/{foreign}/{path}", {"password": "Secret-Pass1"}), 400, 9, "Password not found",
                 "COMMAND-G8dh3")
    machine = mgmt.machine()
    assert_error(mgmt.post(f"/users/{machine}/{path}", {"password": "Secret-Pass1"}), 400, 9, "Password not found",
                 "COMMAND-G8dh3")
    assert_error(mgmt.post(f"/users/{user_id}/{path}", {"password": "short"}), 400, 3, "Password is too short",
                 "DOMAIN-HuJf6")
    assert_error(mgmt.post(f"/users/{user_id}/{path}", {"password": "Secret-Pass"}), 400, 3,
                 "Password must contain number", "DOMAIN-ZBv4H")
    assert_invalid(mgmt.post(f"/users/{user_id}/{path}", {"password": "A1-" + "x" * 70}))
    assert_invalid(mgmt.post(f"/users/{user_id}/{path}", {}))
    assert_denied(reader.post(f"/users/{user_id}/{path}", {"password": "Secret-Pass1"}))
    assert stored(user_id).password_hash == before


def outbox(user_id):
    with db.connection_context():
        return [(n.kind, n.payload) for n in Notification.select().where(Notification.user_id == user_id)]


@pytest.mark.parametrize("body, channel", [({}, "email"), ({"type": "TYPE_SMS"}, "sms"), ({"type": 0}, "email")])
def test_reset_password(mgmt, body, channel):
    user_id = mgmt.human()
    details = mgmt.ok("post", f"/users/{user_id}/password/_reset", body)["details"]
    assert mgmt.user(user_id)["details"]["sequence"] == details["sequence"]
    (kind, payload), = outbox(user_id)
    assert kind == "user.password.reset" and f'"notificationType":"{channel}"' in payload


def test_reset_password_errors(mgmt, other, reader):
    user_id = mgmt.human()
    initial = mgmt.human("initial", verified=False)
    assert_error(mgmt.post(f"/users/{initial}/password/_reset"), *INITIAL, "COMMAND-2M9sd")
    assert_error(mgmt.post("/users/404/password/_reset"), 400, 9, "User could not be found", "COMMAND-Hj9ds")
    foreign = other.human("foreign")
    assert_error(mgmt.post(f"/users/{foreign}/password/_reset"), 400, 9, "User could not be found", "COMMAND-Hj9ds")
    assert_invalid(mgmt.post(f"/users/{user_id}/password/_reset", {"type": "TYPE_PIGEON"}))
    assert_denied(reader.post(f"/users/{user_id}/password/_reset"))
    assert outbox(user_id) == []
