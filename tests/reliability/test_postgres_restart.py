"""PostgreSQL restarted under load: clean 503s while it is away, recovery without restarting the gateway."""
import threading
import time

import requests

from tests.support.live_server import start_live_server

SCIM_JSON = "application/scim+json"


def test_requests_fail_cleanly_while_postgres_is_down_and_succeed_again_after(private_postgres, tmp_path):
    database_url = private_postgres.database("gateway")
    server = start_live_server("pg-restart", tmp_path, database_url=database_url)
    try:
        session = requests.Session()
        session.headers.update({**server.auth_headers, "Content-Type": SCIM_JSON})
        created = session.post(f"{server.scim_url}/Users", json={"userName": "survivor@example.com"}, timeout=10)
        assert created.status_code == 201, created.text
        user_url = f"{server.scim_url}/Users/{created.json()['id']}"

        outcomes, stop = [], threading.Event()

        def load():
            client = requests.Session()
            client.headers.update(server.auth_headers)
            while not stop.is_set():
                started = time.monotonic()
                try:
                    response = client.get(user_url, timeout=10)
                    outcomes.append((response.status_code, response.headers.get("Retry-After"),
                                     response.headers.get("Content-Type"), time.monotonic() - started))
                except requests.RequestException as error:  # a hang or a dropped connection is a failure
                    outcomes.append((type(error).__name__, None, None, time.monotonic() - started))

        workers = [threading.Thread(target=load) for _ in range(4)]
        for worker in workers:
            worker.start()
        time.sleep(1.0)
        private_postgres.run("down")
        time.sleep(3.0)
        down_window = len(outcomes)
        private_postgres.run("up")
        time.sleep(3.0)
        stop.set()
        for worker in workers:
            worker.join(30)

        statuses = {o[0] for o in outcomes}
        assert statuses <= {200, 503}, f"unexpected outcomes: {statuses - {200, 503}}"
        unavailable = [o for o in outcomes if o[0] == 503]
        assert unavailable, "no request saw the database down"
        assert all(o[1] == "5" and o[2] == SCIM_JSON for o in unavailable), "503 without Retry-After or SCIM body"
        assert max(o[3] for o in outcomes) < 10, "a request hung"
        assert outcomes[-1][0] == 200 and any(o[0] == 200 for o in outcomes[down_window:]), "no recovery"
        # the gateway was never restarted, and nothing was lost
        assert server.process.poll() is None
        assert session.get(user_url, timeout=10).json()["userName"] == "survivor@example.com"
    finally:
        server.stop()
