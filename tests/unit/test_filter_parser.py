"""Tests for scim.filter_parser (RFC 7644 §3.4.2.2 filters and §3.5.2 PATCH paths)."""

import contextlib
import json
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scim.filter_parser import (
    MAX_DEPTH,
    MAX_FILTER_LENGTH,
    MAX_TERMS,
    AttrPath,
    Comparison,
    FilterError,
    LogicalAnd,
    LogicalOr,
    Negation,
    PatchPath,
    PathError,
    Presence,
    ValuePath,
    parse_filter,
    parse_path,
)

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
NODE_TYPES = (Comparison, Presence, LogicalAnd, LogicalOr, Negation, ValuePath)


def p(attr, sub=None, urn=None):
    return AttrPath(urn=urn, attr=attr, sub_attr=sub)


def cmp(attr, op, value, sub=None, urn=None):
    return Comparison(p(attr, sub, urn), op, value)


def pr(attr, sub=None, urn=None):
    return Presence(p(attr, sub, urn))


def fast(fn, limit=1.0):
    """Run fn and assert it finished well inside the time limit (seconds)."""
    start = time.perf_counter()
    result = fn()
    assert time.perf_counter() - start < limit
    return result


# --------------------------------------------------------------------------- operators


@pytest.mark.parametrize("op", ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"])
def test_every_comparison_operator(op):
    assert parse_filter(f'userName {op} "bjensen"') == cmp("userName", op, "bjensen")


@pytest.mark.parametrize("op", ["EQ", "Eq", "eQ", "NE", "Co", "SW", "eW", "GT", "Ge", "LT", "lE"])
def test_operators_are_case_insensitive_and_normalised_to_lower_case(op):
    assert parse_filter(f'userName {op} "x"') == cmp("userName", op.lower(), "x")


@pytest.mark.parametrize("word", ["pr", "PR", "Pr"])
def test_presence(word):
    assert parse_filter(f"title {word}") == pr("title")


def test_attribute_case_is_preserved():
    assert parse_filter('UserName eq "x"') == cmp("UserName", "eq", "x")
    assert parse_filter('NAME.GivenName eq "x"') == cmp("NAME", "eq", "x", sub="GivenName")


@pytest.mark.parametrize(
    "text",
    [
        "a eq 1 AND b eq 2",
        "a eq 1 And b eq 2",
        "a eq 1 aNd b eq 2",
    ],
)
def test_and_is_case_insensitive(text):
    assert parse_filter(text) == LogicalAnd(cmp("a", "eq", 1), cmp("b", "eq", 2))


@pytest.mark.parametrize("word", ["or", "OR", "Or", "oR"])
def test_or_is_case_insensitive(word):
    assert parse_filter(f"a pr {word} b pr") == LogicalOr(pr("a"), pr("b"))


@pytest.mark.parametrize("word", ["not", "NOT", "Not", "nOt"])
def test_not_is_case_insensitive(word):
    assert parse_filter(f"{word} (a pr)") == Negation(pr("a"))


# -------------------------------------------------------------------- precedence/grouping


def test_and_binds_tighter_than_or():
    expected = LogicalOr(cmp("a", "eq", 1), LogicalAnd(cmp("b", "eq", 2), cmp("c", "eq", 3)))
    assert parse_filter("a eq 1 or b eq 2 and c eq 3") == expected


def test_and_binds_tighter_than_or_on_the_left():
    expected = LogicalOr(LogicalAnd(cmp("a", "eq", 1), cmp("b", "eq", 2)), cmp("c", "eq", 3))
    assert parse_filter("a eq 1 and b eq 2 or c eq 3") == expected


def test_and_is_left_associative():
    assert parse_filter("a pr and b pr and c pr") == LogicalAnd(LogicalAnd(pr("a"), pr("b")), pr("c"))


def test_or_is_left_associative():
    assert parse_filter("a pr or b pr or c pr") == LogicalOr(LogicalOr(pr("a"), pr("b")), pr("c"))


def test_parentheses_override_precedence():
    expected = LogicalAnd(LogicalOr(pr("a"), pr("b")), pr("c"))
    assert parse_filter("(a pr or b pr) and c pr") == expected


def test_redundant_parentheses_produce_no_nodes():
    assert parse_filter("((((a pr))))") == pr("a")


def test_not_binds_tighter_than_and():
    assert parse_filter("not (a pr) and b pr") == LogicalAnd(Negation(pr("a")), pr("b"))


def test_not_without_space():
    assert parse_filter("not(a pr)") == Negation(pr("a"))
    assert parse_filter("a pr and not(b pr)") == LogicalAnd(pr("a"), Negation(pr("b")))


def test_nested_not():
    assert parse_filter("not (not (a pr))") == Negation(Negation(pr("a")))


def test_not_wraps_a_whole_expression():
    assert parse_filter("not (a pr or b pr and c pr)") == Negation(
        LogicalOr(pr("a"), LogicalAnd(pr("b"), pr("c")))
    )


def test_parentheses_without_surrounding_whitespace():
    assert parse_filter('(a eq "x")and(b eq "y")') == LogicalAnd(cmp("a", "eq", "x"), cmp("b", "eq", "y"))


def test_keyword_prefix_of_attribute_name_is_not_a_keyword():
    # "order"/"android" start with "or"/"and" and must be read as trailing garbage, not keywords.
    with pytest.raises(FilterError):
        parse_filter("a pr order pr")
    with pytest.raises(FilterError):
        parse_filter("a pr android pr")


def test_attributes_named_like_keywords():
    assert parse_filter("and eq 1") == cmp("and", "eq", 1)
    assert parse_filter("or pr or and pr") == LogicalOr(pr("or"), pr("and"))


# --------------------------------------------------------------------------- value paths


def test_simple_value_path():
    assert parse_filter('emails[type eq "work"]') == ValuePath(p("emails"), cmp("type", "eq", "work"))


def test_value_path_with_and_or_not_and_parentheses_inside():
    text = 'emails[(type eq "work" or type eq "home") and not (value ew ".org") and primary eq true]'
    inner = LogicalAnd(
        LogicalAnd(
            LogicalOr(cmp("type", "eq", "work"), cmp("type", "eq", "home")),
            Negation(cmp("value", "ew", ".org")),
        ),
        cmp("primary", "eq", True),
    )
    assert parse_filter(text) == ValuePath(p("emails"), inner)


def test_value_path_combined_with_other_expressions():
    text = 'active eq true and (emails[type eq "work"] or not (phoneNumbers[type eq "mobile"]))'
    expected = LogicalAnd(
        cmp("active", "eq", True),
        LogicalOr(
            ValuePath(p("emails"), cmp("type", "eq", "work")),
            Negation(ValuePath(p("phoneNumbers"), cmp("type", "eq", "mobile"))),
        ),
    )
    assert parse_filter(text) == expected


def test_value_path_with_urn_attribute():
    assert parse_filter(f'{CORE_USER}:emails[type eq "work"]') == ValuePath(
        p("emails", urn=CORE_USER), cmp("type", "eq", "work")
    )


def test_value_path_with_whitespace_inside_brackets():
    assert parse_filter('emails[  type eq "work"  ]') == ValuePath(p("emails"), cmp("type", "eq", "work"))


def test_entra_value_path_with_trailing_sub_attribute_comparison():
    expected = ValuePath(
        p("emails"),
        LogicalAnd(cmp("type", "eq", "work"), cmp("value", "eq", "x")),
    )
    assert parse_filter('emails[type eq "work"].value eq "x"') == expected


def test_entra_value_path_with_trailing_sub_attribute_presence():
    expected = ValuePath(p("emails"), LogicalAnd(cmp("type", "eq", "work"), pr("value")))
    assert parse_filter('emails[type eq "work"].value pr') == expected


def test_entra_trailing_condition_is_anded_with_whole_bracket_filter():
    expected = ValuePath(
        p("addresses"),
        LogicalAnd(
            LogicalOr(cmp("type", "eq", "work"), cmp("type", "eq", "home")),
            cmp("locality", "co", "Paris"),
        ),
    )
    assert parse_filter('addresses[type eq "work" or type eq "home"].locality co "Paris"') == expected


def test_entra_form_inside_a_larger_filter():
    expected = LogicalAnd(
        ValuePath(p("emails"), LogicalAnd(cmp("type", "eq", "work"), cmp("value", "eq", "x"))),
        cmp("active", "eq", True),
    )
    assert parse_filter('emails[type eq "work"].value eq "x" and active eq true') == expected


# -------------------------------------------------------------------------- attribute paths


def test_urn_qualified_attribute():
    assert parse_filter(f'{ENTERPRISE}:employeeNumber eq "701984"') == cmp(
        "employeeNumber", "eq", "701984", urn=ENTERPRISE
    )


def test_urn_qualified_manager_value():
    assert parse_filter(f'{ENTERPRISE}:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d"') == cmp(
        "manager", "eq", "26118915-6090-4610-87e4-49d8ca9f808d", sub="value", urn=ENTERPRISE
    )


def test_urn_qualified_core_sub_attribute():
    assert parse_filter(f'{CORE_USER}:name.givenName eq "Barbara"') == cmp(
        "name", "eq", "Barbara", sub="givenName", urn=CORE_USER
    )


def test_urn_prefix_is_case_insensitive_and_kept_as_written():
    urn = "URN:ietf:params:scim:schemas:core:2.0:User"
    assert parse_filter(f"{urn}:userName pr") == pr("userName", urn=urn)


def test_custom_urn():
    urn = "urn:example:params:scim:schemas:extension:acme-corp_v1.2:User"
    assert parse_filter(f"{urn}:badge-Id eq 7") == cmp("badge-Id", "eq", 7, urn=urn)


def test_meta_last_modified_is_an_ordinary_sub_attribute():
    assert parse_filter('meta.lastModified gt "2011-05-13T04:42:34Z"') == cmp(
        "meta", "gt", "2011-05-13T04:42:34Z", sub="lastModified"
    )


def test_attribute_names_with_digits_dash_underscore():
    assert parse_filter("x_1-a.b-2_c pr") == pr("x_1-a", sub="b-2_c")


def test_ref_attribute_names():
    assert parse_filter('members.$ref eq "https://x/Users/1"') == cmp(
        "members", "eq", "https://x/Users/1", sub="$ref"
    )
    assert parse_filter("$ref pr") == pr("$ref")
    assert parse_filter('members[$ref co "Users"]') == ValuePath(p("members"), cmp("$ref", "co", "Users"))


# --------------------------------------------------------------------------------- values


@pytest.mark.parametrize(
    ("literal", "expected"),
    [
        ('"bjensen"', "bjensen"),
        ('""', ""),
        ('"O\'Malley"', "O'Malley"),
        (r'"a\"b"', 'a"b'),
        (r'"a\\b"', "a\\b"),
        (r'"a\/b"', "a/b"),
        (r'"\b\f\n\r\t"', "\b\f\n\r\t"),
        (r'"\u00e9t\u00C9"', "\u00e9t\u00c9"),
        (r'"\ud83d\ude00"', "\U0001f600"),
        ('"caf\u00e9 \u4e2d\u6587 \U0001f600"', "caf\u00e9 \u4e2d\u6587 \U0001f600"),
        ('"with spaces ) and ] and ( and ["', "with spaces ) and ] and ( and ["),
        ('"and or not pr eq"', "and or not pr eq"),
        ("0", 0),
        ("42", 42),
        ("-17", -17),
        ("-0", 0),
        ("3.25", 3.25),
        ("-0.5", -0.5),
        ("1e3", 1000.0),
        ("1E+3", 1000.0),
        ("2.5e-3", 0.0025),
        ("123456789012345678901234567890", 123456789012345678901234567890),
        ("true", True),
        ("false", False),
        ("null", None),
        ("TRUE", True),
        ("False", False),
        ("NULL", None),
        ("nUlL", None),
    ],
)
def test_json_values(literal, expected):
    result = parse_filter(f"attr eq {literal}")
    assert result == cmp("attr", "eq", expected)
    assert type(result.value) is type(expected)


def test_float_exponent_without_fraction_is_float():
    assert isinstance(parse_filter("a eq 1e2").value, float)


def test_string_value_immediately_after_operator():
    assert parse_filter('userName eq"x"') == cmp("userName", "eq", "x")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("userName sw O", cmp("userName", "sw", "O")),
        ("name.familyName eq Employee", cmp("name", "eq", "Employee", sub="familyName")),
        (
            "meta.created gt 2015-10-10T14:38:21.8617979-07:00",
            cmp("meta", "gt", "2015-10-10T14:38:21.8617979-07:00", sub="created"),
        ),
        ("emails.value co example.com", cmp("emails", "co", "example.com", sub="value")),
        ("userName eq user@example.com", cmp("userName", "eq", "user@example.com")),
        ('userName eq a"b', cmp("userName", "eq", 'a"b')),
        ("userName eq a(b[c", cmp("userName", "eq", "a(b[c")),
        ("zip eq 01234", cmp("zip", "eq", "01234")),
        ("a eq 1.", cmp("a", "eq", "1.")),
        ("a eq +1", cmp("a", "eq", "+1")),
        ("a eq 1.5abc", cmp("a", "eq", "1.5abc")),
        ("a eq truex", cmp("a", "eq", "truex")),
        ("a eq nullable", cmp("a", "eq", "nullable")),
        ("a eq and", cmp("a", "eq", "and")),
        ("a eq caf\u00e9", cmp("a", "eq", "caf\u00e9")),
    ],
)
def test_bare_word_values_are_strings(text, expected):
    assert parse_filter(text) == expected


