"""What is measured and on what data: the seeded dataset and the scenarios run on it.

The dataset is N conversations in one measured workspace and two smaller ones beside it
(seeded by the demo loader, or found again with --reuse); the cast is what the scenarios
need from it (admins, tags, conversations of 10 parts, reply targets, deep-page cursors),
and `build_scenarios` turns it into the requests of each scenario with its target.
"""

from __future__ import annotations

import json
import random
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
from benchmarks.driver import Req, children_cpu
from sqlalchemy import func, select

from parlour.conversations.service import ListQuery
from parlour.core.cursor import Cursor, CursorCodec
from parlour.db.migrate import upgrade
from parlour.db.models import Admin, Conversation, Tag, Workspace
from parlour.db.session import Database
from parlour.demo.loader import seed_conversations
from parlour.workspaces import service as workspaces

SECRET = "parlour-benchmark-secret"
MEASURED = "Benchmark (measured)"
NEIGHBOURS = ("Benchmark neighbour 1", "Benchmark neighbour 2")
PG_DATABASE = "parlour_bench"
SORTS = ("updated_at", "created_at", "waiting_since")
ORDERS = ("desc", "asc")
DEEP_PAGE = 10_000
PER_PAGE = 20
LONG_PARTS = 500
REPLY_PARTS = (5, 15)  # the reply targets' part counts: around the dataset's mean of ~10
# Out of reach for 32 connections, so neither the limiter nor shedding shapes the figures.
SERVE_SETTINGS = {
    "PARLOUR_RATE_LIMIT": "1000000000",
    "PARLOUR_MAX_IN_FLIGHT": "100000",
    "PARLOUR_MAX_QUEUE_MS": "600000",
}
CEILING_APP = """
import orjson
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route
ROWS = [{"id": str(i), "body": "x" * 280} for i in range(20)]
BODY = orjson.dumps({"type": "conversation.list", "conversations": ROWS})
assert 6000 <= len(BODY) <= 6500, len(BODY)
async def page(request):
    return Response(BODY, media_type="application/json")
SIZED = {}
async def sized(request):  # for reference: the same, as large as a real page
    n = int(request.path_params["n"])
    if n not in SIZED:
        rows = [{"id": str(i), "body": "x" * (n // 20 - 30)} for i in range(20)]
        SIZED[n] = orjson.dumps({"type": "conversation.list", "conversations": rows})
    return Response(SIZED[n], media_type="application/json")
app = Starlette(routes=[Route("/conversations", page), Route("/bytes/{n:int}", sized)])
"""
# Words and fragments of the demo generator's bodies and subjects (as search_benchmark.py).
WORDS = ("invoice", "password", "export", "webhook", "dashboard", "refund")
FRAGMENTS = ("voic", "passw", "xport", "hook", "board", "efun")


# --- targets and scenarios ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Target:
    """A scenario's goal: minimum req/s, maximum p99, minimum share of the ceiling."""

    text: str
    min_rps: float = 0.0
    max_p99: float = float("inf")
    min_ratio: float = 0.0
    # Within this fraction of another scenario's req/s (page 10,000 vs page 1).
    near: str | None = None
    near_within: float = 0.10


@dataclass(slots=True)
class Scenario:
    name: str
    requests: list[Req]
    target: Target | None = None
    shuffle: bool = True


# --- dataset --------------------------------------------------------------------------


def postgres_url(admin_url: str, name: str, fresh: bool) -> str:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if fresh:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists is None:
            conn.execute(f'CREATE DATABASE "{name}"')
    base = admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    return f"{base}/{name}"


