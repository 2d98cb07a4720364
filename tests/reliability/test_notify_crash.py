"""The notification outbox across crashes of its delivery worker (`flask notify deliver`).

Delivery is at least once: a worker killed after the receiver got a notification but
before it recorded the answer leaves the row to be sent again when its lease ends.
What must hold: every notification arrives, and anything that arrives twice arrives
with the same idempotency key (X-Gateway-Notification-Id) and the same body, so the
receiver can drop the copy. Two workers running side by side never send one twice.
"""
import collections
import json
import os
import signal
import subprocess
import sys
import time

import pytest
import requests
from requests.structures import CaseInsensitiveDict

from tests.support.live_server import REPO_ROOT
from tests.support.webhook_receiver import WebhookReceiver

SECRET = "crash-test-webhook-secret"
ID_HEADER = "X-Gateway-Notification-Id"
LEASE_SECONDS = 2


def _keys_and_bodies(receiver):
    """What the receiver got, as (idempotency key, body) pairs: the key is all a receiver dedups on."""
    with receiver.lock:
        received = list(receiver.received)
    return [(CaseInsensitiveDict(headers).get(ID_HEADER), body) for headers, body in received]


def _notify_env(receiver, database_url):
    return {**os.environ, "DATABASE_URL": database_url, "NOTIFY_WEBHOOK_URL": receiver.url,
            "NOTIFY_WEBHOOK_SECRET": SECRET, "NOTIFY_LEASE_SECONDS": str(LEASE_SECONDS)}


def _worker(env):
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "notify", "deliver", "--interval", "0.2"],
                            cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def _wait(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _queue_notifications(server, count):
    """count users created unverified through the management API: one initialisation code each."""
    headers = server.auth_headers
    user_ids = []
    for i in range(count):
        response = requests.post(f"{server.base_url}/management/v1/users/human", headers=headers, timeout=30, json={
            "userName": f"crash-notify-{i}", "profile": {"firstName": "Crash", "lastName": f"Notify {i}"},
            "email": {"email": f"crash-notify-{i}@example.com"}})
        assert response.status_code == 200, response.text
        user_ids.append(response.json()["userId"])
    return user_ids


def _pending(store):
    return store.scalar("SELECT count(*) FROM notification WHERE status = 'pending'")


def _check_deliveries(receiver, store, expected):
    received = _keys_and_bodies(receiver)
    by_key = collections.defaultdict(set)
    for key, body in received:
        assert key is not None, "a notification was sent without its idempotency key"
        document = json.loads(body)
        assert document["id"] == key
        by_key[key].add(body)
    # Nothing dropped: every notification arrived...
    assert len(by_key) == expected
    assert _pending(store) == 0
    assert store.scalar("SELECT count(*) FROM notification WHERE status = 'delivered'") == expected
    # ...and a copy is byte for byte the same message under the same key.
    assert all(len(bodies) == 1 for bodies in by_key.values())
    return collections.Counter(key for key, _ in received)


@pytest.fixture
def outbox(gateway, monkeypatch):
    """(start a receiver answering after delay seconds and a gateway sending to it, store)."""
    start, store = gateway
    receivers = []

    def begin(delay, notifications):
        receiver = WebhookReceiver(delay=delay).start()
        receivers.append(receiver)
        monkeypatch.setenv("NOTIFY_WEBHOOK_URL", receiver.url)
        monkeypatch.setenv("NOTIFY_WEBHOOK_SECRET", SECRET)
        _queue_notifications(start(), notifications)
        assert _pending(store) == notifications
        return receiver, _notify_env(receiver, store.url)

    yield begin, store
    for receiver in receivers:
        receiver.close()


def _drain(store, workers):
    try:
        _wait(lambda: _pending(store) == 0, 90, "the outbox to drain")
    finally:
        for worker in workers:
            worker.terminate()
            worker.wait(10)


def test_a_delivery_worker_killed_mid_send_loses_nothing_and_repeats_only_with_the_same_key(outbox):
    begin, store = outbox
    receiver, env = begin(delay=0.4, notifications=12)
    kills = 0
    for kill_after in (3, 7):
        worker = _worker(env)
        # The worker has sent one more and waits for its answer: kill it then.
        _wait(lambda n=kill_after: receiver.count() >= n, 60, f"{kill_after} deliveries")
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        kills += 1
    _drain(store, [_worker(env)])
    sent = _check_deliveries(receiver, store, expected=12)
    # Exactly the notification in flight at each kill arrived twice: the kills did land
    # mid-send, and nothing else was repeated.
    assert sum(count - 1 for count in sent.values()) == kills


def test_two_delivery_workers_side_by_side_never_send_one_notification_twice(outbox):
    begin, store = outbox
    receiver, env = begin(delay=0.05, notifications=20)
    _drain(store, [_worker(env), _worker(env)])
    sent = _check_deliveries(receiver, store, expected=20)
    assert set(sent.values()) == {1}
