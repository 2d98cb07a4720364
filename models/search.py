"""Turns predicates (models/predicates.py) into SQL over the users tables.

The one place that knows which fields exist, which have a casefolded twin
column (so that case-insensitive lookups use an index), how LIKE patterns are
escaped, and how sorting and paging work.
"""
import dataclasses
import datetime
import operator

import peewee as pw

from .db import marker, prepared_rows, storable
from .errors import InvalidArgument
from .predicates import TRUE, And, AnyOf, Compare, Const, Not, Or, Present
from .tables import Group, GroupMember, Org, User, UserAttr, UserCount, UserMetadata

# userName@<the user's org domain>: ZITADEL's login name (models/orgs.py)
_ORG_DOMAIN = Org.select(Org.domain).where(Org.id == User.org)
LOGIN_NAME = User.username.concat("@").concat(_ORG_DOMAIN)
LOGIN_NAME_KEY = User.username_key.concat("@").concat(_ORG_DOMAIN)

# field -> (column, casefolded twin column or None)
USER_FIELDS = {
    "id": (User.id, None),
    "username": (User.username, User.username_key),
    "login_name": (LOGIN_NAME, LOGIN_NAME_KEY),
    "first_name": (User.first_name, User.first_name_key),
    "last_name": (User.last_name, User.last_name_key),
    "nick_name": (User.nick_name, User.nick_name_key),
    "display_name": (User.display_name, User.display_name_key),
    "preferred_language": (User.preferred_language, None),
    "email": (User.email, User.email_key),
    "phone": (User.phone, None),
    "state": (User.state, None),
    "type": (User.type, None),
    "created_at": (User.created_at, None),
    "changed_at": (User.changed_at, None),
}

ATTR_FIELDS = {
    "value": (UserAttr.value, UserAttr.value_key),
    "type": (UserAttr.type, None),
    "primary": (UserAttr.primary, None),
    "display": (UserAttr.display, None),
}

METADATA_FIELDS = {
    "key": (UserMetadata.key, None),
    "value": (UserMetadata.value, None),
}

GROUP_FIELDS = {
    "id": (Group.id, None),
    "display_name": (Group.display_name, Group.display_name_key),
    "external_id": (Group.external_id, None),
    "created_at": (Group.created_at, None),
    "changed_at": (Group.changed_at, None),
}

MEMBER_FIELDS = {
    "value": (GroupMember.user, None),
}

# a user's groups (SCIM groups.value), read from the memberships
USER_GROUP_FIELDS = {
    "value": (GroupMember.group, None),
}

GROUP_SORT_FIELDS = {
    "id": Group.id,
    "display_name": Group.display_name_key,
    "external_id": Group.external_id,
    "created_at": Group.created_at,
    "changed_at": Group.changed_at,
}

SORT_FIELDS = {
    "id": User.id,
    "username": User.username_key,
    "first_name": User.first_name_key,
    "last_name": User.last_name_key,
    "nick_name": User.nick_name_key,
    "display_name": User.display_name_key,
    "email": User.email_key,
    "state": User.state,
    "type": User.type,
    "created_at": User.created_at,
    "changed_at": User.changed_at,
}


def fold(value):
    """The case rule for every case-insensitive comparison and twin column."""
    return value.casefold() if isinstance(value, str) else value


def _like_escape(text):
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _like(column, pattern):
    return pw.NodeList((column, pw.SQL("LIKE"), pattern, pw.SQL("ESCAPE '\\'")))


def _login_name_equals(node):
    """login name eq "name@domain" as the indexed (org, username_key) lookup it amounts to."""
    username, _, domain = node.value.rpartition("@")
    if not username:
        return pw.SQL("1 = 0")
    in_domain = User.org.in_(Org.select(Org.id).where(Org.domain == fold(domain)))
    if node.ignore_case:
        return in_domain & (User.username_key == fold(username))
    return in_domain & (User.username == username)


def _literal(number):
    """An integer written into the SQL rather than bound.

    SQLite re-prepares a statement on every run when a bound value is compared with a column
    that a partial index's WHERE names (user.type: the machine users' userName index), and for
    a filter through user_attr that cost several times the lookup itself. Integers are written
    as digits, so nothing can be injected; each value is a shape of its own anyway (_shape).
    """
    return pw.SQL(str(number))


