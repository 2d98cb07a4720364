"""scim.patch on plain resource documents: every IdP dialect and the edge cases (RFC 7644 §3.5.2)."""
import copy

import pytest

from scim.errors import ScimError
from scim.patch import MAX_OPERATIONS, apply, matches, parse_request
from scim.schemas import ENTERPRISE_SCHEMA as ENTERPRISE
from scim.schemas import PATCH_OP, USER_SCHEMA, resolve

CORE = USER_SCHEMA
EMAILS = resolve(None, "emails")[1]


def ops(*operations):
    return parse_request({"schemas": [PATCH_OP], "Operations": list(operations)})


def run(resource, *operations):
    return apply(resource, ops(*operations))


def error_of(resource, *operations):
    with pytest.raises(ScimError) as caught:
        run(resource, *operations)
    return caught.value


@pytest.fixture
def doc():
    return {
        "schemas": [CORE, ENTERPRISE],
        "id": "u1",
        "userName": "bjensen@example.com",
        "name": {"givenName": "Barbara", "familyName": "Jensen"},
        "displayName": "Babs",
        "active": True,
        "emails": [
            {"value": "home@example.org", "type": "home", "primary": True},
            {"value": "other@example.org", "type": "other"},
        ],
        ENTERPRISE: {"employeeNumber": "1", "manager": {"value": "m1", "$ref": "https://x/Users/m1",
                                                        "displayName": "Boss"}},
        "meta": {"resourceType": "User", "created": "2024-01-01T00:00:00Z", "version": 'W/"5"'},
    }


# ---------------------------------------------------------------------- the input is kept


def test_apply_returns_a_copy_and_leaves_the_input_alone(doc):
    before = copy.deepcopy(doc)
    result = run(doc, {"op": "replace", "path": "emails[type eq \"home\"].value", "value": "x@example.org"})
    assert doc == before
    assert result["emails"][0]["value"] == "x@example.org"


# ----------------------------------------------------------------------------- Okta


def test_okta_deactivate_without_path(doc):
    result = run(doc, {"op": "replace", "value": {"active": False}})
    assert result["active"] is False
    assert {k: v for k, v in result.items() if k != "active"} == {k: v for k, v in doc.items() if k != "active"}


def test_okta_reactivate_without_path(doc):
    doc["active"] = False
    assert run(doc, {"op": "replace", "value": {"active": True}})["active"] is True


def test_no_path_value_ignores_read_only_id_meta_and_schemas(doc):
    result = run(doc, {"op": "replace", "value": {"id": "x", "meta": {"created": "x"}, "schemas": ["x"],
                                                  "displayName": "New"}})
    assert result["id"] == "u1" and result["meta"] == doc["meta"] and result["schemas"] == doc["schemas"]
    assert result["displayName"] == "New"


def test_no_path_value_with_an_unknown_key_is_invalid_path(doc):
    assert error_of(doc, {"op": "replace", "value": {"favouriteColour": "blue"}}).scim_type == "invalidPath"


# ---------------------------------------------------------------------------- Entra


def test_entra_string_false_is_stored_for_validation_to_read(doc):
    # validation (scim/validation.py) turns "False" into False; apply keeps the value as sent
    assert run(doc, {"op": "Replace", "path": "active", "value": "False"})["active"] == "False"


@pytest.mark.parametrize("name", ["Add", "ADD", "Replace", "REPLACE", "Remove", "remove", "rEmOvE"])
def test_op_names_are_case_insensitive(name):
    (operation,) = ops({"op": name, "path": "title", "value": "x"})
    assert operation["op"] == name.lower()


def test_operation_keys_are_case_insensitive(doc):
    result = apply(doc, parse_request({"SCHEMAS": [PATCH_OP], "operations": [
        {"OP": "Replace", "PATH": "displayName", "VALUE": "Upper"}]}))
    assert result["displayName"] == "Upper"


def test_entra_no_path_replace_with_dotted_and_urn_keys(doc):
    result = run(doc, {"op": "replace", "value": {
        "name.givenName": "Entra", f"{ENTERPRISE}:employeeNumber": "42", f"{ENTERPRISE}:department": "Sales",
        "NAME.FAMILYNAME": "User"}})
    assert result["name"] == {"givenName": "Entra", "familyName": "User"}
    assert result[ENTERPRISE]["employeeNumber"] == "42"
    assert result[ENTERPRISE]["department"] == "Sales"


