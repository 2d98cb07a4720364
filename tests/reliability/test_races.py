"""Races against real gunicorn processes: uniqueness, optimistic locking, membership sets."""
import concurrent.futures
import threading

import requests

SCIM_JSON = "application/scim+json"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def _all_at_once(count, send):
    barrier = threading.Barrier(count)

    def run(index):
        session = requests.Session()
        barrier.wait()
        return send(session, index)

    with concurrent.futures.ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def _post_same_user(servers, user_name):
    def send(session, index):
        server = servers[index % len(servers)]
        return session.post(f"{server.scim_url}/Users", json={"userName": user_name},
                            headers={**server.auth_headers, "Content-Type": SCIM_JSON}, timeout=60).status_code
    return _all_at_once(100, send)


def _assert_one_user(store, user_name, statuses):
    assert statuses.count(201) == 1, statuses
    assert statuses.count(409) == 99, statuses
    assert store.scalar('SELECT COUNT(*) FROM "user" WHERE username = ?', user_name) == 1
    assert store.scalar("SELECT COUNT(*) FROM event WHERE type = 'user.human.added' AND payload LIKE ?",
                        f"%{user_name}%") == 1


def test_a_hundred_concurrent_creates_of_one_username_make_one_user_and_one_event(gateway):
    start, store = gateway
    server = start()
    _assert_one_user(store, "race@example.com", _post_same_user([server], "race@example.com"))


def test_the_same_race_across_two_gateway_instances_on_one_database(gateway):
    start, store = gateway
    first = start()
    second = start(token=first.token)
    _assert_one_user(store, "scaleout@example.com", _post_same_user([first, second], "scaleout@example.com"))


def test_fifty_concurrent_if_match_patches_lose_no_update(gateway):
    start, store = gateway
    server = start()
    headers = {**server.auth_headers, "Content-Type": SCIM_JSON}
    user = requests.post(f"{server.scim_url}/Users", json={"userName": "locked@example.com"}, headers=headers,
                         timeout=30).json()
    url = f"{server.scim_url}/Users/{user['id']}"

    def send(session, index):
        current = session.get(url, headers=headers, timeout=60)
        version = current.headers["ETag"]
        response = session.patch(url, headers={**headers, "If-Match": version}, timeout=60, json={
            "schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "emails",
                                                   "value": [{"value": f"writer{index}@example.com"}]}]})
        return index, version, response.status_code, response.headers.get("ETag")

    results = _all_at_once(50, send)
    assert {status for _, _, status, _ in results} <= {200, 412}
    applied = [r for r in results if r[2] == 200]
    assert applied
    # each applied write started from the version it read, and no two started from the same one
    assert len({version for _, version, _, _ in applied}) == len(applied)
    final = requests.get(url, headers=headers, timeout=30).json()
    assert sorted(e["value"] for e in final.get("emails", [])) == sorted(
        f"writer{index}@example.com" for index, _, _, _ in applied)
    events = store.scalar("SELECT COUNT(*) FROM event WHERE aggregate_id = ? AND type = 'user.metadata.set'",
                          user["id"])
    assert events == len(applied)


def test_concurrent_membership_changes_end_with_the_serial_outcome(gateway):
    start, _ = gateway
    server = start()
    headers = {**server.auth_headers, "Content-Type": SCIM_JSON}

    def create(name):
        response = requests.post(f"{server.scim_url}/Users", json={"userName": name}, headers=headers, timeout=30)
        return response.json()["id"]

    staying = [create(f"stay{i}") for i in range(5)]
    leaving = [create(f"leave{i}") for i in range(20)]
    joining = [create(f"join{i}") for i in range(20)]
    group = requests.post(f"{server.scim_url}/Groups", headers=headers, timeout=30, json={
        "displayName": "Contended", "members": [{"value": uid} for uid in staying + leaving]}).json()
    url = f"{server.scim_url}/Groups/{group['id']}"

    def send(session, index):
        operations = [{"op": "add", "path": "members", "value": [{"value": joining[index]}]},
                      {"op": "remove", "path": f'members[value eq "{leaving[index]}"]'}]
        return session.patch(url, headers=headers, timeout=60,
                             json={"schemas": [PATCH_OP], "Operations": operations}).status_code

    assert set(_all_at_once(20, send)) == {200}
    members = requests.get(f"{url}?attributes=members", headers=headers, timeout=30).json()["members"]
    assert sorted(m["value"] for m in members) == sorted(staying + joining)
