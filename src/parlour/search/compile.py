"""Compile a search query tree into one SQLAlchemy condition: bound parameters, never SQL text.

A resource maps each of its searchable fields to a `Target` (`conversations.search_columns`);
this module knows how each kind of target answers each operator, on SQLite and PostgreSQL.

Every target builds the *positive* predicate of a filter (`=`, `IN`, `~`, ...) as plain,
index-friendly SQL (`admin_assignee_id = 5`), which is NULL for a row without a value; as
groups only AND and OR positive tests, NULL there means "no match". A negative operator
(`!=`, `NIN`, `!~`) is `NOT coalesce(positive, false)`: so a conversation with no assignee
matches `admin_assignee_id != 5`, and one with no tags `tag_ids NIN [...]`, exactly as the
reference evaluator in the tests says.

Strings compare caseless (`core.text.fold`): columns that hold pre-folded text (the source's
subject and body words) compare as stored; other text is folded by the database — on SQLite
by the `parlour_fold` function every connection registers (the same Python code), on
PostgreSQL by `lower()`, which agrees with full case folding except for a few characters
(`ß`, final sigma, ligatures). On SQLite, substring tests on pre-folded columns go through
the FTS5 trigram index when the needle has three or more characters; on PostgreSQL a
`LIKE` on them uses the pg_trgm GIN indexes when the extension is installed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    Numeric,
    SQLColumnExpression,
    Text,
    and_,
    case,
    cast,
    column,
    false,
    func,
    not_,
    or_,
    select,
    table,
    true,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import ARRAY as PG_ARRAY
from sqlalchemy.dialects.postgresql import JSONB, array

from parlour.core.text import fold, word_pattern
from parlour.db.text_search import folded_in_db
from parlour.search.query import Condition, Group, Kind, Node, Value

Match = Callable[[SQLColumnExpression[Any]], ColumnElement[bool]]
FTS_MIN_NEEDLE = 3  # trigram tokenizer: shorter needles cannot use the index
LIKE_ESCAPE = "/"


@dataclass(frozen=True, slots=True)
class Context:
    """What compiling needs beyond the tree: the SQL dialect and the caller's workspace."""

    dialect: str
    workspace_id: int
    text_index: bool = True  # whether SQLite's FTS5 table exists (it may not: see db.text_search)
    # True when rows are walked in order and each is tested (a page of a large result):
    # tests should probe (EXISTS, plain comparisons) rather than build id lists.
    probe: bool = False


@dataclass(frozen=True, slots=True)
class TextIndex:
    """A SQLite FTS5 trigram table over a pre-folded column: `table(rowid = key, column)`."""

    table: str
    column: str
    key: SQLColumnExpression[Any]


class Target:
    """Where a field's value lives; `match` builds a filter's positive predicate."""

    def match(self, condition: Condition, ctx: Context) -> ColumnElement[bool]:
        """The positive predicate of `condition` (its operator with `!` taken off).

        True when the row matches; false or NULL when it does not (see the module notes).
        """
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class Scalar(Target):
    """One value per row in a column (or any row-level expression).

    `numeric_id`: an integer column searched as an id (`"42"` matches 42, `"042"` nothing).
    `folded`: the column already holds `fold`ed text. `index`: its FTS5 table on SQLite.
    """

    expression: SQLColumnExpression[Any]
    numeric_id: bool = False
    folded: bool = False
    index: TextIndex | None = None

    def match(self, condition: Condition, ctx: Context) -> ColumnElement[bool]:
        """See `Target.match`."""
        return _match(self.expression, condition, ctx, self.numeric_id, self.folded, self.index)