def test_no_path_enterprise_object_merges_into_the_extension(doc):
    result = run(doc, {"op": "add", "value": {ENTERPRISE: {"costCenter": "CC"}}})
    assert result[ENTERPRISE]["costCenter"] == "CC"
    assert result[ENTERPRISE]["employeeNumber"] == "1"


def test_no_path_complex_value_replaces_only_the_given_sub_attributes(doc):
    result = run(doc, {"op": "replace", "value": {"name": {"givenName": "Only"}}})
    assert result["name"] == {"givenName": "Only", "familyName": "Jensen"}


@pytest.mark.parametrize("op", ["add", "replace"])
def test_entra_value_path_creates_the_missing_work_email(doc, op):
    result = run(doc, {"op": op, "path": 'emails[type eq "work"].value', "value": "w@example.com"})
    assert result["emails"][-1] == {"type": "work", "value": "w@example.com"}
    assert len(result["emails"]) == 3


@pytest.mark.parametrize("op", ["add", "replace"])
def test_value_path_changes_the_existing_entry_in_place(doc, op):
    result = run(doc, {"op": op, "path": 'emails[type eq "home"].value', "value": "new@example.org"})
    assert result["emails"] == [{"value": "new@example.org", "type": "home", "primary": True},
                                {"value": "other@example.org", "type": "other"}]


def test_value_path_with_and_filter_creates_an_entry_with_both_sub_attributes(doc):
    result = run(doc, {"op": "add", "path": 'phoneNumbers[type eq "mobile" and display eq "cell"].value',
                       "value": "+1 555"})
    assert result["phoneNumbers"] == [{"type": "mobile", "display": "cell", "value": "+1 555"}]


def test_value_path_address_formatted_is_created(doc):
    result = run(doc, {"op": "Add", "path": 'addresses[type eq "work"].formatted', "value": "1 Main St"})
    assert result["addresses"] == [{"type": "work", "formatted": "1 Main St"}]


def test_value_path_without_sub_attribute_merges_an_object(doc):
    result = run(doc, {"op": "replace", "path": 'emails[type eq "other"]',
                       "value": {"value": "o2@example.org", "display": "Other"}})
    assert result["emails"][1] == {"value": "o2@example.org", "type": "other", "display": "Other"}


def test_value_path_filter_that_cannot_describe_an_entry_is_no_target(doc):
    for path in ('emails[value co "nobody"].type', 'emails[type ne "home" and type ne "other"].value',
                 'emails[type eq "x" or type eq "y"].value'):
        assert error_of(doc, {"op": "replace", "path": path, "value": "work"}).scim_type == "noTarget", path


def test_value_path_with_an_unknown_sub_attribute_is_invalid_path(doc):
    for path in ('emails[type eq "work"].valeu', 'emails[kind eq "work"].value', 'emails[not (kind pr)]'):
        assert error_of(doc, {"op": "add", "path": path, "value": "x"}).scim_type == "invalidPath", path


# ------------------------------------------------------------------------ manager


@pytest.mark.parametrize("path", ["manager", f"{ENTERPRISE}:manager", "MANAGER"])
@pytest.mark.parametrize("value", ["m2", {"value": "m2"}, [{"value": "m2"}], [{"$ref": None, "value": "m2"}]])
def test_entra_manager_set_in_every_shape(doc, path, value):
    result = run(doc, {"op": "Add", "path": path, "value": value})
    assert result[ENTERPRISE]["manager"]["value"] == "m2"


def test_manager_set_when_the_extension_is_absent(doc):
    del doc[ENTERPRISE]
    result = run(doc, {"op": "add", "path": "manager", "value": "m9"})
    assert result[ENTERPRISE] == {"manager": {"value": "m9"}}


@pytest.mark.parametrize("value", ["", None, {"value": ""}, [], {}, [{"value": ""}]])
def test_entra_manager_cleared_with_an_empty_value(doc, value):
    result = run(doc, {"op": "Replace", "path": "manager", "value": value})
    assert result[ENTERPRISE] == {"employeeNumber": "1"}


