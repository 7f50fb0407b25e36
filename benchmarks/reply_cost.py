"""In-process cost of a reply: CPU per request, and how long it holds SQLite's write lock.

    .venv/bin/python benchmarks/reply_cost.py                      # 20,000 conversations
    .venv/bin/python benchmarks/reply_cost.py --count 100000 -n 3000 --dir /tmp/replies

Seeds a SQLite file once (kept in `--dir`), copies it, builds the app and calls it directly
(raw ASGI, no server, no load generator sharing the cores) with admin comments on random
conversations of fewer than 100 parts, as `benchmarks/run.py`'s reply scenario does.
Prints the process CPU per reply and the time from `BEGIN IMMEDIATE` to the end of
`COMMIT` (wall and CPU): on SQLite, writes/s across all workers is about 1 / that time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import statistics
import time
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from parlour.app import create_app
from parlour.config import Settings
from parlour.db.migrate import upgrade
from parlour.db.models import Admin, Conversation
from parlour.db.session import Database
from parlour.demo.loader import seed_conversations
from parlour.workspaces import service as workspaces


def seed(path: Path, count: int) -> dict[str, Any]:
    """A seeded SQLite file (made once): its workspace id and token."""
    meta_path = path.with_suffix(".json")
    if meta_path.exists() and path.exists():
        meta: dict[str, Any] = json.loads(meta_path.read_text())
        return meta
    db = Database(f"sqlite:///{path}")
    upgrade(db.engine)
    now = int(time.time())
    with db.write_session() as session:
        ws, _owner = workspaces.create_workspace(session, name="replies", now=now)
        session.flush()
        token = workspaces.create_token(session, ws, now=now, name="replies")
        workspace_id = ws.id
        session.commit()
    seed_conversations(db, workspace_id, count, now=now, seed=1)
    db.analyze()
    db.dispose()
    meta = {"workspace_id": workspace_id, "token": token}
    meta_path.write_text(json.dumps(meta))
    return meta


async def call(app: Any, path: str, token: str, body: bytes) -> tuple[int, bytes]:
    """One POST through the ASGI app; (status, body)."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "server": ("bench", 80), "client": ("127.0.0.1", 1),
        "headers": [
            (b"host", b"bench"), (b"authorization", f"Bearer {token}".encode()),
            (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        ],
    }  # fmt: skip
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # never disconnects
        raise AssertionError

    status = 0
    chunks: list[bytes] = []

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


class LockTimer:
    """Times each write transaction from its BEGIN IMMEDIATE to the end of its COMMIT."""

    def __init__(self, db: Database) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []
        self._began: tuple[float, float] | None = None
        take, dialect = db.take_write_lock, db.engine.dialect
        commit, rollback = dialect.do_commit, dialect.do_rollback

        async def timed_take(session: Session, **kwargs: Any) -> None:
            await take(session, **kwargs)
            self._began = (time.perf_counter(), time.process_time())

        def timed_commit(connection: Any) -> None:
            commit(connection)
            if self._began is not None:
                self.wall.append(time.perf_counter() - self._began[0])
                self.cpu.append(time.process_time() - self._began[1])
                self._began = None

        def timed_rollback(connection: Any) -> None:
            rollback(connection)
            self._began = None

        db.take_write_lock = timed_take  # type: ignore[method-assign]
        dialect.do_commit = timed_commit  # type: ignore[method-assign,assignment]
        dialect.do_rollback = timed_rollback  # type: ignore[method-assign,assignment]


def _ms(values: list[float]) -> str:
    mean, median = statistics.mean(values) * 1000, statistics.median(values) * 1000
    return f"mean {mean:.2f} ms, median {median:.2f} ms"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=20_000, help="conversations to seed")
    parser.add_argument("-n", type=int, default=2_000, help="replies measured")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/parlour-replies"))
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    seeded = args.dir / f"seed-{args.count}.db"
    meta = seed(seeded, args.count)
    work = args.dir / "run.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{work}{suffix}").unlink(missing_ok=True)
    shutil.copy(seeded, work)
    settings = Settings(
        database_url=f"sqlite:///{work}", secret_key="x" * 32, scheduler_interval=0,
        rate_limit=10**9, max_in_flight=0,
    )  # fmt: skip
    app = create_app(settings)
    db: Database = app.state.parlour.db
    workspace_id = meta["workspace_id"]
    with db.read_session() as session:
        admins = list(session.scalars(select(Admin.id).where(Admin.workspace_id == workspace_id)))
        ids = list(session.scalars(select(Conversation.id).where(
            Conversation.workspace_id == workspace_id, Conversation.part_count < 100)))  # fmt: skip
    rng = random.Random(1)
    timer = LockTimer(db)

    async def replies(n: int) -> float:
        started = time.process_time()
        for k in range(n):
            body = orjson.dumps({
                "type": "admin", "message_type": "comment", "admin_id": str(rng.choice(admins)),
                "body": f"Thanks, looking into it ({k}).",
            })  # fmt: skip
            status, out = await call(app, f"/conversations/{rng.choice(ids)}/reply",
                                     meta["token"], body)  # fmt: skip
            assert status == 200, (status, out[:300])
        return time.process_time() - started

    async with app.router.lifespan_context(app):
        await replies(200)  # warm up
        timer.wall.clear()
        timer.cpu.clear()
        cpu = await replies(args.n)
    print(f"{args.n} replies, {args.count:,} conversations (SQLite)")
    print(f"CPU per reply:        {cpu / args.n * 1000:.2f} ms")
    print(f"write lock held:      {_ms(timer.wall)}")
    print(f"  of which CPU:       {_ms(timer.cpu)}")


if __name__ == "__main__":
    asyncio.run(main())
