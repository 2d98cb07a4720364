"""Filters (RFC 7644 §3.4.2.2) over GET /Users?filter= and POST .search, in the IdPs' dialects.

A bad filter must be 400 invalidFilter and never an unfiltered list: Entra would
then create a duplicate user.
"""
import datetime
import time

import pytest

from tests.http.scim_helpers import ENTERPRISE, ERROR, LIST_RESPONSE, SEARCH, assert_scim_error


def found(scim, filter_text):
    """userNames matched through GET ?filter= and through POST /Users/.search (which must agree)."""
    response = scim.get("/Users", query_string={"filter": filter_text, "count": 1000})
    assert response.status_code == 200, (filter_text, response.get_json())
    body = response.get_json()
    assert body["schemas"] == [LIST_RESPONSE]
    assert body["totalResults"] == len(body["Resources"])
    names = sorted(r["userName"] for r in body["Resources"])
    searched = scim.post("/Users/.search", {"schemas": [SEARCH], "filter": filter_text, "count": 1000})
    assert searched.status_code == 200, (filter_text, searched.get_json())
    assert sorted(r["userName"] for r in searched.get_json()["Resources"]) == names
    return names


@pytest.fixture
def people(scim):
    boss = scim.create_user(
        "boss@example.com", externalId="EXT-Boss", displayName="The Boss", title="CEO",
        name={"givenName": "Grace", "familyName": "Hopper"},
        emails=[{"value": "Boss@Example.com", "type": "work", "primary": True}],
        **{ENTERPRISE: {"employeeNumber": "1", "department": "Board"}},
    )
    time.sleep(0.01)
    babs = scim.create_user(
        "Barbara.Jensen@example.com", externalId="ext-babs", displayName="Babs", title="Tour Guide",
        name={"givenName": "Barbara", "familyName": "Jensen"},
        emails=[{"value": "bjensen@example.com", "type": "work", "primary": True},
                {"value": "babs@home.example.org", "type": "home"}],
        phoneNumbers=[{"value": "+1 555 0100", "type": "mobile"}],
        **{ENTERPRISE: {"employeeNumber": "42", "department": "Tours", "manager": {"value": boss["id"]}}},
    )
    time.sleep(0.01)
    sam = scim.create_user(
        "sam@example.net", externalId="EXT-BABS", active=False, title="Tour Guide",
        name={"givenName": "Sam", "familyName": "Jensen-Smith"},
        emails=[{"value": "sam@example.net", "type": "home"}],
        **{ENTERPRISE: {"employeeNumber": "420", "manager": boss["id"]}},
    )
    time.sleep(0.01)
    olga = scim.create_user("Olga@example.org", nickName="O")
    return {"boss": boss, "babs": babs, "sam": sam, "olga": olga}


ALL = ["Barbara.Jensen@example.com", "Olga@example.org", "boss@example.com", "sam@example.net"]


# ------------------------------------------------------------------ Okta: userName eq


def test_okta_username_eq_is_case_insensitive(scim, people):
    assert found(scim, 'userName eq "barbara.jensen@example.com"') == ["Barbara.Jensen@example.com"]
    # Okta spec step 9: the upper-cased userName finds exactly one user
    upper = "Barbara.Jensen@example.com".upper()
    body = scim.get("/Users", query_string={"filter": f'userName eq "{upper}"'}).get_json()
    assert body["totalResults"] == 1
    assert body["Resources"][0]["id"] == people["babs"]["id"]


def test_okta_lookup_of_missing_user_is_200_with_empty_resources(scim, people):
    response = scim.get("/Users", query_string={"filter": 'userName eq "abcdefgh@atko.com"',
                                                "startIndex": 1, "count": 100})
    assert response.status_code == 200
    assert response.get_json() == {"schemas": [LIST_RESPONSE], "totalResults": 0, "itemsPerPage": 0,
                                   "startIndex": 1, "Resources": []}


