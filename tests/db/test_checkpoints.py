"""Background WAL checkpoints (`Database.checkpoint_in_background`): none in commits."""

from __future__ import annotations

import time
from pathlib import Path

from parlour.db.migrate import upgrade
from parlour.db.session import Database


def _fill(db: Database, rows: int) -> None:
    with db.engine.begin() as conn:
        conn.exec_driver_sql(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
            "INSERT INTO server_setting (key, value) SELECT 'k' || i, hex(randomblob(400)) FROM n",
            (rows,),
        )


def test_commits_leave_checkpoints_to_the_background_thread(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    db = Database(f"sqlite:///{path}")
    upgrade(db.engine)
    db.checkpoint_in_background(interval=3600)  # the thread stays asleep: nothing checkpoints
    try:
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
        before = path.stat().st_size
        _fill(db, 20_000)  # ~2,500 pages: past the 1,000 at which a commit would checkpoint
        assert path.stat().st_size == before  # all of it still in the WAL
    finally:
        db.dispose()  # stops the thread after a last checkpoint
    assert path.stat().st_size > before + 8_000_000


def test_the_thread_checkpoints_while_the_server_runs(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    db = Database(f"sqlite:///{path}")
    upgrade(db.engine)
    db.checkpoint_in_background(interval=0.02)
    try:
        before = path.stat().st_size
        _fill(db, 20_000)
        deadline = time.monotonic() + 5
        while path.stat().st_size <= before + 8_000_000:
            assert time.monotonic() < deadline, "no checkpoint copied the WAL in"
            time.sleep(0.02)
    finally:
        db.dispose()


def test_other_databases_keep_sqlites_own_checkpoints(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'plain.db'}")
    try:
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 1000
    finally:
        db.dispose()