def _compare(fields, node):
    if node.field == "login_name" and node.op == "eq" and isinstance(node.value, str) and fields is USER_FIELDS:
        return _login_name_equals(node)
    try:
        column, folded = fields[node.field]
    except KeyError:
        raise InvalidArgument(f"cannot search on {node.field}") from None
    value = node.value
    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
        value = value.astimezone(datetime.UTC).replace(tzinfo=None)
    if node.ignore_case and isinstance(value, str):
        value = fold(value)
        if folded is not None:
            column = folded
        else:
            column = pw.fn.LOWER(column)
    elif node.ignore_case and node.op == "in":
        value = [fold(v) for v in value]
        column = folded if folded is not None else pw.fn.LOWER(column)
    op = node.op
    if type(value) is int and isinstance(column, pw.IntegerField):
        value = _literal(value)
    if op == "eq":
        return column.is_null() if value is None else column == value
    if op == "ne":
        return column.is_null(False) if value is None else ((column != value) | column.is_null())
    if op == "in":
        return column.in_(list(value)) if value else pw.SQL("1 = 0")
    if op in ("co", "sw", "ew"):
        if not isinstance(value, str):
            raise InvalidArgument(f"{op} needs a string value")
        text = _like_escape(value)
        pattern = {"co": f"%{text}%", "sw": f"{text}%", "ew": f"%{text}"}[op]
        return _like(column, pattern)
    if op in ("gt", "ge", "lt", "le"):
        if value is None or isinstance(value, bool):
            raise InvalidArgument(f"{op} cannot compare with {value!r}")
        return {"gt": column > value, "ge": column >= value, "lt": column < value, "le": column <= value}[op]
    raise InvalidArgument(f"unknown operator {op}")


def _balanced(expressions, combine):
    """Combine as a balanced tree: SQL nesting grows with log n, not n (databases cap it)."""
    while len(expressions) > 1:
        paired = [combine(expressions[i], expressions[i + 1]) for i in range(0, len(expressions) - 1, 2)]
        if len(expressions) % 2:
            paired.append(expressions[-1])
        expressions = paired
    return expressions[0]


def _compile(node, fields, collections):
    if isinstance(node, Compare):
        return _compare(fields, node)
    if isinstance(node, Present):
        column, _ = fields.get(node.field, (None, None))
        if column is None:
            raise InvalidArgument(f"cannot search on {node.field}")
        if column.field_type in ("VARCHAR", "TEXT"):
            return column.is_null(False) & (column != "")
        return column.is_null(False)
    if isinstance(node, And):
        return _balanced([_compile(part, fields, collections) for part in node.parts], operator.and_)
    if isinstance(node, Or):
        expr = _balanced([_compile(part, fields, collections) for part in node.parts], operator.or_)
        return pw.NodeList((pw.SQL("("), expr, pw.SQL(")")), glue="")
    if isinstance(node, Not):
        # SQL's NOT of an unknown (a comparison with a NULL column) is unknown, which would drop
        # the rows where the attribute is unassigned; a filter condition is simply false there.
        return ~pw.fn.COALESCE(_compile(node.part, fields, collections), False)
    if isinstance(node, Const):
        return pw.SQL("1 = 1") if node.value else pw.SQL("1 = 0")
    if isinstance(node, AnyOf):
        if collections is None:
            raise InvalidArgument("multi-valued attributes cannot be nested")
        return collections(node)
    raise InvalidArgument(f"unsupported query element {type(node).__name__}")


def _user_collections(org_id):
    """AnyOf over a user's metadata or its indexed SCIM values, as IN (subquery) so an index drives it."""
    def collection(node):
        if node.collection == "metadata":
            sub = UserMetadata.select(UserMetadata.user).where(_compile(node.where, METADATA_FIELDS, None))
        elif node.collection == "groups":
            sub = GroupMember.select(GroupMember.user).where(_compile(node.where, USER_GROUP_FIELDS, None))
        else:
            where = (UserAttr.org_id == org_id) & (UserAttr.attr == node.collection)
            sub = UserAttr.select(UserAttr.user).where(where & _compile(node.where, ATTR_FIELDS, None))
        return User.id.in_(sub)
    return collection


