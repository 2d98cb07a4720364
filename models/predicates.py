"""The shared predicate form that every query syntax is parsed into.

A SCIM filter and a ZITADEL search query are both turned into these small
immutable nodes by their adapters; models/search.py turns them into SQL, so
indexes, case rules and paging live in one place.

Fields are domain names (see models/search.py for the list), never SCIM or
ZITADEL attribute names.
"""
from dataclasses import dataclass
from typing import Any

# Comparison operators understood by the compiler.
OPERATORS = ("eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "in")


@dataclass(frozen=True)
class Compare:
    field: str
    op: str
    value: Any
    ignore_case: bool = False


@dataclass(frozen=True)
class Present:
    field: str


@dataclass(frozen=True)
class And:
    parts: tuple


@dataclass(frozen=True)
class Or:
    parts: tuple


@dataclass(frozen=True)
class Not:
    part: Any


@dataclass(frozen=True)
class AnyOf:
    """True when at least one entry of a multi-valued collection satisfies where.

    collection is an indexed SCIM attribute name (emails, externalId, ...) or
    "metadata"; inside where, fields name the entry's parts (value, type,
    primary, display; for metadata: key and value).
    """

    collection: str
    where: Any


@dataclass(frozen=True)
class Const:
    value: bool


TRUE = Const(True)
FALSE = Const(False)


def _flat(kind, parts):
    """Parts of nested nodes of the same kind lifted into one: a or (b or c) is or(a, b, c),
    so that a long chain stays one flat node however the parser nested it."""
    flat = []
    for part in parts:
        flat.extend(part.parts if isinstance(part, kind) else (part,))
    return tuple(flat)


def and_(*parts):
    parts = _flat(And, (p for p in parts if p is not None and p != TRUE))
    if not parts:
        return TRUE
    return parts[0] if len(parts) == 1 else And(parts)


def or_(*parts):
    parts = _flat(Or, (p for p in parts if p is not None))
    return parts[0] if len(parts) == 1 else Or(parts)
