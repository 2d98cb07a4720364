"""models.db.prepared_rows: SQL built once per shape, values bound per run, against a real database."""
import datetime
import uuid

import peewee
import pytest

from models import db as db_module
from models.db import db, load_row, marker, prepared_rows, save_fields
from models.groups import create_group
from models.orgs import create_org
from models.predicates import And, Compare, Not, Or, and_
from models.search import search_users
from models.tables import Group, Org, User, UserMetadata, UserState, UserType, utcnow
from models.users import create_human
from scim.casting import from_scim
from scim.validation import validate_user


@pytest.fixture
def org(app):
    with db.connection_context():
        org = create_org(f"prepared-{uuid.uuid4().hex[:10]}", editor=None)
        users = {}
        for name in ("ann", "bob", "cyd"):
            with db.atomic():
                users[name] = create_human(org.id, from_scim(validate_user({"userName": name})), editor=None).id
        yield org.id, users


def _by_name(org_id, name):
    return User.select(User.id, User.username).where((User.org == org_id) & (User.username == name))


def test_one_shape_many_values_each_run_binds_its_own(org):
    org_id, users = org
    shape = ("test-by-name", uuid.uuid4().hex)
    with db.connection_context():
        for name in ("ann", "bob", "cyd", "ann", "nobody"):
            rows = prepared_rows(shape, _by_name, [org_id, name])
            assert [(u.id, u.username) for u in rows] == ([(users[name], name)] if name in users else [])


def test_the_statement_is_built_once_per_shape(org, monkeypatch):
    org_id, _ = org
    built = []

    def build(org_marker, name_marker):
        built.append((org_marker, name_marker))
        return _by_name(org_marker, name_marker)

    shape = ("test-built-once", uuid.uuid4().hex)
    with db.connection_context():
        for name in ("ann", "bob", "cyd"):
            prepared_rows(shape, build, [org_id, name])
    assert built == [(marker(0), marker(1))]


def test_a_field_that_converts_its_value_runs_unprepared_and_still_right(org):
    """An integer column cannot take a marker; the query then runs as peewee builds it, every time."""
    org_id, users = org

    def humans(org_marker, user_type):
        return User.select(User.id).where((User.org == org_marker) & (User.type == user_type))

    shape = ("test-unpreparable", uuid.uuid4().hex)
    with db.connection_context():
        for _ in range(2):
            rows = prepared_rows(shape, humans, [org_id, int(UserType.HUMAN)])
            assert {u.id for u in rows} == set(users.values())
            assert prepared_rows(shape, humans, [org_id, int(UserType.MACHINE)]) == []


def test_an_unhashable_shape_runs_unprepared(org):
    org_id, users = org
    with db.connection_context():
        rows = prepared_rows(["a list"], _by_name, [org_id, "bob"])
    assert [u.id for u in rows] == [users["bob"]]


def test_joined_rows_come_back_whole_on_every_run(app):
    """The row reader's column analysis is reused: joins stay filled in on later runs."""
    from models.tokens import add_pat, find_pat

    with db.connection_context():
        org = create_org(f"prepared-pat-{uuid.uuid4().hex[:10]}", editor=None)
        tokens = {}
        for name in ("pat-one", "pat-two"):
            with db.atomic():
                user = create_human(org.id, from_scim(validate_user({"userName": name})), editor=None)
            tokens[name] = (user.id, add_pat(user, None)[1])
        for _ in range(2):
            for name, (user_id, token) in tokens.items():
                row = find_pat(token)
                assert (row.user_id, row.user.id, row.user.username) == (user_id, user_id, name)


def test_searches_of_one_shape_find_each_their_user(org):
    org_id, users = org
    with db.connection_context():
        for name in ("cyd", "ann", "bob"):
            predicate = and_(Compare("username", "eq", name.upper(), ignore_case=True),
                             Compare("type", "eq", UserType.HUMAN))
            total, rows = search_users(org_id, predicate, limit=10)
            assert (total, [u.id for u in rows]) == (1, [users[name]])
            total, rows = search_users(org_id, predicate, offset=0, limit=0)
            assert (total, rows) == (1, [])