def test_attribute_names_and_operators_are_case_insensitive(scim, people):
    assert found(scim, 'Username Eq "OLGA@example.org"') == ["Olga@example.org"]
    assert found(scim, 'USERNAME EQ "olga@example.org" AND NICKNAME PR') == ["Olga@example.org"]
    assert found(scim, 'name.FamilyName eq "jensen"') == ["Barbara.Jensen@example.com"]


def test_microsoft_bare_word_value_is_tolerated(scim, people):
    assert found(scim, "userName sw O") == ["Olga@example.org"]
    assert found(scim, "externalId eq ext-babs") == ["Barbara.Jensen@example.com"]


def test_microsoft_collection_filters_with_capitalised_names_and_trailing_slash(scim, people):
    response = scim.get("/Users/", query_string={"filter": 'DisplayName eq "Babs"'})
    assert response.status_code == 200
    assert [r["userName"] for r in response.get_json()["Resources"]] == ["Barbara.Jensen@example.com"]
    text = "name.FamilyName eq Jensen and (emails.Value co example.com or emails.Value co example.org)"
    assert found(scim, text) == ["Barbara.Jensen@example.com"]
    assert found(scim, "meta.Created gt 2015-10-10T14:38:21.8617979-07:00") == ALL


# ------------------------------------------------------------------ Entra: externalId, emails


def test_entra_external_id_eq_is_case_exact(scim, people):
    assert found(scim, 'externalId eq "ext-babs"') == ["Barbara.Jensen@example.com"]
    assert found(scim, 'externalId eq "EXT-BABS"') == ["sam@example.net"]
    assert found(scim, 'externalId eq "Ext-Babs"') == []


def test_entra_random_guid_lookup_is_empty(scim, people):
    body = scim.get("/Users", query_string={"filter": 'externalId eq "6b1d6b3e-0c0d-4bc6-9a3c-1f3c1d9e7e00"'})
    assert body.status_code == 200
    assert body.get_json()["totalResults"] == 0 and body.get_json()["Resources"] == []


def test_entra_work_email_value_path_filter(scim, people):
    assert found(scim, 'emails[type eq "work"].value eq "bjensen@example.com"') == ["Barbara.Jensen@example.com"]
    assert found(scim, 'emails[type eq "work"].value eq "BJENSEN@example.com"') == ["Barbara.Jensen@example.com"]
    # sam's only address is a home one: the type and the value must hold for the same entry
    assert found(scim, 'emails[type eq "work"].value eq "sam@example.net"') == []
    assert found(scim, 'emails[type eq "home"].value eq "sam@example.net"') == ["sam@example.net"]
    assert found(scim, 'emails[type eq "work"].value eq "babs@home.example.org"') == []


def test_emails_value_eq_is_case_insensitive_and_matches_any_entry(scim, people):
    assert found(scim, 'emails.value eq "boss@example.com"') == ["boss@example.com"]
    assert found(scim, 'emails.value eq "BABS@HOME.EXAMPLE.ORG"') == ["Barbara.Jensen@example.com"]
    assert found(scim, 'emails eq "sam@example.net"') == ["sam@example.net"]


def test_email_value_filter_with_and_inside_brackets(scim, people):
    assert found(scim, 'emails[type eq "work" and value co "@example.com"]') == [
        "Barbara.Jensen@example.com", "boss@example.com"]
    assert found(scim, 'emails[type eq "home" and value ew ".org"]') == ["Barbara.Jensen@example.com"]
    assert found(scim, 'emails[type eq "home" or primary eq true]') == [
        "Barbara.Jensen@example.com", "boss@example.com", "sam@example.net"]
    assert found(scim, 'emails[not (type eq "work")]') == ["Barbara.Jensen@example.com", "sam@example.net"]


def test_phone_numbers_value_path(scim, people):
    assert found(scim, 'phoneNumbers[type eq "mobile"].value eq "+1 555 0100"') == ["Barbara.Jensen@example.com"]


