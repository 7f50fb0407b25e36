"""Prepared statements: a Core statement compiled once per dialect, run on the driver's cursor.

SQLAlchemy's execution path (execution context, events, parameter and result objects)
costs 50-100 µs per statement on these machines, several times the index seeks the hot
reads are (measured: the token lookup 150 µs through `Connection.execute`, 10 µs on the
sqlite3 cursor). A prepared statement keeps SQLAlchemy for what it is good at, building
and compiling the statement and knowing each type's bind and result conversions, and runs
the compiled SQL on the DB-API cursor of the session's own connection, so it shares the
request's transaction.

`Prepared[R]` returns rows (a SELECT, or a write with RETURNING) as `R`, a `NamedTuple`
whose fields are the statement's column labels in order (checked when first compiled):
typed records, made by the tuple's own constructor. `PreparedWrite` runs a statement that
returns no rows. Statements with expanding parameters (`IN` lists) go through SQLAlchemy's
public `construct_expanded_state`, which renders the list's placeholders; the rest skip it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.selectable import ReturnsRows

from parlour.db.session import ReadTransaction

R = TypeVar("R", bound=tuple[Any, ...])
"""A prepared statement's row type: a `NamedTuple` of its column labels."""

Where = Session | Connection | ReadTransaction
"""Where a statement runs: a session's transaction, a Core connection's, or a read's."""

_Processor = Callable[[Any], Any]

# How to fill one parameter: (name in the SQL, key the caller passes, the element's index
# when the key's value is an expanded list, value when the caller passes none, processor).
_Bind = tuple[str, str, int | None, Any, _Processor | None]


@dataclass(frozen=True, slots=True)
class _Plan:
    """What one dialect needs to run the statement: SQL, how to bind, how to read."""

    compiled: SQLCompiler
    positional: bool
    # The SQL and its parameters (in the SQL's order for positional paramstyles), per
    # length of each expanding list (`()` when there is none): each length renders its own.
    shapes: dict[tuple[int, ...], tuple[str, tuple[_Bind, ...]]]
    expanding: tuple[str, ...]  # keys of the expanding parameters
    make_row: Callable[[Sequence[Any]], Any] | None  # None: the statement returns no rows
    # (column index, result processor) for the columns whose values need converting.
    converters: tuple[tuple[int, _Processor], ...]


class _Compiled:
    """A statement and its plans per dialect; runs it on the driver."""

    def __init__(self, statement: Executable, row: type[tuple[Any, ...]] | None) -> None:
        self.statement = statement
        self._row = row
        self._plans: dict[str, _Plan] = {}

    def _plan(self, dialect: Dialect) -> _Plan:
        plan = self._plans.get(dialect.name)
        if plan is None:
            plan = self._plans[dialect.name] = _compile(self.statement, dialect, self._row)
        return plan

    def _run(self, where: Where, params: Mapping[str, Any]) -> tuple[_Plan, list[Any], int]:
        """Execute once on the driver: the plan, the rows fetched (if any), the row count."""
        dialect, driver = _driver(where)
        plan = self._plan(dialect)
        sql, args = _arguments(plan, params)
        cursor = driver.cursor()
        try:
            cursor.execute(sql, args)
            fetched = cursor.fetchall() if cursor.description is not None else []
            return plan, fetched, int(cursor.rowcount)
        finally:
            cursor.close()


class Prepared(_Compiled, Generic[R]):
    """A statement returning rows, built once, run many times with other bound parameters.

    A SELECT, or an INSERT/UPDATE/DELETE with RETURNING, whose every value is a bound
    parameter or SQL: one that needs SQLAlchemy to compute a column default in Python is
    refused when first compiled, as that happens in the execution path skipped here.
    """

    def __init__(self, statement: Executable, row: type[R]) -> None:
        super().__init__(statement, row)

    def all(self, where: Where, params: Mapping[str, Any]) -> list[R]:
        """Every row, in the transaction of the session, connection or read transaction."""
        plan, fetched, _ = self._run(where, params)
        make_row = plan.make_row
        assert make_row is not None
        converters = plan.converters
        if not converters:
            return list(map(make_row, fetched))
        rows = []
        for values in fetched:
            converted = list(values)
            for index, convert in converters:
                converted[index] = convert(converted[index])
            rows.append(make_row(converted))
        return rows

    def first(self, where: Where, params: Mapping[str, Any]) -> R | None:
        """The first row, or None (the statement should carry its own LIMIT)."""
        rows = self.all(where, params)
        return rows[0] if rows else None

    def scalar(self, where: Where, params: Mapping[str, Any]) -> object:
        """The first column of the first row, or None."""
        row = self.first(where, params)
        return None if row is None else row[0]