def test_remove_manager_with_matching_value_filter(doc):
    result = run(doc, {"op": "Remove", "path": 'manager[value eq "m1"]'})
    assert result[ENTERPRISE] == {"employeeNumber": "1"}


def test_remove_manager_with_other_value_keeps_it(doc):
    result = run(doc, {"op": "Remove", "path": 'manager[value eq "m2"]'})
    assert result[ENTERPRISE]["manager"]["value"] == "m1"


def test_removing_the_last_extension_attribute_drops_the_extension(doc):
    result = run(doc, {"op": "remove", "path": "manager"}, {"op": "remove", "path": "employeeNumber"})
    assert ENTERPRISE not in result


# -------------------------------------------------------------------- multi-valued


def test_add_of_an_identical_entry_is_not_duplicated(doc):
    result = run(doc, {"op": "add", "path": "emails", "value": [{"value": "other@example.org", "type": "other"}]})
    assert result["emails"] == doc["emails"]


def test_add_of_an_entry_equal_up_to_key_case_is_not_duplicated(doc):
    result = run(doc, {"op": "add", "path": "emails", "value": [{"Value": "other@example.org", "TYPE": "other"}]})
    assert len(result["emails"]) == 2


def test_add_single_object_to_a_multi_valued_attribute_appends_it(doc):
    result = run(doc, {"op": "add", "path": "emails", "value": {"value": "w@example.com", "type": "work"}})
    assert result["emails"][-1] == {"value": "w@example.com", "type": "work"}


def test_only_one_primary_after_add(doc):
    result = run(doc, {"op": "add", "path": "emails", "value": [{"value": "w@example.com", "primary": True}]})
    primaries = [e["value"] for e in result["emails"] if e.get("primary")]
    assert primaries == ["w@example.com"]


def test_only_one_primary_after_value_path_replace(doc):
    result = run(doc, {"op": "replace", "path": 'emails[type eq "other"].primary', "value": True})
    assert [e["type"] for e in result["emails"] if e.get("primary")] == ["other"]


@pytest.mark.parametrize("spelling", ["TRUE", "True", " true "])
def test_a_primary_sent_as_a_string_in_any_case_is_primary_for_a_later_filter(doc, spelling):
    """Entra and other mappings send booleans as strings; validation reads them in any case, so must PATCH."""
    result = run(doc,
                 {"op": "add", "path": "emails", "value": [{"value": "w@example.com", "type": "work",
                                                            "primary": spelling}]},
                 {"op": "replace", "path": "emails[primary eq true].display", "value": "Main"})
    assert [e["value"] for e in result["emails"] if e.get("display") == "Main"] == ["w@example.com"]
    # the entry marked last is the one primary: the old one lost its mark
    assert [e["value"] for e in result["emails"] if "primary" in e] == ["w@example.com"]


def test_replace_multi_valued_with_empty_list_removes_it(doc):
    assert "emails" not in run(doc, {"op": "replace", "path": "emails", "value": []})


def test_replace_multi_valued_replaces_the_whole_list(doc):
    result = run(doc, {"op": "replace", "path": "emails", "value": [{"value": "only@example.com"}]})
    assert result["emails"] == [{"value": "only@example.com"}]


def test_remove_with_a_value_list_removes_only_those_entries(doc):
    doc["emails"].append({"value": "third@example.org", "type": "work"})
    result = run(doc, {"op": "remove", "path": "emails",
                       "value": [{"value": "home@example.org"}, {"value": "third@example.org"}]})
    assert result["emails"] == [{"value": "other@example.org", "type": "other"}]


def test_remove_without_value_removes_the_whole_attribute(doc):
    assert "emails" not in run(doc, {"op": "remove", "path": "emails"})


def test_remove_with_or_filter(doc):
    doc["emails"].append({"value": "w@example.com", "type": "work"})
    result = run(doc, {"op": "remove", "path": 'emails[type eq "home" or type eq "other"]'})
    assert result["emails"] == [{"value": "w@example.com", "type": "work"}]


