"""Id generation: numeric strings like ZITADEL's (18 to 19 digits), sortable by time.

Layout of the 63-bit number: milliseconds since 2024-01-01 (41 bits), a random
node number chosen per process (10 bits) and a per-process counter (12 bits).
Several workers and several instances can generate ids at once without a
round trip to the database; a collision would need the same millisecond,
node number and counter value.
"""
import secrets
import threading
import time

_EPOCH_MS = 1_704_067_200_000
_NODE = secrets.randbelow(1 << 10)
_lock = threading.Lock()
_last_ms = 0
_counter = 0


def reseed():
    """Pick a new node number; called in each forked worker."""
    global _NODE
    _NODE = secrets.randbelow(1 << 10)


def new_id() -> str:
    global _last_ms, _counter
    with _lock:
        now = int(time.time() * 1000) - _EPOCH_MS
        if now <= _last_ms:
            now = _last_ms
            _counter = (_counter + 1) & 0xFFF
            if _counter == 0:
                # 4096 ids in one millisecond: borrow the next millisecond.
                now += 1
        else:
            _counter = 0
        _last_ms = now
        return str((now << 22) | (_NODE << 12) | _counter)
