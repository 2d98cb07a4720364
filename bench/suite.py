"""The benchmark suite: every workload, two baselines, several sizes, SQLite and PostgreSQL, one table.

    .venv/bin/python -m bench.suite --sizes 10000,100000,1000000 --databases sqlite,postgres --duration 10

For each size N it writes N Okta-style users to a JSON Lines file and, per database, imports them
with the deployed CLI (`flask --app app users import FILE`), fills a group of min(100,000, N - 2,000)
members, and starts the gateway under gunicorn with gunicorn.conf.py (as the Procfile's
`web: gunicorn app:app`). Beside it, under the same gunicorn settings, run the two baselines: a bare
Flask route returning a fixed JSON body (bench/bare_app.py, answers every path and method) and the
python-scim reference server scim2-server (bench/scim2_app.py) preloaded with the same N users (up
to --scim2-max-users). wrk, a separate process, drives each workload against the gateway and then
against both baselines, in the same run (bench/wrk_suite.lua replays a file of prepared requests
and counts every non-2xx answer). Before each measurement one request of the workload is sent and
checked (status, exactly one result, ...), so that an error page is never what gets measured.

Workloads: W1 filter userName eq; W2 filter externalId eq and emails[type eq "work"].value eq;
W3 POST /Users (unique userNames); W4 PATCH active=false; W5 a page deep in the list by startIndex
and, when /ServiceProviderConfig announces pagination.cursor, by cursor (RFC 9865); W6 management
POST /users/_search userName CONTAINS; W7 PATCH add/remove one member of the big group; W8
POST /oauth/v2/token, JWT profile (a fresh signed assertion per request) and client credentials.

Prints Markdown tables (one per database) and writes each to bench/results/<date>-<db>.md.
"""
import argparse
import contextlib
import datetime
import importlib.metadata
import json
import math
import os
import platform
import random
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import ROOT, Server, free_port, okta_body, run_wrk, seed_cli, write_users
from models.db import sqlite_files

BENCH = ROOT / "bench"
SCRIPT = BENCH / "wrk_suite.lua"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
SCIM_JSON = "application/scim+json"
FORM = "application/x-www-form-urlencoded"
BIG_GROUP = 100_000
SPARES = 2_000
SAMPLE = 10_000
# The token endpoint's per-client and per-address limits would answer 429 within a second.
NO_RATE_LIMIT = "100000000 per minute"


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- set-up


