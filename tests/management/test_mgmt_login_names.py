"""Login names: userName@<org domain>, ZITADEL's mode with userLoginMustBeDomain on (reference §6.1, §6.2).

User names are unique per organisation, so the organisation's domain is what
tells two users of the same name apart: in login names, in the global lookup
and in loginNameQuery.
"""
import uuid

import pytest

from models import orgs
from models.db import db
from models.tables import Org
from tests.conftest import make_tenant
from tests.management.mgmt_helpers import MgmtClient, assert_error


def org_domain(mgmt):
    return mgmt.ok("get", "/orgs/me")["org"]["primaryDomain"]


@pytest.fixture
def pair(client):
    """Two organisations, each with a user called minnie."""
    first, second = MgmtClient(client, make_tenant()), MgmtClient(client, make_tenant())
    return [(mgmt, mgmt.human("minnie"), org_domain(mgmt)) for mgmt in (first, second)]


def test_an_organisation_gets_a_domain_from_its_name(mgmt):
    name = f"ACME Corp {uuid.uuid4().hex[:6]}"
    created = mgmt.ok("post", "/orgs", {"name": name})
    own = MgmtClient(mgmt.client, mgmt.tenant, org_header=created["id"])
    org = own.ok("get", "/orgs/me")["org"]
    assert org["name"] == name
    assert org["primaryDomain"] == f"acme-corp-{name[-6:]}.localhost"


def test_a_name_that_makes_a_taken_domain_is_409(mgmt):
    suffix = uuid.uuid4().hex[:6]
    mgmt.ok("post", "/orgs", {"name": f"Dup {suffix}"})
    assert_error(mgmt.post("/orgs", {"name": f"Dup-{suffix}"}), 409, 6,
                 f"The organisation's domain dup-{suffix}.localhost is taken by another organisation", "ORG-dom4in")


def test_login_names_are_the_user_name_at_the_org_domain(mgmt):
    user_id = mgmt.human("minnie")
    user = mgmt.user(user_id)
    expected = f"minnie@{org_domain(mgmt)}"
    assert user["loginNames"] == [expected] and user["preferredLoginName"] == expected
    listed = mgmt.ok("post", "/users/_search", {"queries": [{"userNameQuery": {"userName": "minnie"}}]})
    assert listed["result"][0]["preferredLoginName"] == expected


def test_global_lookup_tells_users_of_the_same_name_apart_by_domain(pair):
    (first, first_id, first_domain), (second, second_id, second_domain) = pair
    for mgmt, user_id, domain in pair:
        for login_name in (f"minnie@{domain}", f"MINNIE@{domain.upper()}"):
            found = mgmt.ok("get", "/global/users/_by_login_name", query_string={"loginName": login_name})
            assert found["user"]["id"] == user_id
    # the bare name is two users, so it is none
    assert_error(first.get("/global/users/_by_login_name", query_string={"loginName": "minnie"}), 404, 5,
                 "User could not be found", "QUERY-Dfbg2")
    assert_error(first.get("/global/users/_by_login_name", query_string={"loginName": "minnie@nowhere.example"}),
                 404, 5, "User could not be found", "QUERY-Dfbg2")


def test_a_user_name_holding_an_at_sign_is_split_at_the_last_one(mgmt):
    user_id = mgmt.human(f"alice-{uuid.uuid4().hex[:6]}@example.com")
    user = mgmt.user(user_id)
    assert user["preferredLoginName"] == f"{user['userName']}@{org_domain(mgmt)}"
    for login_name in (user["preferredLoginName"], user["userName"]):  # the bare name is unique here
        found = mgmt.ok("get", "/global/users/_by_login_name", query_string={"loginName": login_name})
        assert found["user"]["id"] == user_id


def test_login_name_query_matches_the_login_name(pair):
    (mgmt, user_id, domain), _ = pair
    mgmt.human("mickey")

    def found(method, login_name):
        body = mgmt.ok("post", "/users/_search", {"queries": [
            {"loginNameQuery": {"loginName": login_name, "method": method}}]})
        return sorted(u["userName"] for u in body.get("result", []))

    assert found("TEXT_QUERY_METHOD_EQUALS", f"minnie@{domain}") == ["minnie"]
    assert found("TEXT_QUERY_METHOD_EQUALS", "minnie") == []
    assert found("TEXT_QUERY_METHOD_EQUALS_IGNORE_CASE", f"Minnie@{domain.upper()}") == ["minnie"]
    # the tenant's own machine user has a login name in the domain too
    assert found("TEXT_QUERY_METHOD_ENDS_WITH", f"@{domain}") == ["mickey", "minnie", "scim-client"]
    assert found("TEXT_QUERY_METHOD_STARTS_WITH", "mi") == ["mickey", "minnie"]
    assert found("TEXT_QUERY_METHOD_CONTAINS_IGNORE_CASE", f"EY@{domain}") == ["mickey"]


def test_is_unique_looks_at_the_callers_organisation_only(pair):
    (first, _, _), (second, _, _) = pair
    assert first.ok("get", "/users/_is_unique", query_string={"userName": "minnie"}) == {}
    lonely = MgmtClient(first.client, make_tenant())
    assert lonely.ok("get", "/users/_is_unique", query_string={"userName": "minnie"}) == {"isUnique": True}


def test_organisations_from_before_domains_get_one_when_the_app_starts(mgmt):
    with db.connection_context():
        Org.update(domain=None).where(Org.id == mgmt.tenant.org_id).execute()
        name = Org.get_by_id(mgmt.tenant.org_id).name
        orgs.domain_of.cache_clear()
        orgs.assign_missing_domains()
        assert Org.get_by_id(mgmt.tenant.org_id).domain == f"{name}.localhost"


def test_a_bare_user_name_ending_in_another_organisations_domain_is_still_found(pair):
    (first, _, _), (_, _, second_domain) = pair
    name = f"bob-{uuid.uuid4().hex[:6]}@{second_domain}"  # bob's e-mail happens to be in the other org's domain
    user_id = first.human(name)
    found = first.ok("get", "/global/users/_by_login_name", query_string={"loginName": name})
    assert found["user"]["id"] == user_id
