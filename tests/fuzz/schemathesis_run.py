"""Running schemathesis over one of the gateway's OpenAPI documents, in process.

schemathesis' pytest plugin does not run under pytest 9, so each operation gets its own
hypothesis run here, through schemathesis' Python API, with a fixed seed.
"""
import os

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "25"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def run_schemathesis(app, document, headers, label):
    """Every operation of the document, EXAMPLES generated requests each; raises on the first failure."""
    schema = schemathesis.openapi.from_wsgi(document, app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    sent = []
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, derandomize=True, deadline=None,
                  suppress_health_check=list(HealthCheck), database=None)
        def run(case):
            # schemathesis fills the bearer scheme with generated tokens; use a real one.
            case.headers = {**(case.headers or {}), **headers}
            sent.append(case.call_and_validate(checks=CHECKS).status_code)

        try:
            run()
        except Exception as error:
            raise AssertionError(f"{operation.method.upper()} {operation.path}: {error}") from error
    print(f"\nschemathesis ({label}): {len(operations)} operations, {len(sent)} requests, "
          f"statuses {sorted(set(sent))}, no server error, every response as documented")
    assert len(sent) >= len(operations) * min(EXAMPLES, 5)
    return len(operations), len(sent)