def _group_collections(node):
    if node.collection != "members":
        raise InvalidArgument(f"groups have no {node.collection}")
    sub = GroupMember.select(GroupMember.group).where(_compile(node.where, MEMBER_FIELDS, None))
    return Group.id.in_(sub)


def metadata_condition(predicate):
    """SQL condition on UserMetadata rows (fields: key, value)."""
    return _compile(predicate, METADATA_FIELDS, None)


def user_condition(org_id, predicate):
    """SQL condition: users of org_id that satisfy predicate."""
    return (User.org == org_id) & _compile(predicate, USER_FIELDS, _user_collections(org_id))


def group_condition(org_id, predicate):
    return (Group.org == org_id) & _compile(predicate, GROUP_FIELDS, _group_collections)


def sort_column(field, sort_fields=None):
    try:
        return (sort_fields or SORT_FIELDS)[field]
    except KeyError:
        raise InvalidArgument(f"cannot sort by {field}") from None


def _order(table, sort_fields, sort, ascending):
    """ORDER BY terms: the sort column (NULLs last) if any, then id; and the exact reverse of that."""
    forward, backward = [], []
    if sort is not None:
        column = sort_column(sort, sort_fields)
        forward.append(column.asc(nulls="LAST") if ascending else column.desc(nulls="LAST"))
        backward.append(column.desc(nulls="FIRST") if ascending else column.asc(nulls="FIRST"))
    forward.append(table.id.asc() if ascending else table.id.desc())
    backward.append(table.id.desc() if ascending else table.id.asc())
    return forward, backward


# Comparisons whose value the compiler binds as it is (after folding): their SQL does not
# depend on the value, so a filter that differs only there reuses a prepared statement.
_BOUND_AS_IS = ("eq", "ne", "gt", "ge", "lt", "le")
# The fields inside each collection (AnyOf); any other collection is an indexed SCIM attribute.
_COLLECTION_FIELDS = {"metadata": METADATA_FIELDS, "groups": USER_GROUP_FIELDS, "members": MEMBER_FIELDS}


def _is_text(fields, name):
    """Whether a field binds a string as it is (a text column), as a marker in its place must be."""
    column = fields.get(name, (None, None))[0]
    return isinstance(column, pw.Field) and column.field_type in ("VARCHAR", "TEXT")


def _bound_here(node, fields):
    """Whether a comparison's value is bound as it is, so that a marker can stand in its place."""
    return (isinstance(node.value, str) and node.op in _BOUND_AS_IS and node.field != "login_name"
            and _is_text(fields, node.field))


def _collection_fields(node):
    return _COLLECTION_FIELDS.get(node.collection, ATTR_FIELDS)


def _shape(node, values, fields):
    """What node's prepared SQL depends on, as plain tuples; the values it binds are appended to values.

    Two filters that differ only in values bound as they are have the same shape. Tuples of
    strings hash in C, where the predicate's dataclasses would hash in Python on every lookup.
    """
    if isinstance(node, Compare):
        if _bound_here(node, fields):
            values.append(fold(node.value) if node.ignore_case else node.value)
            return (Compare, node.field, node.op, _BOUND, node.ignore_case)
        return (Compare, node.field, node.op, node.value, node.ignore_case)
    if isinstance(node, (And, Or)):
        return (type(node), *[_shape(part, values, fields) for part in node.parts])
    if isinstance(node, Not):
        return (Not, _shape(node.part, values, fields))
    if isinstance(node, AnyOf):
        return (AnyOf, node.collection, _shape(node.where, values, _collection_fields(node)))
    return node


# Stands for a bound value in a shape; no client's value can be it.
_BOUND = object()