def test_bare_word_ends_at_close_paren_and_bracket():
    assert parse_filter("(userName eq O)") == cmp("userName", "eq", "O")
    assert parse_filter("emails[value co example.com]") == ValuePath(
        p("emails"), cmp("value", "co", "example.com")
    )
    assert parse_filter("userName sw O and title pr") == LogicalAnd(cmp("userName", "sw", "O"), pr("title"))


# ----------------------------------------------------------------------------- whitespace


@pytest.mark.parametrize(
    "text",
    [
        '   userName eq "x"   ',
        '\tuserName\t\teq\t"x"\t',
        'userName     eq      "x"',
        '\r\nuserName eq "x"\r\n',
    ],
)
def test_whitespace_is_flexible(text):
    assert parse_filter(text) == cmp("userName", "eq", "x")


def test_whitespace_around_keywords_and_parentheses():
    assert parse_filter("  (  a pr  )\tand\t\tnot  (  b pr  )  ") == LogicalAnd(pr("a"), Negation(pr("b")))


# ------------------------------------------------------------------------ RFC 7644 examples


RFC_EXAMPLES = [
    ('userName eq "bjensen"', cmp("userName", "eq", "bjensen")),
    ('name.familyName co "O\'Malley"', cmp("name", "co", "O'Malley", sub="familyName")),
    ('userName sw "J"', cmp("userName", "sw", "J")),
    (f'{CORE_USER}:userName sw "J"', cmp("userName", "sw", "J", urn=CORE_USER)),
    ("title pr", pr("title")),
    (
        'meta.lastModified gt "2011-05-13T04:42:34Z"',
        cmp("meta", "gt", "2011-05-13T04:42:34Z", "lastModified"),
    ),
    (
        'meta.lastModified ge "2011-05-13T04:42:34Z"',
        cmp("meta", "ge", "2011-05-13T04:42:34Z", "lastModified"),
    ),
    (
        'meta.lastModified lt "2011-05-13T04:42:34Z"',
        cmp("meta", "lt", "2011-05-13T04:42:34Z", "lastModified"),
    ),
    (
        'meta.lastModified le "2011-05-13T04:42:34Z"',
        cmp("meta", "le", "2011-05-13T04:42:34Z", "lastModified"),
    ),
    ('title pr and userType eq "Employee"', LogicalAnd(pr("title"), cmp("userType", "eq", "Employee"))),
    ('title pr or userType eq "Intern"', LogicalOr(pr("title"), cmp("userType", "eq", "Intern"))),
    (f'schemas eq "{ENTERPRISE}"', cmp("schemas", "eq", ENTERPRISE)),
    (
        'userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")',
        LogicalAnd(
            cmp("userType", "eq", "Employee"),
            LogicalOr(cmp("emails", "co", "example.com"), cmp("emails", "co", "example.org", "value")),
        ),
    ),
    (
        'userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")',
        LogicalAnd(
            cmp("userType", "ne", "Employee"),
            Negation(
                LogicalOr(cmp("emails", "co", "example.com"), cmp("emails", "co", "example.org", "value"))
            ),
        ),
    ),
    (
        'userType eq "Employee" and (emails.type eq "work")',
        LogicalAnd(cmp("userType", "eq", "Employee"), cmp("emails", "eq", "work", "type")),
    ),
    (
        'userType eq "Employee" and emails[type eq "work" and value co "@example.com"]',
        LogicalAnd(
            cmp("userType", "eq", "Employee"),
            ValuePath(p("emails"), LogicalAnd(cmp("type", "eq", "work"), cmp("value", "co", "@example.com"))),
        ),
    ),
    (
        ('emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]'),
        LogicalOr(
            ValuePath(p("emails"), LogicalAnd(cmp("type", "eq", "work"), cmp("value", "co", "@example.com"))),
            ValuePath(p("ims"), LogicalAnd(cmp("type", "eq", "xmpp"), cmp("value", "co", "@foo.com"))),
        ),
    ),
]


