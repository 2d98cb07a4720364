"""`flask --app app users import FILE` and `flask --app app users export`."""
import os
import sys

import click
from flask import current_app
from flask.cli import AppGroup

from models.db import db
from models.orgs import default_org, get_org

from . import readers
from .exporter import export_users
from .importer import import_records

PARALLEL_FROM = 5000
users = AppGroup("users", help="Import and export users in bulk.")


def _org(org_id):
    return get_org(org_id) if org_id else default_org()


def _count(path, fmt):
    return readers.count(path, fmt)


@users.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--org", "org_id", help="Organisation id (default: the default organisation).")
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "jsonl"]), help="Default: from the file name.")
@click.option("--batch", "batch_size", default=1000, show_default=True, help="Users per transaction.")
@click.option("--jobs", type=click.IntRange(min=1), default=None, show_default="one per core for 5,000 records or more",
              help="Processes validating records while this one writes.")
def import_command(path, org_id, fmt, batch_size, jobs):
    """Import users from a CSV, JSON or JSON Lines file (SCIM resources or ZITADEL import bodies).

    Existing userNames are skipped, so running the same file again creates nothing.
    """
    with db.connection_context():
        org = _org(org_id)
        total = _count(path, fmt)
        if jobs is None:  # starting worker processes pays off only for a large file
            jobs = (os.cpu_count() or 1) if total >= PARALLEL_FROM else 1
        with click.progressbar(length=total, label="importing", file=sys.stderr) as bar:
            report = import_records(org.id, readers.read(path, fmt), current_app.config["SETTINGS"],
                                    batch_size=batch_size, progress=bar.update, jobs=jobs)
    for line, message in report.errors:
        click.echo(f"line {line}: {message}", err=True)
    click.echo(f"created {report.created}, skipped {len(report.skipped)} existing, {len(report.errors)} bad")
    if report.skipped:
        click.echo("skipped: " + ", ".join(report.skipped[:20]) + (" ..." if len(report.skipped) > 20 else ""))
    if report.errors:
        sys.exit(1)


@users.command("export")
@click.option("--org", "org_id", help="Organisation id (default: the default organisation).")
@click.option("--output", type=click.File("w", encoding="utf-8"), default="-", help="Default: standard output.")
@click.option("--base-url", help="Base URL for meta.location (default: ISSUER, else http://localhost).")
def export_command(org_id, output, base_url):
    """Export users as JSON Lines of SCIM User resources."""
    base = (base_url or current_app.config["SETTINGS"].issuer or "http://localhost").rstrip("/")
    with db.connection_context():
        count = export_users(_org(org_id).id, output, base)
    click.echo(f"exported {count} users", err=True)
