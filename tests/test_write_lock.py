"""Waiting for SQLite's write lock keeps the event loop serving (`Database.take_write_lock`)."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from sqlalchemy import text

from parlour.db.migrate import upgrade
from parlour.db.session import Database


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
