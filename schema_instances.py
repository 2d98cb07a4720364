"""One instance of each marshmallow schema per thread, reused by every load.

Building a schema instance deep-copies every declared field, and its nested
schemas are built again on first use: for a PATCH or a management request that
cost more than loading the body itself. Loading keeps no state on the instance
(marshmallow 4 has no context), so each thread keeps one per schema class.
"""
import threading

_kept = threading.local()


def instance(schema_class):
    """The calling thread's instance of schema_class."""
    schemas = _kept.__dict__.setdefault("schemas", {})
    schema = schemas.get(schema_class)
    if schema is None:
        schema = schemas[schema_class] = schema_class()
    return schema
