"""Benchmark: add or remove one member of a group, at several group sizes.

    python bench/group_membership.py [--sizes 10,1000,100000] [--requests 300]

Seeds users through the domain's batched import, fills one group per size,
starts the gateway under gunicorn (gunicorn.conf.py), then times PATCH
requests from a separate process, Okta-style: add one member
({"op":"add","path":"members","value":[{"value":id}]}) then remove it
(members[value eq "id"]). The cost must not grow with the group.
"""
import argparse
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Server, seed  # noqa: E402

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def fill_groups(database_url, sizes, token):
    """One group per size, filled with the first `size` seeded users; returns {size: group id} and spare ids."""
    from app import create_app
    from config import Settings
    from models.db import db
    from models.groups import GroupChange, create_group, update_group
    from models.orgs import default_org
    from models.tables import User, UserType

    create_app(Settings(database_url=database_url, admin_token=token))
    with db.connection_context():
        org = default_org()
        ids = [u.id for u in User.select(User.id).where((User.org == org.id) & (User.type == UserType.HUMAN))
               .order_by(User.id)]
        groups = {}
        for size in sizes:
            group = create_group(org.id, f"bench-{size}", editor=None)
            for start in range(0, size, 10_000):
                chunk = ids[start:min(size, start + 10_000)]
                update_group(org.id, group.id, lambda g, chunk=chunk: GroupChange(member_ops=[("add", chunk)]), None)
            groups[size] = group.id
        return groups, ids[max(sizes):]


def measure(server, token, group_id, spare, count, query=""):
    session = requests.Session()
    session.headers.update({"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"})
    url = f"{server.url}/scim/v2/Groups/{group_id}{query}"
    timings = []
    for i in range(count):
        member = spare[i % len(spare)]
        for operation in ({"op": "add", "path": "members", "value": [{"value": member}]},
                          {"op": "remove", "path": f'members[value eq "{member}"]'}):
            started = time.perf_counter()
            response = session.patch(url, json={"schemas": [PATCH_OP], "Operations": [operation]})
            timings.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"PATCH answered {response.status_code}: {response.text[:300]}")
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.99) - 1]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10,1000,100000")
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    workdir = Path(tempfile.mkdtemp(prefix="bench-groups-"))
    database_url = f"sqlite:///{workdir / 'gateway.db'}"
    token = secrets.token_urlsafe(24)
    seed(database_url, max(sizes) + 1000, token)
    groups, spare = fill_groups(database_url, sizes, token)
    server = Server("app:app", {"DATABASE_URL": database_url, "ADMIN_TOKEN": token})
    try:
        server.wait(headers={"Authorization": f"Bearer {token}"})
        rows = [(size, *measure(server, token, groups[size], spare, args.requests),
                 *measure(server, token, groups[size], spare, args.requests, "?excludedAttributes=members"))
                for size in sizes]
    finally:
        server.stop()
    print(f"\nPATCH /Groups/{{id}}: add then remove one member, {args.requests} of each per size, "
          f"one client, {time.strftime('%Y-%m-%d')}")
    print("(plain: the 200 response lists the members of groups up to SCIM_MAX_COUNT; "
          "excludedAttributes=members: the write alone)")
    print("| group size | p50 ms | p99 ms | p50 ms, excludedAttributes=members | p99 ms, same | "
          "p50 ratio to the smallest group, same |")
    print("|---|---|---|---|---|---|")
    for size, p50, p99, bare_p50, bare_p99 in rows:
        print(f"| {size:,} | {p50:.1f} | {p99:.1f} | {bare_p50:.1f} | {bare_p99:.1f} | {bare_p50 / rows[0][3]:.2f} |")


if __name__ == "__main__":
    main()