def drop_postgres(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def seed(url: str, count: int, meta_path: Path | None) -> dict[str, Any]:
    """Seed the measured workspace and its neighbours unless `meta_path` says it is done."""
    if meta_path is not None and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("count") == count and meta.get("url") == url:
            print(f"  reusing the seeded dataset ({meta_path})", file=sys.stderr)
            return {**meta, "reused": True}
    db = Database(url)
    try:
        upgrade(db.engine)
        with db.read_session() as session:
            if session.scalar(select(func.count()).select_from(Workspace)):
                raise SystemExit(f"{url} already holds workspaces; pass a fresh --reuse dir")
        now = int(time.time())
        ids: dict[str, int] = {}
        with db.write_session() as session:
            for name in (MEASURED, *NEIGHBOURS):
                ws, _owner = workspaces.create_workspace(session, name=name, now=now)
                session.flush()
                ids[name] = ws.id
            measured = session.get(Workspace, ids[MEASURED])
            assert measured is not None
            token = workspaces.create_token(session, measured, now=now, name="benchmark")
            session.commit()
        sizes = {MEASURED: count, **{n: max(1, count // 20) for n in NEIGHBOURS}}
        timings: dict[str, float] = {}
        # CPU of this process and of the seed's worker processes: on a shared machine the
        # wall time also measures the neighbours.
        cpu_started = time.process_time() + children_cpu()
        for name in (NEIGHBOURS[0], MEASURED, NEIGHBOURS[1]):
            started = time.perf_counter()

            def progress(done: int, name: str = name, started: float = started) -> None:
                rate = done / (time.perf_counter() - started)
                print(f"\r  {name}: {done:>9,} ({rate:,.0f}/s)", end="", file=sys.stderr)

            seed_conversations(db, ids[name], sizes[name], now=now, seed=1, progress=progress)
            timings[name] = time.perf_counter() - started
            print(f"  {timings[name]:.1f}s", file=sys.stderr)
        started = time.perf_counter()
        db.analyze()
        if not db.is_sqlite:
            # As autovacuum would after a while: index-only scans need the visibility map.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
        after = time.perf_counter() - started
    finally:
        db.dispose()
    meta = {
        "url": url,
        "count": count,
        "workspace_id": ids[MEASURED],
        "token": token,
        "seeded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "measured_seconds": timings[MEASURED],
        "total_conversations": sum(sizes.values()),
        "total_seconds": sum(timings.values()),
        "total_cpu_seconds": round(time.process_time() + children_cpu() - cpu_started, 1),
        "analyze_seconds": after,
    }
    if meta_path is not None:
        meta_path.write_text(json.dumps(meta, indent=2))
    return {**meta, "reused": False}


def read_through(path: Path) -> tuple[int, float]:
    """Read a file (and its WAL) once, so that it sits in the OS page cache; (bytes, s).

    A dataset seeded just before can be partly evicted, and the first random reads then
    wait for the (virtual) disk: measured, a first reply run at 705 writes/s and the next
    ones at 980-1,090.
    """
    started = time.perf_counter()
    total = 0
    for each in (path, path.with_name(path.name + "-wal")):
        if each.exists():
            with each.open("rb", buffering=0) as handle:
                while chunk := handle.read(8 << 20):
                    total += len(chunk)
    return total, time.perf_counter() - started


@dataclass(slots=True)
class Cast:
    workspace_id: int
    admins: list[int]
    busy_admin: int
    tags: list[int]
    ten_part_ids: list[int]
    reply_ids: list[int]
    long_id: int | None
    created_range: tuple[int, int]
    deep: dict[tuple[str, str], tuple[int, str]]  # (sort, order) -> (page, cursor)
    conversation_count: int
    part_count: int


def read_cast(url: str, workspace_id: int) -> Cast:
    db = Database(url)
    codec = CursorCodec(SECRET.encode())
    c = Conversation.__table__.c  # type: ignore[attr-defined]
    try:
        with db.read_session() as session:
            conn = session.connection()
            ws = c.workspace_id == workspace_id
            admins = list(
                session.scalars(select(Admin.id).where(Admin.workspace_id == workspace_id))
            )
            busy = conn.execute(
                select(c.admin_assignee_id, func.count())
                .where(ws, c.open.is_(True), c.admin_assignee_id.is_not(None))
                .group_by(c.admin_assignee_id)
                .order_by(func.count().desc())
                .limit(1)
            ).first()
            tags = list(session.scalars(select(Tag.id).where(Tag.workspace_id == workspace_id)))
            ten = list(
                conn.execute(select(c.id).where(ws, c.part_count == 10).limit(2000)).scalars()
            )
            # Reply targets: spread over the whole workspace, apart from the retrieve set,
            # of a typical length (the answer shows every part). Each run adds a part or two
            # to each; those that outgrow the band leave it, so a reused dataset keeps
            # replying to typical conversations (a fixed set had grown to ~30 parts after
            # ten runs, and replies had slowed by a third).
            step = conn.execute(select(func.count()).where(ws)).scalar_one()
            candidates = list(
                conn.execute(
                    select(c.id).where(ws, c.part_count.between(*REPLY_PARTS)).order_by(c.id)
                    .offset(max(0, step // 2 - 20_000)).limit(40_000)
                ).scalars()
            )  # fmt: skip
            taken = set(ten)
            replies = [i for i in candidates[::8] if i not in taken][:5000]
            long_id = conn.execute(
                select(c.id).where(ws, c.part_count >= LONG_PARTS).order_by(c.id).limit(1)
            ).scalar()
            first, last = conn.execute(
                select(func.min(c.created_at), func.max(c.created_at)).where(ws)
            ).one()
            parts = conn.execute(select(func.sum(c.part_count)).where(ws)).scalar_one()
            deep: dict[tuple[str, str], tuple[int, str]] = {}
            for sort in SORTS:
                column = c[sort]
                conditions = [ws]
                if sort == "waiting_since":
                    conditions += [column.is_not(None), c.state != "closed"]
                listed = conn.execute(select(func.count()).where(*conditions)).scalar_one()
                page = max(2, min(DEEP_PAGE, listed // PER_PAGE - 1))
                for order in ORDERS:
                    ordering = (
                        (column.desc(), c.id.desc())
                        if order == "desc"
                        else (column.asc(), c.id.asc())
                    )
                    # The last row of the page before, and the row after it (as the
                    # server makes `pages.next`: it counts the ties up to the position
                    # when the next row has its value too).
                    before, following = conn.execute(
                        select(c.id, column).where(*conditions).order_by(*ordering)
                        .offset((page - 1) * PER_PAGE - 1).limit(2)
                    ).all()  # fmt: skip
                    ties = 0
                    if following[1] == before[1]:
                        up_to = c.id >= before[0] if order == "desc" else c.id <= before[0]
                        ties = conn.execute(
                            select(func.count()).where(*conditions, column == before[1], up_to)
                        ).scalar_one()
                    cursor = codec.encode(
                        Cursor(
                            workspace_id=workspace_id,
                            query=ListQuery(sort=sort, order=order).as_dict(),
                            sort_value=int(before[1]), last_id=int(before[0]), page=page,
                            ties=ties,
                        )
                    )  # fmt: skip
                    deep[(sort, order)] = (page, cursor)
    finally:
        db.dispose()
    return Cast(
        workspace_id=workspace_id, admins=admins, busy_admin=busy[0] if busy else admins[0],
        tags=tags, ten_part_ids=ten, reply_ids=replies, long_id=long_id,
        created_range=(int(first), int(last)), deep=deep, conversation_count=int(step),
        part_count=int(parts or 0),
    )  # fmt: skip


def make_long_conversation(client: httpx.Client, cast: Cast) -> int:
    """Reply through the API until one conversation holds LONG_PARTS parts."""
    if cast.long_id is not None:
        return cast.long_id
    target = cast.reply_ids.pop()
    body = {"type": "admin", "message_type": "note", "admin_id": str(cast.admins[0])}
    started = time.perf_counter()
    total = 0
    while total < LONG_PARTS:
        response = client.post(
            f"/conversations/{target}/reply", json={**body, "body": f"Note {total}"}
        )
        response.raise_for_status()
        total = int(response.json()["conversation_parts"]["total_count"])
    print(f"  made conversation {target} {total} parts long in "
          f"{time.perf_counter() - started:.1f}s", file=sys.stderr)  # fmt: skip
    return target


# --- scenarios ------------------------------------------------------------------------

LIST_TARGET = Target("≥3,000/s, p99<20ms, ≥25% ceiling", 3000, 20, 0.25)
LEGACY = (("Intercom-Version", "1.4"),)


def _f(field_name: str, operator: str, value: Any) -> dict[str, Any]:
    return {"field": field_name, "operator": operator, "value": value}


def search_bodies(cast: Cast, text: bool) -> list[Req]:
    rng = random.Random(5)
    week = 7 * 86_400
    first, last = cast.created_range
    out = []
    for _ in range(8):
        if text:
            queries = [
                _f("source.body", "=", rng.choice(WORDS)),
                _f("source.body", "~", rng.choice(FRAGMENTS)),
            ]
        else:
            start = rng.randint(first, max(first, last - week))
            queries = [
                {"operator": "AND", "value": [
                    _f("open", "=", True), _f("admin_assignee_id", "=", rng.choice(cast.admins))]},
                _f("tag_ids", "IN", rng.sample(cast.tags, 2)),
                {"operator": "AND", "value": [
                    _f("created_at", ">", start), _f("created_at", "<", start + week)]},
                _f("state", "=", "snoozed"),
            ]  # fmt: skip
        out += [
            Req("POST", "/conversations/search", {"query": q, "pagination": {"per_page": 20}})
            for q in queries
        ]
    return out


def reply_requests(cast: Cast, n: int, rng: random.Random) -> list[Req]:
    return [
        Req("POST", f"/conversations/{cid}/reply", {
            "type": "admin", "message_type": "comment", "admin_id": str(rng.choice(cast.admins)),
            "body": f"Thanks, looking into it ({k})."})
        for k, cid in enumerate(rng.sample(cast.reply_ids, min(n, len(cast.reply_ids))))
    ]  # fmt: skip


def build_scenarios(cast: Cast) -> list[Scenario]:
    rng = random.Random(3)
    out: list[Scenario] = []
    for sort in SORTS:
        for order in ORDERS:
            first = f"list {sort} {order}, page 1"
            out.append(Scenario(first, [Req("GET", f"/conversations?sort={sort}&order={order}")],
                                LIST_TARGET))  # fmt: skip
            page, cursor = cast.deep[(sort, order)]
            out.append(Scenario(
                f"list {sort} {order}, page {page:,} (cursor)",
                [Req("GET", f"/conversations?starting_after={cursor}")],
                Target(LIST_TARGET.text + ", within 10% of page 1", 3000, 20, 0.25, near=first),
            ))  # fmt: skip
    legacy_first = [Req("GET", "/conversations?page=1", None, LEGACY)]
    out.append(Scenario("list legacy 1.4 ?page=1", legacy_first, LIST_TARGET))
    out.append(Scenario("list legacy 1.4 ?page=500 (OFFSET)",
                        [Req("GET", "/conversations?page=500", None, LEGACY)]))  # fmt: skip
    out.append(
        Scenario(
            "list filtered admin + open",
            [Req("GET", f"/conversations?type=admin&admin_id={cast.busy_admin}&open=true")],
            LIST_TARGET,
        )
    )
    ten = cast.ten_part_ids[:1000]
    out.append(Scenario(f"retrieve 10 parts ({len(ten)} conversations)",
                        [Req("GET", f"/conversations/{i}") for i in ten],
                        Target("≥3,000/s", 3000)))  # fmt: skip
    out.append(Scenario("retrieve 500 parts", [Req("GET", f"/conversations/{cast.long_id}")]))
    out.append(Scenario("search: open+admin, tags, 7-day range, state",
                        search_bodies(cast, text=False)))  # fmt: skip
    out.append(Scenario("search: body word / fragment", search_bodies(cast, text=True)))
    out.append(Scenario(f"reply (admin comment, {len(cast.reply_ids):,} conversations)",
                        reply_requests(cast, 5000, rng), Target("≥800 writes/s", 800)))  # fmt: skip
    reads = (
        [Req("GET", "/conversations")] * 30
        + [Req("GET", f"/conversations?sort={s}&order={o}") for s in SORTS for o in ORDERS] * 2
        + [Req("GET", f"/conversations?starting_after={cast.deep[k][1]}") for k in cast.deep]
        + [Req("GET", f"/conversations/{i}") for i in rng.sample(ten, min(42, len(ten)))]
    )
    mixed = reads[:90] + reply_requests(cast, 10, rng)
    cycle: list[Req] = []
    for _ in range(20):  # 2,000 requests, 90/10 throughout
        block = list(mixed)
        rng.shuffle(block)
        cycle += block
    for n, req in enumerate(cycle):  # every reply its own conversation body, spread out
        if req.method == "POST":
            cid = rng.choice(cast.reply_ids)
            cycle[n] = Req("POST", f"/conversations/{cid}/reply", req.body)
    out.append(Scenario("mixed 90% read / 10% reply", cycle))
    return out


def preflight(client: httpx.Client, scenarios: list[Scenario]) -> list[str]:
    """One request of each distinct shape, so a broken scenario fails before the load."""
    problems = []
    for scenario in scenarios:
        for req in scenario.requests[:1]:
            response = client.request(
                req.method, req.path, json=req.body, headers=dict(req.headers)
            )
            if response.status_code >= 300:
                problems.append(f"{scenario.name}: {response.status_code} {response.text[:200]}")
    return problems
