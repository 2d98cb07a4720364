"""Delivering the notification outbox to the webhook: signed JSON, retries with backoff, nothing lost.

A row stays `pending` until the receiver answers 2xx. Each attempt first
claims the row (moving its next attempt a lease ahead with a compare-and-set),
so several workers never send the same row at once; a worker that dies
mid-send leaves the row to be retried when the lease ends. Delivery is
therefore at least once: receivers deduplicate on the notification id (the
`id` field and the X-Gateway-Notification-Id header). Once delivered, the
sealed code is erased from the row.
"""
import datetime
import hashlib
import hmac
import json
import logging
import time

import requests

from . import notifications
from .db import db
from .mgmt_tables import Notification
from .tables import utcnow

log = logging.getLogger("gateway.notifications")

SIGNATURE_HEADER = "X-Gateway-Signature"
ID_HEADER = "X-Gateway-Notification-Id"
FIRST_RETRY_SECONDS = 5
MAX_RETRY_SECONDS = 3600
TIMEOUT_SECONDS = 10


def backoff(attempts):
    """Seconds before attempt attempts+1: 5, 10, 20, ... capped at an hour (retries never stop)."""
    return min(MAX_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0))


def signature(secret, timestamp, body):
    """`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`: the timestamp is signed against replays."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode("ascii") + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def _claim(row, now):
    """Take the row for one attempt; False if another worker took it first.

    The row's next attempt moves a lease ahead (NOTIFY_LEASE_SECONDS): long enough for
    one send, after which a worker that died mid-send no longer holds it."""
    lease = datetime.timedelta(seconds=notifications.outbox().lease_seconds)
    taken = (Notification.update(next_attempt_at=now + lease, attempts=Notification.attempts + 1)
             .where((Notification.id == row.id) & (Notification.status == notifications.PENDING)
                    & (Notification.next_attempt_at == row.next_attempt_at))
             .execute())
    return taken == 1


def body_of(row):
    """The JSON document sent for a row: its payload, its id and its (unsealed) secrets."""
    document = {"id": str(row.id), **json.loads(row.payload), **notifications.unseal(row.sealed)}
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode("utf-8")


def _send(session, box, row):
    """One POST; returns None on success, else a short reason (never the body: it holds the code)."""
    body = body_of(row)
    headers = {"Content-Type": "application/json", ID_HEADER: str(row.id),
               SIGNATURE_HEADER: signature(box.webhook_secret, int(time.time()), body)}
    try:
        response = session.post(box.webhook_url, data=body, headers=headers, timeout=TIMEOUT_SECONDS)
    except requests.RequestException as error:
        return type(error).__name__
    return None if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"


def deliver_due(*, session=None, limit=100, now=None):
    """Send the pending notifications that are due; returns (delivered, failed)."""
    box = notifications.outbox()
    if not box.delivers:
        return 0, 0
    session = session or requests.Session()
    now = now or utcnow()
    due = list(Notification.select()
               .where((Notification.status == notifications.PENDING) & (Notification.next_attempt_at <= now))
               .order_by(Notification.next_attempt_at, Notification.id).limit(limit))
    delivered = failed = 0
    for row in due:
        if not _claim(row, now):
            continue
        attempts = row.attempts + 1
        reason = _send(session, box, row)
        if reason is None:
            Notification.update(status=notifications.DELIVERED, delivered_at=utcnow(), sealed=None,
                                last_error=None).where(Notification.id == row.id).execute()
            delivered += 1
            continue
        retry_at = now + datetime.timedelta(seconds=backoff(attempts))
        Notification.update(next_attempt_at=retry_at, last_error=reason).where(Notification.id == row.id).execute()
        log.warning("notification %s (%s) not delivered, attempt %s: %s; retrying at %sZ",
                    row.id, row.kind, attempts, reason, retry_at.isoformat(timespec="seconds"))
        failed += 1
    return delivered, failed


def run(stop, *, interval=2.0):
    """Deliver until stop (a threading.Event) is set; polls every interval seconds when idle."""
    while not stop.is_set():
        try:
            with db.connection_context():
                delivered, _ = deliver_due()
        except Exception:
            # The worker outlives a database restart or a bug in one row: log it and try again.
            log.exception("notification delivery round failed")
            delivered = 0
        if not delivered:
            stop.wait(interval)
