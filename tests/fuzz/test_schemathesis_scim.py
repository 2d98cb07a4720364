"""schemathesis over the SCIM API's own OpenAPI document (scim/openapi.py), in process.

Every generated request must get no 5xx, a documented status code and content type,
and a body that matches the documented schema. A fixed seed and a bounded number of
examples keep it fast and repeatable in CI; SCHEMATHESIS_EXAMPLES raises the count for
the long run (README: "Fuzzing").
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


def _operations(app):
    schema = schemathesis.openapi.from_wsgi("/scim/v2/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


def test_scim_api_answers_every_generated_request_as_documented(app, tenant):
    # schemathesis' pytest plugin does not run under pytest 9, so each operation gets
    # its own hypothesis run here, through schemathesis' Python API.
    operations = _operations(app)
    assert len(operations) >= 20
    headers = tenant.auth
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
    print(f"\nschemathesis (SCIM): {len(operations)} operations, {len(sent)} requests, "
          f"statuses {sorted(set(sent))}, no server error, every response as documented")
    assert len(sent) >= len(operations) * min(EXAMPLES, 5)