@dataclass(frozen=True, slots=True)
class Words(Target):
    """Text searched word by word: a column of `core.text.indexed_words` (` w1 w2 `).

    `word_list`: the same words as a PostgreSQL text array with an exact GIN index; whole
    words (`=`, `IN`) are then one overlap test on it instead of trigram `LIKE`s.
    """

    expression: SQLColumnExpression[Any]
    index: TextIndex | None = None
    word_list: SQLColumnExpression[Any] | None = None

    def match(self, condition: Condition, ctx: Context) -> ColumnElement[bool]:
        """Some word of the text satisfies the operator (see `core.text.word_pattern`)."""
        values = _values(condition)
        if values == [None]:
            return self.expression == ""  # = null: the text has no words
        assert condition.positive in ("=", "IN", "~", "^", "$")
        operator = "=" if condition.positive == "IN" else condition.positive
        patterns = [p for p in (word_pattern(operator, str(v)) for v in values) if p]
        if self.word_list is not None and ctx.dialect == "postgresql" and operator == "=":
            # ` w ` occurs in the text exactly when w is one of its words.
            words = sorted({p.strip(" ") for p in patterns})
            if words:
                listed = cast(array(words), PG_ARRAY(Text))  # psycopg binds str as varchar
                return self.word_list.op("&&", return_type=Boolean)(listed)
        found = [_contains(self.expression, p, ctx, self.index) for p in patterns]
        return or_(*found) if found else false()


@dataclass(frozen=True, slots=True)
class Through(Target):
    """Values reached through a subquery: a list (tags, contacts) or a related row's field.

    `exists(ctx, match)` is true when some value satisfies `match`; a row with no value
    matches `= null`.
    """

    exists: Callable[[Context, Match], ColumnElement[bool]]
    numeric_id: bool = False

    def match(self, condition: Condition, ctx: Context) -> ColumnElement[bool]:
        """See `Target.match`."""
        if _values(condition) == [None]:
            return not_(self.exists(ctx, lambda value: value.is_not(None)))
        return self.exists(ctx, self.value_test(condition, ctx))

    def value_test(self, condition: Condition, ctx: Context) -> Match:
        """The positive test of one value (a non-null `condition`'s): for a link table's column."""
        return lambda value: _match(value, condition, ctx, self.numeric_id, False, None)


@dataclass(frozen=True, slots=True)
class IdList(Target):
    """A set of integer ids stored as text, each between commas (`,3,17,`; empty for none).

    Answers what a `Through` over the same ids would: `= null` is the empty set, `!=`/`NIN`
    the negation (so an empty set matches them).
    """

    expression: SQLColumnExpression[Any]

    def match(self, condition: Condition, ctx: Context) -> ColumnElement[bool]:
        """Some id of the set is one of the filter's (canonical) ids."""
        values = _values(condition)
        if values == [None]:
            return self.expression == ""
        assert condition.kind is Kind.IDENTIFIER and condition.positive in ("=", "IN")
        ids = sorted({n for n in map(_canonical_int, values) if n is not None})
        position = func.instr if ctx.dialect == "sqlite" else func.strpos
        found = [position(self.expression, f",{n},") > 0 for n in ids]
        return or_(*found) if found else false()


@dataclass(frozen=True, slots=True)
class JsonField(Target):
    """A key of a JSON object column whose values have the field's kind (statistics)."""

    expression: SQLColumnExpression[Any]
    key: str

    def match(self, condition: Condition, ctx: Context) -> ColumnElement[bool]:
        """See `Target.match`."""
        if ctx.dialect == "postgresql":
            text = type_coerce(self.expression, JSONB)[self.key].astext
            value = cast(text, BigInteger) if condition.kind in _ORDERED else text
        else:
            value = func.json_extract(self.expression, _json_path(self.key))
        return _match(value, condition, ctx, False, False, None)


@dataclass(frozen=True, slots=True)
class Constant(Target):
    """A field Parlour has no data for: always `value` (None, or False for flags)."""

    value: Value

    def match(self, condition: Condition, ctx: Context) -> ColumnElement[bool]:
        """True or false for every row alike."""
        return true() if self.value in _values(condition) else false()


