"""Importing records into one organisation, in batches, idempotently.

SCIM records are validated exactly as POST /Users validates them and go
through the domain's batched import (models/bulk.py). ZITADEL ImportHumanUser
bodies are validated by the management API's own schema and created with the
same rules as POST /management/v1/users/human/_import, one savepoint each
inside the batch's transaction. Either way a user is imported wholly or not
at all; a bad record is reported with its line and does not stop the rest;
a user whose userName already exists in the organisation is skipped, so a
second run of the same file creates nothing.
"""
import collections
import concurrent.futures
import dataclasses
import multiprocessing

from marshmallow import ValidationError

from models import human_onboarding, policies
from models.bulk import existing_username_keys, import_humans, prepare_human
from models.db import bulk_writes, transaction
from models.errors import DomainError
from models.search import fold
from schema_instances import instance
from scim.casting import from_scim
from scim.errors import ScimError
from scim.validation import validate_user

from .readers import BadRecord, JsonLine


@dataclasses.dataclass
class Report:
    created: int = 0
    skipped: list = dataclasses.field(default_factory=list)
    errors: list = dataclasses.field(default_factory=list)  # (line, message)


def _is_zitadel(record):
    return isinstance(record, dict) and isinstance(record.get("profile"), dict)


def _scim_input(record, settings):
    resource = validate_user(record)
    return from_scim(resource, email_verified=settings.scim_email_verified, phone_verified=settings.scim_phone_verified)


def _zitadel(record):
    # The management adapter owns this dialect: its schema and its mapping.
    from management.schemas import ImportHumanUserRequest
    from management.users import human_input_of_import

    request = instance(ImportHumanUserRequest).load(record)
    setup = human_onboarding.Onboarding(
        password_hash=request.get("hashed_password", {}).get("value"),
        idps=request.get("idps", []),
    )
    return human_input_of_import(request), setup


def _flush_scim(org_id, batch, report):
    if batch:
        created, skipped = import_humans(org_id, [data for _, data in batch], editor=None)
        report.created += len(created)
        report.skipped += skipped
    batch.clear()


def _flush_zitadel(org_id, batch, report):
    if not batch:
        return
    with transaction():
        existing = existing_username_keys(org_id, [fold(data.username) for _, data, _ in batch])
        for line, data, setup in batch:
            if fold(data.username) in existing:
                report.skipped.append(data.username)
                continue
            try:
                with transaction():  # a savepoint: a refused user leaves nothing behind
                    human_onboarding.add_human(org_id, data, None, setup, import_rules=True)
                report.created += 1
                existing.add(fold(data.username))
            except DomainError as error:
                report.errors.append((line, error.message))
    batch.clear()


def _prepare(line, record, settings, policy):
    """Validate one record: ("scim", line, input), ("zitadel", line, input, setup) or ("bad", line, message)."""
    if isinstance(record, JsonLine):
        record = record.parse()
    try:
        if isinstance(record, BadRecord):
            raise record
        if not isinstance(record, dict):
            raise BadRecord(line, "a user must be a JSON object")
        if _is_zitadel(record):
            data, setup = _zitadel(record)
            return ("zitadel", line, data, setup)
        return ("scim", line, prepare_human(_scim_input(record, settings), policy))
    except BadRecord as error:
        return ("bad", line, error.message)
    except ScimError as error:
        return ("bad", line, error.detail)
    except ValidationError as error:
        return ("bad", line, f"invalid: {error.messages}")
    except DomainError as error:
        return ("bad", line, error.message)


def _prepare_chunk(chunk, settings, policy):
    return [_prepare(line, record, settings, policy) for line, record in chunk]


def _chunks(records, size):
    chunk = []
    for item in records:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


CHUNK = 500


def _prepared(records, settings, policy, jobs, batch_size=0):
    """Validated records in file order; with jobs > 1 validation runs in that many processes.

    Validation costs about as much per user as the database's work, so a large
    import spreads it over the cores while this process writes. A batch's worth
    of records and 2 × jobs chunks more are in flight: while this process writes
    one batch, the workers prepare the next (with only 2 × jobs chunks ahead
    they sat idle through most of each write). Memory stays flat for any file size.
    """
    if jobs <= 1:
        for line, record in records:
            yield _prepare(line, record, settings, policy)
        return
    # Spawned, not forked: a forked worker would hold a copy of this process's database
    # connection, so a killed import's PostgreSQL transaction (and its row locks) would
    # outlive it for as long as the orphaned workers do.
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(jobs, mp_context=context) as pool:
        pending = collections.deque()
        ahead = 2 * jobs + -(-batch_size // CHUNK)
        for chunk in _chunks(records, CHUNK):
            pending.append(pool.submit(_prepare_chunk, chunk, settings, policy))
            if len(pending) >= ahead:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()


def import_records(org_id, records, settings, *, batch_size=1000, progress=None, jobs=1):
    """Import (line, record) pairs; returns a Report."""
    report = Report()
    scim_batch, zitadel_batch = [], []
    # Read once here: the validating workers have no database. row=None: a Peewee row does not pickle cheaply.
    policy = dataclasses.replace(policies.complexity(org_id), row=None)
    with bulk_writes():
        for kind, line, *value in _prepared(records, settings, policy, jobs, batch_size=batch_size):
            if progress is not None:
                progress(1)
            if kind == "bad":
                report.errors.append((line, value[0]))
            elif kind == "zitadel":
                zitadel_batch.append((line, *value))
            else:
                scim_batch.append((line, value[0]))
            if len(scim_batch) >= batch_size:
                _flush(org_id, scim_batch, report, _flush_scim)
            if len(zitadel_batch) >= batch_size:
                _flush(org_id, zitadel_batch, report, _flush_zitadel)
        _flush(org_id, scim_batch, report, _flush_scim)
        _flush(org_id, zitadel_batch, report, _flush_zitadel)
    return report


def _flush(org_id, batch, report, flush):
    lines = [item[0] for item in batch]
    try:
        flush(org_id, batch, report)
    except DomainError as error:
        # A domain rule refused a record of a SCIM batch (e.g. a value too long for its
        # column): the batch was rolled back; import its records one by one to name the line.
        if flush is not _flush_scim or len(lines) <= 1:
            report.errors.append((lines[0] if lines else 0, error.message))
            batch.clear()
            return
        items, batch[:] = list(batch), []
        for item in items:
            _flush(org_id, [item], report, flush)
