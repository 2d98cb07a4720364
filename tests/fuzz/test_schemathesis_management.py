"""schemathesis over the management API's own OpenAPI document (/openapi.json), in process.

The same checks as for SCIM: no 5xx, documented status codes and content types, bodies
matching the documented schemas. SCHEMATHESIS_EXAMPLES raises the count for the long run.
"""
from tests.fuzz.schemathesis_run import run_schemathesis


def test_management_api_answers_every_generated_request_as_documented(app, tenant):
    run_schemathesis(app, "/openapi.json", {**tenant.auth, "x-zitadel-orgid": tenant.org_id}, "management")
