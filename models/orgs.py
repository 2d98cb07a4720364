"""Organisations: every user, token and query is scoped to one.

Each has a primary domain generated from its name under the instance's domain,
as ZITADEL does (e.g. "ACME Corp" -> acme-corp.gw.example.com); users' login
names are userName@domain.
"""
import functools
import re

import peewee as pw

from . import events
from .db import save_fields, transaction
from .errors import AlreadyExists, InvalidArgument, NotFound
from .ids import new_id
from .tables import Org, utcnow

DEFAULT_ORG_NAME = "Default"
_instance_domain = "localhost"
_NOT_IN_LABEL = re.compile(r"[^a-z0-9-]")
MAX_LABEL, MAX_DOMAIN = 63, 253


def configure(instance_domain):
    global _instance_domain
    _instance_domain = instance_domain.strip(".").lower()


def domain_for(name, org_id):
    """The generated domain: the name as a DNS label (spaces become hyphens, other characters go)."""
    label = _NOT_IN_LABEL.sub("", name.strip().lower().replace(" ", "-"))
    label = label[:min(MAX_LABEL, MAX_DOMAIN - len(_instance_domain) - 1)].strip("-")
    # A name with no letter or digit a label can hold (say, in another script) still needs a domain.
    return f"{label or _fallback_label(org_id)}.{_instance_domain}"


def _fallback_label(org_id):
    return f"org-{org_id}"


@functools.cache
def domain_of(org_id):
    """An organisation's primary domain (it never changes once given)."""
    return Org.select(Org.domain).where(Org.id == org_id).scalar()


def by_domain(domain):
    return Org.get_or_none(Org.domain == (domain or "").strip().lower())


def assign_missing_domains():
    """Give a domain to organisations created before domains existed (migration 0011)."""
    for org in Org.select().where(Org.domain.is_null()).order_by(Org.created_at, Org.id):
        domain = domain_for(org.name, org.id)
        if Org.select().where(Org.domain == domain).exists():
            domain = f"{_fallback_label(org.id)}.{_instance_domain}"
        org.domain = domain
        save_fields(org, [Org.domain])


def default_org():
    return Org.select().where(Org.is_default == True).first()  # noqa: E712


def ensure_default_org():
    """Create the default organisation on first start (idempotent)."""
    org = default_org()
    if org is None:
        org = create_org(DEFAULT_ORG_NAME, editor=None, is_default=True)
    return org


def create_org(name, editor, *, is_default=False):
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise InvalidArgument("Organisation name must be 1 to 200 characters", "ORG-mruNY", "Errors.Org.Invalid")
    org_id = new_id()
    domain = domain_for(name, org_id)
    try:
        with transaction():
            if Org.select().where(Org.name == name).exists():
                raise _org_exists()
            if Org.select().where(Org.domain == domain).exists():
                raise AlreadyExists(f"The organisation's domain {domain} is taken by another organisation",
                                    "ORG-dom4in", "Errors.Org.Domain.AlreadyExists")
            now = utcnow()
            org = Org.create(id=org_id, name=name, domain=domain, is_default=is_default, created_at=now,
                             changed_at=now)
            event = events.append("org", org.id, org.id, "org.added", editor, {"name": name, "domain": domain},
                                  at=now)
            org.sequence = event.id
            save_fields(org, [Org.sequence])
            return org
    except pw.IntegrityError:  # a concurrent create of the same name
        raise _org_exists() from None


def _org_exists():
    return AlreadyExists("Organisation already exists", "ORG-lapo2m", "Errors.Org.AlreadyExists")


def get_org(org_id):
    org = Org.get_or_none(Org.id == org_id)
    if org is None:
        raise NotFound("Organisation not found", "ORG-M9fh3", "Errors.Org.NotFound")
    return org
