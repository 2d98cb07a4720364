"""Benchmark: GET /Users?filter=userName eq "..." against a bare Flask route, in one run.

    python bench/users_filter.py [--users 100000] [--duration 15] [--connections 8]

Seeds the users into a fresh SQLite database (or --database-url), starts the
gateway and the baseline (bench/bare_app.py) with the same gunicorn settings
(gunicorn.conf.py), drives both with wrk from a separate process, and prints
requests/s, p50 and p99 latency and the ratio to the baseline.
"""
import argparse
import json
import random
import secrets
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, Server, okta_body, run_wrk, seed  # noqa: E402

SCRIPT = ROOT / "bench" / "wrk_filter.lua"


def check(server, token, attribute, value):
    """The benchmarked request must really find one user."""
    query = urllib.parse.quote(f'{attribute} eq "{value}"')
    request = urllib.request.Request(f"{server.url}/scim/v2/Users?filter={query}",
                                     headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request) as response:
        body = json.loads(response.read())
    if body["totalResults"] != 1:
        raise SystemExit(f"filter {attribute} eq {value!r} found {body['totalResults']} users, expected 1")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--database-url")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-users-filter-"))
    database_url = args.database_url or f"sqlite:///{workdir / 'gateway.db'}"
    token = secrets.token_urlsafe(24)
    seconds = seed(database_url, args.users, token)
    print(f"seeded {args.users} users in {seconds:.1f} s ({args.users / seconds:.0f} users/s)")

    values = workdir / "usernames.txt"
    sample = random.Random(7).sample(range(args.users), min(args.users, 10_000))
    values.write_text("\n".join(okta_body(i)["userName"] for i in sample) + "\n")
    env = {"BENCH_VALUES": str(values), "BENCH_ATTRIBUTE": "userName", "BENCH_TOKEN": token}

    rows = []
    for label, target, server_env in (
        ("bare Flask (baseline)", "bench.bare_app:app", {}),
        ("gateway", "app:app", {"DATABASE_URL": database_url, "ADMIN_TOKEN": token}),
    ):
        server = Server(target, server_env)
        try:
            server.wait(headers={"Authorization": f"Bearer {token}"})
            if target == "app:app":
                check(server, token, "userName", okta_body(sample[0])["userName"].upper())
            run_wrk(server.url, SCRIPT, env, duration=3, connections=args.connections)  # warm-up
            rows.append((label, run_wrk(server.url, SCRIPT, env, args.duration, args.connections)))
        finally:
            server.stop()

    baseline = rows[0][1]["rps"]
    print(f"\nGET /scim/v2/Users?filter=userName eq \"...\"  users={args.users}  "
          f"connections={args.connections}  duration={args.duration}s  {time.strftime('%Y-%m-%d')}")
    print("| server | requests/s | p50 ms | p99 ms | errors | ratio to baseline |")
    print("|---|---|---|---|---|---|")
    for label, figures in rows:
        print(f"| {label} | {figures['rps']:.0f} | {figures['p50_ms']:.1f} | {figures['p99_ms']:.1f} | "
              f"{figures['errors'] + figures['non2xx']} | {figures['rps'] / baseline:.2f} |")


if __name__ == "__main__":
    main()
