"""Waiting for SQLite's write lock keeps the event loop serving (`Database.take_write_lock`)."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from parlour.api import deps
from parlour.app import create_app
from parlour.core.clock import FrozenClock
from parlour.db.migrate import upgrade
from parlour.db.session import Database, WriteLockTimeout
from tests.conftest import TEST_NOW, make_settings
from tests.factories import ConversationSpec, make_contact, make_conversation, make_workspace


def test_a_waiting_writer_leaves_the_loop_free_and_then_writes(tmp_path: Path) -> None:
    path = tmp_path / "lock.db"
    db = Database(f"sqlite:///{path}")
    upgrade(db.engine)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another worker's write transaction

    async def scenario() -> tuple[int, int]:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.001)

        async def release_later() -> None:
            await asyncio.sleep(0.2)
            other.execute("COMMIT")

        ticking = asyncio.create_task(ticker())
        releasing = asyncio.create_task(release_later())
        with db.write_session() as session:
            await db.take_write_lock(session)
            ticks_while_waiting = ticks
            session.execute(
                text("INSERT INTO server_setting (key, value) VALUES ('lock-test', 'x')")
            )
            session.commit()
        await releasing
        ticking.cancel()
        return ticks_while_waiting, ticks

    waited, _ = asyncio.run(scenario())
    # The loop ran other work (about one tick a millisecond) during the 200 ms wait.
    assert waited >= 20
    with db.read_session() as session:
        value = session.execute(
            text("SELECT value FROM server_setting WHERE key = 'lock-test'")
        ).scalar()
    assert value == "x"
    other.close()
    db.dispose()


def test_no_wait_when_the_lock_is_free(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'free.db'}")
    upgrade(db.engine)

    async def scenario() -> None:
        with db.write_session() as session:
            await db.take_write_lock(session)
            session.execute(text("INSERT INTO server_setting (key, value) VALUES ('k', 'v')"))
            session.commit()

    asyncio.run(scenario())
    with db.read_session() as session:
        assert session.execute(text("SELECT count(*) FROM server_setting")).scalar() >= 1
    db.dispose()


def test_a_lock_never_freed_ends_the_wait_with_nothing_written(tmp_path: Path) -> None:
    path = tmp_path / "held.db"
    db = Database(f"sqlite:///{path}")
    upgrade(db.engine)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # held past the deadline

    async def scenario() -> None:
        with db.write_session() as session:
            await db.take_write_lock(session, timeout=0.05)

    with pytest.raises(WriteLockTimeout):
        asyncio.run(scenario())
    other.execute("COMMIT")
    other.close()
    db.dispose()


def test_a_write_that_cannot_get_the_lock_is_a_retryable_503(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under a write load past what SQLite can take, the answer says: nothing done, retry."""
    url = f"sqlite:///{tmp_path / 'busy.db'}"
    upgrade(Database(url).engine)
    app = create_app(make_settings(url), clock=FrozenClock(TEST_NOW))
    db = app.state.parlour.db
    ws = make_workspace(db, now=TEST_NOW)
    contact = make_contact(db, ws, now=TEST_NOW)
    conversation = make_conversation(
        db, ws, ConversationSpec(created_at=TEST_NOW - 60, contact_id=contact), now=TEST_NOW
    )
    monkeypatch.setattr(deps, "WRITE_WAIT_SECONDS", 0.05)
    other = sqlite3.connect(tmp_path / "busy.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    with TestClient(app) as client:
        answer = client.post(
            f"/conversations/{conversation}/reply",
            headers=ws.headers,
            json={
                "message_type": "comment",
                "type": "admin",
                "admin_id": str(ws.owner_id),
                "body": "hello",
            },
        )
        other.execute("ROLLBACK")
        assert answer.status_code == 503
        assert answer.headers["retry-after"] == "1"
        assert answer.json()["errors"][0]["code"] == "service_unavailable"
        parts = client.get(f"/conversations/{conversation}", headers=ws.headers).json()
        assert parts["conversation_parts"]["total_count"] == 0  # the reply was not written
    other.close()
    db.dispose()
