"""Property tests of the search query parser and compiler, on any JSON a client can send.

`tests/conversations/test_search_property.py` checks that valid queries find the right
conversations; this checks the other side, without a database: any JSON-ish `query` —
random JSON, or trees that look like queries with unknown fields and operators, wrong
value types, huge and deep groups, odd Unicode, integers past 64 bits — either parses
and compiles for both dialects, in every plan (`probe`, with and without the SQLite text
index), or raises the 400 family (`parameter_invalid`, or `parameter_not_found` for a
missing part). And the SQL never holds a client's value: every value is a bound parameter,
so the compiled text has no string literal but the LIKE escape character.
"""

from __future__ import annotations

import re
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy.dialects import postgresql, sqlite

from parlour.conversations import search_columns
from parlour.conversations.search_fields import FIELDS, KINDS
from parlour.errors import ApiError, ParameterInvalid, ParameterNotFound
from parlour.search.compile import Context, compile_query
from parlour.search.query import (
    GROUP_OPERATORS,
    OPERATORS,
    OPERATORS_BY_KIND,
    Condition,
    Kind,
    Node,
    conditions,
    parse,
)

DIALECTS = {"sqlite": sqlite.dialect(), "postgresql": postgresql.dialect()}
BIG_INTS = st.integers(min_value=-(2**80), max_value=2**80)
ODD_TEXT = st.one_of(
    st.text(max_size=12),
    st.sampled_from([
        "", " ", "%", "_", "%_", "\\", "/", "'", '"', "'; DROP TABLE conversation; --",
        "\x00", "a\x00b", "ß", "İ", "ﬃ", "\u202e", "😀", "日本語", "x" * 1025, "1306054154",
        "-1", "042", "9" * 20, "true", "null",
    ]),
)  # fmt: skip
SCALARS = st.one_of(
    st.none(), st.booleans(), BIG_INTS, st.floats(allow_nan=False, allow_infinity=False),
    ODD_TEXT,
)  # fmt: skip
FIELD_NAMES = st.one_of(
    st.sampled_from(sorted(KINDS)),
    st.builds(lambda s: f"custom_attributes.{s}", ODD_TEXT),
    ODD_TEXT,
    SCALARS,
)
OPERATOR_NAMES = st.one_of(
    st.sampled_from([*OPERATORS, *GROUP_OPERATORS, "and", "LIKE", "==", " =", "in"]), SCALARS
)
VALUES = st.one_of(SCALARS, st.lists(SCALARS, max_size=4), st.lists(BIG_INTS, max_size=105))


def _filters() -> st.SearchStrategy[Any]:
    full = st.fixed_dictionaries(
        {"field": FIELD_NAMES, "operator": OPERATOR_NAMES, "value": VALUES}
    )
    partial = st.fixed_dictionaries(
        {}, optional={"field": FIELD_NAMES, "operator": OPERATOR_NAMES, "value": VALUES}
    )
    return st.one_of(full, full, partial)


def _typed_value(kind: Kind, operator: str) -> st.SearchStrategy[Any]:
    """A value the field's kind accepts (mostly), in odd shapes and sizes."""
    one: st.SearchStrategy[Any] = {
        Kind.IDENTIFIER: st.one_of(ODD_TEXT, BIG_INTS),
        Kind.INTEGER: st.one_of(BIG_INTS, st.integers(-1000, 10**10).map(str)),
        Kind.DATE: st.one_of(BIG_INTS, st.integers(0, 2**40).map(str)),
        Kind.BOOLEAN: st.one_of(st.booleans(), st.sampled_from([0, 1, "true", "FALSE"])),
        Kind.NUMBER: st.one_of(BIG_INTS, st.floats(allow_nan=False, allow_infinity=False)),
    }.get(kind, ODD_TEXT.filter(bool))
    if operator in ("IN", "NIN"):
        return st.lists(one, min_size=1, max_size=6)
    if operator in ("=", "!="):
        return st.one_of(one, st.none())
    return one


@st.composite
def _typed_filter(draw: st.DrawFn) -> dict[str, Any]:
    name = draw(st.sampled_from([*sorted(KINDS), "custom_attributes.plan",
                                 "custom_attributes.ünï code ' %"]))  # fmt: skip
    if name.startswith("custom_attributes."):
        kind = draw(st.sampled_from([Kind.TEXT, Kind.NUMBER, Kind.BOOLEAN]))
    else:
        kind = KINDS[name]
    operator = draw(st.sampled_from(sorted(OPERATORS_BY_KIND[kind])))
    value = draw(_typed_value(kind, operator))
    if kind is Kind.BOOLEAN and name.startswith("custom_attributes."):
        value = draw(st.booleans()) if operator not in ("IN", "NIN") else [True]
    return {"field": name, "operator": operator, "value": value}


