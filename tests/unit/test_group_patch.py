"""scim.group_patch.to_change: every Group PATCH dialect (reference §2, §5) as a GroupChange, and the errors.

No database: the group is a stand-in with the two attributes to_change reads.
"""
from types import SimpleNamespace

import pytest

from models.groups import GroupChange
from scim.errors import ScimError
from scim.group_patch import to_change
from scim.patch import parse_request
from scim.schemas import GROUP_SCHEMA, PATCH_OP


def change(*operations, display_name="Team", external_id=None):
    group = SimpleNamespace(display_name=display_name, external_id=external_id)
    return to_change(group, parse_request({"schemas": [PATCH_OP], "Operations": list(operations)}))


def error_of(*operations, **group):
    with pytest.raises(ScimError) as caught:
        change(*operations, **group)
    return caught.value


def unchanged(member_ops=(), display_name="Team", external_id=None):
    return GroupChange(display_name=display_name, external_id=external_id, set_external_id=True,
                       member_ops=list(member_ops))


# --------------------------------------------------------------------------- membership dialects


def test_scim_sdk_419_okta_add_value_and_display_without_type():
    result = change({"op": "add", "path": "members", "value": [{"value": "1", "display": "a@example.com"},
                                                               {"value": "2", "display": "b@example.com"}]})
    assert result == unchanged([("add", ["1", "2"])])


def test_entra_add_with_null_ref_and_capitalised_op():
    assert change({"op": "Add", "path": "members", "value": [{"$ref": None, "value": "1"}]}) == \
        unchanged([("add", ["1"])])


def test_add_with_type_user_in_any_case_and_key_case():
    result = change({"op": "add", "path": "Members", "value": [{"VALUE": "1", "Type": "user"}, {"value": 2}]})
    assert result.member_ops == [("add", ["1", "2"])]


def test_add_with_a_single_object_value():
    assert change({"op": "add", "path": "members", "value": {"value": "1"}}).member_ops == [("add", ["1"])]


def test_okta_remove_with_value_filter():
    assert change({"op": "remove", "path": 'members[value eq "1"]'}).member_ops == [("remove", ["1"])]


def test_remove_with_value_filters_joined_by_or():
    result = change({"op": "remove", "path": 'members[value eq "1" or value eq "2" or VALUE eq "3"]'})
    assert result.member_ops == [("remove", ["1", "2", "3"])]


def test_entra_remove_with_the_member_named_in_value():
    assert change({"op": "Remove", "path": "members", "value": [{"value": "1"}, {"value": "2"}]}).member_ops == \
        [("remove", ["1", "2"])]


def test_remove_members_without_value_removes_all():
    assert change({"op": "remove", "path": "members"}).member_ops == [("remove", None)]


def test_okta_push_now_replace_with_the_full_list():
    result = change({"op": "replace", "path": "members", "value": [{"value": "1", "display": "a"}, {"value": "2"}]})
    assert result.member_ops == [("replace", ["1", "2"])]


def test_scim_sdk_757_replace_with_an_empty_list():
    assert change({"op": "replace", "path": "members", "value": []}).member_ops == [("replace", [])]


def test_no_path_value_carrying_members():
    assert change({"op": "replace", "value": {"members": [{"value": "1"}]}}) == unchanged([("replace", ["1"])])
    assert change({"op": "add", "value": {"Members": [{"value": "1"}]}}).member_ops == [("add", ["1"])]


def test_urn_qualified_members_path_and_key_are_membership_operations():
    qualified = f"{GROUP_SCHEMA}:members"
    assert change({"op": "add", "path": qualified, "value": [{"value": "1"}]}).member_ops == [("add", ["1"])]
    assert change({"op": "remove", "path": f'{qualified}[value eq "1"]'}).member_ops == [("remove", ["1"])]
    assert change({"op": "replace", "value": {qualified: [{"value": "2"}]}}).member_ops == [("replace", ["2"])]


def test_several_operations_keep_their_order():
    result = change({"op": "add", "path": "members", "value": [{"value": "1"}]},
                    {"op": "remove", "path": 'members[value eq "2"]'},
                    {"op": "replace", "path": "members", "value": [{"value": "3"}]},
                    {"op": "remove", "path": "members"})
    assert result.member_ops == [("add", ["1"]), ("remove", ["2"]), ("replace", ["3"]), ("remove", None)]


def test_member_ids_are_strings():
    assert change({"op": "add", "path": "members", "value": [{"value": 42}]}).member_ops == [("add", ["42"])]


# --------------------------------------------------------------------------- displayName and externalId


def test_okta_no_path_replace_with_id_and_display_name_renames():
    result = change({"op": "replace", "value": {"id": "123", "displayName": "Renamed"}})
    assert result == unchanged(display_name="Renamed")