@pytest.mark.parametrize(("text", "expected"), RFC_EXAMPLES, ids=[t for t, _ in RFC_EXAMPLES])
def test_rfc_7644_examples(text, expected):
    assert parse_filter(text) == expected


# ---------------------------------------------------------------------------- filter errors


FILTER_ERRORS = [
    # (filter, fragment expected in the message)
    ('userName eq "bjensen', "unterminated string"),
    ('userName eq "bjensen\\"', "unterminated string"),
    ('userName eq "x\\', "unterminated string"),
    ('(userName eq "x"', 'missing ")"'),
    ("((a pr) and (b pr)", 'missing ")"'),
    ('userName eq "x")', 'unexpected token ")"'),
    ("a pr))", 'unexpected token ")"'),
    (")", 'unexpected token ")"'),
    ('emails[type eq "work"', 'missing "]"'),
    ('type eq "work"]', 'unexpected token "]"'),
    ('emails[type eq "work")', 'unexpected token ")"'),
    ('(emails[type eq "work")]', 'unexpected token ")"'),
    ("[a pr]", 'unexpected token "["'),
    ("userName eq", 'missing value after operator "eq"'),
    ("userName eq   ", 'missing value after operator "eq"'),
    ("(userName eq)", 'missing value after operator "eq"'),
    ("emails[value eq]", 'missing value after operator "eq"'),
    ("userName eq (x)", 'unexpected token "("'),
    ("userName eq [x]", 'unexpected token "["'),
    ('userName equals "x"', 'unknown operator "equals"'),
    ('userName == "x"', 'unknown operator "=="'),
    ('userName EQUALS "x"', 'unknown operator "EQUALS"'),
    ('userName "x"', "expected a comparison operator"),
    ("userName", "expected a comparison operator"),
    ("userName (", "expected a comparison operator"),
    ('title pr "x"', '"pr" does not take a value'),
    ("title pr x", '"pr" does not take a value'),
    ("title pr 1", '"pr" does not take a value'),
    ('userName eq "x" garbage', 'unexpected token "garbage"'),
    ('userName eq "x"y', 'unexpected token "y"'),
    ('userName eq "x" "y"', "unexpected string"),
    ('userName eq "x" and', "unexpected end of filter"),
    ('userName eq "x" or ', "unexpected end of filter"),
    ('userName eq "x" and or b pr', 'unknown operator "b"'),
    ('not userName eq "x"', '"not" must be followed by a parenthesised expression'),
    ("not", '"not" must be followed by a parenthesised expression'),
    ("a pr and not", '"not" must be followed by a parenthesised expression'),
    ("()", 'unexpected token ")"'),
    ("emails[]", 'unexpected token "]"'),
    ('emails[type eq "work"][value eq "x"]', 'unexpected token "["'),
    ('emails[type eq "work"] eq "x"', 'unexpected token "eq"'),
    ('emails[x[type eq "work"]]', "value filters cannot be nested"),
    ('emails[type eq "work" and ims[type eq "x"]]', "value filters cannot be nested"),
    ('emails[type eq "work"].value', "expected a comparison operator"),
    ('emails[type eq "work"].', 'a sub-attribute name after "."'),
    ('emails[type eq "work"].1x eq "a"', 'invalid sub-attribute name "1x"'),
    ('emails[type eq "work"].value[type eq "x"]', "expected a comparison operator"),
    ('name.givenName[type eq "x"]', "value filter must follow a plain attribute"),
    (f'emails[{CORE_USER}:type eq "work"]', "must be a plain sub-attribute name"),
    ('emails[type.value eq "work"]', "must be a plain sub-attribute name"),
    ("1abc eq 2", 'invalid attribute path "1abc"'),
    ("a.b.c eq 1", 'invalid attribute path "a.b.c"'),
    ("a. eq 1", 'invalid attribute path "a."'),
    (".a eq 1", 'invalid attribute path ".a"'),
    ("a..b eq 1", 'invalid attribute path "a..b"'),
    ("user$name eq 1", "invalid attribute path"),
    ("caf\u00e9 eq 1", "invalid attribute path"),
    ("urn:userName eq 1", "invalid schema URN"),
    ("urn::userName eq 1", "invalid schema URN"),
    (f"{ENTERPRISE}: eq 1", "invalid attribute path"),
    (f"{ENTERPRISE}:a.b.c eq 1", "invalid attribute path"),
    ('"userName" eq "x"', "unexpected string"),
    ("and", "expected a comparison operator"),
    (r'a eq "\x"', "invalid string literal"),
    (r'a eq "\u12"', "invalid string literal"),
    (r'a eq "\u12zz"', "invalid string literal"),
    ('a eq "tab\there"', "invalid string literal"),
    ('a eq "nl\nhere"', "invalid string literal"),
    (r'a eq "\ud800"', "unpaired UTF-16 surrogate"),
    (r'a eq "\udc00x"', "unpaired UTF-16 surrogate"),
    ('a eq "\ud800"', "unpaired UTF-16 surrogate"),
    ("a eq x\ud800", "unpaired UTF-16 surrogate"),
    (r'a eq "\u0000"', "U+0000"),
    ("a eq x\x00y", "control characters"),
    ("a eq x\x01y", "control characters"),
    ("a eq 1e999", "out of range"),
    ("a eq -1e999", "out of range"),
    ("", "filter is empty"),
    ("   \t  ", "filter is empty"),
]


