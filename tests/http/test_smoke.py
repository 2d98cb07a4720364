def test_create_then_find_case_insensitively(scim):
    created = scim.create_user("Smoke@Example.com", emails=[{"value": "smoke@example.com", "type": "work"}])
    found = scim.get('/Users?filter=userName eq "SMOKE@EXAMPLE.COM"').get_json()
    assert found["totalResults"] == 1
    assert found["Resources"][0]["id"] == created["id"]
