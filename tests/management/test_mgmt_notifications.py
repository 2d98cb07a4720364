"""Notification delivery: a real webhook receiver on loopback, down at first and up later."""
import datetime
import hashlib
import hmac
import json
import urllib.parse

import pytest

from models import notifications, notify_delivery
from models.codes import code_hash
from models.db import db
from models.mgmt_tables import Notification, UserCode
from models.tables import utcnow
from tests.support.webhook_receiver import WebhookReceiver

SECRET = "webhook-secret-for-tests"


@pytest.fixture
def receiver(app):
    receiver = WebhookReceiver()
    notifications.configure(receiver.url, SECRET)
    yield receiver
    receiver.stop()
    notifications.configure()
    # Rows a test left pending would be delivered to the next test's receiver.
    with db.connection_context():
        Notification.update(status=notifications.LOGGED).where(Notification.status == notifications.PENDING).execute()


def deliver_all(hours_ahead=0):
    """One delivery round, as if it ran hours_ahead from now (past every backoff)."""
    with db.connection_context():
        return notify_delivery.deliver_due(now=utcnow() + datetime.timedelta(hours=hours_ahead))


def verified(headers, body):
    """The signature header checked as a receiver would: HMAC-SHA256 over "<t>.<body>"."""
    parts = dict(item.split("=", 1) for item in headers[notify_delivery.SIGNATURE_HEADER].split(","))
    expected = hmac.new(SECRET.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


def rows(user_ids):
    with db.connection_context():
        return list(Notification.select().where(Notification.user_id.in_(user_ids)).order_by(Notification.id))


def test_nothing_is_lost_while_the_receiver_is_down(mgmt, receiver):
    initial = mgmt.human("initial", verified=False)
    ready = mgmt.human("ready", phone={"phone": "+41710000000"})
    mgmt.ok("post", f"/users/{ready}/password/_reset", {})
    mgmt.ok("post", f"/users/{ready}/passwordless/_send_link", {})
    queued = rows([initial, ready])
    assert [n.kind for n in queued] == ["user.initialization", "user.phone.verification", "user.password.reset",
                                        "user.passwordless.registration"]
    for row in queued:
        # The code is at rest only sealed, never in the payload.
        assert row.status == "pending" and row.sealed and '"code"' not in row.payload

    # Down: every attempt fails and is scheduled again with backoff.
    assert deliver_all() == (0, 4)
    assert {(n.attempts, n.last_error) for n in rows([initial, ready])} == {(1, "ConnectionError")}
    assert deliver_all() == (0, 0)  # not due yet
    assert deliver_all(hours_ahead=2) == (0, 4)
    assert {n.attempts for n in rows([initial, ready])} == {2}

    receiver.start()
    assert deliver_all(hours_ahead=4) == (4, 0)
    assert deliver_all(hours_ahead=8) == (0, 0)
    assert len(receiver.received) == 4
    documents = [json.loads(body) for _, body in receiver.received]
    assert sorted(d["id"] for d in documents) == sorted(str(n.id) for n in queued)
    for headers, body in receiver.received:
        assert verified(headers, body)
        assert headers[notify_delivery.ID_HEADER] == json.loads(body)["id"]
    with db.connection_context():
        for document in documents:
            # The code the user gets is the one whose hash is stored.
            assert UserCode.get_by_id(document["codeId"]).code_hash == code_hash(document["code"])
    link = next(d for d in documents if d["kind"] == "user.passwordless.registration")["link"]
    assert dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(link).query))["code"] == documents[-1]["code"]
    reset = next(d for d in documents if d["kind"] == "user.password.reset")
    assert reset["userId"] == ready and reset["notificationType"] == "email" and reset["email"] == "ready@acme.example"
    # Delivered rows keep no secret.
    assert {(n.status, n.sealed) for n in rows([initial, ready])} == {("delivered", None)}


def test_a_failing_receiver_is_retried(mgmt, receiver):
    receiver.start()
    receiver.failures_left = 2
    user_id = mgmt.human("retry", verified=False)
    assert deliver_all() == (0, 1)
    assert rows([user_id])[0].last_error == "HTTP 503"
    assert deliver_all(hours_ahead=1) == (0, 1)
    assert deliver_all(hours_ahead=2) == (1, 0)
    assert len(receiver.received) == 1 and rows([user_id])[0].attempts == 3


def test_backoff_grows_and_is_capped():
    assert [notify_delivery.backoff(n) for n in (1, 2, 3, 4)] == [5, 10, 20, 40]
    assert notify_delivery.backoff(30) == 3600


def test_a_claimed_row_is_not_sent_twice(mgmt, receiver):
    receiver.start()
    user_id = mgmt.human("claimed", verified=False)
    with db.connection_context():
        row = rows([user_id])[0]
        now = utcnow()
        assert notify_delivery._claim(row, now)
        # A second worker holding the same stale row loses the race.
        assert not notify_delivery._claim(row, now)
    assert deliver_all() == (0, 0)


def test_deliver_command(app, mgmt, receiver):
    receiver.start()
    mgmt.human("by-command", verified=False)
    result = app.test_cli_runner().invoke(args=["notify", "deliver", "--once"])
    assert result.exit_code == 0 and "delivered 1" in result.output, result.output
    assert len(receiver.received) == 1


def test_without_webhook_notifications_are_recorded_and_logged(mgmt, caplog):
    caplog.set_level("INFO", logger="gateway.notifications")
    user_id = mgmt.human("logged", verified=False)
    (row,) = rows([user_id])
    assert row.status == "logged" and row.sealed is None
    assert f"notification {row.id} recorded" in caplog.text
    with db.connection_context():
        code = UserCode.get(UserCode.user == user_id)
    assert code.code_hash not in caplog.text and deliver_all() == (0, 0)


def test_configuration_rules():
    with pytest.raises(ValueError, match="NOTIFY_WEBHOOK_SECRET"):
        notifications.configure("http://127.0.0.1:1/hook")
    with pytest.raises(ValueError, match="Fernet key"):
        notifications.configure("http://127.0.0.1:1/hook", SECRET, "not-a-key")
    box = notifications.configure("http://127.0.0.1:1/hook", SECRET)
    try:
        sealed = notifications.seal({"code": "ABCdef123456"})
        assert "ABCdef123456" not in sealed and notifications.unseal(sealed) == {"code": "ABCdef123456"}
        assert box.cipher is not None
    finally:
        notifications.configure()