@dataclass(frozen=True, slots=True)
class CustomAttributes(Target):
    """A JSON object column of custom attributes; the filter's value decides the type.

    A string matches only string values (caseless), a number only numbers, a boolean only
    booleans; `= null` matches a missing attribute or a JSON null.
    """

    expression: SQLColumnExpression[Any]

    def match(self, condition: Condition, ctx: Context) -> ColumnElement[bool]:
        """See `Target.match`."""
        assert condition.attribute is not None
        values = _values(condition)
        if ctx.dialect == "postgresql":
            element = type_coerce(self.expression, JSONB)[condition.attribute]
            # A missing attribute has no type: "missing" keeps every test below two-valued.
            kind = func.coalesce(func.jsonb_typeof(element), "missing")
            text = element.astext
            if values == [None]:
                return kind.in_(("missing", "null"))
            if condition.kind is Kind.TEXT:
                return and_(kind == "string", _match(text, condition, ctx, False, False, None))
            if condition.kind is Kind.BOOLEAN:
                wanted = ["true" if v else "false" for v in values]
                return and_(kind == "boolean", text.in_(wanted))
            # The cast only runs on numbers: CASE guards it (AND does not promise an order).
            number = cast(text, Numeric)
            return case(
                (kind == "number", _match(number, condition, ctx, False, False, None)),
                else_=false(),
            )
        path = _json_path(condition.attribute)
        kind = func.coalesce(func.json_type(self.expression, path), "missing")
        value = func.json_extract(self.expression, path)
        if values == [None]:
            return kind.in_(("missing", "null"))
        if condition.kind is Kind.TEXT:
            return and_(kind == "text", _match(value, condition, ctx, False, False, None))
        if condition.kind is Kind.BOOLEAN:
            return kind.in_(["true" if v else "false" for v in values])
        return and_(
            kind.in_(("integer", "real")), _match(value, condition, ctx, False, False, None)
        )


_ORDERED = (Kind.INTEGER, Kind.DATE, Kind.NUMBER)


def compile_query(
    node: Node, targets: dict[str, Target], ctx: Context, custom: Target | None
) -> ColumnElement[bool]:
    """The SQL condition for `node` over the resource's `targets` (and custom attributes)."""
    if isinstance(node, Group):
        parts = [compile_query(item, targets, ctx, custom) for item in node.items]
        return and_(*parts) if node.operator == "AND" else or_(*parts)
    target = custom if node.attribute is not None else targets[node.field]
    assert target is not None, node.field
    positive = target.match(node, ctx)
    if not node.negated:
        return positive
    # A positive test may be NULL for a row without a value (`col = 5`): that is "no match"
    # wherever it stands (WHERE, AND, OR never negate it), so only here must NULL turn false.
    return not_(func.coalesce(positive, false()))


def _values(condition: Condition) -> list[Value]:
    value = condition.value
    return list(value) if isinstance(value, tuple) else [value]


def _canonical_int(text: Value) -> int | None:
    """The integer an id string names, only in its canonical form (`"42"`, not `"042"`)."""
    if not isinstance(text, str) or not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if str(number) == text and number < 2**63 else None


