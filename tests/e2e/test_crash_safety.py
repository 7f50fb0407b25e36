"""Crash safety: SIGKILL a loaded `parlour serve`, restart it, and find every acknowledged write.

`parlour serve` (two workers) runs on a database of its own; client threads send a mix of
conversation writes (new conversations from a contact, admin and contact replies, close,
open, snooze and assignment parts, tags, custom attributes). Each thread owns the
conversations it creates, so it knows exactly what each one must hold: every write rendering
the conversation answers with all its parts, committed before the answer leaves. After some
hundreds of acknowledged writes the whole process group is killed mid-load; a new server
starts on the same database, and the test proves:

- every acknowledged conversation, part, tag and attribute is there, and nothing else but
  the one write per thread that was in flight at the kill (it may or may not have landed);
- each conversation is whole: positions dense, counts, statistics and every derived column
  equal to what the stored parts make of them;
- the database passes its own checks: SQLite `PRAGMA integrity_check` and
  `foreign_key_check`; PostgreSQL `amcheck` on every B-tree index (with `heapallindexed`);
- the restarted server accepts new writes.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from parlour.core.clock import system_clock
from parlour.db.models import Conversation, ConversationPart
from parlour.db.session import Database
from tests.conversations.test_consistency import stored_matches_recomputed
from tests.e2e.server import fresh_database, server_process
from tests.factories import Workspace, make_admin, make_contact, make_tag, make_workspace

pytestmark = pytest.mark.e2e

THREADS = 6
KILL_AFTER = (300, 450)  # acknowledged writes before the kill: a random number in this range
OPS_PER_CONVERSATION = 25  # then the thread starts a new conversation
SERVER_ENV = {"PARLOUR_SCHEDULER_INTERVAL": "0", "PARLOUR_RATE_LIMIT": "1000000"}


@dataclass
class Known:
    """What one conversation must hold: the state its owner last saw acknowledged."""

    parts: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # id -> type, body
    source_body: str = ""
    tags: set[str] = field(default_factory=set)
    counter: int = 0  # the last acknowledged custom attribute value
    state: str = "open"


@dataclass
class Pending:
    """The write a thread had sent when the server died: it may or may not be stored."""

    conversation_id: str | None  # None: a new conversation
    tag: str | None = None
    counter: int | None = None


@dataclass
class Tally:
    """What the threads saw, merged."""

    conversations: dict[str, Known] = field(default_factory=dict)
    pending: list[Pending] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    acknowledged: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ack(self, op: str) -> int:
        with self.lock:
            self.acknowledged += 1
            self.statuses[op] += 1
            return self.acknowledged


@dataclass(frozen=True)
class Scene:
    ws: Workspace
    admins: list[int]
    contacts: list[str]
    tags: list[int]


class Writer(threading.Thread):
    """One client: creates conversations as its contact and writes to them until the crash."""

    def __init__(self, n: int, base: str, scene: Scene, tally: Tally, stop: threading.Event
                 ) -> None:
        super().__init__(name=f"writer-{n}", daemon=True)
        self.n = n
        self.base = base
        self.scene = scene
        self.tally = tally
        self.stop = stop
        self.rng = random.Random(n)
        self.seq = 0
        self.contact = scene.contacts[n]
        self.mine: dict[str, Known] = {}
        self.pending: Pending | None = None
        self.refused: Counter[int] = Counter()

    def run(self) -> None:
        with httpx.Client(base_url=self.base, headers=self.scene.ws.headers, timeout=60) as http:
            current: str | None = None
            ops = 0
            while not self.stop.is_set():
                try:
                    if current is None or ops >= OPS_PER_CONVERSATION:
                        current, ops = self.create(http), 0
                    else:
                        self.write(http, current)
                        ops += 1
                except httpx.TransportError:
                    break  # the server is gone; self.pending says what was in flight
        with self.tally.lock:
            self.tally.conversations.update(self.mine)
            if self.pending is not None:
                self.tally.pending.append(self.pending)
            self.tally.statuses.update({f"refused {k}": v for k, v in self.refused.items()})

    def unique(self, what: str) -> str:
        self.seq += 1
        return f"w{self.n}-{self.seq}-{what}"

    def create(self, http: httpx.Client) -> str | None:
        body = self.unique("start")
        self.pending = Pending(None)
        response = http.post("/conversations",
                             json={"from": {"type": "user", "id": self.contact}, "body": body})
        self.pending = None
        if not self.acknowledged(response):
            return None
        cid = str(response.json()["conversation_id"])
        self.mine[cid] = Known(source_body=f"<p>{body}</p>")
        self.tally.ack("create")
        return cid

    def write(self, http: httpx.Client, cid: str) -> None:
        known = self.mine[cid]
        admin = str(self.rng.choice(self.scene.admins))
        roll = self.rng.random()
        self.pending = Pending(cid)
        if roll < 0.25:
            op, response = "admin reply", http.post(f"/conversations/{cid}/reply", json={
                "type": "admin", "admin_id": admin, "body": self.unique("admin"),
                "message_type": self.rng.choice(["comment", "note"])})
        elif roll < 0.45:
            op, response = "contact reply", http.post(f"/conversations/{cid}/reply", json={
                "type": "user", "intercom_user_id": self.contact,
                "message_type": "comment", "body": self.unique("contact")})
        elif roll < 0.55:
            op = "close" if known.state != "closed" else "open"
            response = http.post(f"/conversations/{cid}/parts", json={
                "message_type": op, "type": "admin", "admin_id": admin,
                "body": self.unique(op)})
        elif roll < 0.6:
            op, response = "snooze", http.post(f"/conversations/{cid}/parts", json={
                "message_type": "snoozed", "admin_id": admin,
                "snoozed_until": system_clock() + 86_400})
        elif roll < 0.7:
            op, response = "assignment", http.post(f"/conversations/{cid}/parts", json={
                "message_type": "assignment", "type": "admin", "admin_id": admin,
                "assignee_id": str(self.rng.choice(self.scene.admins)),
                "body": self.unique("assign")})
        elif roll < 0.8:
            tag = str(self.rng.choice(self.scene.tags))
            self.pending.tag = tag
            op, response = "tag", http.post(f"/conversations/{cid}/tags",
                                            json={"id": tag, "admin_id": admin})
            if self.acknowledged(response):
                known.tags.add(tag)
                self.tally.ack(op)
            self.pending = None
            return
        else:
            counter = known.counter + 1
            self.pending.counter = counter
            op, response = "custom attributes", http.put(f"/conversations/{cid}", json={
                "custom_attributes": {"crash_counter": counter}})
        self.pending = None
        if not self.acknowledged(response):
            return
        detail = response.json()
        new = self.remember(known, detail)
        assert new <= 1, (op, new)
        if op == "custom attributes":
            known.counter = detail["custom_attributes"]["crash_counter"]
        self.tally.ack(op)

    def acknowledged(self, response: httpx.Response) -> bool:
        if response.status_code == 200:
            return True
        # Shedding (503) and the rest are refusals that did nothing; a 500 fails the test.
        assert response.status_code < 500 or response.status_code == 503, response.text
        self.refused[response.status_code] += 1
        return False

    @staticmethod
    def remember(known: Known, detail: dict[str, Any]) -> int:
        """Record the conversation as this acknowledged answer shows it; new parts seen."""
        parts = detail["conversation_parts"]
        assert parts["total_count"] == len(parts["conversation_parts"]) < 500
        seen = {p["id"]: (p["part_type"], p["body"]) for p in parts["conversation_parts"]}
        assert known.parts.items() <= seen.items(), "an acknowledged part changed or vanished"
        new = len(seen) - len(known.parts)
        known.parts = seen
        known.state = detail["state"]
        return new


def _scene(db: Database) -> Scene:
    now = system_clock()
    ws = make_workspace(db, now=now, name="Crash")
    admins = [ws.owner_id] + [make_admin(db, ws, now=now) for _ in range(2)]
    contacts = [make_contact(db, ws, now=now) for _ in range(THREADS)]
    tags = [make_tag(db, ws, now=now) for _ in range(4)]
    return Scene(ws, admins, contacts, tags)


def _load_and_kill(url: str, directory: Path, scene: Scene) -> Tally:
    """Start the server, write until enough is acknowledged, SIGKILL it mid-load."""
    tally = Tally()
    stop = threading.Event()
    kill_after = random.randint(*KILL_AFTER)
    with server_process(url, directory, workers=2, own_group=True) as (base, process):
        writers = [Writer(n, base, scene, tally, stop) for n in range(THREADS)]
        for writer in writers:
            writer.start()
        deadline = time.monotonic() + 60
        while tally.acknowledged < kill_after:
            assert time.monotonic() < deadline, f"too slow: {tally.acknowledged} writes in 60 s"
            assert any(w.is_alive() for w in writers), "every writer stopped before the kill"
            time.sleep(0.005)
        os.killpg(process.pid, signal.SIGKILL)
        stop.set()
        for writer in writers:
            writer.join(timeout=30)
            assert not writer.is_alive()
        process.wait(timeout=10)
    return tally


@pytest.fixture
def crash_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in SERVER_ENV.items():
        monkeypatch.setenv(key, value)


@pytest.fixture
def crash_database(database_url: str, tmp_path: Path) -> Iterator[tuple[str, Database]]:
    with fresh_database(database_url, tmp_path, "crash") as (url, db):
        yield url, db


@pytest.mark.usefixtures("crash_env")
def test_acknowledged_writes_survive_sigkill(
    crash_database: tuple[str, Database], tmp_path: Path
) -> None:
    url, db = crash_database
    scene = _scene(db)
    tally = _load_and_kill(url, tmp_path, scene)
    assert tally.acknowledged >= KILL_AFTER[0]
    assert len(tally.pending) <= THREADS
    # The mix really was a mix.
    for op in ("create", "admin reply", "contact reply", "tag", "custom attributes",
               "assignment"):
        assert tally.statuses[op] > 0, tally.statuses

    _check_database(db)  # as the crash left it (SQLite recovers its WAL on open)
    restarted = server_process(url, tmp_path, workers=2, own_group=True, log_name="restart.log")
    with restarted as (base, _process), httpx.Client(
        base_url=base, headers=scene.ws.headers, timeout=30
    ) as http:
        landed = _check_acknowledged(http, tally)
        _check_new_writes(http, scene, tally)
    _check_whole_conversations(db, scene.ws, tally)
    _check_database(db)
    print(f"crash: {tally.acknowledged} writes acknowledged before the kill "
          f"({dict(tally.statuses)}), {len(tally.conversations)} conversations, "
          f"{len(tally.pending)} in flight, {landed} of those landed")
    for log in ("serve.log", "restart.log"):
        text = (tmp_path / log).read_text()
        assert "unhandled error" not in text and "Traceback" not in text, text[-3000:]


def _check_acknowledged(http: httpx.Client, tally: Tally) -> int:
    """Check what the server shows against what was acknowledged; in-flight writes landed."""
    landed = 0
    pending = {p.conversation_id: p for p in tally.pending if p.conversation_id is not None}
    for cid, known in tally.conversations.items():
        response = http.get(f"/conversations/{cid}")
        assert response.status_code == 200, (cid, response.text)
        detail = response.json()
        assert detail["source"]["body"] == known.source_body
        parts = detail["conversation_parts"]
        stored = {p["id"]: (p["part_type"], p["body"]) for p in parts["conversation_parts"]}
        assert parts["total_count"] == len(stored)
        assert detail["statistics"]["count_conversation_parts"] == len(stored)
        tags = {t["id"] for t in detail["tags"]["tags"]}
        counter = (detail["custom_attributes"] or {}).get("crash_counter", 0)
        in_flight = pending.get(cid)
        # Everything acknowledged is there, unchanged ...
        assert known.parts.items() <= stored.items(), cid
        assert known.tags <= tags, cid
        if in_flight is None:
            # ... and nothing else, unless a write to it was in flight at the kill.
            assert stored == known.parts, cid
            assert tags == known.tags, cid
            assert counter == known.counter, cid
        else:
            assert len(stored) - len(known.parts) <= 1, cid
            assert tags <= known.tags | {in_flight.tag}, cid
            assert counter in (known.counter, in_flight.counter), cid
            landed += stored != known.parts or tags != known.tags or counter != known.counter
    # Conversations nobody acknowledged are only those whose creation was in flight.
    listed = http.get("/conversations", params={"per_page": 150}).json()
    creating = sum(1 for p in tally.pending if p.conversation_id is None)
    assert len(tally.conversations) <= listed["total_count"]
    assert listed["total_count"] <= len(tally.conversations) + creating
    return landed + listed["total_count"] - len(tally.conversations)


def _check_new_writes(http: httpx.Client, scene: Scene, tally: Tally) -> None:
    made = http.post("/conversations", json={
        "from": {"type": "user", "id": scene.contacts[0]}, "body": "after the crash"})
    assert made.status_code == 200, made.text
    cid = made.json()["conversation_id"]
    for target in (cid, next(iter(tally.conversations))):
        reply = http.post(f"/conversations/{target}/reply", json={
            "type": "admin", "admin_id": str(scene.admins[0]), "message_type": "comment",
            "body": "still here"})
        assert reply.status_code == 200, reply.text
        assert reply.json()["conversation_parts"]["conversation_parts"][-1]["body"] == (
            "<p>still here</p>"
        )


def _check_whole_conversations(db: Database, ws: Workspace, tally: Tally) -> None:
    """Stored rows: dense positions, part_count, and every derived column re-derivable."""
    with db.read_session() as session:
        rows = session.execute(
            select(Conversation.id, Conversation.part_count)
            .where(Conversation.workspace_id == ws.id)
        ).all()
        assert len(rows) >= len(tally.conversations)
        for cid, part_count in rows:
            positions = session.scalars(
                select(ConversationPart.position)
                .where(ConversationPart.conversation_id == cid)
                .order_by(ConversationPart.position)
            ).all()
            assert list(positions) == list(range(part_count)), cid
        orphans = session.scalar(
            select(func.count()).select_from(ConversationPart)
            .where(ConversationPart.workspace_id == ws.id)
            .where(~ConversationPart.conversation_id.in_(select(Conversation.id)))
        )
        assert orphans == 0
    assert stored_matches_recomputed(db, ws.id) == []


def _check_database(db: Database) -> None:
    if db.is_sqlite:
        path = make_url(db.url).database
        assert path
        with sqlite3.connect(path) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        return
    url = make_url(db.url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS amcheck")
        indexes = [row[0] for row in conn.execute(
            "SELECT c.oid::regclass::text FROM pg_index i"
            " JOIN pg_class c ON c.oid = i.indexrelid"
            " JOIN pg_am am ON am.oid = c.relam"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE am.amname = 'btree' AND n.nspname = 'public'"
        )]
        assert len(indexes) > 10
        for index in indexes:
            # Raises if the index is corrupt or misses a heap tuple.
            conn.execute("SELECT bt_index_check(%s::regclass, true)", (index,))
