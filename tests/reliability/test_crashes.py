"""SIGKILL in the middle of writes: afterwards every user is wholly there or absent, and
the event log matches the tables (flask check-consistency)."""
import concurrent.futures
import os
import signal
import subprocess
import sys
import time

import requests

from tests.support.live_server import REPO_ROOT

SCIM_JSON = "application/scim+json"
BULK = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
PER_BULK = 900  # users per Bulk request (the limit is 1000 operations)


def _flask(database_url, *args, timeout=300):
    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def _assert_consistent(database_url):
    result = _flask(database_url, "check-consistency")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert result.stdout.strip().endswith("0 problems")


def _workers(server):
    listing = subprocess.run(["pgrep", "-P", str(server.process.pid)], capture_output=True, text=True)
    return [int(pid) for pid in listing.stdout.split()]


def test_a_worker_killed_during_bulk_requests_leaves_a_consistent_store(gateway):
    start, store = gateway
    server = start()
    headers = {**server.auth_headers, "Content-Type": SCIM_JSON}

    def bulk(batch):
        operations = [{"method": "POST", "path": "/Users", "bulkId": f"u{batch}-{i}",
                       "data": {"userName": f"bulk{batch}-{i}@example.com", "title": "T",
                                "emails": [{"value": f"bulk{batch}-{i}@example.com", "type": "work"}]}}
                      for i in range(PER_BULK)]
        operations.append({"method": "POST", "path": "/Groups", "bulkId": f"g{batch}", "data": {
            "displayName": f"bulk-group-{batch}",
            "members": [{"value": f"bulkId:u{batch}-{i}"} for i in range(PER_BULK)]}})
        try:
            return requests.post(f"{server.scim_url}/Bulk", headers=headers, timeout=120,
                                 json={"schemas": [BULK], "Operations": operations}).status_code
        except requests.RequestException as error:
            return type(error).__name__

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        outcomes = pool.map(bulk, range(4))
        # Kill once the first users are in, not after a fixed time: how long the requests take
        # depends on the machine (a fixed 1.5 s came after all four had finished once writes got faster).
        deadline = time.monotonic() + 60
        while store.scalar('SELECT COUNT(*) FROM "user" WHERE username LIKE ?', "bulk%") < 20:
            assert time.monotonic() < deadline, "no bulk write began within a minute"
            time.sleep(0.01)
        killed = _workers(server)
        assert killed, "no gunicorn worker to kill"
        for pid in killed:
            os.kill(pid, signal.SIGKILL)  # mid-write: no cleanup, no rollback from the process
        outcomes = list(outcomes)
    assert any(o != 200 for o in outcomes), f"the kill came too late to interrupt anything: {outcomes}"
    created = store.scalar('SELECT COUNT(*) FROM "user" WHERE username LIKE ?', "bulk%")
    assert created > 0, "nothing was written before the kill"
    _assert_consistent(store.url)


def test_an_import_killed_mid_file_leaves_whole_users_and_a_rerun_completes_it(gateway, tmp_path):
    start, store = gateway
    start()  # creates and migrates the database, as a deployment would
    url = store.url
    source = tmp_path / "many.csv"
    source.write_text("userName,givenName,familyName,email,externalId\n" + "".join(
        f"imp{i:06d}@example.com,G{i},F{i},imp{i:06d}@example.com,x{i}\n" for i in range(40_000)))
    env = {**os.environ, "DATABASE_URL": url}
    importer = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "users", "import", str(source),
                                 "--batch", "500"], cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)

    def imported():
        return store.scalar('SELECT COUNT(*) FROM "user" WHERE username LIKE ?', "imp%")

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and imported() == 0:
        time.sleep(0.05)
    time.sleep(0.5)
    importer.send_signal(signal.SIGKILL)
    importer.wait(30)
    partial = imported()
    assert 0 < partial < 40_000, f"the kill did not land mid-import ({partial} users)"
    assert partial % 500 == 0, f"{partial} users: a batch was half-written"
    _assert_consistent(url)
    rerun = _flask(url, "users", "import", str(source), "--batch", "500")
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert f"skipped {partial} existing" in rerun.stdout
    assert imported() == 40_000
    _assert_consistent(url)
