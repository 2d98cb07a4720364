"""Principals kept between requests, trusted only while the auth epoch stands still.

An IdP presents the same bearer token on every request of a sync; resolving it
(the token's row, its user, the user's roles) cost more than the lookup the
request was for. A worker keeps what a token resolved to, and reuses it while
the database's auth epoch (models/auth_epoch.py) has not moved and the token
has not expired. Anything that could change the answer moves the epoch in the
same transaction, so revocation still takes effect on the next request, in
every worker of every instance.

Only successes are kept, under the SHA-256 of the token (never the token).
"""
import hashlib
import threading

from models import auth_epoch
from models.tables import utcnow

MAX_ENTRIES = 4096


class PrincipalCache:
    def __init__(self, size=MAX_ENTRIES):
        self._size = size
        # (epoch, {sha256(token): (principal, expires_at)}): one attribute, read and replaced at once.
        self._state = (None, {})
        self._lock = threading.Lock()

    def get(self, token, resolve):
        """The principal of token: kept, or resolve() -> (principal, expires_at) or None.

        The epoch is read before resolve() reads any row, so an entry's data is
        never older than its epoch.
        """
        key = hashlib.sha256(token.encode("utf-8")).digest()
        epoch = auth_epoch.current()
        kept_epoch, entries = self._state
        if epoch == kept_epoch:
            entry = entries.get(key)
            if entry is not None and utcnow() < entry[1]:
                return entry[0]
        resolved = resolve()
        if resolved is None:
            return None
        with self._lock:
            kept_epoch, entries = self._state
            if kept_epoch is None or epoch > kept_epoch or len(entries) >= self._size:
                kept_epoch, entries = self._state = (epoch, {})
            if epoch == kept_epoch:  # (not when another thread has already seen a later epoch)
                entries[key] = resolved
        return resolved[0]
