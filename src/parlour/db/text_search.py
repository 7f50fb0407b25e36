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
"""

from __future__ import annotations

from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, text

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

_fts_present: WeakKeyDictionary[Engine, bool] = WeakKeyDictionary()


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic autogenerate filter: leave the text-search objects out of the comparison."""
    if type_ == "table" and name in FTS_TABLES:
        return False
    return not (type_ == "index" and name in TRIGRAM_INDEXES)


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
