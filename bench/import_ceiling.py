"""Benchmark: `flask users import` against the same rows inserted through Peewee alone.

    python -m bench.import_ceiling [--users 1000000] [--database-url URL]

Writes N Okta-style users as JSON Lines, imports them with the deployed CLI into a
fresh database (timed: validation, rows, events, index rows, transactions), then
copies exactly the rows it wrote (user, event, user_metadata, user_attr) into a
second fresh database twice, in batches of 1,000 users, one transaction per batch:
once with Peewee's insert_many, once with one prepared statement per table through
the driver (models.db.insert_rows). Only the inserts and commits of the copies are
timed, never the reading of the source. Prints the three times and the ratios.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, okta_body  # noqa: E402

BATCH = 1000


def write_users(path, count):
    with open(path, "w") as handle:
        for i in range(count):
            handle.write(json.dumps(okta_body(i)) + "\n")


def flask(database_url, *args):
    env = {**os.environ, "DATABASE_URL": database_url, "ADMIN_TOKEN": "bench-import-ceiling"}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def fresh_url(workdir, name, base_url):
    if base_url is None:
        return f"sqlite:///{workdir / (name + '.db')}"
    import psycopg2

    database = f"bench_import_{name}_{os.getpid()}"
    connection = psycopg2.connect(base_url)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{database}"')
        cursor.execute(f'CREATE DATABASE "{database}"')
    connection.close()
    return base_url.rsplit("/", 1)[0] + "/" + database


def copy_rows(source_url, target_url, how):
    """Copy the imported rows into target_url with `how` ("peewee" or "prepared"); returns seconds spent inserting."""
    from peewee import AutoField, chunked
    from playhouse.db_url import connect

    from models.db import db, insert_rows, open_database, transaction
    from models.orgs import default_org
    from models.tables import Event, User, UserAttr, UserMetadata, UserType

    source = connect(source_url)
    humans = f'SELECT id FROM "user" WHERE type = {int(UserType.HUMAN)} ORDER BY id'
    user_ids = [row[0] for row in source.execute_sql(humans).fetchall()]
    open_database(target_url)
    spent = 0.0
    with db.connection_context():
        # The users go to the target's own default organisation.
        target_org = default_org().id
        for batch in chunked(user_ids, BATCH):
            rows = {}
            for model, column in ((User, "id"), (Event, "aggregate_id"), (UserMetadata, "user_id"),
                                  (UserAttr, "user_id")):
                # Auto-numbered ids are the target database's to assign.
                fields = [f for f in model._meta.sorted_fields if not isinstance(f, AutoField)]
                placeholder = ", ".join(["%s" if "postgres" in source_url else "?"] * len(batch))
                columns = ", ".join(f'"{f.column_name}"' for f in fields)
                cursor = source.execute_sql(
                    f'SELECT {columns} FROM "{model._meta.table_name}" WHERE {column} IN ({placeholder})', batch)
                rows[model] = [{f.name: target_org if f.name in ("org", "org_id") else f.python_value(value)
                                for f, value in zip(fields, record, strict=True)} for record in cursor.fetchall()]
            started = time.perf_counter()
            with transaction():
                for model in (User, Event, UserMetadata, UserAttr):
                    if how == "peewee":
                        for part in chunked(rows[model], 500):
                            model.insert_many(part).execute()
                    else:
                        insert_rows(model, rows[model])
            spent += time.perf_counter() - started
    db.obj.close()
    source.close()
    return spent


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--database-url", help="a PostgreSQL server URL to create the databases in (default: SQLite)")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-import-"))
    try:
        run(args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)  # three databases of a few GB at 1M users


def run(args, workdir):
    source_file = workdir / "users.jsonl"
    write_users(source_file, args.users)

    source_url = fresh_url(workdir, "cli", args.database_url)
    flask(source_url, "migrate")
    cli_seconds = flask(source_url, "users", "import", str(source_file))

    results = {"flask users import (CLI, validation included)": cli_seconds}
    for how, label in (("peewee", "Peewee insert_many, same rows"), ("prepared", "one prepared INSERT per table "
                                                                               "(driver executemany), same rows")):
        target_url = fresh_url(workdir, how, args.database_url)
        flask(target_url, "migrate")
        results[label] = copy_rows(source_url, target_url, how)

    print(f"\n{args.users:,} users, {'PostgreSQL' if args.database_url else 'SQLite'}, batches of {BATCH:,}\n")
    print("| method | seconds | users/s | CLI time ÷ this |")
    print("|---|---:|---:|---:|")
    for label, seconds in results.items():
        print(f"| {label} | {seconds:.1f} | {args.users / seconds:,.0f} | {cli_seconds / seconds:.2f} |")


if __name__ == "__main__":
    main()
