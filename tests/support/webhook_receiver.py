"""A webhook receiver on loopback for the notification tests.

``WebhookReceiver(port=None, delay=0)`` listens on ``port`` (a free one when not given)
once ``start()`` is called; ``url`` is known before that, so a gateway can be pointed at
a receiver that is still down. Each POST it accepts is recorded in ``received`` as
``(dict(headers), body)`` as soon as its body is read, then answered 204 after ``delay``
seconds. While ``failures_left`` is above zero a POST is answered 503 instead, and not
recorded. ``stop()`` (or ``close()``) shuts it down; it may be called more than once.
"""

from __future__ import annotations

import http.server
import threading
import time

from tests.support.live_server import free_port


class WebhookReceiver:
    def __init__(self, port: int | None = None, delay: float = 0.0):
        self.port = port or free_port()
        self.delay = delay
        self.failures_left = 0
        self.received: list[tuple[dict[str, str], bytes]] = []
        # Handlers run on the server's threads while the test reads `received`.
        self.lock = threading.Lock()
        self.server: http.server.ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/gateway"

    def start(self) -> WebhookReceiver:
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = receiver._record(dict(self.headers), body)
                time.sleep(receiver.delay)
                try:
                    self.send_response(status)
                    self.end_headers()
                except OSError:
                    pass  # the sender died (or gave up) waiting for this answer

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def _record(self, headers: dict[str, str], body: bytes) -> int:
        with self.lock:
            if self.failures_left:
                self.failures_left -= 1
                return 503
            self.received.append((headers, body))
            return 204

    def count(self) -> int:
        with self.lock:
            return len(self.received)

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    close = stop