def test_entra_title_and_family_name(scim, people):
    assert found(scim, 'title eq "Tour Guide"') == ["Barbara.Jensen@example.com", "sam@example.net"]
    assert found(scim, 'title eq "tour guide"') == ["Barbara.Jensen@example.com", "sam@example.net"]
    assert found(scim, 'name.familyName eq "Jensen"') == ["Barbara.Jensen@example.com"]
    assert found(scim, 'name.givenName eq "grace"') == ["boss@example.com"]
    assert found(scim, 'displayName eq "babs"') == ["Barbara.Jensen@example.com"]


# ------------------------------------------------------------------------- operators


def test_co_sw_ew_pr(scim, people):
    assert found(scim, 'userName co "JENSEN"') == ["Barbara.Jensen@example.com"]
    assert found(scim, 'userName sw "b"') == ["Barbara.Jensen@example.com", "boss@example.com"]
    assert found(scim, 'userName ew ".NET"') == ["sam@example.net"]
    assert found(scim, 'name.familyName co "sen-sm"') == ["sam@example.net"]
    assert found(scim, "nickName pr") == ["Olga@example.org"]
    assert found(scim, "externalId pr") == ["Barbara.Jensen@example.com", "boss@example.com", "sam@example.net"]
    assert found(scim, "phoneNumbers pr") == ["Barbara.Jensen@example.com"]
    assert found(scim, f"{ENTERPRISE}:manager pr") == ["Barbara.Jensen@example.com", "sam@example.net"]
    assert found(scim, "userName pr") == ALL


def test_ne(scim, people):
    assert found(scim, 'userName ne "boss@example.com"') == [
        "Barbara.Jensen@example.com", "Olga@example.org", "sam@example.net"]
    # users without a title are "not equal" too
    assert found(scim, 'title ne "Tour Guide"') == ["Olga@example.org", "boss@example.com"]
    assert found(scim, 'name.familyName ne "Jensen"') == ["Olga@example.org", "boss@example.com", "sam@example.net"]
    assert found(scim, 'externalId ne "ext-babs"') == ["Olga@example.org", "boss@example.com", "sam@example.net"]
    assert found(scim, f'{ENTERPRISE}:department ne "tours"') == ["Olga@example.org", "boss@example.com",
                                                                   "sam@example.net"]
    assert found(scim, f'manager ne "{people["boss"]["id"]}"') == ["Olga@example.org", "boss@example.com"]
    assert found(scim, "title eq null") == ["Olga@example.org"]
    assert found(scim, "title ne null") == ["Barbara.Jensen@example.com", "boss@example.com", "sam@example.net"]


def test_gt_ge_lt_le_on_username_are_lexical(scim, people):
    assert found(scim, 'userName gt "m"') == ["Olga@example.org", "sam@example.net"]
    assert found(scim, 'userName lt "BOSS@example.com"') == ["Barbara.Jensen@example.com"]
    assert found(scim, 'userName le "boss@example.com"') == ["Barbara.Jensen@example.com", "boss@example.com"]
    assert found(scim, 'userName ge "sam@example.net"') == ["sam@example.net"]


def test_meta_last_modified_and_created_compare_as_date_times(scim, people):
    babs = scim.get(f"/Users/{people['babs']['id']}").get_json()
    modified, created = babs["meta"]["lastModified"], babs["meta"]["created"]
    assert found(scim, f'meta.lastModified gt "{modified}"') == ["Olga@example.org", "sam@example.net"]
    assert found(scim, f'meta.lastModified ge "{modified}"') == [
        "Barbara.Jensen@example.com", "Olga@example.org", "sam@example.net"]
    assert found(scim, f'meta.created lt "{created}"') == ["boss@example.com"]
    assert found(scim, f'meta.created le "{created}"') == ["Barbara.Jensen@example.com", "boss@example.com"]
    assert found(scim, 'meta.created gt "2015-10-10T14:38:21Z"') == ALL
    assert found(scim, 'meta.created lt "2015-10-10T14:38:21Z"') == []


