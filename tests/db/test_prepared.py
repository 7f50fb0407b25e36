"""`db.prepared.Prepared` reads exactly what SQLAlchemy's own execution reads, on both backends."""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import pytest
from sqlalchemy import bindparam, func, select, update

from parlour.db.models import Conversation, ConversationPart
from parlour.db.prepared import Prepared
from parlour.db.session import Database
from tests.conftest import TEST_NOW
from tests.factories import (
    ConversationSpec,
    Workspace,
    admin_says,
    make_contact,
    make_conversation,
)

CONVERSATION = Conversation.__table__


def prepared(statement: Any) -> Prepared[Any]:
    """`statement` prepared, its rows a named tuple of its labels."""
    return Prepared(statement, namedtuple("Row", statement.selected_columns.keys()))  # type: ignore[misc]
PART = ConversationPart.__table__


@pytest.fixture
def conversations(db: Database, workspace: Workspace) -> list[int]:
    contact = make_contact(db, workspace, now=TEST_NOW)
    made = []
    for n in range(3):
        spec = ConversationSpec(
            created_at=TEST_NOW - 100 + n,
            contact_id=contact,
            events=[admin_says(workspace.owner_id, TEST_NOW - 50 + n)] if n else [],
            read=n == 1,
            custom_attributes={"n": n, "nested": {"list": [1, 2.5, None]}, "flag": n == 2},
        )
        made.append(make_conversation(db, workspace, spec, now=TEST_NOW))
    return made


STATEMENTS: dict[str, Any] = {
    # every column type the conversation table has: JSON, booleans, nullable integers, text
    "whole rows": select(CONVERSATION)
    .where(CONVERSATION.c.workspace_id == bindparam("workspace_id"))
    .order_by(CONVERSATION.c.id),
    # an IN list (expanding parameter) beside a plain one
    "in list": select(CONVERSATION.c.id, CONVERSATION.c.open)
    .where(
        CONVERSATION.c.workspace_id == bindparam("workspace_id"),
        CONVERSATION.c.id.in_(bindparam("ids", expanding=True)),
    )
    .order_by(CONVERSATION.c.id),
    # literal values the statement carries itself, and a bound LIMIT
    "literals and limit": select(PART)
    .where(
        PART.c.workspace_id == bindparam("workspace_id"),
        PART.c.part_type != "note",
        CONVERSATION.c.read.is_(False),
        PART.c.conversation_id == CONVERSATION.c.id,
    )
    .order_by(PART.c.id.desc())
    .limit(bindparam("limit")),
    "aggregate": select(func.count()).where(
        CONVERSATION.c.workspace_id == bindparam("workspace_id")
    ),
}


@pytest.mark.parametrize("name", sorted(STATEMENTS))
def test_rows_equal_sqlalchemys_own(
    db: Database, workspace: Workspace, conversations: list[int], name: str
) -> None:
    statement = STATEMENTS[name]
    compiled = prepared(statement)
    # IN lists of several lengths (each renders its own SQL), the same length twice (the
    # kept layout), and none (SQLAlchemy's empty-IN form).
    for ids in (conversations[:2], conversations, conversations[1:], []):
        params = {"workspace_id": workspace.id, "ids": ids, "limit": 2}
        with db.read_session() as session:
            expected = session.connection().execute(statement, params).all()
            rows = compiled.all(session, params)
            again = compiled.all(session.connection(), params)  # a Core connection does too
        if ids:
            assert expected, "the statement must find something for the comparison to mean much"
        assert [tuple(r) for r in rows] == [tuple(r) for r in expected]
        assert [tuple(r) for r in again] == [tuple(r) for r in expected]
        # Read like SQLAlchemy's rows: by label, with the same Python types.
        for row, want in zip(rows, expected, strict=True):
            for label in statement.selected_columns.keys():  # noqa: SIM118 (labels, not columns)
                assert getattr(row, label) == getattr(want, label)
                assert type(getattr(row, label)) is type(getattr(want, label))


def test_first_and_scalar(db: Database, workspace: Workspace, conversations: list[int]) -> None:
    by_id = prepared(
        select(CONVERSATION.c.id, CONVERSATION.c.custom_attributes).where(
            CONVERSATION.c.id == bindparam("id")
        )
    )
    counting = prepared(STATEMENTS["aggregate"])
    with db.read_session() as session:
        found = by_id.first(session, {"id": conversations[2]})
        assert found is not None
        assert found.custom_attributes == {"n": 2, "nested": {"list": [1, 2.5, None]}, "flag": True}
        assert by_id.first(session, {"id": -1}) is None
        assert counting.scalar(session, {"workspace_id": workspace.id}) == 3
        assert counting.scalar(session, {"workspace_id": -1}) == 0


def test_runs_in_the_sessions_transaction(
    db: Database, workspace: Workspace, conversations: list[int]
) -> None:
    """What the session changed and has not committed is what it reads; rolled back, gone."""
    title = prepared(select(CONVERSATION.c.title).where(CONVERSATION.c.id == bindparam("id")))
    params = {"id": conversations[0]}
    with db.write_session() as session:
        session.execute(
            update(Conversation).where(Conversation.id == conversations[0]).values(title="new")
        )
        assert title.scalar(session, params) == "new"
        session.rollback()
        assert title.scalar(session, params) is None