@pytest.mark.parametrize(("text", "fragment"), FILTER_ERRORS, ids=[repr(t) for t, _ in FILTER_ERRORS])
def test_filter_errors(text, fragment):
    with pytest.raises(FilterError) as excinfo:
        parse_filter(text)
    assert fragment in str(excinfo.value)


def test_error_message_reports_one_based_position():
    with pytest.raises(FilterError, match=r'^unexpected token "\]" at position 15$'):
        parse_filter('type eq "work"]')
    with pytest.raises(FilterError, match=r'^unknown operator "equals" at position 10$'):
        parse_filter('userName equals "x"')


def test_long_tokens_are_truncated_in_messages():
    with pytest.raises(FilterError) as excinfo:
        parse_filter("a pr " + "x" * 1000)
    assert len(str(excinfo.value)) < 200


def test_error_types_are_value_errors():
    assert issubclass(FilterError, ValueError)
    assert issubclass(PathError, ValueError)
    assert not issubclass(FilterError, PathError)
    assert not issubclass(PathError, FilterError)


@pytest.mark.parametrize("value", [None, b'userName eq "x"', 42, ["a pr"]])
def test_non_string_input_is_rejected(value):
    with pytest.raises(FilterError, match="must be a string"):
        parse_filter(value)
    with pytest.raises(PathError, match="must be a string"):
        parse_path(value)