def _template(node, count, fields):
    """node with each value _shape binds replaced by its marker (models/db.py), numbered from count;
    returns (the template, the next number)."""
    if isinstance(node, Compare):
        if _bound_here(node, fields):
            return Compare(node.field, node.op, marker(count), node.ignore_case), count + 1
        return node, count
    if isinstance(node, (And, Or)):
        parts = []
        for part in node.parts:
            part, count = _template(part, count, fields)
            parts.append(part)
        return type(node)(tuple(parts)), count
    if isinstance(node, Not):
        part, count = _template(node.part, count, fields)
        return Not(part), count
    if isinstance(node, AnyOf):
        where, count = _template(node.where, count, _collection_fields(node))
        return AnyOf(node.collection, where), count
    return node, count


@dataclasses.dataclass(frozen=True)
class _Where:
    """A search's condition in prepared form: the same SQL for every filter of one shape.

    values[0] is the organisation, then the values the predicate binds (see _shape).
    """

    table: type
    compile: object  # (org id or its marker, predicate) -> peewee condition
    fields: dict
    predicate: object
    shape: object
    values: tuple

    @classmethod
    def of(cls, table, compile_, fields, org_id, predicate):
        values = [org_id]
        shape = _shape(predicate, values, fields)
        return cls(table, compile_, fields, predicate, shape, tuple(values))

    def rows(self, purpose, make, extra=()):
        """Rows of make(condition, extra values or their markers), prepared per (purpose, shape)."""
        count = len(self.values)

        def build(*markers):
            template, _ = _template(self.predicate, 1, self.fields)
            return make(self.compile(markers[0], template), markers[count:])

        return prepared_rows(
            (self.table, self.compile, purpose, self.shape), build, self.values + extra,
            unprepared=lambda: make(self.compile(self.values[0], self.predicate), extra))

    def count(self):
        table = self.table
        return self.rows("count", lambda condition, _: table.select(pw.fn.COUNT(pw.SQL("*"))).where(condition)
                         .tuples())[0][0]


def _page(where, sort_fields, *, sort, ascending, offset, limit, count, total=None, fields=None):
    """One page; total, when the caller knows it, saves counting the matches.

    fields: the names of the fields to read (all when None); the rows leave the others unset.
    """
    table = where.table
    reverse, skip, take = False, offset or 0, limit
    if count and skip and limit:
        # A deep page needs the total anyway; past the middle, skipping from the far end
        # reads fewer index entries, so a page near the end skips only a few.
        if total is None:
            total = where.count()
        if skip >= total:
            return total, []
        if skip > total // 2:
            reverse, take = True, min(limit, total - skip)
            skip = max(total - skip - limit, 0)

    def page(condition, markers):  # (run only when the statement is built)
        columns = [table._meta.fields[name] for name in fields] if fields else []
        forward, backward = _order(table, sort_fields, sort, ascending)
        if not skip and not reverse:
            rows = table.select(*columns).where(condition).order_by(*forward)
            return rows.limit(markers[-1]) if take is not None else rows
        # The page's ids first, then their rows: skipping matches walks an index of ids alone
        # instead of reading (and discarding) whole rows.
        ids = table.select(table.id).where(condition).order_by(*(backward if reverse else forward))
        if skip:
            ids = ids.offset(markers[0])
        if take is not None:
            ids = ids.limit(markers[-1])
        return table.select(*columns).where(table.id.in_(ids)).order_by(*forward)

    extra = ((skip,) if skip else ()) + ((take,) if take is not None else ())
    purpose = ("page", sort, ascending, reverse, bool(skip), take is None, fields)
    rows = where.rows(purpose, page, extra) if take != 0 else []
    if not count:
        return None, rows
    if total is None:
        if not offset and (limit is None or len(rows) < limit):
            total = len(rows)  # the whole result is on this page: nothing more to count
        else:
            total = where.count()
    return total, rows


def _counted_users(org_id, predicate):
    """The number of users predicate matches, when the kept count answers it (all users, or one type)."""
    if isinstance(predicate, Compare) and predicate.field == "type" and predicate.op == "eq":
        user_type = predicate.value
    elif predicate is None or predicate == TRUE:
        user_type = None
    else:
        return None

    def kept(org):
        query = UserCount.select(pw.fn.COALESCE(pw.fn.SUM(UserCount.n), 0)).where(UserCount.org_id == org)
        return (query if user_type is None else query.where(UserCount.type == user_type)).tuples()

    # the type is part of the shape: an integer column takes no marker
    return int(prepared_rows(("user_count", user_type), kept, [org_id])[0][0])  # PostgreSQL sums BIGINT as NUMERIC


