"""`db.unit_of_work`: what a write did, and the commit pipeline that follows it, in order.

The pipeline's steps run in the order given, in the write's transaction (their rows
commit with it or not at all), and the after-commit steps only once it is durable; a
rolled-back write runs none; a storage-only `Database` refuses to commit conversation
writes rather than drop what must follow them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import select, update

from parlour.conversations import edits, entries
from parlour.conversations.inputs import Update
from parlour.conversations.writes import Writer
from parlour.db.migrate import upgrade
from parlour.db.models import Admin, Conversation, WebhookDelivery
from parlour.db.session import Database
from parlour.db.unit_of_work import Announcement, Pipeline, UnitOfWork
from parlour.webhooks import service as webhooks
from parlour.wiring import commit_pipeline, open_database
from tests.conftest import TEST_NOW
from tests.factories import (
    ConversationSpec,
    Workspace,
    make_contact,
    make_conversation,
    make_workspace,
)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    """A migrated SQLite file of its own (these tests open databases with other pipelines)."""
    file = tmp_path / "work.db"
    db = Database(f"sqlite:///{file}")
    upgrade(db.engine)
    db.dispose()
    return file


def _title_seen_elsewhere(url: str, conversation_id: int) -> str | None:
    other = Database(url)
    try:
        with other.read_session() as session:
            return session.scalar(
                select(Conversation.title).where(Conversation.id == conversation_id)
            )
    finally:
        other.dispose()


def test_steps_run_in_order_in_the_transaction_then_after_it(path: Path) -> None:
    url = f"sqlite:///{path}"
    log: list[str] = []

    def collect(work: UnitOfWork) -> None:
        log.append("collect")

    def first(work: UnitOfWork) -> None:
        # In the transaction: another connection does not see the change yet.
        log.append(f"first:{_title_seen_elsewhere(url, conversation_id)}")

    def second(work: UnitOfWork) -> None:
        log.append("second")

    def after(work: UnitOfWork) -> None:
        # Durable: another connection sees it.
        log.append(f"after:{_title_seen_elsewhere(url, conversation_id)}")

    db = open_database(url, clock=lambda: TEST_NOW)
    ws = make_workspace(db, now=TEST_NOW)
    contact = make_contact(db, ws, now=TEST_NOW)
    conversation_id = make_conversation(
        db, ws, ConversationSpec(created_at=TEST_NOW, contact_id=contact), now=TEST_NOW
    )
    db.dispose()
    pipeline = Pipeline(
        collectors=(collect,), before_commit=(first, second), after_commit=(after,)
    )
    db = Database(url, pipeline=pipeline)
    try:
        with db.unit_of_work(TEST_NOW) as work:
            work.session.execute(
                update(Conversation).where(Conversation.id == conversation_id).values(title="T")
            )
            work.session.add(Admin(workspace_id=ws.id, name="N", email="n@x.io", created_at=1))
            work.commit()
        assert log == ["collect", "first:None", "second", "after:T"]
    finally:
        db.dispose()


def test_a_rolled_back_write_runs_no_step_and_leaves_nothing(path: Path) -> None:
    ran: list[str] = []
    db = Database(
        f"sqlite:///{path}",
        pipeline=Pipeline(before_commit=(lambda w: ran.append("before"),),
                          after_commit=(lambda w: ran.append("after"),)),
    )  # fmt: skip
    try:
        with db.write_session() as session:
            session.execute(select(1))
            work = UnitOfWork.of(session, db.pipeline)
            work.render_whole(1)
            session.rollback()
            # The next transaction of the session starts a unit of work of its own.
            assert UnitOfWork.of(session, db.pipeline) is not work
        with db.unit_of_work() as work:
            work.announce(Announcement("conversation.read", 1, 1))
        assert ran == []
    finally:
        db.dispose()


def test_a_storage_only_database_refuses_to_commit_conversation_writes(path: Path) -> None:
    db = Database(f"sqlite:///{path}")
    try:
        with db.unit_of_work() as work:
            work.announce(Announcement("conversation.read", 1, 1))
            with pytest.raises(RuntimeError, match="no commit pipeline"):
                work.commit()
        # Writes that follow up nothing commit as ever.
        ws = make_workspace(db, now=TEST_NOW)
        assert ws.id > 0
    finally:
        db.dispose()


@pytest.fixture
def counted(database_url: str) -> Iterator[tuple[Database, list[int]]]:
    """A database whose pipeline counts how often an announcement is rendered."""
    renders: list[int] = []
    parlour = commit_pipeline(clock=lambda: TEST_NOW)

    def render(work: UnitOfWork, announcement: Announcement) -> dict[str, Any]:
        renders.append(announcement.conversation_id)
        return entries.payload(work, announcement)

    db = Database(
        database_url,
        pipeline=Pipeline(
            collectors=parlour.collectors,
            before_commit=parlour.before_commit,
            render=render,
            clock=parlour.clock,
        ),
    )
    yield db, renders
    db.dispose()


def test_a_write_renders_its_conversation_once_for_entry_and_payload(
    counted: tuple[Database, list[int]], workspace: Workspace
) -> None:
    """The entry the commit stores is the webhook's payload (with the part): one render."""
    db, renders = counted
    contact = make_contact(db, workspace, now=TEST_NOW)
    cid = make_conversation(
        db, workspace, ConversationSpec(created_at=TEST_NOW, contact_id=contact), now=TEST_NOW
    )
    with db.write_session() as session:
        for n in range(2):  # two endpoints: one payload for both
            webhooks.create_subscription(
                session, workspace_id=workspace.id, now=TEST_NOW,
                url=f"https://hooks.example.com/{n}", topics=["conversation.read"],
            )  # fmt: skip
        session.commit()
    with db.unit_of_work(TEST_NOW) as work:
        edits.update(Writer(work, workspace.id, TEST_NOW), str(cid), change=Update(read=True))
        work.commit()
    assert renders == [cid]
    assert work.deliveries == 2
    with db.read_session() as session:
        stored = session.scalar(select(Conversation.summary).where(Conversation.id == cid))
        items = session.scalars(
            select(WebhookDelivery.item).where(WebhookDelivery.workspace_id == workspace.id)
        ).all()
    assert stored is not None and stored == work.stored[cid].entry
    assert len(items) == 2 and items[0] == items[1]
    shown = {k: v for k, v in items[0].items() if k != "conversation_parts"}
    assert shown == orjson.loads(stored)
    assert items[0]["conversation_parts"]["total_count"] == 0