def test_huge_integer_is_rejected_cleanly():
    with pytest.raises(FilterError, match="too many digits"):
        parse_filter("a eq " + "9" * 5000, max_length=10_000)


# ---------------------------------------------------------------------------------- limits


def test_default_limits():
    assert MAX_FILTER_LENGTH == 4096
    assert MAX_DEPTH == 32


def test_filter_at_max_length_is_accepted():
    text = 'userName eq "' + "x" * (MAX_FILTER_LENGTH - 14) + '"'
    assert len(text) == MAX_FILTER_LENGTH
    assert parse_filter(text).value == "x" * (MAX_FILTER_LENGTH - 14)


def test_filter_over_max_length_is_rejected_with_limit_in_message():
    text = 'userName eq "' + "x" * MAX_FILTER_LENGTH + '"'
    with pytest.raises(FilterError, match="4096"):
        parse_filter(text)


def test_custom_max_length():
    with pytest.raises(FilterError, match="10"):
        parse_filter('userName eq "x"', max_length=10)
    with pytest.raises(PathError, match="5"):
        parse_path("userName", max_length=5)


def test_ten_thousand_character_quoted_value():
    text = 'userName eq "' + "v" * 10_000 + '"'
    result = fast(lambda: parse_filter(text, max_length=20_000))
    assert result == cmp("userName", "eq", "v" * 10_000)
    with pytest.raises(FilterError, match=str(MAX_FILTER_LENGTH)):
        fast(lambda: parse_filter(text))


def test_ten_thousand_escapes_in_a_value():
    text = 'a eq "' + "\\n\\u00e9" * 2_000 + '"'
    assert fast(lambda: parse_filter(text, max_length=20_000)).value == "\n\u00e9" * 2_000


def test_ten_thousand_character_unterminated_value():
    text = 'a eq "' + "\\\\" * 5_000
    with pytest.raises(FilterError, match="unterminated"):
        fast(lambda: parse_filter(text, max_length=20_000))


def test_ten_thousand_character_bare_value():
    text = "a eq " + "w" * 10_000
    assert fast(lambda: parse_filter(text, max_length=20_000)).value == "w" * 10_000


def test_five_thousand_nested_parentheses_are_rejected_quickly():
    text = "(" * 5_000 + "a pr" + ")" * 5_000
    with pytest.raises(FilterError, match=f"maximum nesting depth is {MAX_DEPTH}"):
        fast(lambda: parse_filter(text, max_length=100_000))
    with pytest.raises(FilterError, match="4096"):
        fast(lambda: parse_filter(text))


def test_five_thousand_unbalanced_open_parentheses_are_rejected_quickly():
    with pytest.raises(FilterError, match="nested too deeply"):
        fast(lambda: parse_filter("(" * 5_000, max_length=100_000))