def search_users(org_id, predicate, *, sort=None, ascending=True, offset=0, limit=None, count=True, fields=None):
    """Return (total, users) for one page. total is None when count is False.

    fields: a tuple of the User fields the caller reads (all when None); the others are left unset.
    """
    total = _counted_users(org_id, predicate) if count and (offset or limit is not None) else None
    return _page(_Where.of(User, user_condition, USER_FIELDS, org_id, predicate), SORT_FIELDS, sort=sort,
                 ascending=ascending, offset=offset, limit=limit, count=count, total=total, fields=fields)


def search_groups(org_id, predicate, *, sort=None, ascending=True, offset=0, limit=None, count=True):
    """Return (total, groups) for one page, as search_users."""
    return _page(_Where.of(Group, group_condition, GROUP_FIELDS, org_id, predicate), GROUP_SORT_FIELDS, sort=sort,
                 ascending=ascending, offset=offset, limit=limit, count=count)


# ---------------------------------------------------------------- keyset (cursor) paging
#
# A page is "the rows just beyond a key" in the listing's order, read with
# WHERE <condition> AND <beyond key> ORDER BY ... LIMIT n: the database starts
# at the key instead of counting its way there, so page 1000 costs what page 1
# does. A key is (sort value, id) of a row already returned; id breaks ties, so
# the order is total. NULL sort values come last, as in _page. Default order
# (id) is served by the (org_id, id) indexes (migration 0007); a sortBy column
# by its (org_id, column) index where it has one, else the matches are sorted.

@dataclasses.dataclass(frozen=True)
class Listing:
    """One filtered, ordered listing of a table, read a page at a time by key."""

    table: type
    condition: object
    column: object | None  # the sort column; None orders by id alone
    ascending: bool = True

    def _descending(self, backward):
        return (not self.ascending) != backward

    def _blocks(self, backward):
        """The listing as ranges an index can serve, in travel order: a nullable sort column's values,
        then its NULLs (listed last); otherwise the one range."""
        if self.column is None or not self.column.null:
            return [None]
        blocks = [False, True]  # whether the block is the NULLs
        return blocks[::-1] if backward else blocks

    @property
    def _unique(self):
        """Whether the sort column's values are unique in an organisation (a unique (org, column)
        index): then id need not break ties, and the index alone gives the order."""
        return self.column is not None and any(
            unique and tuple(fields) == ("org", self.column.name) for fields, unique in self.table._meta.indexes)

    def _order(self, nulls, backward):
        descending = self._descending(backward)
        order = [self.table.id.desc() if descending else self.table.id.asc()]
        if self.column is not None and not nulls:
            order.insert(0, self.column.desc() if descending else self.column.asc())
            if self._unique:
                del order[1:]
        return order

    def _beyond(self, key, backward):
        """Rows of the key's block past the key in the direction of travel; values are bound parameters.

        The comparison of (sort value, id) is spelled with a plain range on the sort column in
        front (col >= value AND (col > value OR col = value AND id > key id)), so that an index on
        (org, sort column) starts at the key instead of scanning up to it; a column unique in the
        organisation needs no id at all (col > value).
        """
        value, row_id = key
        step, reach = (operator.lt, operator.le) if self._descending(backward) else (operator.gt, operator.ge)
        past_id = step(self.table.id, row_id)
        if self.column is None:
            return past_id
        if value is None:
            return self.column.is_null() & past_id
        if self._unique:
            return step(self.column, value)
        return reach(self.column, value) & (step(self.column, value) | ((self.column == value) & past_id))

    def fetch(self, key, backward, limit):
        """Up to limit rows past key (None: from the start, or the end when backward), in travel order.

        One LIMITed query per block read (at most two), each a range of an index where there is one.
        """
        blocks = self._blocks(backward)
        if key is not None and blocks != [None]:
            blocks = blocks[blocks.index(key[0] is None):]
        rows = []
        for nulls in blocks:
            condition = self.condition
            if key is not None:
                condition &= self._beyond(key, backward)
            elif nulls is not None:
                condition &= self.column.is_null(nulls)
            query = self.table.select().where(condition).order_by(*self._order(nulls, backward))
            rows.extend(query.limit(limit - len(rows)))
            if len(rows) >= limit:
                break
            key = None
        return rows

    def count(self):
        return self.table.select().where(self.condition).count()

    def key_of(self, row):
        return (None if self.column is None else getattr(row, self.column.name)), row.id

    @staticmethod
    def dump_key(key):
        """A key as JSON values: [sort value, id]."""
        value, row_id = key
        return [value.isoformat() if isinstance(value, datetime.datetime) else value, row_id]

    def parse_key(self, raw):
        """The key from dump_key's JSON, strictly checked against the column; InvalidArgument otherwise."""
        if not (isinstance(raw, list) and len(raw) == 2 and storable(raw[1], self.table.id.max_length)
                and raw[1]):
            raise InvalidArgument("malformed key")
        value, row_id = raw
        column = self.column
        if value is None:
            if column is not None and not column.null:
                raise InvalidArgument("malformed key")
            return None, row_id
        if column is None:
            raise InvalidArgument("malformed key")
        if isinstance(column, pw.DateTimeField) and isinstance(value, str):
            try:
                value = datetime.datetime.fromisoformat(value)
            except ValueError:
                raise InvalidArgument("malformed key") from None
            if value.tzinfo is None:
                return value, row_id
        elif isinstance(column, pw.IntegerField) and isinstance(value, int) and not isinstance(value, bool):
            if -2**63 <= value < 2**63:
                return value, row_id
        elif isinstance(column, pw.CharField) and storable(value, column.max_length):
            return value, row_id
        raise InvalidArgument("malformed key")


