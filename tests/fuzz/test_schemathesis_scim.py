"""schemathesis over the SCIM API's own OpenAPI document (scim/openapi.py), in process.

Every generated request must get no 5xx, a documented status code and content type,
and a body that matches the documented schema. A fixed seed and a bounded number of
examples keep it fast and repeatable in CI; SCHEMATHESIS_EXAMPLES raises the count for
the long run (README: "Fuzzing").
"""
from tests.fuzz.schemathesis_run import run_schemathesis


def test_scim_api_answers_every_generated_request_as_documented(app, tenant):
    run_schemathesis(app, "/scim/v2/openapi.json", tenant.auth, "SCIM")