def test_five_thousand_nested_nots_are_rejected_quickly():
    text = "not (" * 5_000 + "a pr" + ")" * 5_000
    with pytest.raises(FilterError, match="nested too deeply"):
        fast(lambda: parse_filter(text, max_length=100_000))


def test_depth_limit_boundary():
    ok = "(" * MAX_DEPTH + "a pr" + ")" * MAX_DEPTH
    assert parse_filter(ok) == pr("a")
    too_deep = "(" * (MAX_DEPTH + 1) + "a pr" + ")" * (MAX_DEPTH + 1)
    with pytest.raises(FilterError, match="32"):
        parse_filter(too_deep)


def test_parentheses_not_and_brackets_count_together():
    # 10 parens + 10 "not (" + 1 bracket + 11 parens inside the bracket = 32 levels.
    def build(inner_parens):
        return (
            "(" * 10
            + "not (" * 10
            + "emails["
            + "(" * inner_parens
            + 'type eq "w"'
            + ")" * inner_parens
            + "]"
            + ")" * 20
        )

    assert isinstance(parse_filter(build(11)), (Negation, ValuePath))
    with pytest.raises(FilterError, match="nested too deeply"):
        parse_filter(build(12))


def test_custom_max_depth():
    assert parse_filter("a pr", max_depth=0) == pr("a")
    with pytest.raises(FilterError, match="maximum nesting depth is 0"):
        parse_filter("(a pr)", max_depth=0)
    with pytest.raises(FilterError):
        parse_filter('emails[type eq "x"]', max_depth=0)
    assert parse_filter("((a pr))", max_depth=2) == pr("a")


def test_depth_beyond_the_interpreter_stack_is_still_a_filter_error():
    text = "(" * 5_000 + "a pr" + ")" * 5_000
    try:
        result = parse_filter(text, max_length=100_000, max_depth=10**6)
    except FilterError:
        return
    assert result == pr("a")


def test_condition_count_limit():
    assert MAX_TERMS == 100
    at_limit = " or ".join(["a pr"] * MAX_TERMS)
    assert isinstance(parse_filter(at_limit), LogicalOr)
    with pytest.raises(FilterError, match=f"maximum of {MAX_TERMS} conditions"):
        parse_filter(at_limit + " or a pr")
    # The Entra trailing condition counts too.
    with pytest.raises(FilterError, match="maximum of 1 conditions"):
        parse_filter('emails[type eq "work"].value eq "x"', max_terms=1)
    with pytest.raises(PathError, match="maximum of 1 conditions"):
        parse_path("emails[type eq a and value eq b]", max_terms=1)


def test_longest_flat_chain_under_default_length_is_rejected_quickly():
    text = " or ".join(["a pr"] * 512)
    assert len(text) < MAX_FILTER_LENGTH
    with pytest.raises(FilterError, match="conditions"):
        fast(lambda: parse_filter(text))
    assert isinstance(fast(lambda: parse_filter(text, max_terms=1_000)), LogicalOr)


def test_ast_within_default_limits_is_safe_to_compare():
    text = " and ".join(["not (" * 31 + f"a{i} pr" + ")" * 31 for i in range(MAX_TERMS)])
    assert parse_filter(text, max_length=100_000) == parse_filter(text, max_length=100_000)


# ------------------------------------------------------------------------------ parse_path


PATH_CASES = [
    ("members", PatchPath(p("members"), None, None)),
    ("userName", PatchPath(p("userName"), None, None)),
    ("name.familyName", PatchPath(p("name", "familyName"), None, None)),
    ("  name.givenName\t", PatchPath(p("name", "givenName"), None, None)),
    (
        'addresses[type eq "work"]',
        PatchPath(p("addresses"), cmp("type", "eq", "work"), None),
    ),
    (
        'members[value eq "2819c223-7f76-453a-919d-413861904646"]',
        PatchPath(p("members"), cmp("value", "eq", "2819c223-7f76-453a-919d-413861904646"), None),
    ),
    (
        'members[value eq "2819c223-7f76-453a-919d-413861904646"].displayName',
        PatchPath(p("members"), cmp("value", "eq", "2819c223-7f76-453a-919d-413861904646"), "displayName"),
    ),
    (
        'emails[type eq "work"].value',
        PatchPath(p("emails"), cmp("type", "eq", "work"), "value"),
    ),
    (
        'emails[type eq "work" and primary eq true].value',
        PatchPath(p("emails"), LogicalAnd(cmp("type", "eq", "work"), cmp("primary", "eq", True)), "value"),
    ),
    (
        "emails[not (type eq work) or value pr]",
        PatchPath(p("emails"), LogicalOr(Negation(cmp("type", "eq", "work")), pr("value")), None),
    ),
    (f"{ENTERPRISE}:manager", PatchPath(p("manager", urn=ENTERPRISE), None, None)),
    (f"{ENTERPRISE}:manager.value", PatchPath(p("manager", "value", ENTERPRISE), None, None)),
    (f"{ENTERPRISE}:employeeNumber", PatchPath(p("employeeNumber", urn=ENTERPRISE), None, None)),
    (f"{CORE_USER}:name.givenName", PatchPath(p("name", "givenName", CORE_USER), None, None)),
    (
        f'{CORE_USER}:emails[type eq "work"].value',
        PatchPath(p("emails", urn=CORE_USER), cmp("type", "eq", "work"), "value"),
    ),
    ("members.$ref", PatchPath(p("members", "$ref"), None, None)),
]


