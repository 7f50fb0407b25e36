"""Text-search indexes that live beside the models: SQLite FTS5 and PostgreSQL pg_trgm.

Search compares the pre-folded `conversation.search_subject` / `search_body` columns
(`core.text`); these indexes only make substring tests on them fast:

- SQLite: an external-content FTS5 table with the trigram tokenizer over both columns
  (`conversation_search`, rowid = conversation id), kept in step by triggers.
- PostgreSQL: GIN `gin_trgm_ops` indexes on both columns, which serve `LIKE '%…%'`.
  They need the pg_trgm extension; migration 0004 creates it when it may (PostgreSQL 13+
  lets a database owner create this trusted extension) and otherwise leaves the indexes
  out, with a warning: searches stay correct, only substring tests scan.

Both are created by migration 0004, not by the models, since SQLAlchemy cannot describe
virtual tables, triggers or operator classes for both backends; `include_object` keeps
them out of autogenerate's comparison (`env.py`, `tests/test_migrations.py`).

PostgreSQL also keeps a narrow copy of the two columns, `conversation_text` (migration
0008, kept by triggers and a cascading foreign key), for counting: a count of a common word
must visit every matching row's page, and the copy's rows are ~110 bytes where
`conversation`'s are ~2 KB (14,500 pages against 245,000 at a million conversations). It
has the trigram indexes too, and an exact GIN index of the body's words
(`body_words`) for whole-word tests. It exists on PostgreSQL only, so it is described here
rather than in the models.
"""

from __future__ import annotations

from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Connection,
    Engine,
    MetaData,
    SQLColumnExpression,
    Table,
    Text,
    func,
    literal_column,
    or_,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY

from parlour.core.text import fold
from parlour.db.models.conversation_group import GROUP_ROLLUP

FTS_TABLE = "conversation_search"
# FTS5 keeps its index in shadow tables named after the virtual table.
FTS_TABLES = frozenset(
    {FTS_TABLE, *(f"{FTS_TABLE}_{suffix}" for suffix in ("data", "idx", "docsize", "config"))}
)
TRIGRAM_INDEXES = frozenset(
    {"ix_conversation_search_subject_trgm", "ix_conversation_search_body_trgm"}
)
# Run these as a superuser (or the database owner) to add the indexes after the fact.
TRIGRAM_DDL = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS ix_conversation_search_subject_trgm "
    "ON conversation USING gin (search_subject gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS ix_conversation_search_body_trgm "
    "ON conversation USING gin (search_body gin_trgm_ops)",
)

# PostgreSQL only (migration 0008): the folded subject and body again, for counts.
COUNT_TABLE = "conversation_text"
COUNT_INDEXES = frozenset(
    {
        "ix_conversation_text_words",
        "ix_conversation_text_subject_trgm",
        "ix_conversation_text_body_trgm",
    }
)
CONVERSATION_TEXT = Table(
    COUNT_TABLE,
    MetaData(),
    Column("id", BigInteger, primary_key=True),
    Column("workspace_id", BigInteger, nullable=False),
    Column("search_subject", Text, nullable=False),
    Column("search_body", Text, nullable=False),
)


def body_words(body: ColumnElement[str]) -> ColumnElement[list[str]]:
    """The words of an `indexed_words` string (` w1 w2 `) as a text array.

    Exactly the expression of `ix_conversation_text_words`: the separator is a literal, not
    a bound parameter, so every plan (generic ones included) matches the index.
    """
    return func.string_to_array(func.btrim(body), literal_column("' '"), type_=ARRAY(Text))


_fts_present: WeakKeyDictionary[Engine, bool] = WeakKeyDictionary()


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic autogenerate filter: leave the text-search objects out of the comparison.

    Also PostgreSQL's group rollup (migration 0009), which has no model for the same reason.
    """
    if type_ == "table" and (name in FTS_TABLES or name in (COUNT_TABLE, GROUP_ROLLUP.name)):
        return False
    return not (type_ == "index" and (name in TRIGRAM_INDEXES or name in COUNT_INDEXES))


def has_fts(connection: Connection) -> bool:
    """True when this SQLite database has the FTS5 trigram table (cached per engine)."""
    engine = connection.engine
    present = _fts_present.get(engine)
    if present is None:
        found = connection.execute(
            text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :name"),
            {"name": FTS_TABLE},
        ).first()
        present = found is not None
        _fts_present[engine] = present
    return present


def folded_in_db(expression: SQLColumnExpression[Any], dialect: str) -> ColumnElement[Any]:
    """`expression` folded by the database: `parlour_fold` on SQLite (the same Python code
    as `core.text.fold`; its own `lower()` is ASCII-only), `lower()` on PostgreSQL."""
    return func.parlour_fold(expression) if dialect == "sqlite" else func.lower(expression)


def same_text_any_case(
    column: SQLColumnExpression[Any], value: str, dialect: str
) -> ColumnElement[bool]:
    """`column` equals `value` as given, or ignoring case with the same rule on both sides
    (`Éclair` is `éclair` on either database). Names unique "in any case" compare so."""
    if dialect == "sqlite":
        caseless = func.parlour_fold(column) == fold(value)
    else:
        caseless = func.lower(column) == func.lower(value)
    return or_(column == value, caseless)