QUERY_TREES = st.recursive(
    st.one_of(_typed_filter(), _typed_filter(), _typed_filter(), _filters()),
    lambda inner: st.fixed_dictionaries({
        "operator": st.sampled_from(GROUP_OPERATORS),
        "value": st.integers(0, 9).flatmap(
            lambda n: st.lists(inner, min_size=1, max_size=6) if n < 7
            else st.one_of(st.lists(inner, max_size=17), inner, SCALARS)
        ),
    }),
    max_leaves=30,
)  # fmt: skip
JSONISH = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(ODD_TEXT, inner, max_size=5),
    max_leaves=20,
)


def _compiled(
    node: Node, dialect: str, probe: bool, text_index: bool
) -> tuple[str, dict[str, Any]]:
    ctx = Context(dialect=dialect, workspace_id=7, text_index=text_index, probe=probe)
    condition = compile_query(node, search_columns.TARGETS, ctx, search_columns.CUSTOM)
    compiled = condition.compile(dialect=DIALECTS[dialect])
    return str(compiled), dict(compiled.params)


def _strings_in(node: Node) -> list[str]:
    found: list[str] = []
    for condition in conditions(node):
        if condition.attribute is not None:
            found.append(condition.attribute)
        values = condition.value if isinstance(condition.value, tuple) else (condition.value,)
        found += [v for v in values if isinstance(v, str)]
    return found


def _integers_in(node: Node) -> list[int]:
    found: list[int] = []
    for condition in conditions(node):
        values = condition.value if isinstance(condition.value, tuple) else (condition.value,)
        found += [v for v in values if isinstance(v, int) and not isinstance(v, bool)]
    return [v for v in found if abs(v) >= 1000]


def _check(raw: Any) -> None:
    try:
        node = parse(raw, FIELDS)
    except (ParameterInvalid, ParameterNotFound) as error:
        assert error.status == 400 and error.message and error.field, error
        assert error.field == "query" or error.field.startswith("query.")
        return
    except ApiError as error:  # pragma: no cover - the assertion explains
        raise AssertionError(f"unexpected {type(error).__name__}: {error}") from error
    assert all(isinstance(c, Condition) for c in conditions(node))
    for dialect in DIALECTS:
        for probe in (False, True):
            for text_index in (True, False):
                sql, _params = _compiled(node, dialect, probe, text_index)
                # Bound parameters only: no string literal but the LIKE escape character.
                assert "'" not in sql.replace("ESCAPE '/'", ""), sql
                for value in _strings_in(node):
                    if len(value) >= 3 and not re.fullmatch(r"[\w ]+", value, re.ASCII):
                        assert value not in sql, (value, sql)
                for number in _integers_in(node):
                    assert str(number) not in sql, (number, sql)


SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(raw=QUERY_TREES)
@example(raw={"field": "custom_attributes.x') OR 1=1 --", "operator": "~", "value": "%'_"})
@example(raw={"field": "source.body", "operator": "~", "value": "'; DROP TABLE x; --"})
@example(raw={"field": "created_at", "operator": ">", "value": 2**63})
@example(raw={"field": "custom_attributes.n", "operator": "<", "value": 1.5e308})
@example(raw={"field": "custom_attributes.n", "operator": "IN", "value": [2**70]})
@example(raw={"field": "id", "operator": "IN", "value": ["9" * 40, "042", "-1"]})
def test_query_trees_parse_and_compile_or_are_400(raw: Any) -> None:
    _check(raw)


@SETTINGS
@given(raw=JSONISH)
def test_any_json_is_a_query_or_a_400(raw: Any) -> None:
    _check(raw)


def _nested(depth: int) -> Any:
    node: Any = {"field": "open", "operator": "=", "value": True}
    for _ in range(depth):
        node = {"operator": "AND", "value": [node]}
    return node


@settings(max_examples=30, deadline=None)
@given(depth=st.integers(min_value=3, max_value=900), width=st.integers(16, 5000))
def test_deep_and_wide_trees_are_refused_early(depth: int, width: int) -> None:
    for raw in (_nested(depth), {"operator": "OR", "value": [_nested(0)] * width}):
        try:
            parse(raw, FIELDS)
        except ParameterInvalid as error:
            assert "nested too deeply" in error.message or "at most 15" in error.message
        else:  # pragma: no cover
            raise AssertionError("accepted")