def _match(
    expression: SQLColumnExpression[Any],
    condition: Condition,
    ctx: Context,
    numeric_id: bool,
    folded: bool,
    index: TextIndex | None,
) -> ColumnElement[bool]:
    """The positive predicate of `condition` on one value (NULL when the value is)."""
    operator = condition.positive
    values = _values(condition)
    if values == [None]:
        return expression.is_(None)
    kind = condition.kind
    if kind is Kind.IDENTIFIER:
        ids: Sequence[Any] = values
        if numeric_id:
            ids = [n for n in (_canonical_int(v) for v in values) if n is not None]
            if not ids:
                return false()
        return expression.in_(ids) if len(ids) > 1 else expression == ids[0]
    if kind in _ORDERED or kind is Kind.BOOLEAN:
        bound: list[Any] = values
        if kind is Kind.NUMBER and ctx.dialect == "postgresql":
            # SQLAlchemy types a bound number by its Python type, and an IN list by its first
            # item, and psycopg casts every item to that type: `IN (0, 129.5)` was sent as
            # `IN (0::INTEGER, 129.5::INTEGER)`, i.e. 130. Decimals bind as NUMERIC, the
            # expression's type, exactly (a float's repr is the JSON number stored).
            bound = [Decimal(repr(v)) for v in values]
        if operator in ("=", "IN"):
            return expression.in_(bound) if len(bound) > 1 else expression == bound[0]
        compare = {
            "<": expression.__lt__,
            "<=": expression.__le__,
            ">": expression.__gt__,
            ">=": expression.__ge__,
        }[operator]
        return compare(bound[0])
    assert kind in (Kind.KEYWORD, Kind.TEXT), kind
    needles = [fold(str(v)) for v in values]
    subject = expression
    if kind is Kind.TEXT and not folded:
        subject = folded_in_db(expression, ctx.dialect)
    if operator in ("=", "IN"):
        exact = subject.in_(needles) if len(needles) > 1 else subject == needles[0]
        if len(needles) == 1:
            return _indexed(index, needles[0], ctx, exact)
        return exact
    needle = needles[0]
    if operator == "~":
        return _contains(subject, needle, ctx, index)
    if operator == "^":
        if ctx.dialect == "sqlite":
            return _indexed(index, needle, ctx, func.substr(subject, 1, len(needle)) == needle)
        return subject.like(_escape(needle) + "%", escape=LIKE_ESCAPE)
    assert operator == "$", operator
    if ctx.dialect == "sqlite":
        return _indexed(index, needle, ctx, func.substr(subject, -len(needle)) == needle)
    return subject.like("%" + _escape(needle), escape=LIKE_ESCAPE)


def _contains(
    expression: SQLColumnExpression[Any], needle: str, ctx: Context, index: TextIndex | None
) -> ColumnElement[bool]:
    """`needle` occurs in the expression, through the text index if any."""
    if ctx.dialect == "sqlite":
        # A trigram phrase match *is* the substring test: no need to read the row again.
        matched = _fts_match(index, needle, ctx)
        return matched if matched is not None else func.instr(expression, needle) > 0
    # A pattern LIKE is case-sensitive on PostgreSQL and served by a pg_trgm GIN index.
    return expression.like("%" + _escape(needle) + "%", escape=LIKE_ESCAPE)


def _indexed(
    index: TextIndex | None, needle: str, ctx: Context, exact: ColumnElement[bool]
) -> ColumnElement[bool]:
    """`exact`, narrowed first to the rows whose indexed column contains `needle` (SQLite)."""
    matched = _fts_match(index, needle, ctx)
    return exact if matched is None else and_(matched, exact)


def _fts_match(index: TextIndex | None, needle: str, ctx: Context) -> ColumnElement[bool] | None:
    """Rows whose indexed column contains `needle`, from the SQLite FTS5 trigram table.

    A quoted phrase of trigrams matches exactly the rows holding the needle as a substring.
    None where the index cannot help: another dialect, no FTS table, needles shorter than
    a trigram, or a probing plan (rows come in `created_at` order and each is tested
    directly; collecting the match's ids first would cost more than the page).
    """
    if ctx.dialect != "sqlite" or index is None or not ctx.text_index or ctx.probe:
        return None
    if len(needle) < FTS_MIN_NEEDLE:
        return None
    fts = table(index.table, column("rowid"), column(index.column))
    phrase = '"' + needle.replace('"', '""') + '"'
    return index.key.in_(select(fts.c.rowid).where(fts.c[index.column].op("MATCH")(phrase)))


def _escape(text: str) -> str:
    """`text` as a literal inside a LIKE pattern escaped with `/`."""
    return (
        text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
        .replace("%", LIKE_ESCAPE + "%")
        .replace("_", LIKE_ESCAPE + "_")
    )


def _json_path(key: str) -> str:
    """A SQLite JSON path to a top-level key (`query` refuses quotes in names)."""
    return f'$."{key}"'