def _listing(table, condition, sort_fields, sort, ascending):
    column = sort_column(sort, sort_fields) if sort is not None else None
    if column is table.id:
        column = None
    return Listing(table, condition, column, ascending)


def user_listing(org_id, predicate, *, sort=None, ascending=True):
    return _listing(User, user_condition(org_id, predicate), SORT_FIELDS, sort, ascending)


def group_listing(org_id, predicate, *, sort=None, ascending=True):
    return _listing(Group, group_condition(org_id, predicate), GROUP_SORT_FIELDS, sort, ascending)


@dataclasses.dataclass(frozen=True)
class Position:
    """Where a page starts: next to key in listings[part], forward or backward.

    key None is the start of the part (its end when backward).
    """

    part: int = 0
    key: tuple | None = None
    backward: bool = False


@dataclasses.dataclass(frozen=True)
class CursorPage:
    rows: list  # (part, row) pairs, in listing order
    next: Position | None  # None: this is the last page
    previous: Position | None  # None: this is the first page


def cursor_page(listings, position, limit):
    """One page of limit rows from listings read one after another, from position.

    Only LIMITed range queries, at most two for each part touched, whatever the depth.
    """
    if limit <= 0:
        return CursorPage([], None, None)
    collected, more = [], False
    part, key, backward = position.part, position.key, position.backward
    while 0 <= part < len(listings):
        wanted = limit - len(collected)
        # One row more than wanted says whether anything lies beyond the page.
        rows = listings[part].fetch(key, backward, wanted + 1)
        collected += [(part, row) for row in rows[:wanted]]
        if len(rows) > wanted:
            more = True
            break
        part, key = part + (-1 if backward else 1), None
    if backward:
        collected.reverse()

    def at(index, toward_back):
        found_part, row = collected[index]
        return Position(found_part, listings[found_part].key_of(row), toward_back)

    # The row at position.key was on the page the cursor came from, so the other side has rows.
    came_from = Position(position.part, position.key, not backward) if position.key is not None else None
    if not collected:
        return CursorPage([], came_from if backward else None, None if backward else came_from)
    first, last = at(0, True), at(-1, False)
    if backward:
        return CursorPage(collected, last, first if more else None)
    return CursorPage(collected, last if more else None, first if position.key is not None else None)