def test_meta_timestamps_with_offsets_compare_in_utc(scim, people):
    created = datetime.datetime.fromisoformat(
        scim.get(f"/Users/{people['babs']['id']}").get_json()["meta"]["created"].replace("Z", "+00:00"))
    # the same instant written in UTC+02:00
    shifted = created.astimezone(datetime.timezone(datetime.timedelta(hours=2))).isoformat()
    assert found(scim, f'meta.created le "{shifted}"') == ["Barbara.Jensen@example.com", "boss@example.com"]


def test_microsoft_unquoted_timestamp(scim, people):
    assert found(scim, "meta.created gt 2015-10-10T14:38:21.8617979-07:00") == ALL


def test_entra_inbound_delta_sync_range(scim, people):
    babs = scim.get(f"/Users/{people['babs']['id']}").get_json()["meta"]["lastModified"]
    text = f'active eq true and (meta.lastModified ge "{babs}" and meta.lastModified le "2999-01-01T00:00:00Z")'
    assert found(scim, text) == ["Barbara.Jensen@example.com", "Olga@example.org"]


# ------------------------------------------------------------------------ logic


def test_and_or_not_and_precedence(scim, people):
    assert found(scim, 'title eq "Tour Guide" and active eq true') == ["Barbara.Jensen@example.com"]
    assert found(scim, 'userName eq "olga@example.org" or userName eq "boss@example.com"') == [
        "Olga@example.org", "boss@example.com"]
    # and binds tighter than or
    assert found(scim, 'userName sw "olga" or userName sw "b" and title eq "CEO"') == [
        "Olga@example.org", "boss@example.com"]
    assert found(scim, '(userName sw "olga" or userName sw "b") and title eq "CEO"') == ["boss@example.com"]
    assert found(scim, 'not (title eq "Tour Guide")') == ["Olga@example.org", "boss@example.com"]
    assert found(scim, 'not (title eq "Tour Guide") and not (userName sw "o")') == ["boss@example.com"]
    assert found(scim, 'not (emails.value co "example.com")') == ["Olga@example.org", "sam@example.net"]


def test_not_over_a_column_attribute_includes_users_without_it(scim, people):
    # Olga has no family name: "familyName eq Jensen" is false for her, so its negation is true
    assert found(scim, 'not (name.familyName eq "Jensen")') == [
        "Olga@example.org", "boss@example.com", "sam@example.net"]
    assert found(scim, 'not (displayName co "b")') == ["Olga@example.org", "sam@example.net"]


def test_active_eq_false_finds_deactivated_users(scim, people):
    assert found(scim, "active eq false") == ["sam@example.net"]
    assert found(scim, "active eq true") == ["Barbara.Jensen@example.com", "Olga@example.org", "boss@example.com"]
    assert found(scim, "active ne true") == ["sam@example.net"]
    assert found(scim, "active eq False") == ["sam@example.net"]


def test_id_eq_is_exact(scim, people):
    babs = people["babs"]["id"]
    assert found(scim, f'id eq "{babs}"') == ["Barbara.Jensen@example.com"]
    assert found(scim, f'id eq "{babs}0"') == []


# ------------------------------------------------------------------- enterprise


def test_urn_qualified_enterprise_employee_number(scim, people):
    assert found(scim, f'{ENTERPRISE}:employeeNumber eq "42"') == ["Barbara.Jensen@example.com"]
    assert found(scim, f'{ENTERPRISE}:employeeNumber sw "42"') == ["Barbara.Jensen@example.com", "sam@example.net"]
    assert found(scim, 'employeeNumber eq "1"') == ["boss@example.com"]
    assert found(scim, f'{ENTERPRISE}:department eq "tours"') == ["Barbara.Jensen@example.com"]


