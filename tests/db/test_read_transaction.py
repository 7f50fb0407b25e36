"""`db.session.ReadTransaction`: one connection, one transaction, an ORM session on demand."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from sqlalchemy import bindparam, select, update

from parlour.db.migrate import upgrade
from parlour.db.models import Conversation
from parlour.db.prepared import Prepared
from parlour.db.session import Database
from parlour.wiring import open_database
from tests.conftest import TEST_NOW
from tests.factories import ConversationSpec, Workspace, make_contact, make_conversation


class _Title(NamedTuple):
    title: str | None


TITLE = Prepared(select(Conversation.title).where(Conversation.id == bindparam("id")), _Title)


def _conversation(db: Database, workspace: Workspace) -> int:
    contact = make_contact(db, workspace, now=TEST_NOW)
    spec = ConversationSpec(created_at=TEST_NOW - 60, contact_id=contact)
    return make_conversation(db, workspace, spec, now=TEST_NOW)


def _retitle(db: Database, conversation_id: int, title: str) -> None:
    with db.write_session() as session:
        session.execute(
            update(Conversation).where(Conversation.id == conversation_id).values(title=title)
        )
        session.commit()


def test_the_session_is_made_on_demand_in_the_same_transaction(
    db: Database, workspace: Workspace
) -> None:
    found = _conversation(db, workspace)
    reads = db.read_transaction()
    try:
        assert TITLE.scalar(reads, {"id": found}) is None
        _retitle(db, found, "changed meanwhile")
        session = reads.session
        assert session is reads.session  # one per transaction
        driver = session.connection().connection.driver_connection
        assert driver is reads.connection.driver_connection
        title = session.scalar(select(Conversation.title).where(Conversation.id == found))
        if db.is_sqlite:
            # One snapshot for the whole transaction: the commit made after it began is
            # not seen, by the session either. (PostgreSQL reads each statement afresh.)
            assert title is None
        else:
            assert title == "changed meanwhile"
    finally:
        reads.close()


def test_closing_ends_the_transaction_and_returns_the_connection(
    db: Database, workspace: Workspace
) -> None:
    found = _conversation(db, workspace)
    pool = db.engine.pool

    def lent() -> int:  # connections out of the pool, less SQLite's idle ones
        return int(pool.checkedout()) - len(db._idle_reads)  # type: ignore[attr-defined]

    before = lent()
    for with_session in (False, True):
        reads = db.read_transaction()
        driver = reads.connection.driver_connection
        TITLE.scalar(reads, {"id": found})
        if with_session:
            reads.session.scalar(select(Conversation.id).where(Conversation.id == found))
        assert lent() == before + 1
        assert db.open_reads == 1
        reads.close()
        assert lent() == before
        assert db.open_reads == 0
        if db.is_sqlite:
            assert not driver.in_transaction  # type: ignore[union-attr]
        # The next transaction sees what was committed since.
        _retitle(db, found, f"after {with_session}")
        again = db.read_transaction()
        try:
            assert TITLE.scalar(again, {"id": found}) == f"after {with_session}"
        finally:
            again.close()


def test_sqlite_reads_reuse_an_ended_connection_outside_the_pool(tmp_path: Path) -> None:
    """An ended read leaves its connection idle for the next (no pool round trip)."""
    db = open_database(f"sqlite:///{tmp_path / 'idle.db'}")
    upgrade(db.engine)
    try:
        first = db.read_transaction()
        driver = first.connection.driver_connection
        assert driver.in_transaction
        first.close()
        assert not driver.in_transaction  # the snapshot is released at once
        assert db.open_reads == 0
        second = db.read_transaction()
        assert second.connection.driver_connection is driver
        assert db.open_reads == 1
        third = db.read_transaction()  # while the second is open: another connection
        assert third.connection.driver_connection is not driver
        third.close()
        second.close()
        assert db.open_reads == 0
    finally:
        db.dispose()
    assert db.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
