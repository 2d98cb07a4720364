"""Parser for SCIM 2.0 filters (RFC 7644 §3.4.2.2) and PATCH paths (RFC 7644 §3.5.2).

The parser is pure: it turns text into a small immutable AST and knows nothing about
schemas, HTTP or the database. Attribute names keep the case they were written in;
resolving them (case-insensitively) against a schema is the caller's job.

AST
---
``Comparison(path, op, value)``
    ``op`` is one of ``eq ne co sw ew gt ge lt le`` (always lower case); ``value`` is
    a ``str``, ``int``, ``float``, ``bool`` or ``None``.
``Presence(path)``
    ``path pr``.
``LogicalAnd(left, right)`` / ``LogicalOr(left, right)``
    Left-associative: ``a and b and c`` is ``And(And(a, b), c)``.
``Negation(expr)``
    ``not (expr)``.
``ValuePath(path, filter)``
    ``emails[type eq "work"]``. ``path.sub_attr`` is always ``None`` and every
    ``AttrPath`` inside ``filter`` is relative (no URN, no sub-attribute).

Deliberate tolerances beyond the RFC (real clients, notably Microsoft Entra ID, send these)
----------------------------------------------------------------------------------------
* Unquoted values: a comparison value that is not a JSON literal is read as a string up
  to the next whitespace, ``)`` or ``]``, so ``userName sw O`` and
  ``meta.created gt 2015-10-10T14:38:21.8617979-07:00`` work.
* ``true``, ``false`` and ``null`` are accepted in any case.
* ``not(`` without a space, and missing whitespace next to parentheses and quotes.
* A sub-attribute after a value filter *in a filter*: ``emails[type eq "work"].value eq "x"``
  is parsed as if it were ``emails[type eq "work" and value eq "x"]``, i.e.
  ``ValuePath(emails, LogicalAnd(<bracket filter>, Comparison(value eq "x")))``.
  The same applies to ``pr``. This keeps the AST free of a special node for a form the
  RFC does not define, and it has the meaning the clients intend: one element of the
  multi-valued attribute must satisfy both conditions.

Limits
------
Input longer than ``max_length`` characters and nesting (parentheses, ``not (`` and
value-filter brackets, counted together; ``not (`` counts once) deeper than ``max_depth``
are rejected before any deep work is done. Recursion is bounded by ``max_depth``, and all
scanning is linear, so hostile input cannot hang the parser or exhaust the stack.

A filter may also contain at most ``max_terms`` conditions (comparisons and ``pr`` tests).
Without that bound a flat ``a pr or a pr or ...`` chain that fits in ``max_length`` yields a
left-deep AST hundreds of levels deep, which overflows the interpreter stack of any code
that walks it recursively (even ``==`` on the dataclasses). The AST depth is therefore at
most roughly ``max_terms + max_depth``.

Errors
------
Every problem raises ``FilterError`` (from ``parse_filter``) or ``PathError`` (from
``parse_path``), both ``ValueError`` subclasses, with a human-readable message. Positions
in messages are 1-based character offsets into the input.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

__all__ = [
    "MAX_DEPTH",
    "MAX_FILTER_LENGTH",
    "MAX_TERMS",
    "AttrPath",
    "Comparison",
    "FilterError",
    "LogicalAnd",
    "LogicalOr",
    "Negation",
    "Node",
    "PatchPath",
    "PathError",
    "Presence",
    "ValuePath",
    "parse_filter",
    "parse_path",
]

MAX_FILTER_LENGTH = 4096
MAX_DEPTH = 32
MAX_TERMS = 100


class FilterError(ValueError):
    """The text is not a valid SCIM filter."""


class PathError(ValueError):
    """The text is not a valid SCIM PATCH path."""


@dataclass(frozen=True)
class AttrPath:
    urn: str | None
    attr: str
    sub_attr: str | None = None


@dataclass(frozen=True)
class Comparison:
    path: AttrPath
    op: str
    value: str | int | float | bool | None


@dataclass(frozen=True)
class Presence:
    path: AttrPath


@dataclass(frozen=True)
class LogicalAnd:
    left: Node
    right: Node


@dataclass(frozen=True)
class LogicalOr:
    left: Node
    right: Node


@dataclass(frozen=True)
class Negation:
    expr: Node


@dataclass(frozen=True)
class ValuePath:
    path: AttrPath
    filter: Node


Node = Comparison | Presence | LogicalAnd | LogicalOr | Negation | ValuePath


@dataclass(frozen=True)
class PatchPath:
    path: AttrPath
    filter: Node | None = None
    sub_attr: str | None = None


COMPARISON_OPERATORS = frozenset({"eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"})
_ALL_OPERATORS = COMPARISON_OPERATORS | {"pr"}

_WHITESPACE = " \t\r\n"
_ATTR = r"(?:[A-Za-z][A-Za-z0-9_-]*|\$ref)"
_ATTR_RE = re.compile(_ATTR)
_ATTR_PATH_RE = re.compile(rf"({_ATTR})(?:\.({_ATTR}))?")
# Segments cannot contain ":", so this stays linear despite the nested repetition.
_URN_RE = re.compile(r"[Uu][Rr][Nn](?::[A-Za-z0-9._~%!$&'*+,;=@/-]+)+")
_NUMBER_RE = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")
# A "word" is any run that could be an attribute path, operator or keyword.
_WORD_RE = re.compile(r'[^ \t\r\n()\[\]"]*')
# An unquoted value may contain quotes and brackets; only whitespace, ")" and "]" end it.
_BARE_VALUE_RE = re.compile(r"[^ \t\r\n)\]]*")
_STRING_CHUNK_RE = re.compile(r'[^"\\]*')
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
_WS_RE = re.compile(r"[ \t\r\n]*")

_LITERALS = {"true": True, "false": False, "null": None}
# The forms an IdP sends on every sync, read without the grammar: userName eq "x", and
# emails[type eq "work"].value eq "x". Attribute paths without a URN, operators and quoted
# strings with no escape, control character or surrogate in them. They give the very nodes
# the grammar would; anything else (and "not", a keyword where an attribute stands) takes it.
_SPACE = r"[ \t\r\n]"
_SIMPLE_STRING = r'"([^"\\\x00-\x1f\x7f\ud800-\udfff]*)"'
_SIMPLE_COMPARISON_RE = re.compile(
    rf"{_SPACE}*({_ATTR})(?:\.({_ATTR}))?{_SPACE}+([A-Za-z]{{2}}){_SPACE}*{_SIMPLE_STRING}{_SPACE}*")
_SIMPLE_VALUE_PATH_RE = re.compile(
    rf"{_SPACE}*({_ATTR})\[{_SPACE}*({_ATTR}){_SPACE}+([A-Za-z]{{2}}){_SPACE}*{_SIMPLE_STRING}{_SPACE}*\]"
    rf"\.({_ATTR}){_SPACE}+([A-Za-z]{{2}}){_SPACE}*{_SIMPLE_STRING}{_SPACE}*")
_TOKEN_PREVIEW = 24


def _quote(token: str) -> str:
    if len(token) > _TOKEN_PREVIEW:
        token = token[:_TOKEN_PREVIEW] + "..."
    # The message may end up in a JSON response; lone surrogates would break encoding it.
    text = json.dumps(token, ensure_ascii=False)
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


class _Parser:
    def __init__(self, text: str, max_depth: int, max_terms: int, error: type[ValueError], kind: str) -> None:
        self.text = text
        self.n = len(text)
        self.pos = 0
        self.max_depth = max_depth
        self.max_terms = max_terms
        self.terms = 0
        self.error = error
        self.kind = kind

    # ----------------------------------------------------------------- scanning helpers

    def _fail(self, message: str, pos: int | None = None) -> ValueError:
        if pos is None:
            return self.error(message)
        return self.error(f"{message} at position {pos + 1}")

    def _skip_ws(self) -> None:
        self.pos = _WS_RE.match(self.text, self.pos).end()

    def _peek(self) -> str:
        return self.text[self.pos] if self.pos < self.n else ""

    def _word_at(self, pos: int) -> str:
        return _WORD_RE.match(self.text, pos).group()

    def _read_word(self) -> str:
        word = self._word_at(self.pos)
        self.pos += len(word)
        return word

    def _describe(self, pos: int) -> str:
        if pos >= self.n:
            return f"end of {self.kind}"
        char = self.text[pos]
        if char == '"':
            return "string"
        if char in "()[]":
            return f"token {_quote(char)}"
        return f"token {_quote(self._word_at(pos))}"

    def _unexpected(self, pos: int, expected: str | None = None) -> ValueError:
        message = f"unexpected {self._describe(pos)}"
        if pos < self.n:
            message += f" at position {pos + 1}"
        if expected:
            message += f"; expected {expected}"
        return self.error(message)

    def _at_keyword(self, keyword: str) -> bool:
        """Is the (whitespace-skipped) cursor at ``keyword`` used as a keyword?"""
        end = self.pos + len(keyword)
        if self.text[self.pos : end].lower() != keyword:
            return False
        return end >= self.n or self.text[end] in _WHITESPACE or self.text[end] == "("

    def _enter(self, depth: int, pos: int) -> int:
        depth += 1
        if depth > self.max_depth:
            raise self._fail(
                f"{self.kind} is nested too deeply (the maximum nesting depth is {self.max_depth})", pos
            )
        return depth

    # ----------------------------------------------------------------------- grammar

    def parse_filter(self) -> Node:
        node = self._or(0, relative=False)
        self._skip_ws()
        if self.pos < self.n:
            expected = None
            if self.text[self.pos] not in ")]":
                expected = '"and", "or" or the end of the filter'
            raise self._unexpected(self.pos, expected)
        return node

    def parse_path(self) -> PatchPath:
        self._skip_ws()
        start = self.pos
        word = self._read_word()
        if not word:
            raise self._unexpected(start, "an attribute path")
        path = self._attr_path(word, start, relative=False)
        value_filter = None
        sub_attr = None
        if self._peek() == "[":
            value_filter = self._brackets(0, path, start)
            if self._peek() == ".":
                self.pos += 1
                sub_attr = self._sub_attr()
        self._skip_ws()
        if self.pos < self.n:
            if self.text[self.pos] != "[" and self._word_at(self.pos).lower() in _ALL_OPERATORS:
                raise self._fail("a PATCH path cannot contain a filter outside square brackets", self.pos)
            raise self._unexpected(self.pos, "the end of the path")
        return PatchPath(path=path, filter=value_filter, sub_attr=sub_attr)

    def _or(self, depth: int, relative: bool) -> Node:
        left = self._and(depth, relative)
        while True:
            self._skip_ws()
            if not self._at_keyword("or"):
                return left
            self.pos += 2
            left = LogicalOr(left, self._and(depth, relative))

    def _and(self, depth: int, relative: bool) -> Node:
        left = self._unary(depth, relative)
        while True:
            self._skip_ws()
            if not self._at_keyword("and"):
                return left
            self.pos += 3
            left = LogicalAnd(left, self._unary(depth, relative))

    def _unary(self, depth: int, relative: bool) -> Node:
        self._skip_ws()
        if self._peek() == "(":
            return self._group(depth, relative)
        if self._word_at(self.pos).lower() == "not":
            not_pos = self.pos
            self.pos += 3
            self._skip_ws()
            if self._peek() != "(":
                raise self._fail('"not" must be followed by a parenthesised expression', not_pos)
            return Negation(self._group(depth, relative))
        return self._attr_exp(depth, relative)

    def _group(self, depth: int, relative: bool) -> Node:
        open_pos = self.pos
        depth = self._enter(depth, open_pos)
        self.pos += 1
        node = self._or(depth, relative)
        self._skip_ws()
        if self._peek() != ")":
            if self.pos >= self.n:
                raise self._fail(f'missing ")" to close "(" opened at position {open_pos + 1}')
            raise self._unexpected(self.pos, '")"')
        self.pos += 1
        return node

    def _brackets(self, depth: int, path: AttrPath, path_pos: int) -> Node:
        open_pos = self.pos
        if path.sub_attr is not None:
            raise self._fail("a value filter must follow a plain attribute, not a sub-attribute", path_pos)
        depth = self._enter(depth, open_pos)
        self.pos += 1
        node = self._or(depth, relative=True)
        self._skip_ws()
        if self._peek() != "]":
            if self.pos >= self.n:
                raise self._fail(f'missing "]" to close "[" opened at position {open_pos + 1}')
            raise self._unexpected(self.pos, '"]"')
        self.pos += 1
        return node

    def _attr_exp(self, depth: int, relative: bool) -> Node:
        start = self.pos
        word = self._read_word()
        if not word:
            raise self._unexpected(start, "an attribute path")
        path = self._attr_path(word, start, relative)
        if self._peek() != "[":
            return self._condition(path, start)
        if relative:
            raise self._fail("value filters cannot be nested", self.pos)
        inner = self._brackets(depth, path, start)
        if self._peek() == ".":
            self.pos += 1
            sub_pos = self.pos
            sub = self._sub_attr()
            inner = LogicalAnd(inner, self._condition(AttrPath(None, sub, None), sub_pos))
        return ValuePath(path, inner)

    def _sub_attr(self) -> str:
        start = self.pos
        word = self._read_word()
        if not _ATTR_RE.fullmatch(word):
            if not word:
                raise self._unexpected(start, 'a sub-attribute name after "."')
            raise self._fail(f"invalid sub-attribute name {_quote(word)}", start)
        return word

    def _attr_path(self, word: str, start: int, relative: bool) -> AttrPath:
        urn = None
        rest = word
        if word[:4].lower() == "urn:":
            cut = word.rfind(":")
            urn, rest = word[:cut], word[cut + 1 :]
            if not _URN_RE.fullmatch(urn):
                raise self._fail(f"invalid schema URN in attribute path {_quote(word)}", start)
        match = _ATTR_PATH_RE.fullmatch(rest)
        if not match:
            raise self._fail(f"invalid attribute path {_quote(word)}", start)
        attr, sub_attr = match.group(1), match.group(2)
        if relative and (urn is not None or sub_attr is not None):
            raise self._fail(
                f"attribute {_quote(word)} inside a value filter must be a plain sub-attribute name",
                start,
            )
        return AttrPath(urn, attr, sub_attr)

    def _condition(self, path: AttrPath, path_pos: int) -> Node:
        self.terms += 1
        if self.terms > self.max_terms:
            raise self._fail(
                f"{self.kind} has more than the maximum of {self.max_terms} conditions", path_pos
            )
        self._skip_ws()
        op_pos = self.pos
        op = self._read_word().lower()
        if not op:
            raise self._unexpected(op_pos, 'a comparison operator or "pr"')
        if op == "pr":
            self._skip_ws()
            if (
                self.pos < self.n
                and self.text[self.pos] not in ")]"
                and not (self._at_keyword("and") or self._at_keyword("or"))
            ):
                raise self._fail('"pr" does not take a value', self.pos)
            return Presence(path)
        if op not in COMPARISON_OPERATORS:
            raise self._fail(f"unknown operator {_quote(self.text[op_pos : self.pos])}", op_pos)
        return Comparison(path, op, self._value(op, op_pos))

    def _value(self, op: str, op_pos: int) -> str | int | float | bool | None:
        self._skip_ws()
        start = self.pos
        char = self._peek()
        if not char or char in ")]":
            raise self._fail(f'missing value after operator "{op}"', op_pos)
        if char == '"':
            return self._string()
        if char in "([":
            raise self._unexpected(start, f'a value after operator "{op}"')
        word = _BARE_VALUE_RE.match(self.text, start).group()
        self.pos += len(word)
        lowered = word.lower()
        if lowered in _LITERALS:
            return _LITERALS[lowered]
        number = _NUMBER_RE.fullmatch(word)
        if number:
            return self._number(word, number, start)
        if _CONTROL_RE.search(word):
            raise self._fail("control characters are not allowed in values", start)
        self._check_encodable(word, start)
        return word

    def _number(self, word: str, match: re.Match, start: int) -> int | float:
        try:
            if match.group(1) is None and match.group(2) is None:
                return int(word)
            value = float(word)
        except ValueError:
            # int() refuses very long digit strings (CPython's int max_str_digits guard).
            raise self._fail("number has too many digits", start) from None
        if value in (float("inf"), float("-inf")):
            raise self._fail("number is out of range", start)
        return value

    def _string(self) -> str:
        start = self.pos
        i = start + 1
        while True:
            i = _STRING_CHUNK_RE.match(self.text, i).end()
            if i >= self.n:
                raise self._fail("unterminated string", start)
            if self.text[i] == '"':
                break
            i += 2  # a backslash and the character it escapes
            if i > self.n:
                raise self._fail("unterminated string", start)
        self.pos = i + 1
        try:
            value = json.loads(self.text[start : self.pos])
        except ValueError as exc:
            where = start + getattr(exc, "pos", 0)
            message = getattr(exc, "msg", "malformed escape")
            raise self._fail(f"invalid string literal ({message[:1].lower()}{message[1:]})", where) from None
        if "\x00" in value:
            raise self._fail("string values cannot contain U+0000", start)
        self._check_encodable(value, start)
        return value

    def _check_encodable(self, value: str, start: int) -> None:
        # An unpaired surrogate (raw, or from a lone \uD800 escape) cannot be stored or encoded.
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise self._fail("value contains an unpaired UTF-16 surrogate", start) from None


def _run(text, max_length, max_depth, max_terms, error, kind, method):
    if not isinstance(text, str):
        raise error(f"{kind} must be a string, not {type(text).__name__}")
    if len(text) > max_length:
        raise error(f"{kind} is {len(text)} characters long; the maximum is {max_length}")
    if not text.strip(_WHITESPACE):
        raise error(f"{kind} is empty")
    parser = _Parser(text, max_depth, max_terms, error, kind)
    try:
        return method(parser)
    except RecursionError:
        # Only reachable when a caller raises max_depth far beyond the default.
        raise error(f"{kind} is nested too deeply") from None


def parse_filter(
    text: str,
    *,
    max_length: int = MAX_FILTER_LENGTH,
    max_depth: int = MAX_DEPTH,
    max_terms: int = MAX_TERMS,
) -> Node:
    """Parse a SCIM filter (RFC 7644 §3.4.2.2) into an AST; raise ``FilterError`` if invalid.

    See the module docstring for the AST, the accepted tolerances (notably
    ``emails[type eq "work"].value eq "x"``, which becomes a ``ValuePath`` whose filter is
    ``LogicalAnd(<bracket filter>, value eq "x")``) and the limits.
    """
    if isinstance(text, str) and len(text) <= max_length:
        simple = _simple(text, max_depth, max_terms)
        if simple is not None:
            return simple
    return _run(text, max_length, max_depth, max_terms, FilterError, "filter", _Parser.parse_filter)


def _simple(text: str, max_depth: int, max_terms: int) -> Node | None:
    """The node of one of the _SIMPLE forms, or None (the grammar then reads the text)."""
    found = _SIMPLE_COMPARISON_RE.fullmatch(text)
    if found and max_terms >= 1:
        attr, sub_attr, op, value = found.groups()
        if _simple_operator(op) and attr.lower() != "not":
            return Comparison(AttrPath(None, attr, sub_attr), op.lower(), value)
        return None
    found = _SIMPLE_VALUE_PATH_RE.fullmatch(text)
    if found and max_terms >= 2 and max_depth >= 1:
        attr, inner, inner_op, inner_value, sub, op, value = found.groups()
        if (_simple_operator(inner_op) and _simple_operator(op) and attr.lower() != "not"
                and inner.lower() != "not"):
            return ValuePath(AttrPath(None, attr, None), LogicalAnd(
                Comparison(AttrPath(None, inner, None), inner_op.lower(), inner_value),
                Comparison(AttrPath(None, sub, None), op.lower(), value)))
    return None


def _simple_operator(op: str) -> bool:
    return op.lower() in COMPARISON_OPERATORS


def parse_path(
    text: str,
    *,
    max_length: int = MAX_FILTER_LENGTH,
    max_depth: int = MAX_DEPTH,
    max_terms: int = MAX_TERMS,
) -> PatchPath:
    """Parse a SCIM PATCH ``path`` (RFC 7644 §3.5.2); raise ``PathError`` if invalid.

    Accepted forms: ``attr``, ``attr.sub``, either prefixed by a schema URN
    (``urn:...:User:manager.value``), ``attr[filter]`` and ``attr[filter].sub``.
    Errors inside the brackets are reported as ``PathError`` too.
    """
    return _run(text, max_length, max_depth, max_terms, PathError, "path", _Parser.parse_path)
