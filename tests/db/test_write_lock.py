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
from parlour.wiring import open_database
from tests.conftest import TEST_NOW, make_settings
from tests.factories import ConversationSpec, make_contact, make_conversation, make_workspace


def _held(tmp_path: Path, name: str) -> tuple[Database, sqlite3.Connection]:
    """A migrated database whose write lock another connection (another worker) holds."""
    path = tmp_path / name
    db = open_database(f"sqlite:///{path}")
    upgrade(db.engine)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    return db, other


def test_a_waiting_writer_leaves_the_loop_free_and_then_writes(tmp_path: Path) -> None:
    db, other = _held(tmp_path, "lock.db")  # another worker's write transaction

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
    db = open_database(f"sqlite:///{tmp_path / 'free.db'}")
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
    db, other = _held(tmp_path, "held.db")  # held past the deadline

    async def scenario() -> None:
        with db.write_session() as session:
            await db.take_write_lock(session, timeout=0.05)

    with pytest.raises(WriteLockTimeout):
        asyncio.run(scenario())
    other.execute("COMMIT")
    other.close()
    db.dispose()


def test_many_waiting_writers_hold_one_connection_and_all_write(tmp_path: Path) -> None:
    """Writers queued in one process wait at its gate: the pool is never emptied by waiting."""
    db, other = _held(tmp_path, "queue.db")
    writers = 40  # more than the pool holds (10 + 20 overflow)
    most_checked_out = 0

    async def write(n: int) -> None:
        nonlocal most_checked_out
        with db.write_session() as session:
            await db.take_write_lock(session, timeout=10)
            most_checked_out = max(most_checked_out, db.engine.pool.checkedout())  # type: ignore[attr-defined]
            session.execute(
                text("INSERT INTO server_setting (key, value) VALUES (:k, 'x')"), {"k": f"q{n}"}
            )
            session.commit()

    async def scenario() -> None:
        waiting = [asyncio.create_task(write(n)) for n in range(writers)]
        await asyncio.sleep(0.05)
        # One connection waits for the lock; the other writers wait without one.
        assert db.engine.pool.checkedout() == 1  # type: ignore[attr-defined]
        other.execute("COMMIT")
        await asyncio.gather(*waiting)

    asyncio.run(scenario())
    assert most_checked_out <= 2  # the writer, and the next one waiting for the lock
    with db.read_session() as session:
        written = session.execute(
            text("SELECT count(*) FROM server_setting WHERE key LIKE 'q%'")
        ).scalar()
    assert written == writers
    other.close()
    db.dispose()


def test_a_writer_queued_behind_another_waiter_also_times_out(tmp_path: Path) -> None:
    db, other = _held(tmp_path, "queued.db")  # held past every deadline

    async def wait(timeout: float) -> None:
        with db.write_session() as session:
            await db.take_write_lock(session, timeout=timeout)

    async def scenario() -> list[BaseException | None]:
        first = asyncio.create_task(wait(0.3))
        await asyncio.sleep(0.01)
        second = asyncio.create_task(wait(0.05))  # still at the gate when its time is up
        return await asyncio.gather(first, second, return_exceptions=True)

    outcomes = asyncio.run(scenario())
    assert [type(o) for o in outcomes] == [WriteLockTimeout, WriteLockTimeout]
    assert db.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
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
