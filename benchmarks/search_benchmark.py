"""Latency of POST /conversations/search on 1,000,000 conversations, SQLite and PostgreSQL.

Seeds a workspace with `parlour`'s demo loader (realistic timelines, tags, assignees,
bodies), starts `parlour serve` (one worker), and sends typical queries one at a time from
one client, reporting the median and p99 end-to-end latency of each:

- cold: a new conversation (untimed) comes before every search, so every cached count is
  stale (the population moved) and every request counts its matches; parameters vary
  (another admin, tags, window, word) on every request. The conversation is deleted again
  after the search (untimed), so every run starts from the same data;
- after a write: an untimed write that changes no field these queries read (`read` is
  toggled) comes before every search, as on a busy inbox. Counts are cached by the
  versions of what the query reads, so a count survives it and is served again when the
  same parameters come back (tag pairs, words, teams repeat); other parameters count;
- warm: the same query again with no write in between (the count comes from the cache).

Not a test: run it by hand, e.g.

    .venv/bin/python benchmarks/search_benchmark.py                  # 1M on both databases
    .venv/bin/python benchmarks/search_benchmark.py --count 100000 --databases sqlite
    .venv/bin/python benchmarks/search_benchmark.py --reuse          # keep the seeded data

Databases: a SQLite file under --workdir, and PostgreSQL database `parlour_search_bench`
(dropped and created through --postgres-admin-url unless --reuse finds it seeded). With
--reuse, conversations an interrupted run created and did not delete are deleted (through
the API) before measuring.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for benchmarks/

from benchmarks.driver import free_port, wait_up

from parlour.db.migrate import upgrade
from parlour.db.models import Admin, Contact, Conversation, Tag, Team, Workspace
from parlour.db.session import Database
from parlour.demo.loader import seed_conversations
from parlour.workspaces import service as workspaces

SECRET = "search-benchmark-secret"
WORKSPACE = "Search benchmark"
PG_DATABASE = "parlour_search_bench"
# Words from the demo generator's bodies: common ("invoice", in one topic of eight) to rarer.
WORDS = ("invoice", "password", "export", "webhook", "dashboard", "refund", "screenshot",
         "subscription", "onboarding", "firefox")  # fmt: skip
FRAGMENTS = ("voic", "passw", "xport", "hook", "board", "efun", "cript", "subscr")
SUBJECT_FRAGMENTS = ("log", "export", "upgrad", "invoice", "webhook")
# The body of the conversations cold mode creates (HTML, so it is stored as sent); matches
# no query and tells them from the seed's.
PROBE_BODY = "<p>Search benchmark probe</p>"
Query = dict[str, Any]


def _f(field: str, operator: str, value: Any) -> Query:
    return {"field": field, "operator": operator, "value": value}


def prepare(url: str, count: int, mean_parts: int, reuse: bool) -> tuple[int, str, list[int]]:
    """Migrate and seed (unless already seeded).

    Returns (workspace id, a fresh token, ids of conversations an interrupted run left).
    """
    db = Database(url)
    try:
        upgrade(db.engine)
        now = int(time.time())
        left: list[int] = []
        with db.read_session() as session:
            workspace = session.scalar(select(Workspace).where(Workspace.name == WORKSPACE))
            workspace_id = None if workspace is None else workspace.id
            seeded = 0
            if workspace is not None:
                seeded = int(
                    session.scalar(
                        select(func.count())
                        .select_from(Conversation)
                        .where(Conversation.workspace_id == workspace.id)
                    )
                    or 0
                )
                # Created after the seed (its `now`), so a short range of the created_at index.
                left = list(
                    session.scalars(
                        select(Conversation.id).where(
                            Conversation.workspace_id == workspace.id,
                            Conversation.created_at >= workspace.created_at,
                            Conversation.source_body == PROBE_BODY,
                        )
                    )
                )
                seeded -= len(left)
        if workspace_id is None or not reuse or seeded < count:
            if workspace_id is not None:
                raise SystemExit(f"{url} already has a partial seed; drop it or pass a new one")
            with db.write_session() as session:
                ws, _owner = workspaces.create_workspace(session, name=WORKSPACE, now=now)
                session.commit()
                workspace_id = ws.id
            started = time.perf_counter()

            def progress(done: int) -> None:
                rate = done / (time.perf_counter() - started)
                print(f"\r  seeded {done:>9,} ({rate:,.0f}/s)", end="", file=sys.stderr)

            seed_conversations(
                db, workspace_id, count, now=now, seed=1, mean_parts=mean_parts, progress=progress
            )
            print(f"\n  seeded in {time.perf_counter() - started:.0f}s", file=sys.stderr)
        else:
            print(f"  reusing {seeded:,} seeded conversations", file=sys.stderr)
            if left:
                print(f"  {len(left):,} left by an interrupted run, to delete", file=sys.stderr)
        db.analyze()
        if not db.is_sqlite:
            # As autovacuum would after a while: index-only scans need the visibility map.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
        with db.write_session() as session:
            ws_row = session.get(Workspace, workspace_id)
            assert ws_row is not None
            token = workspaces.create_token(session, ws_row, now=now, name="bench")
            session.commit()
        return workspace_id, token, left
    finally:
        db.dispose()


def cast_of(url: str, workspace_id: int) -> dict[str, Any]:
    """Ids and the time span the random parameters are drawn from."""
    db = Database(url)
    try:
        with db.read_session() as session:
            admins = list(
                session.scalars(select(Admin.id).where(Admin.workspace_id == workspace_id))
            )
            teams = list(session.scalars(select(Team.id).where(Team.workspace_id == workspace_id)))
            tags = list(session.scalars(select(Tag.id).where(Tag.workspace_id == workspace_id)))
            first, last = session.execute(
                select(func.min(Conversation.created_at), func.max(Conversation.created_at)).where(
                    Conversation.workspace_id == workspace_id
                )
            ).one()
            some = session.scalar(
                select(Conversation.id).where(Conversation.workspace_id == workspace_id).limit(1)
            )
            contact = session.scalar(
                select(Contact.id)
                .where(Contact.workspace_id == workspace_id, Contact.role == "user")
                .limit(1)
            )
        return {
            "admins": admins, "teams": teams, "tags": tags, "first": first, "last": last,
            "conversation": some, "contact": contact,
        }  # fmt: skip
    finally:
        db.dispose()


def scenarios(cast: dict[str, Any]) -> dict[str, Callable[[random.Random], Query]]:
    """Typical inbox queries; each draws fresh parameters from `rng`."""
    week = 7 * 86_400

    def window(rng: random.Random) -> int:
        return rng.randint(cast["first"], max(cast["first"], cast["last"] - week))

    return {
        "open + assigned to admin X": lambda rng: {
            "operator": "AND",
            "value": [
                _f("open", "=", True),
                _f("admin_assignee_id", "=", rng.choice(cast["admins"])),
            ],
        },
        "tag_ids IN [2 tags]": lambda rng: _f("tag_ids", "IN", rng.sample(cast["tags"], 2)),
        "created_at in a 7-day range": lambda rng: (
            lambda start: {
                "operator": "AND",
                "value": [_f("created_at", ">", start), _f("created_at", "<", start + week)],
            }
        )(window(rng)),
        "state = snoozed (rare)": lambda rng: _f("state", "=", "snoozed"),
        "body = word": lambda rng: _f("source.body", "=", rng.choice(WORDS)),
        "body ~ fragment": lambda rng: _f("source.body", "~", rng.choice(FRAGMENTS)),
        "subject ~ fragment": lambda rng: _f("source.subject", "~", rng.choice(SUBJECT_FRAGMENTS)),
        "nested OR of three fields": lambda rng: {
            "operator": "AND",
            "value": [
                _f("open", "=", True),
                {
                    "operator": "OR",
                    "value": [
                        _f("priority", "=", "priority"),
                        _f("tag_ids", "=", rng.choice(cast["tags"])),
                        _f("team_assignee_id", "=", rng.choice(cast["teams"])),
                    ],
                },
            ],
        },
    }  # fmt: skip


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def measure(
    base: str, token: str, cast: dict[str, Any], requests: int, seed: int
) -> list[tuple[str, int, float, float, float, float, float, float]]:
    """(scenario, typical total, then p50 and p99 in ms: cold, after a write, warm)."""
    rng = random.Random(seed)
    headers = {"Authorization": f"Bearer {token}"}
    results = []
    with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
        read = False

        def write() -> None:
            nonlocal read
            read = not read
            response = client.put(f"/conversations/{cast['conversation']}", json={"read": read})
            response.raise_for_status()

        def create() -> str:
            message = {"from": {"type": "user", "id": cast["contact"]}, "body": PROBE_BODY}
            response = client.post("/conversations", json=message)
            response.raise_for_status()
            return str(response.json()["conversation_id"])

        def search(query: Query) -> tuple[float, int]:
            started = time.perf_counter()
            response = client.post(
                "/conversations/search", json={"query": query, "pagination": {"per_page": 20}}
            )
            elapsed = (time.perf_counter() - started) * 1000
            response.raise_for_status()
            return elapsed, int(response.json()["total_count"])

        for name, make in scenarios(cast).items():
            search(make(rng))  # warm the connection and the plan cache
            cold, totals, written = [], [], []
            for _ in range(requests):
                probe = create()
                elapsed, total = search(make(rng))
                delete(client, probe)
                cold.append(elapsed)
                totals.append(total)
            for _ in range(requests):
                write()
                written.append(search(make(rng))[0])
            query = make(rng)
            search(query)
            warm = [search(query)[0] for _ in range(requests)]
            results.append(
                (
                    name,
                    int(statistics.median(totals)),
                    statistics.median(cold),
                    percentile(cold, 99),
                    statistics.median(written),
                    percentile(written, 99),
                    statistics.median(warm),
                    percentile(warm, 99),
                )
            )
            print(f"  {name}: cold p50 {results[-1][2]:.1f} ms", file=sys.stderr)
    return results


def delete(client: httpx.Client, conversation_id: int | str) -> None:
    response = client.delete(f"/conversations/{conversation_id}")
    response.raise_for_status()
    assert response.json()["deleted"] is True


def serve(url: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "PARLOUR_DATABASE_URL": url,
        "PARLOUR_SECRET_KEY": SECRET,
        "PARLOUR_RATE_LIMIT": "100000000",
        "PARLOUR_SCHEDULER_INTERVAL": "0",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "parlour", "serve", "--port", str(port), "--workers", "1",
         "--log-level", "warning"],
        env=env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    wait_up(f"{base}/me", process, timeout=600)  # serve migrates and analyzes first
    return process, base


def postgres_url(admin_url: str, reuse: bool) -> str:
    if not reuse:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{PG_DATABASE}"')
    else:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (PG_DATABASE,)
            ).fetchone()
            if exists is None:
                conn.execute(f'CREATE DATABASE "{PG_DATABASE}"')
    base = admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    return f"{base}/{PG_DATABASE}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--workdir", default="/tmp/parlour-search-bench")
    parser.add_argument(
        "--postgres-admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres"
    )
    parser.add_argument("--reuse", action="store_true", help="keep an existing seed")
    parser.add_argument("--requests", type=int, default=200, help="per scenario and mode")
    parser.add_argument("--mean-parts", type=int, default=10)
    parser.add_argument("--seed-only", action="store_true")
    args = parser.parse_args()

    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    report = []
    for database in args.databases.split(","):
        if database == "sqlite":
            path = workdir / "search-bench.db"
            if not args.reuse:
                for stale in workdir.glob("search-bench.db*"):
                    stale.unlink()
            url = f"sqlite:///{path}"
        else:
            url = postgres_url(args.postgres_admin_url, args.reuse)
        print(f"{database}: {url}", file=sys.stderr)
        workspace_id, token, left = prepare(url, args.count, args.mean_parts, args.reuse)
        if args.seed_only:
            continue
        process, base = serve(url)
        try:
            if left:
                headers = {"Authorization": f"Bearer {token}"}
                with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
                    for conversation_id in left:
                        delete(client, conversation_id)
            cast = cast_of(url, workspace_id)  # after: their created_at would widen the span
            report.append((database, measure(base, token, cast, args.requests, seed=7)))
        finally:
            process.terminate()
            process.wait(timeout=30)

    print(f"\n{args.count:,} conversations, {args.requests} requests per scenario and mode, "
          f"1 worker, nproc={os.cpu_count()}, per_page=20")  # fmt: skip
    for database, rows in report:
        print(f"\n{database}")
        print(
            "| query | typical total_count | cold p50 | cold p99 | after a write p50 "
            "| after a write p99 | warm p50 | warm p99 |"
        )
        print("|---|---|---|---|---|---|---|---|")
        for name, total, *ms in rows:
            print(f"| {name} | {total:,} | " + " | ".join(f"{v:.1f} ms" for v in ms) + " |")


if __name__ == "__main__":
    main()