def test_filters_of_different_shapes_never_share_a_statement(org):
    """Only the values a filter binds are left out of its shape: operators, fields, case rules,
    constants and nesting each make a statement of their own, in any order of first use."""
    org_id, users = org
    with db.connection_context(), db.atomic():
        users = {**users, "Dee": create_human(org_id, from_scim(validate_user({"userName": "Dee"})), editor=None).id}
    cases = [
        (Compare("username", "eq", "dee"), set()),
        (Compare("username", "eq", "dee", ignore_case=True), {"Dee"}),
        (Compare("username", "eq", "ann"), {"ann"}),
        (Compare("username", "ne", "ann"), {"bob", "cyd", "Dee"}),
        (Compare("username", "eq", "ANN", ignore_case=True), {"ann"}),
        (Compare("username", "eq", "ANN"), set()),
        (Compare("username", "gt", "ann"), {"bob", "cyd"}),  # ("D" < "a")
        (Or((Compare("username", "eq", "ann"), Compare("username", "eq", "bob"))), {"ann", "bob"}),
        (And((Compare("username", "eq", "ann"), Compare("username", "eq", "bob"))), set()),
        (Not(Compare("username", "eq", "ann")), {"bob", "cyd", "Dee"}),
        (and_(Compare("username", "eq", "ann"), Compare("state", "eq", UserState.INACTIVE)), set()),
        (and_(Compare("username", "eq", "ann"), Compare("state", "eq", UserState.ACTIVE)), {"ann"}),
    ]
    with db.connection_context():
        for order in (cases, cases[::-1]):
            for predicate, expected in order:
                _, rows = search_users(org_id, predicate, limit=10)
                assert {u.id for u in rows} == {users[name] for name in expected}, predicate


def test_a_search_whose_shape_cannot_be_prepared_still_binds_its_own_values(org):
    """A list of ids makes the shape unhashable: the search runs unprepared, with the filter's real values."""
    org_id, users = org
    ids = [users["ann"], users["bob"]]
    with db.connection_context():
        for name in ("ann", "bob", "cyd"):
            predicate = and_(Compare("id", "in", ids), Compare("username", "eq", name))
            total, rows = search_users(org_id, predicate, limit=10)
            expected = [users[name]] if users[name] in ids else []
            assert (total, [u.id for u in rows]) == (len(expected), expected)


def test_a_string_compared_with_an_integer_column_is_converted_as_before(org):
    """Only text columns take markers: elsewhere the field converts the value ("1" -> 1) as it always did."""
    org_id, users = org
    with db.connection_context():
        for state in (str(int(UserState.ACTIVE)), int(UserState.ACTIVE)):
            total, rows = search_users(org_id, Compare("state", "eq", state), limit=10)
            assert (total, {u.id for u in rows}) == (3, set(users.values()))
        assert search_users(org_id, Compare("state", "eq", str(int(UserState.INACTIVE))), limit=10) == (0, [])


def test_the_cache_drops_the_least_recently_used_past_its_bound():
    statements = db_module._Statements(2)
    statements.put("a", 1)
    statements.put("b", 2)
    assert statements.get("a") == 1  # a is now the most recently used
    statements.put("c", 3)
    assert (statements.get("a"), statements.get("b"), statements.get("c")) == (1, None, 3)


def test_markers_cannot_be_guessed_from_the_outside():
    assert marker(0) != "\x1eprepared-0\x1e" and marker(0) != marker(1)
    assert marker(0).casefold() == marker(0)  # a case-insensitive comparison folds its value unchanged


def _whole_user(user_id):
    return User.select().where(User.id == user_id)


@pytest.mark.parametrize("run", [1, 2, 3])
def test_rows_built_past_the_first_run_are_what_peewee_builds(org, run):
    """After its first run a plain shape builds rows itself (models.db._row_builder): same values, same state."""
    org_id, users = org
    shape = ("test-whole-user", uuid.uuid4().hex)
    with db.connection_context():
        for _ in range(run):
            [user] = prepared_rows(shape, _whole_user, [users["bob"]])
        [expected] = list(_whole_user(users["bob"]))
        assert user.__data__ == expected.__data__ and type(user) is User
        # (types too: True == 1, but a boolean column must come back as a bool, a date as a datetime)
        assert {k: type(v) for k, v in user.__data__.items()} == {k: type(v) for k, v in expected.__data__.items()}
        assert user._dirty == set() and user.__rel__ == {}
        assert user.org.id == org_id  # the foreign key still loads its row
        tuples = prepared_rows(shape + ("tuples",), lambda uid: _whole_user(uid).tuples(), [users["bob"]])
        tuples = prepared_rows(shape + ("tuples",), lambda uid: _whole_user(uid).tuples(), [users["bob"]])
        assert tuples == list(_whole_user(users["bob"]).tuples())
        # An instance built so saves like any other: only what changed, and the row changes.
        user.display_name = "Robert"
        assert user._dirty == {"display_name"}
        user.save()
        assert User.get_by_id(users["bob"]).display_name == "Robert"