def ensure_requirements():
    """Install bench/requirements.txt into this interpreter's environment when a pin is not met."""
    wanted = {}
    for line in (BENCH / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if "==" in line:
            name, version = line.split("==")
            wanted[name.split("[")[0]] = version
    try:
        if all(importlib.metadata.version(name) == version for name, version in wanted.items()):
            return
    except importlib.metadata.PackageNotFoundError:
        pass
    log("installing bench/requirements.txt")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-r", str(BENCH / "requirements.txt")], check=True)


def postgres_admin_url():
    subprocess.run(["bash", str(ROOT / "scripts" / "pg-test-server"), "start"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return subprocess.run(["bash", str(ROOT / "scripts" / "pg-test-server"), "url"], check=True,
                          capture_output=True, text=True).stdout.strip()


class Database:
    """A fresh database for one size: a SQLite file, or a PostgreSQL database of our own (dropped after)."""

    def __init__(self, kind, size, workdir):
        self.kind = kind
        if kind == "sqlite":
            self.path = Path(workdir) / f"gateway-{size}.db"
            self.url = f"sqlite:///{self.path}"
        else:
            import psycopg2

            self.admin = postgres_admin_url()
            self.name = f"bench_suite_{os.getpid()}_{size}"
            self._psycopg2 = psycopg2
            self._sql(f"DROP DATABASE IF EXISTS {self.name}")
            self._sql(f"CREATE DATABASE {self.name}")
            self.url = self.admin.rsplit("/", 1)[0] + "/" + self.name

    def _sql(self, statement):
        connection = self._psycopg2.connect(self.admin)
        try:
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute(statement)
                return cursor.fetchone() if cursor.description else None
        finally:
            connection.close()

    def describe(self):
        if self.kind == "sqlite":
            return "SQLite (file on local disk)"
        version = self._sql("SHOW server_version")[0]
        fsync = self._sql("SHOW fsync")[0]
        return f"PostgreSQL {version} (scripts/pg-test-server, fsync={fsync})"

    def drop(self):
        if self.kind == "sqlite":
            for file in sqlite_files(self.path):
                file.unlink(missing_ok=True)
        else:
            self._sql(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")


# ---------------------------------------------------------------- HTTP helpers


def call(url, method="GET", body=None, headers=None, timeout=120):
    """(status, parsed JSON body or text) of one request."""
    data = body.encode() if isinstance(body, str) else body
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        return status, json.loads(raw or b"null")
    except ValueError:
        return status, raw.decode(errors="replace")


def quote(text):
    return urllib.parse.quote(text, safe="")


@dataclass
class Target:
    """A server a workload runs against, with what its requests need."""

    name: str
    server: Server
    auth: str | None = None
    users: dict = field(default_factory=dict)  # import line -> id (W4)


@dataclass
class Workload:
    key: str
    label: str
    lines: list  # (method, path, body) for the gateway
    check: object  # function(status, body) -> error text or None
    connections: int
    content_type: str | None = SCIM_JSON
    order: str = "random"
    unique: bool = False
    scim2_lines: list | None = None  # None: n/a for scim2-server
    scim2_reason: str = ""
    auth: str | None = "bearer"  # "bearer": the target's bearer; None: none; else the header value
    signer: object = None  # W8 JWT: function(count) -> lines, fresh assertions
    target: tuple = ()  # ("min_rps", 1000) | ("max_p50", 100) | ("bare_and_scaling",) | ("scaling",)
    # target name -> requests answered so far: a walk in order ("cycle") goes on where the
    # warm-up (or the slice before) left it, rather than replaying its start
    walked: dict = field(default_factory=dict)


def expect_one(status, body):
    if status != 200:
        return f"status {status}: {str(body)[:300]}"
    if not isinstance(body, dict) or body.get("totalResults") != 1 or len(body.get("Resources", [])) != 1:
        return f"expected exactly one result, got {str(body)[:300]}"
    return None


def expect_status(*statuses):
    def check(status, body):
        return None if status in statuses else f"status {status}: {str(body)[:300]}"
    return check


def expect_page(size):
    def check(status, body):
        if status != 200:
            return f"status {status}: {str(body)[:300]}"
        found = len(body.get("Resources", [])) if isinstance(body, dict) else 0
        return None if found == size else f"expected {size} resources, got {found}: {str(body)[:300]}"
    return check


def expect_search_one(status, body):
    if status != 200:
        return f"status {status}: {str(body)[:300]}"
    found = len(body.get("result", [])) if isinstance(body, dict) else 0
    return None if found == 1 else f"expected one user, got {found}: {str(body)[:300]}"


def expect_token(status, body):
    if status != 200 or not isinstance(body, dict) or not body.get("access_token"):
        return f"status {status}: {str(body)[:300]}"
    return None


def expect_inactive(status, body):
    if status == 204:  # RFC 7644 §3.5.2: no body unless attributes were asked for (scim2-server)
        return None
    if status != 200:
        return f"status {status}: {str(body)[:300]}"
    return None if isinstance(body, dict) and body.get("active") is False else f"still active: {str(body)[:300]}"


# ---------------------------------------------------------------- workloads


def filter_lines(attribute, indices, value_of):
    return [("GET", "/scim/v2/Users?filter=" + quote(f'{attribute} eq "{value_of(okta_body(i))}"'), "")
            for i in indices]


def new_user_body():
    body = okta_body(0)
    body.update({"userName": "w3-{{n}}@example.com", "externalId": "w3-{{n}}", "displayName": "Load {{n}}",
                 "name": {"givenName": "Load", "familyName": "{{n}}"},
                 "emails": [{"primary": True, "value": "w3-{{n}}@example.com", "type": "work"}]})
    return json.dumps(body, separators=(",", ":"))


DEACTIVATE, REACTIVATE = (
    json.dumps({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": active}}]},
               separators=(",", ":")) for active in (False, True))


def state_change_lines(paths):
    """W4: every user deactivated, then every user reactivated, walked in order ("cycle").

    Each request changes its user's state, whatever N: with random picks among a fixed sample,
    the share of repeats (a no-op PATCH, with nothing to write) grew with the request rate,
    so that a faster run at a smaller N looked cheaper than it was.
    """
    return [("PATCH", path, DEACTIVATE) for path in paths] + [("PATCH", path, REACTIVATE) for path in paths]


def membership_lines(group_id, spare_ids):
    lines = []
    for member in spare_ids:
        for operation in ({"op": "add", "path": "members", "value": [{"value": member}]},
                          {"op": "remove", "path": f'members[value eq "{member}"]'}):
            lines.append(("PATCH", f"/scim/v2/Groups/{group_id}?excludedAttributes=members",
                          json.dumps({"schemas": [PATCH_OP], "Operations": [operation]}, separators=(",", ":"))))
    return lines


def search_body(substring):
    return json.dumps({"queries": [{"userNameQuery": {"userName": substring, "method": "TEXT_QUERY_METHOD_CONTAINS"}}],
                       "query": {"limit": 100}}, separators=(",", ":"))


def deep_page_lines(total, count=100, spread=1000):
    """startIndex values of the last `spread` users (each page holding `count` of them)."""
    last = max(1, total - count + 1)
    starts = sorted({max(1, last - step * 10) for step in range(min(100, spread // 10))})
    return [("GET", f"/scim/v2/Users?startIndex={start}&count={count}", "") for start in starts]


def total_users(target):
    status, body = call(target.server.url + "/scim/v2/Users?count=0", headers=auth_header(target))
    if status != 200:
        raise RuntimeError(f"{target.name}: GET /Users?count=0 answered {status}: {body}")
    return body["totalResults"]


def auth_header(target):
    return {"Authorization": target.auth} if target.auth else {}


def cursor_lines(target, count=100, deadline_s=900):
    """Cursors leading to pages near the end of the list, or (None, reason) when not announced."""
    url = target.server.url
    status, config = call(url + "/scim/v2/ServiceProviderConfig", headers=auth_header(target))
    pagination = config.get("pagination") if isinstance(config, dict) else None
    if status != 200 or not isinstance(pagination, dict) or not pagination.get("cursor"):
        return None, "the server does not announce pagination.cursor"
    walk = min(count * 10, int(pagination.get("maxPageSize") or 1000), 1000)
    started = time.time()
    for step in dict.fromkeys((walk, count)):
        cursors, position, cursor = [], 1, ""
        while True:
            status, page = call(f"{url}/scim/v2/Users?count={step}&cursor={quote(cursor)}", headers=auth_header(target))
            if status != 200:
                return None, f"cursor walk answered {status}: {str(page)[:200]}"
            position += len(page.get("Resources", []))
            cursor = page.get("nextCursor")
            if not cursor or time.time() - started > deadline_s:
                break
            cursors.append((position, cursor))
        total = position - 1
        deep = [c for start, c in cursors if total - 2000 <= start <= total - count + 1] or [c for _, c in cursors[-3:]]
        if not deep:
            return None, "the list is too short for a deep cursor"
        lines = [("GET", f"/scim/v2/Users?count={count}&cursor={quote(c)}", "") for c in deep]
        status, body = call(url + lines[-1][1], headers=auth_header(target))
        if expect_page(count)(status, body) is None:
            log(f"cursor: walked {total} users {step} a page in {time.time() - started:.0f} s; "
                f"{len(lines)} cursors near the end")
            return lines, f"walked with count={step}"
        log(f"cursor from a walk with count={step} refused at count={count} ({status}); walking again")
    return None, "no usable cursor near the end"


def workloads(n, gateway, prepared, machine, scim2, cursor):
    """The workloads for a gateway seeded with n users (and scim2-server, when it holds them too)."""
    rng = random.Random(n)
    indices = rng.sample(range(n), min(n, SAMPLE))
    sample_pairs = prepared["sample"]
    scim2_ok = scim2 is not None
    no_scim2 = "" if scim2_ok else f"scim2-server not loaded at N={n:,} (see --scim2-max-users)"
    items = [
        Workload("W1", 'filter userName eq "…"', filter_lines("userName", indices, lambda b: b["userName"]),
                 expect_one, 0, target=("bare_and_scaling",)),
        Workload("W2a", 'filter externalId eq "…"', filter_lines("externalId", indices, lambda b: b["externalId"]),
                 expect_one, 0, target=("bare_and_scaling",)),
        Workload("W2b", 'filter emails[type eq "work"].value eq "…"',
                 filter_lines('emails[type eq "work"].value', indices, lambda b: b["emails"][0]["value"]),
                 expect_one, 0, target=("bare_and_scaling",)),
    ]
    for item in items:
        item.scim2_lines = item.lines if scim2_ok else None
    deep = deep_page_lines(total_users(gateway))
    items.append(Workload("W5", "deep page: startIndex near the end, count=100", deep, expect_page(100), 2,
                          target=("max_p50", 100)))
    if scim2_ok:
        items[-1].scim2_lines = deep_page_lines(total_users(scim2))
    if cursor[0]:
        items.append(Workload("W5c", f"deep page by cursor (RFC 9865), count=100 (cursor {cursor[1]})", cursor[0],
                              expect_page(100), 2,
                              scim2_reason="cursor paging is not announced by scim2-server's default configuration",
                              target=("max_p50", 100)))
    else:
        items.append(Workload("W5c", f"deep page by cursor: n/a ({cursor[1]})", None, None, 2))
    items.append(Workload("W6", "management POST /users/_search userName CONTAINS",
                          [("POST", "/management/v1/users/_search", search_body(f"{i:07d}")) for i in indices],
                          expect_search_one, 0, content_type="application/json",
                          scim2_reason="no management API"))
    items.append(Workload("W7", f"PATCH Groups add/remove 1 member ({prepared['group_size']:,} members)",
                          membership_lines(prepared["group_id"], prepared["spare_ids"]),
                          expect_status(200), 1, order="cycle", target=("max_p50", 20),
                          scim2_reason="the big group is not loaded into scim2-server"))
    items.append(Workload("W8j", "POST /oauth/v2/token, JWT profile", [], expect_token, 0, content_type=FORM,
                          order="once", auth=None, signer=machine["sign"], scim2_reason="no token service",
                          target=("min_rps", 200)))
    items.append(Workload("W8c", "POST /oauth/v2/token, client credentials",
                          [("POST", "/oauth/v2/token", "grant_type=client_credentials&scope=openid")],
                          expect_token, 0, content_type=FORM, auth=machine["basic"],
                          scim2_reason="no token service", target=("min_rps", 200)))
    items.append(Workload("W3", "POST /Users (Okta body, unique userName)",
                          [("POST", "/scim/v2/Users", new_user_body())], expect_status(201), 0, unique=True,
                          target=("min_rps", 1000)))
    items[-1].scim2_lines = items[-1].lines if scim2_ok else None
    items.append(Workload("W4", "PATCH Users active=false, then true (Okta)",
                          state_change_lines([f"/scim/v2/Users/{user_id}" for _, user_id in sample_pairs]),
                          expect_inactive, 0, order="cycle", target=("scaling",)))
    if scim2_ok:
        items[-1].scim2_lines = state_change_lines([f"/scim/v2/Users/u{index:07d}" for index, _ in sample_pairs])
    if not scim2_ok:
        for item in items:
            item.scim2_lines = None
            item.scim2_reason = item.scim2_reason or no_scim2
    return items


# ---------------------------------------------------------------- running


class Runner:
    def __init__(self, args, workdir):
        self.args = args
        self.workdir = Path(workdir)

    def write_lines(self, lines):
        handle, path = tempfile.mkstemp(prefix="bench-requests-", suffix=".tsv", dir=self.workdir)
        with os.fdopen(handle, "w") as out:
            for method, path_, body in lines:
                out.write(f"{method}\t{path_}\t{body}\n")
        return path

    def header_for(self, workload, target):
        if workload.auth == "bearer":
            return target.auth
        return workload.auth

    def first_request(self, target, workload, lines):
        method, path, body = lines[0]
        if workload.unique:
            path, body = (text.replace("{{n}}", f"check-{uuid.uuid4().hex[:12]}") for text in (path, body))
        headers = {}
        if self.header_for(workload, target):
            headers["Authorization"] = self.header_for(workload, target)
        if body and workload.content_type:
            headers["Content-Type"] = workload.content_type
        return call(target.server.url + path, method, body or None, headers)

    def wrk(self, target, workload, lines, duration):
        # the baseline does not care about replays: no "exhausted" count for it
        order = "random" if target.name == "bare" and workload.order == "once" else workload.order
        env = {"BENCH_REQUESTS": self.write_lines(lines), "BENCH_ORDER": order,
               "BENCH_UNIQUE": "1" if workload.unique else "0", "BENCH_NONCE": uuid.uuid4().hex[:10]}
        if self.header_for(workload, target):
            env["BENCH_AUTH"] = self.header_for(workload, target)
        if workload.content_type:
            env["BENCH_CONTENT_TYPE"] = workload.content_type
        if order == "cycle":
            env["BENCH_OFFSET"] = str(workload.walked.get(target.name, 0))
        connections = workload.connections or self.args.connections
        try:
            figures = run_wrk(target.server.url, SCRIPT, env, duration, connections, threads=self.args.threads)
        finally:
            os.unlink(env["BENCH_REQUESTS"])
        workload.walked[target.name] = workload.walked.get(target.name, 0) + figures.get("requests", 0)
        return figures

    def check(self, target, workload, lines):
        """One request of the workload, checked; None, or {"na": reason}."""
        status, body = self.first_request(target, workload, workload.signer(1) if workload.signer else lines)
        problem = (workload.check if target.name != "bare" else expect_status(200))(status, body)
        return {"na": f"check failed: {problem[:160]}"} if problem else None

    def measure(self, target, workload, lines, checked=True):
        """Check one request, warm up, then measure; figures, or {"na": reason}."""
        if checked and (failed := self.check(target, workload, lines)):
            return failed
        warm = self.wrk(target, workload, lines, self.args.warmup) if self.args.warmup else None
        if workload.signer and target.name == "gateway":
            rate = warm["rps"] if warm else 500
            count = math.ceil(max(rate, 100) * self.args.duration * 1.5) + 500
            lines = workload.signer(count)
        figures = self.wrk(target, workload, lines, self.args.duration)
        if not figures["requests"]:
            return {"na": f"no answer within {self.args.duration} s"}
        figures["connections"] = workload.connections or self.args.connections
        return figures

    def measure_in_turn(self, workload, targets, lines):
        """The targets measured in turn, --slices times each for --duration in all: {name: figures}.

        This machine's speed drifts by a tenth or more within a minute; measured one after the
        other, a target and its baseline can meet different machines. In turns, a drift touches
        both alike. Requests/s is over all slices; p50 and p99 are the median of the slices'.
        """
        results = {target.name: self.check(target, workload, lines) for target in targets}
        live = [target for target in targets if results[target.name] is None]
        for target in live:
            if self.args.warmup:
                self.wrk(target, workload, lines, self.args.warmup)
        each = slice_seconds(self.args)
        slices = {target.name: [] for target in live}
        for _ in range(self.args.slices):
            for target in live:
                slices[target.name].append(self.wrk(target, workload, lines, each))
        for name, parts in slices.items():
            results[name] = combined(parts, workload.connections or self.args.connections, self.args.duration)
        return results

    def run_workload(self, workload, gateway, bare, scim2):
        result = {"key": workload.key, "label": workload.label, "target": workload.target,
                  "connections": workload.connections or self.args.connections}
        if workload.lines is None:
            result["gateway"] = {"na": workload.label}
            return result
        lines = workload.lines
        if workload.signer:
            lines = workload.signer(max(2000, int(1500 * self.args.warmup)))
        if workload.target[:1] in (("bare_and_scaling",), ("scaling",)) and self.args.slices > 1 \
                and not workload.signer:
            log(f"  {workload.key} {workload.label}: gateway and bare Flask in turn, {self.args.slices} slices each")
            result.update(self.measure_in_turn(workload, [gateway, bare], lines))
        else:
            log(f"  {workload.key} {workload.label}: gateway")
            result["gateway"] = self.measure(gateway, workload, lines)
            log(f"  {workload.key}: bare Flask")
            result["bare"] = self.measure(bare, workload, lines if not workload.signer else lines[:1000])
        if workload.scim2_lines is not None:
            log(f"  {workload.key}: scim2-server")
            result["scim2"] = self.measure(scim2, workload, workload.scim2_lines)
        else:
            result["scim2"] = {"na": workload.scim2_reason or "not supported"}
        return result


def slice_seconds(args):
    """How long each slice of a measurement in turn lasts (wrk takes whole seconds)."""
    return max(1, round(args.duration / args.slices))


def combined(parts, connections, duration):
    """One measurement's figures from its slices (see Runner.measure_in_turn)."""
    requests = sum(part["requests"] for part in parts)
    if not requests:
        return {"na": f"no answer within {duration} s"}
    seconds = sum(part["seconds"] for part in parts)
    figures = {"requests": requests, "seconds": seconds, "rps": requests / seconds, "connections": connections,
               "slices": len(parts)}
    for key in ("p50_ms", "p99_ms"):
        figures[key] = statistics.median(part[key] for part in parts)
    for key in ("errors", "socket_errors", "non2xx", "exhausted"):
        figures[key] = sum(part.get(key, 0) for part in parts)
    failed = next((part for part in parts if part.get("first_status")), None)
    if failed is not None:
        figures.update(first_status=failed["first_status"], first_body=failed.get("first_body", ""))
    return figures


def setup_machine(gateway, token):
    """A machine user with a client secret and a key (management API), and a signer of fresh assertions."""
    from authlib.oauth2.rfc7523 import JWTBearerGrant
    from joserfc.jwk import RSAKey

    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    url = gateway.url + "/management/v1/users"
    user_name = f"bench-bot-{uuid.uuid4().hex[:8]}"
    status, body = call(url + "/machine", "POST", json.dumps({"userName": user_name, "name": "bench"}), headers)
    if status != 200:
        raise RuntimeError(f"creating the machine user answered {status}: {body}")
    user_id = body["userId"]
    status, body = call(f"{url}/{user_id}/secret", "PUT", "{}", headers)
    if status != 200:
        raise RuntimeError(f"PUT secret answered {status}: {body}")
    secret = body["clientSecret"]
    status, body = call(f"{url}/{user_id}/keys", "POST", json.dumps({"type": "KEY_TYPE_JSON"}), headers)
    if status != 200:
        raise RuntimeError(f"POST keys answered {status}: {body}")
    import base64

    key_file = json.loads(base64.b64decode(body["keyDetails"]))
    key = RSAKey.import_key(key_file["key"])

    def assertion():
        now = int(time.time())
        signed = JWTBearerGrant.sign(key, issuer=key_file["userId"], audience=gateway.url, subject=key_file["userId"],
                                     issued_at=now, expires_at=now + 3600,
                                     header={"alg": "RS256", "kid": key_file["keyId"]},
                                     claims={"jti": uuid.uuid4().hex})
        return signed if isinstance(signed, str) else signed.decode()

    def sign(count):
        """count token requests, each with an assertion of its own (the server refuses replays)."""
        prefix = "grant_type=" + quote(JWT_BEARER) + "&scope=openid&assertion="
        return [("POST", "/oauth/v2/token", prefix + assertion()) for _ in range(count)]

    basic = "Basic " + base64.b64encode(f"{user_name}:{secret}".encode()).decode()
    return {"sign": sign, "basic": basic}


def start(stack, target, env, name, timeout=120, wait_path="/scim/v2/Users", token=None):
    server = Server(target, env, name=name)
    stack.callback(server.stop)
    server.wait(wait_path, timeout=timeout, headers={"Authorization": f"Bearer {token}"} if token else None)
    return server


def run_size(args, runner, n, workdir, bare, results, meta):
    users_file = Path(workdir) / f"users-{n}.jsonl"
    started = time.perf_counter()
    write_users(users_file, n)
    log(f"N={n:,}: wrote the import file in {time.perf_counter() - started:.1f} s")
    token = secrets.token_urlsafe(24)
    with contextlib.ExitStack() as stack:
        scim2 = None
        if n <= args.scim2_max_users:
            started = time.perf_counter()
            server = start(stack, "bench.scim2_app:app",
                           {"BENCH_SCIM2_USERS": str(users_file), "BENCH_TOKEN": token,
                            "BENCH_SCIM2_SECRET": secrets.token_urlsafe(16)},
                           "scim2-server", timeout=180 + n / 500, token=token,
                           wait_path="/scim/v2/ServiceProviderConfig")
            scim2 = Target("scim2", server, f"Bearer {token}")
            log(f"N={n:,}: scim2-server up, {n:,} users preloaded per worker in {time.perf_counter() - started:.0f} s")
            meta.setdefault("scim2_load", {})[n] = time.perf_counter() - started
        for kind in args.databases:
            database = Database(kind, n, workdir)
            try:
                results.setdefault(kind, {})[n] = run_database(args, runner, n, database, users_file, token,
                                                               bare, scim2, meta)
            finally:
                database.drop()
            if scim2 is not None:
                meta.setdefault("scim2_rss", {})[n] = scim2.server.peak_rss_mb()
            write_report(args, kind, results[kind], meta)
    users_file.unlink(missing_ok=True)


def run_database(args, runner, n, database, users_file, token, bare, scim2, meta):
    log(f"N={n:,} {database.kind}: importing with `flask --app app users import`")
    meta.setdefault("database", {})[database.kind] = database.describe()
    seconds = seed_cli(database.url, users_file, token)
    log(f"N={n:,} {database.kind}: imported in {seconds:.0f} s ({n / seconds:.0f} users/s)")
    group_size = max(1, min(BIG_GROUP, n - SPARES))
    prepared_file = Path(runner.workdir) / f"prepared-{database.kind}-{n}.json"
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "bench.prepare", database.url, token, str(group_size), str(SPARES),
                    str(SAMPLE), str(prepared_file)], cwd=ROOT, check=True,
                   env={**os.environ, "LOG_LEVEL": "WARNING"})
    group_seconds = time.perf_counter() - started
    prepared = json.loads(prepared_file.read_text())
    log(f"N={n:,} {database.kind}: group of {group_size:,} filled in {group_seconds:.0f} s")
    entry = {"seed_s": seconds, "group_s": group_seconds, "group_size": group_size, "rows": []}
    with contextlib.ExitStack() as stack:
        port = free_port()
        env = {"DATABASE_URL": database.url, "ADMIN_TOKEN": token, "ISSUER": f"http://127.0.0.1:{port}",
               "TOKEN_RATE_LIMIT_PER_CLIENT": NO_RATE_LIMIT, "TOKEN_RATE_LIMIT_PER_ADDRESS": NO_RATE_LIMIT}
        server = Server("app:app", env, name="gateway", port=port)
        stack.callback(server.stop)
        server.wait(timeout=120, headers={"Authorization": f"Bearer {token}"})
        gateway = Target("gateway", server, f"Bearer {token}")
        entry["gateway_total"] = total_users(gateway)
        if entry["gateway_total"] < n:
            raise RuntimeError(f"the gateway lists {entry['gateway_total']} users, expected {n}")
        machine = setup_machine(server, token)
        cursor = cursor_lines(gateway)
        selected = set(args.workloads.split(",")) if args.workloads else None
        for workload in workloads(n, gateway, prepared, machine, scim2, cursor):
            if selected and workload.key not in selected:
                continue
            entry["rows"].append(runner.run_workload(workload, gateway, Target("bare", bare), scim2))
        entry["rss"] = server.peak_rss_mb()
        meta["bare_rss"] = bare.peak_rss_mb()
    return entry


# ---------------------------------------------------------------- report


def figure(value, digits=0):
    return "n/a" if value is None else f"{value:,.{digits}f}"


def errors_of(figures):
    return figures.get("socket_errors", 0) + figures.get("non2xx", 0) + figures.get("exhausted", 0)


def errors_text(figures):
    """Errors, with the status of the first non-2xx answer."""
    count = errors_of(figures)
    return f"{count} (first: {figures['first_status']})" if count and figures.get("first_status") else str(count)


def cell(figures):
    """req/s, p50 of a baseline, with its errors."""
    if "na" in figures:
        return f"n/a ({figures['na']})"
    text = f"{rate(figures['rps'])} / {figures['p50_ms']:.1f}"
    return text + (f" ({errors_text(figures)} err)" if errors_of(figures) else "")


def rate(value):
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def ratio(a, b, digits=2):
    return "n/a" if not a or not b else f"{a / b:.{digits}f}"


def verdict(row, size, first):
    """pass/miss against the issue's target for this workload."""
    kind = row["target"]
    figures = row["gateway"]
    if not kind:
        return ""
    if "na" in figures:
        return "miss (no figure)"
    good_rps = figures["rps"] * (1 - errors_of(figures) / max(1, figures["requests"]))
    if kind[0] == "min_rps":
        return f"≥{kind[1]}/s: {'pass' if good_rps >= kind[1] else 'miss'}"
    if kind[0] == "max_p50":
        return f"p50<{kind[1]} ms: {'pass' if figures['p50_ms'] < kind[1] else 'miss'}"
    parts = []
    bare = row.get("bare", {})
    if "rps" in bare and kind[0] == "bare_and_scaling":
        share = good_rps / bare["rps"]
        parts.append(f"≥0.6× bare: {'pass' if share >= 0.6 else 'miss'}")
    if first and "rps" in first and size != first.get("size"):
        cost, how = scaling_cost(figures, bare, first, first.get("bare", {}))
        parts.append(f"≤1.3× {first['size'] // 1000}k cost: {'pass' if cost <= 1.3 else 'miss'} ({cost:.2f}{how})")
    return "; ".join(parts)


def scaling_cost(figures, bare, first, first_bare):
    """How much more a request costs at N than at the first size: (cost, note).

    The sizes are measured minutes apart, and this machine's speed drifts by a tenth or more
    in that time. When bare Flask was measured in turn at both sizes, each figure is taken
    relative to its bare Flask figure first, so that a drift of the machine cancels out.
    """
    if "rps" in bare and "rps" in first_bare:
        rps = (first["rps"] / first_bare["rps"]) / (figures["rps"] / bare["rps"])
        p50 = (figures["p50_ms"] / bare["p50_ms"]) / (first["p50_ms"] / first_bare["p50_ms"])
        return max(rps, p50), ", each against bare Flask"
    return max(first["rps"] / figures["rps"], figures["p50_ms"] / first["p50_ms"]), ""


def report(args, kind, entries, meta):
    sizes = sorted(entries)
    first_size = sizes[0]
    lines = [f"## Benchmark suite: {meta['database'].get(kind, kind)}", "",
             f"{meta['date']}, commit {meta['commit']}, {meta['machine']}. gunicorn with gunicorn.conf.py "
             f"({meta['workers']} sync workers) for the gateway and both baselines; wrk {args.threads} threads, "
             f"{args.duration} s per measurement after {args.warmup} s of warm-up, `c` connections "
             f"(W5: 2, one per worker, W7: 1, one IdP pushing a group's changes in order)."
             + (f" W1, W2 and W4: the gateway and bare Flask measured in turn, {args.slices} slices of "
                f"{slice_seconds(args)} s each (requests/s over all of them; p50 and p99 the "
                "median of the slices'); their cost at N against the first size compares each figure "
                "with bare Flask's first, so that the machine's drift between sizes cancels out."
                if args.slices > 1 else ""), "",
             "Figures: requests/s, p50 and p99 in ms. Baselines as `req/s / p50 ms`. `×bare` and `×scim2` are the "
             f"gateway's requests/s divided by the baseline's. `÷{first_size // 1000}k` columns: the figure at N "
             f"divided by the same figure at N={first_size:,}. Errors: non-2xx answers, socket errors and timeouts "
             "(and, for W8j, assertions reused for lack of fresh ones).", "",
             f"| workload | N | c | req/s | p50 | p99 | errors | bare Flask | ×bare | scim2-server | ×scim2 | "
             f"req/s ÷{first_size // 1000}k | p50 ÷{first_size // 1000}k | p99 ÷{first_size // 1000}k | target |",
             "|---|---:|---:|---:|---:|---:|---:|---|---:|---|---:|---:|---:|---:|---|"]
    keys = list(dict.fromkeys(row["key"] for size in sizes for row in entries[size]["rows"]))
    for key in keys:
        first = next((dict(row["gateway"], size=first_size, bare=row.get("bare", {}))
                      for row in entries[first_size]["rows"] if row["key"] == key and "rps" in row["gateway"]), None)
        for size in sizes:
            row = next((r for r in entries[size]["rows"] if r["key"] == key), None)
            if row is None:
                continue
            g = row["gateway"]
            label = f"{key} {row['label']}"
            if "na" in g:
                reason = g["na"] if g["na"] != row["label"] else ""
                lines.append(f"| {label} | {size:,} | {row['connections']} | n/a | | | | | | | | | | | "
                             f"{'; '.join(filter(None, (reason, verdict(row, size, first))))} |")
                continue
            bare, scim2 = row.get("bare", {}), row.get("scim2", {})
            lines.append(
                f"| {label} | {size:,} | {row['connections']} | {rate(g['rps'])} | {g['p50_ms']:.1f} | "
                f"{g['p99_ms']:.1f} | "
                f"{errors_text(g)} | {cell(bare)} | {ratio(g['rps'], bare.get('rps'))} | {cell(scim2)} | "
                f"{ratio(g['rps'], scim2.get('rps'))} | {ratio(g['rps'], first and first['rps'])} | "
                f"{ratio(g['p50_ms'], first and first['p50_ms'])} | {ratio(g['p99_ms'], first and first['p99_ms'])} | "
                f"{verdict(row, size, first)} |")
    lines += ["", "Seeding, big group and memory (peak RSS = VmHWM of each gunicorn worker after all the runs; "
              "target: < 150 MB per gateway worker at 1,000,000 users):", "",
              "| N | import (CLI) s | users/s | group members | group fill s | gateway worker peak RSS MB | "
              "RSS target | scim2-server preload s | scim2-server worker peak RSS MB |",
              "|---:|---:|---:|---:|---:|---|---|---:|---|"]
    for size in sizes:
        entry = entries[size]
        rss = entry.get("rss", [])
        scim2_rss = meta.get("scim2_rss", {}).get(size)
        lines.append(
            f"| {size:,} | {entry['seed_s']:.0f} | {size / entry['seed_s']:,.0f} | {entry['group_size']:,} | "
            f"{entry['group_s']:.0f} | {', '.join(f'{r:.0f}' for r in rss)} | "
            f"{('pass' if rss and max(rss) < 150 else 'miss') + ('' if size >= 1_000_000 else ' (target at 1M)')} | "
            f"{figure(meta.get('scim2_load', {}).get(size))} | "
            f"{', '.join(f'{r:.0f}' for r in scim2_rss) if scim2_rss else 'n/a (not loaded)'} |")
    if meta.get("bare_rss"):
        lines += ["", f"Bare Flask worker peak RSS: {', '.join(f'{r:.0f}' for r in meta['bare_rss'])} MB."]
    capped = [s for s in sizes if s > args.scim2_max_users]
    if capped:
        lines += ["", f"scim2-server is not loaded above {args.scim2_max_users:,} users (--scim2-max-users): it keeps "
                  "every user as pydantic models in each worker (about 5 KB and 0.4 ms of preload a user, so 1M "
                  "users would take about 5 GB and 6-7 minutes per worker)."]
    return "\n".join(lines) + "\n"


def write_report(args, kind, entries, meta):
    text = report(args, kind, entries, meta)
    out = Path(args.results_dir) / f"{meta['date']}-{kind}.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    return text


# ---------------------------------------------------------------- main


def interrupted(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000", help="numbers of users, comma-separated")
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--duration", type=int, default=10, help="seconds per measurement")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up before each measurement")
    parser.add_argument("--slices", type=int, default=5,
                        help="W1/W2 (compared with bare Flask): the gateway and bare Flask measured in turn, in this "
                             "many slices each (1: one after the other)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (W5 and W7 use fewer)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--scim2-max-users", type=int, default=100_000,
                        help="largest N loaded into scim2-server (it holds every user in memory, per worker)")
    parser.add_argument("--workloads", help="only these, e.g. W1,W5c (default: all)")
    parser.add_argument("--results-dir", default=str(BENCH / "results"))
    args = parser.parse_args()
    args.sizes = sorted(int(s) for s in args.sizes.split(","))
    args.databases = [d.strip() for d in args.databases.split(",")]
    if unknown := set(args.databases) - {"sqlite", "postgres"}:
        parser.error(f"unknown databases: {', '.join(sorted(unknown))}")
    if min(args.sizes) <= SPARES:
        parser.error(f"sizes must exceed {SPARES}")

    ensure_requirements()
    # SIGTERM (e.g. a timeout) unwinds like Ctrl-C, so that every server is stopped.
    signal.signal(signal.SIGTERM, interrupted)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    meta = {"date": datetime.date.today().isoformat(), "commit": commit or "?",
            "machine": f"{os.cpu_count()} cores, {memory:.0f} GiB, Python {platform.python_version()}",
            "database": {}}
    results = {}
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="bench-suite-") as workdir, contextlib.ExitStack() as stack:
        runner = Runner(args, workdir)
        bare = start(stack, "bench.bare_app:app", {}, "bare Flask")
        meta["workers"] = len(bare.workers())
        for n in args.sizes:
            run_size(args, runner, n, workdir, bare, results, meta)
    for kind in args.databases:
        if kind in results:
            print(report(args, kind, results[kind], meta))
            print(f"(written to {Path(args.results_dir) / (meta['date'] + '-' + kind + '.md')})\n")
    log(f"suite finished in {(time.time() - started) / 60:.1f} min")


if __name__ == "__main__":
    main()
