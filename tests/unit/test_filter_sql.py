"""SCIM filter text -> predicate (scim.filters) -> SQL (models.search), against a real database.

A handful of users with awkward values are created once; every filter must select exactly
the expected users through SQL alone (models.search never filters in Python).
"""
import datetime
import re
import uuid

import pytest

from models.db import db
from models.orgs import create_org
from models.predicates import and_
from models.search import search_users, user_condition
from models.tables import User
from models.users import create_human
from scim.casting import from_scim
from scim.errors import ScimError
from scim.filters import HUMANS, parse
from scim.schemas import ENTERPRISE_SCHEMA as ENTERPRISE
from scim.validation import validate_user

ALICE, A_B, PERCENT, BACKSLASH, EMILE, DORA, ZED = (
    "alice@example.com", "a_b@example.com", "100%off@example.com", "back\\slash@example.com",
    "Émile@example.com", "dora@example.com", "zed@example.com",
)
EVERYONE = {ALICE, A_B, PERCENT, BACKSLASH, EMILE, DORA, ZED}


def _user(org_id, resource):
    with db.atomic():
        return create_human(org_id, from_scim(validate_user(resource)), editor=None)


@pytest.fixture(scope="module")
def seeded(app):
    """{'org': org id, 'ids': {userName: id}} for one fresh organisation."""
    with db.connection_context():
        org = create_org(f"filter-sql-{uuid.uuid4().hex[:10]}", editor=None)
        ids = {}
        alice = _user(org.id, {
            "userName": ALICE, "externalId": "EXT-1", "title": "Engineer", "displayName": "Alice L",
            "name": {"givenName": "Alice", "familyName": "Liddell"},
            "emails": [{"value": "Alice@Example.com", "type": "work", "primary": True},
                       {"value": "alice@home.org", "type": "home"}],
            ENTERPRISE: {"employeeNumber": "42", "department": "R&D"},
        })
        ids[ALICE] = alice.id
        ids[A_B] = _user(org.id, {"userName": A_B, "emails": [{"value": "ab@example.com", "type": "work"}]}).id
        ids[PERCENT] = _user(org.id, {"userName": PERCENT, "title": "50% off", "nickName": "under_score",
                                      "emails": [{"value": "deal@shop.example", "type": "other"}]}).id
        ids[BACKSLASH] = _user(org.id, {"userName": BACKSLASH, "title": "C:\\path", "externalId": "a\\b"}).id
        ids[EMILE] = _user(org.id, {"userName": EMILE, "name": {"familyName": "Zola"},
                                    "emails": [{"value": "ÉMILE@exemple.fr", "type": "work"}],
                                    ENTERPRISE: {"employeeNumber": "420", "department": "Écriture"}}).id
        ids[DORA] = _user(org.id, {"userName": DORA, "active": False, "externalId": "ext-1",
                                   ENTERPRISE: {"manager": {"value": alice.id}}}).id
        ids[ZED] = _user(org.id, {"userName": ZED}).id
        # a user of another organisation with the same values must never show up
        other = create_org(f"filter-sql-other-{uuid.uuid4().hex[:10]}", editor=None)
        _user(other.id, {"userName": ALICE, "externalId": "EXT-1", "title": "Engineer"})
    return {"org": org.id, "ids": ids}


def sql_names(org_id, predicate):
    """userNames selected by the SQL condition alone, plus the same through search_users."""
    with db.connection_context():
        condition = user_condition(org_id, and_(predicate, HUMANS))
        direct = {u.username for u in User.select(User.username).where(condition)}
        total, users = search_users(org_id, and_(predicate, HUMANS))
    assert total == len(users) == len(direct)
    assert {u.username for u in users} == direct
    return direct


