"""If-Match / If-None-Match with entity-tag lists (RFC 9110 §13.1.1, §13.1.2) on Users and Groups.

A list matches when any of its tags names the current version; our tags are weak
(W/"n") and compared by their number, so W/"n" and "n" are the same version.
"""
import pytest

from tests.http.scim_helpers import CORE, GROUP, PATCH_OP, assert_scim_error, create_group


@pytest.fixture(params=["Users", "Groups"])
def resource(request, scim):
    """(collection, created resource, a valid PUT body) for each resource type."""
    if request.param == "Users":
        created = scim.create_user("etag-list@example.com", title="before")
        return "Users", created, {"schemas": [CORE], "userName": "etag-list@example.com", "title": "after"}
    created = create_group(scim, "Etag list")
    return "Groups", created, {"schemas": [GROUP], "displayName": "Etag list after"}


def path(collection, created):
    return f"/{collection}/{created['id']}"


def number(created):
    return int(created["meta"]["version"][3:-1])


def patch_body(collection):
    attribute, value = ("title", "patched") if collection == "Users" else ("displayName", "Etag list patched")
    return {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": attribute, "value": value}]}


@pytest.mark.parametrize("listed", [
    'W/"1", {current}',
    '{current}, W/"1"',
    'W/"1",{current}',
    '"garbage", W/"1" ,  {current}',
    '"{n}"',
    'W/"1", "{n}"',
])
def test_if_none_match_list_naming_the_current_version_is_304(scim, resource, listed):
    collection, created, _ = resource
    header = listed.format(current=created["meta"]["version"], n=number(created))
    response = scim.get(path(collection, created), headers={"If-None-Match": header})
    assert response.status_code == 304, header
    assert response.get_data() == b""
    assert response.headers["ETag"] == created["meta"]["version"]


@pytest.mark.parametrize("listed", ['W/"1", W/"2"', '"garbage", W/"{later}"', "not a tag list, {current}x"])
def test_if_none_match_list_without_the_current_version_is_200(scim, resource, listed):
    collection, created, _ = resource
    header = listed.format(current=created["meta"]["version"], later=number(created) + 1)
    response = scim.get(path(collection, created), headers={"If-None-Match": header})
    assert response.status_code == 200, header
    assert response.get_json()["id"] == created["id"]


def test_if_match_list_naming_the_current_version_applies_put_patch_and_delete(scim, resource):
    collection, created, body = resource
    target = path(collection, created)
    listed = {"If-Match": f'W/"1", {created["meta"]["version"]}'}
    put = scim.put(target, body, headers=listed)
    assert put.status_code == 200, put.get_json()
    listed = {"If-Match": f'"{number(put.get_json())}", W/"1"'}
    patched = scim.patch(target, patch_body(collection), headers=listed)
    assert patched.status_code == 200, patched.get_json()
    listed = {"If-Match": f'W/"1", W/"2", {patched.get_json()["meta"]["version"]}'}
    assert scim.delete(target, headers=listed).status_code == 204
    assert_scim_error(scim.get(target), 404)


@pytest.mark.parametrize("listed", ['W/"1", W/"2"', '"garbage"', 'W/"1", "x"'])
def test_if_match_list_without_the_current_version_is_412_and_changes_nothing(scim, resource, listed):
    collection, created, body = resource
    target = path(collection, created)
    headers = {"If-Match": listed}
    assert_scim_error(scim.put(target, body, headers=headers), 412)
    assert_scim_error(scim.patch(target, patch_body(collection), headers=headers), 412)
    assert_scim_error(scim.delete(target, headers=headers), 412)
    assert scim.get(target).get_json() == created


def test_if_match_list_with_a_stale_version_only_is_412(scim, resource):
    collection, created, body = resource
    target = path(collection, created)
    stale = created["meta"]["version"]
    current = scim.patch(target, patch_body(collection)).get_json()
    headers = {"If-Match": f'W/"1", {stale}'}
    assert_scim_error(scim.put(target, body, headers=headers), 412)
    assert_scim_error(scim.delete(target, headers=headers), 412)
    assert scim.get(target).get_json() == current