def test_a_shape_whose_first_run_finds_nothing_still_builds_its_later_rows_as_peewee_does(org):
    """The reader is set up from the cursor's description, not from a first row (there may be none)."""
    _, users = org
    shape = ("test-first-run-empty", uuid.uuid4().hex)
    with db.connection_context():
        assert prepared_rows(shape, _whole_user, ["no-such-user"]) == []
        [user] = prepared_rows(shape, _whole_user, [users["bob"]])
        [expected] = list(_whole_user(users["bob"]))
        assert user.__data__ == expected.__data__
        assert {k: type(v) for k, v in user.__data__.items()} == {k: type(v) for k, v in expected.__data__.items()}
        joined = ("test-first-run-empty-join", uuid.uuid4().hex)

        def with_org(uid):
            return User.select(User, Org).join(Org).where(User.id == uid)
        assert prepared_rows(joined, with_org, ["no-such-user"]) == []
        [user] = prepared_rows(joined, with_org, [users["bob"]])
        assert user.org.name == list(with_org(users["bob"]))[0].org.name


def test_blob_values_come_back_as_the_driver_gives_them(org):
    _, users = org
    shape = ("test-blob", uuid.uuid4().hex)
    with db.connection_context():
        UserMetadata.create(user=users["bob"], key=f"test-blob-{uuid.uuid4().hex[:6]}", value=b"\x00\xffraw")

        def query(uid):
            return UserMetadata.select(UserMetadata.key, UserMetadata.value).where(UserMetadata.user == uid).tuples()
        for _ in range(2):
            rows = prepared_rows(shape, query, [users["bob"]])
        expected = list(query(users["bob"]))
        assert rows == expected and [type(v) for _, v in rows] == [type(v) for _, v in expected]
        assert b"\x00\xffraw" in [bytes(v) for _, v in rows]


def test_load_row_gives_what_peewee_gives_within_its_org_only(org):
    org_id, users = org
    with db.connection_context():
        other = create_org(f"prepared-other-{uuid.uuid4().hex[:10]}", editor=None).id
        group = create_group(org_id, f"team-{uuid.uuid4().hex[:6]}", editor=None)
        for lock in (False, True, False):  # a second run goes through the prepared statement
            user = load_row(User, org_id, users["ann"], lock=lock)
            expected = User.get_by_id(users["ann"])
            assert user.__data__ == expected.__data__
            assert {k: type(v) for k, v in user.__data__.items()} == {k: type(v) for k, v in expected.__data__.items()}
            assert load_row(Group, org_id, group.id, lock=lock).__data__ == Group.get_by_id(group.id).__data__
            assert load_row(User, other, users["ann"], lock=lock) is None
            assert load_row(Group, other, group.id, lock=lock) is None
            assert load_row(User, org_id, "no-such-user", lock=lock) is None


def test_save_fields_writes_the_named_fields_only_as_peewee_stores_them(org):
    org_id, users = org
    with db.connection_context():
        user = load_row(User, org_id, users["bob"])
        later = utcnow() + datetime.timedelta(days=3, microseconds=7)
        user.state, user.changed_at, user.email_verified = UserState.INACTIVE, later, True
        user.display_name, user.sequence = "not saved", 12345
        save_fields(user, [User.state, User.changed_at, User.email_verified])
        stored = User.get_by_id(users["bob"])
        assert (stored.state, stored.changed_at, stored.email_verified) == (UserState.INACTIVE, later, True)
        assert type(stored.email_verified) is bool and stored.display_name != "not saved"
        assert stored.sequence != 12345
        assert User.get_by_id(users["ann"]).state != UserState.INACTIVE  # one row: the one saved
        # A database refusal is peewee's error, as from save(): callers map a clash to a 409.
        user.username_key = User.get_by_id(users["ann"]).username_key
        with pytest.raises(peewee.IntegrityError), db.atomic():
            save_fields(user, [User.username_key])
