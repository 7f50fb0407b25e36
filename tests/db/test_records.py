"""Typed records hold to their tables, and a prepared statement to its record type."""

from __future__ import annotations

from typing import NamedTuple, get_type_hints

import pytest
from sqlalchemy import bindparam, select, update

from parlour.conversations.derived import DerivedColumns
from parlour.db.models import (
    Conversation,
    ConversationColumns,
    ConversationPart,
    ConversationRecord,
    PartRecord,
)
from parlour.db.prepared import Prepared, PreparedWrite
from parlour.db.session import Database
from parlour.demo.generator import CONVERSATION_COLUMNS, PART_COLUMNS


def test_records_have_every_column_in_table_order() -> None:
    assert ConversationRecord._fields == tuple(Conversation.__table__.columns.keys())
    assert PartRecord._fields == tuple(ConversationPart.__table__.columns.keys())


def test_generated_rows_are_records_but_for_the_entry() -> None:
    """The demo generator's tuples are records in the making (`demo.entries` makes them)."""
    assert (*CONVERSATION_COLUMNS, "summary") == ConversationRecord._fields
    assert PartRecord._fields == PART_COLUMNS


class _Wrong(NamedTuple):
    id: int
    titel: str | None


def test_a_row_type_must_name_the_statements_columns(db: Database) -> None:
    statement = select(Conversation.id, Conversation.title).where(
        Conversation.id == bindparam("id")
    )
    with db.read_session() as session, pytest.raises(TypeError, match="titel"):
        Prepared(statement, _Wrong).all(session, {"id": 1})


def test_a_statement_returning_rows_is_not_a_write(db: Database) -> None:
    with db.read_session() as session, pytest.raises(TypeError, match="row type"):
        PreparedWrite(select(Conversation.id)).execute(session, {})
    write = PreparedWrite(update(Conversation).where(Conversation.id == -1).values(title="x"))
    with db.write_session() as session:
        assert write.execute(session, {}) == 0
        session.rollback()


def test_the_typed_columns_are_the_records_own() -> None:
    """`ConversationColumns` (what a write sets) and `DerivedColumns` (what derivation gives)
    declare the record's fields with the record's types: the three cannot drift apart."""
    record = get_type_hints(ConversationRecord)
    columns = get_type_hints(ConversationColumns)
    assert list(columns) == [n for n in ConversationRecord._fields if n not in ("id", "summary")]
    assert all(columns[name] == record[name] for name in columns)
    derived = get_type_hints(DerivedColumns)
    assert all(derived[name] == record[name] for name in derived)