def test_remove_with_not_filter(doc):
    doc["emails"].append({"value": "w@example.com", "type": "work"})
    result = run(doc, {"op": "remove", "path": 'emails[not (type eq "work")]'})
    assert result["emails"] == [{"value": "w@example.com", "type": "work"}]


def test_remove_with_filter_and_sub_attribute_removes_only_that_sub_attribute(doc):
    result = run(doc, {"op": "remove", "path": 'emails[type eq "home"].primary'})
    assert result["emails"][0] == {"value": "home@example.org", "type": "home"}


def test_remove_with_a_filter_matching_nothing_changes_nothing(doc):
    assert run(doc, {"op": "remove", "path": 'emails[type eq "work"]'}) == doc


def test_filter_and_sub_attribute_names_are_case_insensitive(doc):
    result = run(doc, {"op": "replace", "path": 'EMAILS[TYPE EQ "HOME"].VALUE', "value": "x@example.org"})
    assert result["emails"][0] == {"value": "x@example.org", "type": "home", "primary": True}
    created = run(doc, {"op": "add", "path": 'emails[TYPE eq "work"].VALUE', "value": "w@example.com"})
    assert created["emails"][-1] == {"type": "work", "value": "w@example.com"}


def test_value_filter_string_matching_follows_case_exactness(doc):
    # emails.type and emails.value are caseExact false
    result = run(doc, {"op": "remove", "path": 'emails[value eq "HOME@EXAMPLE.ORG"]'})
    assert [e["type"] for e in result["emails"]] == ["other"]


def test_sub_attribute_path_on_multi_valued_sets_every_entry(doc):
    result = run(doc, {"op": "replace", "path": "emails.display", "value": "Mail"})
    assert all(e["display"] == "Mail" for e in result["emails"])


# --------------------------------------------------------------------- single-valued


def test_add_replace_and_remove_of_simple_attributes(doc):
    result = run(doc, {"op": "add", "path": "title", "value": "Lead"},
                 {"op": "replace", "path": "displayName", "value": "B"},
                 {"op": "remove", "path": "name.givenName"})
    assert result["title"] == "Lead" and result["displayName"] == "B"
    assert result["name"] == {"familyName": "Jensen"}


def test_removing_the_last_sub_attribute_removes_the_complex_attribute(doc):
    result = run(doc, {"op": "remove", "path": "name.givenName"}, {"op": "remove", "path": "name.familyName"})
    assert "name" not in result


def test_replace_with_empty_string_removes_an_optional_attribute(doc):
    assert "displayName" not in run(doc, {"op": "replace", "path": "displayName", "value": ""})


def test_operations_apply_in_order(doc):
    result = run(doc, {"op": "replace", "path": "title", "value": "First"},
                 {"op": "replace", "path": "title", "value": "Second"},
                 {"op": "remove", "path": "title"},
                 {"op": "add", "path": "title", "value": "Last"})
    assert result["title"] == "Last"


# --------------------------------------------------------------------------- errors


def test_remove_without_path_is_no_target(doc):
    assert error_of(doc, {"op": "remove"}).scim_type == "noTarget"
    assert error_of(doc, {"op": "remove", "path": ""}).scim_type == "noTarget"


@pytest.mark.parametrize("path", ["id", "meta", "meta.created", "meta.version", f"{ENTERPRISE}:manager.displayName"])
@pytest.mark.parametrize("op", ["add", "replace", "remove"])
def test_read_only_paths_are_mutability_errors(doc, path, op):
    error = error_of(doc, {"op": op, "path": path, "value": "x"})
    assert (error.status, error.scim_type) == (400, "mutability")


@pytest.mark.parametrize("path", ["nope", "name.nope", "emails[", 'emails[type eq "work"', "userName.x",
                                  "urn:x:y:z:1.0:User:title", "emails[type eq \"work\"]]", "displayName[value pr]"])
def test_bad_paths_are_invalid_path(doc, path):
    assert error_of(doc, {"op": "replace", "path": path, "value": "x"}).scim_type == "invalidPath"