CASES = [
    # userName: case-insensitive through the casefolded twin column
    ('userName eq "ALICE@EXAMPLE.COM"', {ALICE}),
    ('Username EQ "alice@example.com"', {ALICE}),
    ('userName eq "émile@example.com"', {EMILE}),
    ('userName eq "ÉMILE@EXAMPLE.COM"', {EMILE}),
    ('userName sw "é"', {EMILE}),
    ("userName sw O", set()),
    ("userName sw A", {ALICE, A_B}),
    ('userName ne "zed@example.com"', EVERYONE - {ZED}),
    ('userName lt "b"', {ALICE, A_B, PERCENT}),
    ("userName pr", EVERYONE),
    # LIKE metacharacters match literally
    ('userName co "%"', {PERCENT}),
    ('userName sw "100%"', {PERCENT}),
    ('userName co "_"', {A_B}),
    ('userName co "a_b"', {A_B}),
    ('userName co "\\\\"', {BACKSLASH}),
    ('userName co "k\\\\s"', {BACKSLASH}),
    ('title co "0% o"', {PERCENT}),
    ('title ew "\\\\path"', {BACKSLASH}),
    ('nickName co "r_s"', {PERCENT}),
    ('nickName co "r%s"', set()),
    # externalId is case-exact, including in LIKE
    ('externalId eq "EXT-1"', {ALICE}),
    ('externalId eq "ext-1"', {DORA}),
    ('externalId eq "Ext-1"', set()),
    ('externalId sw "EXT"', {ALICE}),
    ('externalId eq "a\\\\b"', {BACKSLASH}),
    ('externalId ne "EXT-1"', EVERYONE - {ALICE}),
    ("externalId pr", {ALICE, BACKSLASH, DORA}),
    # multi-valued: any entry matches; value paths need one entry to satisfy the whole filter
    ('emails.value eq "alice@home.org"', {ALICE}),
    ('emails.value eq "ALICE@example.COM"', {ALICE}),
    ('emails.value eq "émile@exemple.fr"', {EMILE}),
    ('emails.value co "EXAMPLE"', {ALICE, A_B, PERCENT}),
    ('emails[type eq "work"].value eq "ab@example.com"', {A_B}),
    ('emails[type eq "work" and value eq "alice@home.org"]', set()),
    ('emails.type eq "work" and emails.value eq "alice@home.org"', {ALICE}),
    ('emails[type eq "home" or type eq "other"]', {ALICE, PERCENT}),
    ('emails[not (type eq "work")]', {ALICE, PERCENT}),
    ("emails[primary eq true]", {ALICE}),
    ("emails pr", {ALICE, A_B, PERCENT, EMILE}),
    # not over a multi-valued attribute includes users without any entry
    ('not (emails.value co "example")', {BACKSLASH, EMILE, DORA, ZED}),
    ("not (emails pr)", {BACKSLASH, DORA, ZED}),
    # not over nullable single-valued attributes includes users without them
    ('not (title eq "Engineer")', EVERYONE - {ALICE}),
    ('not (name.familyName eq "Zola")', EVERYONE - {EMILE}),
    ('not (nickName co "score")', EVERYONE - {PERCENT}),
    ('not (not (title eq "Engineer"))', {ALICE}),
    ('title ne "Engineer"', EVERYONE - {ALICE}),
    # columns without a twin: ASCII case-insensitivity
    ('name.familyName eq "LIDDELL"', {ALICE}),
    ('displayName sw "alice"', {ALICE}),
    # active, logic and precedence
    ("active eq false", {DORA}),
    ("active eq true", EVERYONE - {DORA}),
    ('active eq true and userName sw "a"', {ALICE, A_B}),
    ('userName eq "zed@example.com" or userName eq "dora@example.com"', {ZED, DORA}),
    ('userName sw "z" or userName sw "d" and active eq true', {ZED}),
    ('(userName sw "z" or userName sw "d") and active eq false', {DORA}),
    ("meta.created ge \"2000-01-01T00:00:00Z\"", EVERYONE),
    ("meta.lastModified lt \"2000-01-01T00:00:00Z\"", set()),
    # enterprise extension, qualified and not
    (f'{ENTERPRISE}:employeeNumber eq "42"', {ALICE}),
    ('employeeNumber sw "42"', {ALICE, EMILE}),
    (f'{ENTERPRISE}:department eq "écriture"', {EMILE}),
    (f"{ENTERPRISE}:manager pr", {DORA}),
]


@pytest.mark.parametrize("text,expected", CASES, ids=[c[0] for c in CASES])
def test_filter_selects_exactly(seeded, text, expected):
    assert sql_names(seeded["org"], parse(text)) == expected