def test_okta_rename_with_membership_changes_in_one_request():
    result = change({"op": "replace", "value": {"id": "123", "displayName": "Renamed"}},
                    {"op": "add", "path": "members", "value": [{"value": "1", "display": "a"}]},
                    {"op": "remove", "path": 'members[value eq "2"]'})
    assert result == unchanged([("add", ["1"]), ("remove", ["2"])], display_name="Renamed")


def test_entra_replace_display_name_and_external_id_by_path():
    result = change({"op": "Replace", "path": "displayName", "value": "New"},
                    {"op": "Replace", "path": "externalId", "value": "ext-2"}, external_id="ext-1")
    assert result == unchanged(display_name="New", external_id="ext-2")


def test_urn_qualified_display_name():
    assert change({"op": "replace", "path": f"{GROUP_SCHEMA}:displayName", "value": "New"}).display_name == "New"
    assert change({"op": "add", "value": {f"{GROUP_SCHEMA}:displayName": "Newer"}}).display_name == "Newer"


def test_external_id_kept_added_and_removed():
    assert change({"op": "remove", "path": 'members[value eq "1"]'}, external_id="keep").external_id == "keep"
    assert change({"op": "add", "path": "externalId", "value": "new"}).external_id == "new"
    assert change({"op": "remove", "path": "externalId"}, external_id="gone").external_id is None


def test_no_path_value_with_schemas_and_meta_is_accepted():
    result = change({"op": "replace", "value": {"schemas": [GROUP_SCHEMA], "id": "1", "displayName": "X",
                                                "meta": {"version": 'W/"1"'}}})
    assert result == unchanged(display_name="X")


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("value", [["1"], "1", [{"value": "1"}, "2"], [None]])
def test_bare_string_member_is_invalid_value(value):
    error = error_of({"op": "add", "path": "members", "value": value})
    assert (error.status, error.scim_type) == (400, "invalidValue")


def test_member_without_value_is_invalid_value():
    for entry in ({"display": "x"}, {"value": ""}, {"value": None}):
        error = error_of({"op": "add", "path": "members", "value": [entry]})
        assert (error.status, error.scim_type) == (400, "invalidValue")


def test_nested_group_member_is_invalid_value():
    error = error_of({"op": "add", "path": "members", "value": [{"value": "1", "type": "Group"}]})
    assert (error.status, error.scim_type) == (400, "invalidValue")
    assert "nest" in error.detail


@pytest.mark.parametrize("op", ["add", "replace"])
def test_value_filter_path_with_add_or_replace_is_invalid_path(op):
    error = error_of({"op": op, "path": 'members[value eq "1"]', "value": [{"value": "1"}]})
    assert (error.status, error.scim_type) == (400, "invalidPath")


@pytest.mark.parametrize("path", ['members[display eq "a"]', 'members[type eq "User"]',
                                  'members[value ne "1"]', 'members[value eq "1" and value eq "2"]',
                                  'members[not (value eq "1")]', "members[value pr]"])
def test_members_filter_other_than_value_eq_is_invalid_filter(path):
    error = error_of({"op": "remove", "path": path})
    assert (error.status, error.scim_type) == (400, "invalidFilter")


@pytest.mark.parametrize("path", ["members.value", "members.display", 'members[value eq "1"].display'])
def test_member_sub_attribute_paths_are_invalid_path(path):
    error = error_of({"op": "remove", "path": path})
    assert (error.status, error.scim_type) == (400, "invalidPath")


def test_remove_without_path_is_no_target():
    error = error_of({"op": "remove"})
    assert (error.status, error.scim_type) == (400, "noTarget")
    error = error_of({"op": "remove", "value": {"members": [{"value": "1"}]}})
    assert (error.status, error.scim_type) == (400, "noTarget")


def test_no_path_with_a_non_object_value_is_invalid_value():
    for value in ("Renamed", ["x"], None):
        error = error_of({"op": "replace", "value": value})
        assert (error.status, error.scim_type) == (400, "invalidValue")


def test_read_only_id_by_path_is_mutability():
    error = error_of({"op": "replace", "path": "id", "value": "2"})
    assert (error.status, error.scim_type) == (400, "mutability")


def test_removing_or_emptying_display_name_is_invalid():
    for operation in ({"op": "remove", "path": "displayName"}, {"op": "replace", "path": "displayName", "value": ""}):
        assert error_of(operation).status == 400


@pytest.mark.parametrize("path", ["nickName", "urn:ietf:params:scim:schemas:core:2.0:User:members", "members[",
                                  "members[value eq]"])
def test_unknown_or_malformed_paths_are_invalid_path(path):
    error = error_of({"op": "replace", "path": path, "value": [{"value": "1"}]})
    assert (error.status, error.scim_type) == (400, "invalidPath")


def test_unknown_op_is_rejected_before_to_change():
    with pytest.raises(ScimError) as caught:
        parse_request({"schemas": [PATCH_OP], "Operations": [{"op": "merge", "path": "members", "value": []}]})
    assert caught.value.status == 400
