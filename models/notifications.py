"""The notification outbox: messages for users, written in the transaction that causes them.

Nothing delivers them yet. A row names the one-time code (code_id) but never
holds the code itself: codes are stored only as hashes, so until delivery
exists (with the code encrypted in the outbox) there is no plain code at rest.
"""
import json

from .mgmt_tables import Notification


def enqueue(user, kind, event, **content):
    """Record one notification for user (inside the caller's transaction)."""
    payload = {"kind": kind, "userId": user.id, "orgId": user.org_id, "userName": user.username,
               "email": user.email, "phone": user.phone, "sequence": str(event.id),
               "createdAt": event.created_at.isoformat() + "Z", **content}
    return Notification.create(org_id=user.org_id, user_id=user.id, kind=kind,
                               payload=json.dumps(payload, separators=(",", ":")),
                               created_at=event.created_at, next_attempt_at=event.created_at)