@pytest.mark.parametrize(("text", "expected"), PATH_CASES, ids=[t for t, _ in PATH_CASES])
def test_parse_path(text, expected):
    assert parse_path(text) == expected


PATH_ERRORS = [
    ("", "path is empty"),
    ("   ", "path is empty"),
    ("a.b.c", 'invalid attribute path "a.b.c"'),
    ("name.", "invalid attribute path"),
    ("1name", "invalid attribute path"),
    ("urn:foo", "invalid schema URN"),
    ("userName extra", 'unexpected token "extra"'),
    ('userName eq "x"', "cannot contain a filter outside square brackets"),
    ("title pr", "cannot contain a filter outside square brackets"),
    ('emails[type eq "work"] eq "x"', "cannot contain a filter outside square brackets"),
    ("emails [type eq work]", 'unexpected token "["'),
    ('emails[type eq "work"]x', 'unexpected token "x"'),
    ('emails[type eq "work"].value.x', 'invalid sub-attribute name "value.x"'),
    ('emails[type eq "work"].', 'a sub-attribute name after "."'),
    ('emails[type eq "work"][primary eq true]', 'unexpected token "["'),
    ('emails[type eq "work"', 'missing "]"'),
    ("emails[]", 'unexpected token "]"'),
    ("emails[type eq]", 'missing value after operator "eq"'),
    ('emails[type equals "x"]', 'unknown operator "equals"'),
    ('emails[type eq "x]', "unterminated string"),
    ('emails[x[type eq "w"]]', "value filters cannot be nested"),
    ('name.givenName[type eq "x"]', "value filter must follow a plain attribute"),
    ("(userName)", 'unexpected token "("'),
    ('"userName"', "unexpected string"),
    ("]", 'unexpected token "]"'),
    ("emails[(" + "(" * 40 + "a pr" + ")" * 41 + "]", "nested too deeply"),
]


@pytest.mark.parametrize(("text", "fragment"), PATH_ERRORS, ids=[repr(t) for t, _ in PATH_ERRORS])
def test_parse_path_errors(text, fragment):
    with pytest.raises(PathError) as excinfo:
        parse_path(text)
    assert fragment in str(excinfo.value)


def test_parse_path_length_limit():
    with pytest.raises(PathError, match="4096"):
        parse_path("a" * 5_000)


# ------------------------------------------------------------------------------ properties


@settings(max_examples=400, deadline=None)
@given(st.text())
def test_parse_filter_never_raises_anything_but_filter_error(text):
    try:
        result = parse_filter(text)
    except FilterError:
        return
    assert isinstance(result, NODE_TYPES)


@settings(max_examples=400, deadline=None)
@given(st.text())
def test_parse_path_never_raises_anything_but_path_error(text):
    try:
        result = parse_path(text)
    except PathError:
        return
    assert isinstance(result, PatchPath)


# Random soups of real grammar tokens reach far deeper into the parser than arbitrary text.
_TOKENS = [
    "(",
    ")",
    "[",
    "]",
    "not",
    "NOT(",
    "and",
    "or",
    "Or",
    "eq",
    "EQ",
    "pr",
    "gt",
    "co",
    "equals",
    '"x"',
    '"a\\"b"',
    '"\\u00e9"',
    '"\\ud800"',
    '"',
    "\\",
    "1",
    "-2.5e3",
    "1e999",
    "true",
    "Null",
    "emails",
    "type",
    "value",
    "name.givenName",
    ".value",
    ".",
    "a.b.c",
    "$ref",
    "O",
    "2015-10-10T14:38:21Z",
    f"{ENTERPRISE}:manager.value",
    "urn:",
    ":",
    "\t",
    "\x00",
]


@settings(max_examples=600, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_TOKENS), st.sampled_from(["", " "])), max_size=30))
def test_token_soup_never_raises_anything_unexpected(parts):
    text = "".join(token + sep for token, sep in parts)
    with contextlib.suppress(FilterError):
        assert isinstance(parse_filter(text), NODE_TYPES)
    with contextlib.suppress(PathError):
        assert isinstance(parse_path(text), PatchPath)


# Round trip: render a random AST as text, parse it back, and expect the same AST.
_names = st.from_regex(r"[A-Za-z][A-Za-z0-9_-]{0,6}", fullmatch=True).filter(lambda s: s.lower() != "not")
_values = st.one_of(
    st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=10),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
)
_ops = st.sampled_from(["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"])
_urns = st.sampled_from([None, ENTERPRISE, CORE_USER])


def _leaves(relative):
    if relative:
        path = st.builds(AttrPath, st.none(), _names, st.none())
    else:
        path = st.builds(AttrPath, _urns, _names, st.one_of(st.none(), _names))
    return st.one_of(st.builds(Comparison, path, _ops, _values), st.builds(Presence, path))


def _combine(children):
    return st.one_of(
        st.builds(LogicalAnd, children, children),
        st.builds(LogicalOr, children, children),
        st.builds(Negation, children),
    )


_relative_trees = st.recursive(_leaves(True), _combine, max_leaves=6)
_value_paths = st.builds(ValuePath, st.builds(AttrPath, _urns, _names, st.none()), _relative_trees)
_trees = st.recursive(st.one_of(_leaves(False), _value_paths), _combine, max_leaves=8)


def _render_path(path):
    text = path.attr if path.sub_attr is None else f"{path.attr}.{path.sub_attr}"
    return text if path.urn is None else f"{path.urn}:{text}"


