"""Slow clients cannot hold the gateway's workers forever (gunicorn.conf.py's timeout).

A client that sends half a request and then nothing (slowloris) occupies a sync worker;
gunicorn's arbiter aborts a worker silent for GUNICORN_TIMEOUT seconds and starts a new
one. Here more slow clients than workers connect at once: the connections are cut within
a few timeouts and a normal request is served meanwhile, without restarting anything.
"""
import socket
import time

import pytest
import requests

from tests.support.live_server import start_live_server

TIMEOUT = 2
SLOW_CLIENTS = 4  # twice the workers


@pytest.fixture
def server(tmp_path, monkeypatch):
    monkeypatch.setenv("GUNICORN_TIMEOUT", str(TIMEOUT))
    live = start_live_server("slow-clients", tmp_path, workers=2)
    yield live
    live.stop()


def test_half_sent_requests_are_cut_and_normal_requests_still_served(server):
    host, port = server.base_url.removeprefix("http://").split(":")
    slow = []
    for _ in range(SLOW_CLIENTS):
        connection = socket.create_connection((host, int(port)))
        connection.sendall(b"GET /scim/v2/Users HTTP/1.1\r\nHost: gateway\r\n")  # and never the blank line
        slow.append(connection)
    started = time.monotonic()

    # Two rounds of aborts (and worker boots on a busy machine) come first: bounded, not forever.
    answer = requests.get(f"{server.base_url}/healthz", timeout=10 * TIMEOUT)
    assert answer.status_code == 200

    for connection in slow:
        connection.settimeout(10 * TIMEOUT)
        # gunicorn answers an aborted request (500) and closes; either way the worker is free.
        first = connection.recv(64)
        rest = b""
        while chunk := connection.recv(4096):
            rest += chunk
        assert first == b"" or first.startswith(b"HTTP/1.1 5"), first
        connection.close()
    assert time.monotonic() - started < 15 * TIMEOUT
    # The gateway is whole again: every worker serves.
    for _ in range(4):
        assert requests.get(f"{server.base_url}/healthz", timeout=TIMEOUT).status_code == 200