def test_id_and_manager_filters(seeded):
    alice = seeded["ids"][ALICE]
    dora = seeded["ids"][DORA]
    assert sql_names(seeded["org"], parse(f'id eq "{alice}"')) == {ALICE}
    assert sql_names(seeded["org"], parse(f'manager eq "{alice}"')) == {DORA}
    assert sql_names(seeded["org"], parse(f'id eq "{dora}" and manager eq "{alice}"')) == {DORA}
    assert sql_names(seeded["org"], parse(f'id eq "{alice}" and manager eq "{alice}"')) == set()
    assert sql_names(seeded["org"], parse(f'manager ne "{alice}"')) == EVERYONE - {DORA}


@pytest.mark.parametrize("text", [
    'password eq "x"', "active gt true", 'favouriteColour eq "x"', 'meta.created co "2"',
    'emails[type eq "work"', 'userName zz "x"', 'x509Certificates.value gt "a"', 'meta.created gt "soon"',
])
def test_untranslatable_filters_raise_invalid_filter(seeded, text):
    with pytest.raises(ScimError) as caught:
        parse(text)
    assert (caught.value.status, caught.value.scim_type) == (400, "invalidFilter")


# ------------------------------------------------------------------------- the SQL itself


def query_sql(org_id, text):
    with db.connection_context():
        return User.select().where(user_condition(org_id, parse(text))).sql()


def test_like_patterns_escape_metacharacters_in_sql(seeded):
    sql, params = query_sql(seeded["org"], 'userName co "50%_\\\\"')
    assert " LIKE " in sql and "ESCAPE" in sql
    assert "%50\\%\\_\\\\%" in params


def test_case_insensitive_username_uses_the_folded_column(seeded):
    sql, params = query_sql(seeded["org"], 'userName eq "ÉMILE@Example.com"')
    assert "username_key" in sql
    assert "émile@example.com" in params
    assert "LOWER" not in sql.upper()


def test_case_exact_external_id_compares_raw_values_in_a_subquery(seeded):
    sql, params = query_sql(seeded["org"], 'externalId eq "EXT-1"')
    assert " IN (SELECT" in sql
    assert "value_key" not in sql
    assert "EXT-1" in params and "externalId" in params


def test_multi_valued_filter_is_an_in_subquery_on_the_index(seeded):
    sql, params = query_sql(seeded["org"], 'emails[type eq "work"].value eq "A@B.C"')
    assert " IN (SELECT" in sql and "user_attr" in sql
    assert "value_key" in sql and "a@b.c" in params and "emails" in params


def test_not_is_null_safe_in_sql(seeded):
    sql, _ = query_sql(seeded["org"], 'not (title eq "x")')
    assert "NOT" in sql.upper() and "COALESCE" in sql.upper()


TABLE = re.compile(r'\b(?:FROM|JOIN)\s+"(\w+)"', re.IGNORECASE)


@pytest.mark.parametrize("text,expected", CASES, ids=[c[0] for c in CASES])
def test_every_filter_reads_only_the_users_and_their_search_index_of_one_org(seeded, text, expected):
    """What test_filter_selects_exactly cannot see: where the answer comes from.

    A filter is read from the user table and the search index (user_attr) only, never
    from the raw metadata; every one of those reads is scoped to the organisation, and
    every value is a bound parameter, never spliced into the SQL.
    """
    org, placeholder = seeded["org"], db.obj.param
    sql, params = query_sql(org, text)
    tables = TABLE.findall(sql)
    assert tables[0] == "user" and set(tables) <= {"user", "user_attr"}, sql
    assert sql.count(f'"org_id" = {placeholder}') == len(tables) == params.count(org), sql
    assert sql.count(placeholder) == len(params), sql
    assert all(isinstance(p, (str, int, float, datetime.datetime)) for p in params), params


def test_integer_constants_are_written_into_the_sql_and_strings_stay_bound(seeded):
    # A bound user.type makes SQLite re-prepare the statement on every run (a partial index names
    # the column), which cost a filter through user_attr several times its lookup.
    with db.connection_context():
        sql, params = User.select().where(user_condition(seeded["org"], and_(parse('externalId eq "1"'), HUMANS))).sql()
    assert re.search(r'"type" = 1\b', sql) and 1 not in params
    assert "1" in params and "externalId" in params
    with db.connection_context():
        _, rows = search_users(seeded["org"], and_(parse(f'userName eq "{ALICE}"'), HUMANS), limit=10)
    assert [u.username for u in rows] == [ALICE]