def test_entra_manager_check_combines_id_and_unqualified_manager(scim, people):
    babs, boss = people["babs"]["id"], people["boss"]["id"]
    assert found(scim, f'id eq "{babs}" and manager eq "{boss}"') == ["Barbara.Jensen@example.com"]
    assert found(scim, f'id eq "{babs}" and manager eq "{babs}"') == []
    assert found(scim, f'manager eq "{boss}"') == ["Barbara.Jensen@example.com", "sam@example.net"]
    assert found(scim, f'{ENTERPRISE}:manager.value eq "{boss}"') == [
        "Barbara.Jensen@example.com", "sam@example.net"]
    assert found(scim, f'{ENTERPRISE}:manager[value eq "{boss}"]') == [
        "Barbara.Jensen@example.com", "sam@example.net"]


# ------------------------------------------------------------------ root .search


def test_root_search_filters_users(scim, people):
    response = scim.post("/.search", {"schemas": [SEARCH], "filter": 'userName eq "OLGA@EXAMPLE.ORG"'})
    assert response.status_code == 200
    body = response.get_json()
    assert body["totalResults"] == 1 and body["Resources"][0]["id"] == people["olga"]["id"]


def test_filter_matching_nothing_is_200_with_empty_resources(scim, people):
    for text in ['userName eq "nobody@example.com"', 'emails[type eq "work"].value eq "x@y.z"',
                 'title eq "CEO" and active eq false']:
        body = scim.get("/Users", query_string={"filter": text}).get_json()
        assert body["totalResults"] == 0 and body["Resources"] == [] and body["itemsPerPage"] == 0


def test_filter_and_paging_combine(scim, people):
    body = scim.get("/Users", query_string={"filter": "externalId pr", "count": 2, "startIndex": 2}).get_json()
    assert body["totalResults"] == 3 and body["itemsPerPage"] == 2 and body["startIndex"] == 2


# --------------------------------------------------------------------- bad filters


@pytest.mark.parametrize("text", [
    'userName eq "unterminated',
    'userName eq "a" and (title eq "b"',
    'emails[type eq "work".value eq "x"',
    'userName eq "a")',
    "userName regex \"a\"",
    'userName eq',
    'favouriteColour eq "blue"',
    'name.nickname eq "x"',
    'urn:example:unknown:2.0:User:foo eq "x"',
    "active gt true",
    "active eq \"yes\"",
    'active co "t"',
    'password eq "x"',
    'meta.created eq "yesterday"',
    'meta.created co "2020"',
    'meta.location eq "x"',
    'userName eq "a" and',
    'not userName eq "a"',
    '(userName eq "a"',
    "emails[value eq \"a\"",
    'x509Certificates.value gt "a"',
    "emails[type eq \"work\" and emails[value eq \"x\"]]",
    "   ",
    'userName eq true',
])
def test_malformed_or_unsupported_filter_is_400_invalid_filter(scim, people, text):
    assert_scim_error(scim.get("/Users", query_string={"filter": text}), 400, "invalidFilter")
    assert_scim_error(scim.post("/Users/.search", {"schemas": [SEARCH], "filter": text}), 400, "invalidFilter")


def test_filter_longer_than_the_limit_is_400(scim):
    text = 'userName eq "' + "a" * 5000 + '"'
    assert_scim_error(scim.get("/Users", query_string={"filter": text}), 400, "invalidFilter")


def test_search_filter_of_the_wrong_type_is_400(scim):
    response = scim.post("/Users/.search", {"schemas": [SEARCH], "filter": ["userName pr"]})
    assert response.status_code == 400
    assert response.get_json()["schemas"] == [ERROR]


def test_name_filters_fold_non_ascii_case(scim):
    """caseExact false holds beyond ASCII: 'émile' finds 'Émile' (folded twin columns, both databases)."""
    scim.create_user("emile@example.com", name={"givenName": "Ärne", "familyName": "Émile"}, nickName="Ōno")
    for query in ('name.familyName eq "émile"', 'name.givenName sw "ä"', 'nickName eq "ōNO"'):
        body = scim.get("/Users?filter=" + query).get_json()
        assert [r["userName"] for r in body["Resources"]] == ["emile@example.com"], query
