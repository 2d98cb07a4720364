"""Benchmark: GET /Users?filter=userName eq "..." against a bare Flask route, in one run.

    python bench/users_filter.py [--users 100000] [--duration 15] [--connections 8]

Seeds the users into a fresh SQLite database (or --database-url), starts the
gateway and the baseline (bench/bare_app.py) with the same gunicorn settings
(gunicorn.conf.py), drives both with wrk from a separate process, and prints
requests/s, p50 and p99 latency and the ratio to the baseline.

It also prints the CPU time each request cost the server's workers and wrk: on a
machine where both share the cores, the ratio to the baseline is about the ratio
of these sums, and the baseline's shows what a request costs before any of the
gateway's own work (gunicorn, the sockets, Flask).
"""
import argparse
import json
import random
import resource
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


def _children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # wrk, once it has been waited for
    return usage.ru_utime + usage.ru_stime


def measured(server, env, args):
    """wrk's figures, with the CPU time per request of the server's workers and of wrk."""
    workers, wrk = server.cpu_seconds(), _children_cpu()
    figures = run_wrk(server.url, SCRIPT, env, args.duration, args.connections)
    requests = max(1, figures["requests"])
    figures["worker_us"] = (server.cpu_seconds() - workers) / requests * 1e6
    figures["wrk_us"] = (_children_cpu() - wrk) / requests * 1e6
    return figures


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
            rows.append((label, measured(server, env, args)))
        finally:
            server.stop()

    baseline = rows[0][1]["rps"]
    print(f"\nGET /scim/v2/Users?filter=userName eq \"...\"  users={args.users}  "
          f"connections={args.connections}  duration={args.duration}s  {time.strftime('%Y-%m-%d')}")
    print("| server | requests/s | p50 ms | p99 ms | errors | ratio to baseline | CPU µs per request: "
          "workers + wrk |")
    print("|---|---|---|---|---|---|---|")
    for label, figures in rows:
        print(f"| {label} | {figures['rps']:.0f} | {figures['p50_ms']:.1f} | {figures['p99_ms']:.1f} | "
              f"{figures['errors'] + figures['non2xx']} | {figures['rps'] / baseline:.2f} | "
              f"{figures['worker_us']:.0f} + {figures['wrk_us']:.0f} |")


if __name__ == "__main__":
    main()
