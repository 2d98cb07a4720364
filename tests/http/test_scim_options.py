"""OPTIONS on SCIM URLs: 204 No Content in the SCIM media type, the methods in Allow."""
import pytest

from tests.http.scim_helpers import SCIM_JSON, assert_scim_error


@pytest.mark.parametrize("path,methods", [
    ("/scim/v2/Users", {"GET", "POST"}),
    ("/scim/v2/Users/123", {"GET", "PUT", "PATCH", "DELETE"}),
    ("/scim/v2/Groups", {"GET", "POST"}),
    ("/scim/v2/Groups/123", {"GET", "PUT", "PATCH", "DELETE"}),
    ("/scim/v2/Me", {"GET", "PUT", "PATCH", "DELETE"}),
    ("/scim/v2/Bulk", {"POST"}),
    ("/scim/v2/.search", {"POST"}),
    ("/scim/v2/ServiceProviderConfig", {"GET"}),
    ("/scim/v2/Schemas", {"GET"}),
    ("/scim/v2/123456/Users", {"GET", "POST"}),
])
def test_options_is_204_scim_json_with_allow(client, path, methods):
    response = client.open(path, method="OPTIONS")
    assert response.status_code == 204
    assert response.mimetype == SCIM_JSON
    assert response.get_data() == b""
    allowed = {m.strip() for m in response.headers["Allow"].split(",")}
    assert allowed == methods | {"OPTIONS"} | ({"HEAD"} if "GET" in methods else set())


def test_options_on_an_unknown_scim_path_is_a_scim_404(client):
    assert_scim_error(client.open("/scim/v2/Nope", method="OPTIONS"), 404)


def test_options_outside_scim_is_left_to_flask(client):
    response = client.open("/healthz", method="OPTIONS")
    assert response.status_code == 200
    assert response.mimetype != SCIM_JSON