class PreparedWrite(_Compiled):
    """A statement returning no rows (INSERT, UPDATE, DELETE), built once."""

    def __init__(self, statement: Executable) -> None:
        super().__init__(statement, None)

    def execute(self, where: Where, params: Mapping[str, Any]) -> int:
        """Run it once; the number of rows it changed."""
        return self._run(where, params)[2]

    def execute_many(
        self, where: Session | Connection, params: Sequence[Mapping[str, Any]]
    ) -> None:
        """Run it once per parameter set (DB-API executemany)."""
        if not params:
            return
        dialect, driver = _driver(where)
        plan = self._plan(dialect)
        arguments = [_arguments(plan, one) for one in params]
        cursor = driver.cursor()
        try:
            cursor.executemany(arguments[0][0], [args for _, args in arguments])
        finally:
            cursor.close()


def _driver(where: Where) -> tuple[Dialect, Any]:
    """Where the statement runs: the dialect and DB-API connection of the session's
    connection, the connection given, or the read transaction's (which keeps it at hand)."""
    if isinstance(where, ReadTransaction):
        return where.dialect, where.driver
    connection = where.connection() if isinstance(where, Session) else where
    return connection.dialect, connection.connection.driver_connection


def _compile(statement: Executable, dialect: Dialect, row: type[tuple[Any, ...]] | None) -> _Plan:
    compiled = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
    assert isinstance(compiled, SQLCompiler)
    defaulted = [c.name for c in [*compiled.insert_prefetch, *compiled.update_prefetch]]
    if defaulted:
        raise TypeError(
            "a prepared statement cannot compute Python-side column defaults "
            f"({', '.join(defaulted)}): give every such column a value"
        )
    positional = bool(dialect.positional)
    expanding = tuple(bind.key for bind in compiled.binds.values() if bind.expanding)
    shapes: dict[tuple[int, ...], tuple[str, tuple[_Bind, ...]]] = {}
    if not expanding:
        names = list(compiled.positiontup or []) if positional else list(compiled.binds)
        binds: list[_Bind] = []
        for name in names:
            bind = compiled.binds[name]
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            binds.append((name, bind.key, None, bind.effective_value, processor))
        shapes[()] = (compiled.string, tuple(binds))
    # A SELECT's columns, or the RETURNING columns of an INSERT/UPDATE/DELETE (none without).
    columns = statement.exported_columns if isinstance(statement, ReturnsRows) else ()
    labels = tuple(columns.keys()) if columns else ()
    make_row = None
    if row is not None:
        fields = getattr(row, "_fields", None)
        if fields != labels:
            raise TypeError(f"{row.__name__} has fields {fields}, the statement returns {labels}")
        # The named tuple's own constructor, without `_make`'s Python frame and length
        # check (the driver gives every row all the statement's columns): 2.7 µs for a
        # list page's 21 rows, 4.3 through `_make` (measured).
        make_row = partial(tuple.__new__, row)
    elif labels:
        raise TypeError("a statement returning rows is a Prepared, with its row type")
    converters = []
    for index, column in enumerate(columns):
        processor = column.type.dialect_impl(dialect).result_processor(dialect, None)
        if processor is not None:
            converters.append((index, processor))
    return _Plan(
        compiled=compiled,
        positional=positional,
        shapes=shapes,
        expanding=expanding,
        make_row=make_row,
        converters=tuple(converters),
    )


def _expanded_shape(plan: _Plan, params: Mapping[str, Any]) -> tuple[str, tuple[_Bind, ...]]:
    """The SQL and parameters for these lengths of the expanding lists.

    SQLAlchemy renders it (`construct_expanded_state`, public since 2.0); it costs more
    than the query, so each length is rendered once and its parameter layout kept.
    """
    compiled = plan.compiled
    state = compiled.construct_expanded_state(dict(params))
    element: dict[str, tuple[str, int]] = {}
    for key, names in state.parameter_expansion.items():
        element.update((name, (key, index)) for index, name in enumerate(names))
    names = list(state.positiontup or []) if plan.positional else list(state.parameters)
    binds: list[_Bind] = []
    for name in names:
        if name in state.parameter_expansion:  # the list itself: its elements are bound
            continue
        processor = state.processors.get(name)
        if name in element:
            key, index = element[name]
            binds.append((name, compiled.binds[key].key, index, None, processor))
        else:
            bind = compiled.binds[name]
            binds.append((name, bind.key, None, bind.effective_value, processor))
    return state.statement, tuple(binds)


def _arguments(plan: _Plan, params: Mapping[str, Any]) -> tuple[str, Any]:
    """The SQL and the driver's arguments for one execution."""
    lengths = tuple(len(params[key]) for key in plan.expanding) if plan.expanding else ()
    shape = plan.shapes.get(lengths)
    if shape is None:
        shape = plan.shapes[lengths] = _expanded_shape(plan, params)
    sql, binds = shape
    values = []
    for _, key, index, default, processor in binds:
        value = params.get(key, default) if index is None else params[key][index]
        values.append(value if processor is None else processor(value))
    if plan.positional:
        return sql, values
    return sql, {bind[0]: value for bind, value in zip(binds, values, strict=True)}