@pytest.mark.parametrize("operation", [
    {"op": "remove", "path": "userName"},
    {"op": "replace", "path": "userName", "value": ""},
    {"op": "replace", "value": {"userName": None}},
])
def test_removing_the_required_username_is_refused(doc, operation):
    error = error_of(doc, operation)
    assert error.status == 400 and error.scim_type == "invalidValue"


@pytest.mark.parametrize("operation", [
    {"op": "replace", "value": "x"},
    {"op": "add", "value": ["x"]},
    {"op": "replace", "path": "name", "value": "x"},
    {"op": "add", "path": "emails", "value": ["x"]},
    {"op": "add", "path": "emails", "value": "x"},
    {"op": "replace", "path": 'emails[type eq "home"]', "value": "x"},
    {"op": "add", "path": 'emails[type eq "work"]', "value": "x"},
    {"op": "replace", "path": "manager", "value": 1.5},
])
def test_values_of_the_wrong_shape_are_invalid_value(doc, operation):
    assert error_of(doc, operation).scim_type == "invalidValue"


def test_a_failing_operation_leaves_the_input_unchanged(doc):
    before = copy.deepcopy(doc)
    error_of(doc, {"op": "replace", "path": "displayName", "value": "changed"},
             {"op": "replace", "path": "id", "value": "x"})
    assert doc == before


# ----------------------------------------------------------------------- parse_request


@pytest.mark.parametrize("body,scim_type", [
    ([], "invalidSyntax"),
    ("x", "invalidSyntax"),
    ({"schemas": [PATCH_OP]}, "invalidSyntax"),
    ({"schemas": [PATCH_OP], "Operations": None}, "invalidSyntax"),
    ({"schemas": [PATCH_OP], "Operations": {"op": "add"}}, "invalidSyntax"),
    ({"schemas": [PATCH_OP], "Operations": ["add"]}, "invalidSyntax"),
    ({"schemas": [PATCH_OP], "Operations": [{"path": "title"}]}, "invalidSyntax"),
    ({"schemas": [PATCH_OP], "Operations": [{"op": 3}]}, "invalidSyntax"),
    ({"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": 3}]}, "invalidSyntax"),
    ({"schemas": "not a list", "Operations": [{"op": "add"}]}, "invalidSyntax"),
    ({"schemas": [CORE], "Operations": [{"op": "add"}]}, "invalidSyntax"),
    ({"schemas": [PATCH_OP], "Operations": []}, "invalidValue"),
    ({"schemas": [PATCH_OP], "Operations": [{"op": "merge"}]}, "invalidValue"),
    ({"schemas": [PATCH_OP], "Operations": [{"op": ""}]}, "invalidValue"),
    ({"schemas": [PATCH_OP], "Operations": [{"op": "add"}] * (MAX_OPERATIONS + 1)}, "invalidValue"),
])
def test_parse_request_rejects_malformed_bodies(body, scim_type):
    with pytest.raises(ScimError) as caught:
        parse_request(body)
    assert caught.value.status == 400
    assert caught.value.scim_type == scim_type


def test_parse_request_accepts_missing_schemas_and_defaults_path_and_value():
    (operation,) = parse_request({"Operations": [{"op": "Remove", "path": "title", "extra": 1}]})
    assert operation == {"op": "remove", "path": "title", "value": None}


def test_parse_request_accepts_the_maximum_number_of_operations():
    assert len(parse_request({"Operations": [{"op": "add", "value": {}}] * MAX_OPERATIONS})) == MAX_OPERATIONS


# ----------------------------------------------------------------------------- matches


def test_matches_evaluates_one_entry():
    from scim.filter_parser import parse_path

    def hit(entry, text):
        return matches(entry, parse_path(f"emails[{text}]").filter, EMAILS)

    entry = {"value": "A@Example.com", "type": "work", "primary": True}
    assert hit(entry, 'value eq "a@example.com"')
    assert hit(entry, 'value sw "a@" and type eq "WORK"')
    assert hit(entry, "primary eq true")
    assert not hit(entry, "primary eq false")
    assert hit(entry, 'not (type eq "home")')
    assert hit(entry, "display pr") is False
    assert hit(entry, 'type eq "home" or value ew ".com"')
    assert not hit({"type": "work"}, 'value eq "x"')
    assert hit({"type": "work"}, 'value ne "x"')