def _render(node):
    if isinstance(node, Comparison):
        return f"{_render_path(node.path)} {node.op} {json.dumps(node.value)}"
    if isinstance(node, Presence):
        return f"{_render_path(node.path)} pr"
    if isinstance(node, LogicalAnd):
        return f"({_render(node.left)}) and ({_render(node.right)})"
    if isinstance(node, LogicalOr):
        return f"({_render(node.left)}) or ({_render(node.right)})"
    if isinstance(node, Negation):
        return f"not ({_render(node.expr)})"
    return f"{_render_path(node.path)}[{_render(node.filter)}]"


@settings(max_examples=300, deadline=None)
@given(_trees)
def test_rendered_ast_round_trips(tree):
    assert parse_filter(_render(tree), max_length=100_000, max_depth=1_000) == tree


# The one-comparison form IdPs send on every sync has a shortcut (_SIMPLE_COMPARISON_RE);
# whatever it takes must come out as the grammar itself reads it, errors included.
def _grammar(text):
    from scim.filter_parser import _Parser, _run

    try:
        return _run(text, MAX_FILTER_LENGTH, MAX_DEPTH, MAX_TERMS, FilterError, "filter", _Parser.parse_filter)
    except FilterError as error:
        return ("error", str(error))


def _shortcut_or_grammar(text):
    try:
        return parse_filter(text)
    except FilterError as error:
        return ("error", str(error))


_spaces = st.text(st.sampled_from(" \t\r\n"), max_size=2)


@settings(max_examples=800, deadline=None)
@given(_spaces, st.sampled_from(["userName", "externalId", "emails.value", "name.givenName", "$ref", "not", "NOT",
                                 "pr", "and", "a-b_c", "urn:x:y", "emails[type", "1abc", ""]),
       _spaces, st.sampled_from(["eq", "EQ", "Ne", "co", "sw", "pr", "xx", "and", "e", ""]), _spaces,
       st.text(max_size=12), st.sampled_from(['"', "", '" ', '"]', '" and a pr']))
def test_the_shortcut_for_one_comparison_agrees_with_the_grammar(lead, attr, gap, op, gap2, value, tail):
    text = f'{lead}{attr}{gap}{op}{gap2}"{value}{tail}'
    assert _shortcut_or_grammar(text) == _grammar(text)


_attrs = st.sampled_from(["emails", "type", "value", "not", "Not", "and", "$ref", "a.b", "urn:x:y", "1a", ""])


@settings(max_examples=800, deadline=None)
@given(_spaces, _attrs, st.sampled_from(["[", " [", "", "(", "[["]), _spaces, _attrs, _spaces,
       st.sampled_from(["eq", "NE", "pr", "xx", ""]), _spaces, st.text(max_size=6),
       st.sampled_from(["]", " ]", "", ")", "]]", "] "]), st.sampled_from([".", "", " .", ".."]), _attrs, _spaces,
       st.sampled_from(["eq", "Co", "pr", "zz"]), _spaces, st.text(max_size=8), st.sampled_from(['"', '" ', "", '"]']))
def test_the_shortcut_for_a_value_path_agrees_with_the_grammar(lead, attr, open_, s1, inner, s2, inner_op, s3,
                                                               inner_value, close, dot, sub, s4, op, s5, value, tail):
    text = f'{lead}{attr}{open_}{s1}{inner}{s2}{inner_op}{s3}"{inner_value}"{close}{dot}{sub}{s4}{op}{s5}"{value}{tail}'
    assert _shortcut_or_grammar(text) == _grammar(text)


@settings(max_examples=400, deadline=None)
@given(_spaces, _attrs, _spaces, _attrs, _spaces, st.sampled_from(["eq", "NE", "pr", "xx"]), _spaces,
       st.text(max_size=6), _spaces, _attrs, _spaces, st.sampled_from(["eq", "Co", "pr"]), _spaces, st.text(max_size=8))
def test_well_formed_value_paths_read_by_the_shortcut_agree_with_the_grammar(lead, attr, s1, inner, s2, inner_op, s3,
                                                                             inner_value, s4, sub, s5, op, s6, value):
    text = f'{lead}{attr}[{s1}{inner} {s2}{inner_op}{s3}"{inner_value}"{s4}].{sub} {s5}{op}{s6}"{value}"'
    assert _shortcut_or_grammar(text) == _grammar(text)


@pytest.mark.parametrize("text", ['emails[type eq "work"].value eq "a@b.c"', 'emails[ Type EQ"work" ].VALUE co"x" ',
                                  'phoneNumbers[type eq "mobile"].value sw "+41"'])
def test_the_shortcut_takes_the_value_path_of_a_sync(text, monkeypatch):
    from scim import filter_parser

    expected = _grammar(text)
    assert isinstance(expected, ValuePath)
    monkeypatch.setattr(filter_parser, "_run", lambda *args: pytest.fail("took the grammar"))
    assert parse_filter(text) == expected


@pytest.mark.parametrize("text", ['userName eq "a@b.c"', ' emails.value EQ"x" ', 'userName eq ""',
                                  'name.familyName sw "Jen"', 'externalId eq "00u\u00e9\U0001F600"'])
def test_the_shortcut_takes_the_sync_lookups(text, monkeypatch):
    from scim import filter_parser

    expected = _grammar(text)
    monkeypatch.setattr(filter_parser, "_run", lambda *args: pytest.fail("took the grammar"))
    assert parse_filter(text) == expected
