"""Issue 5's benchmark: one command, `parlour serve` against a bare-framework ceiling.

    .venv/bin/python benchmarks/run.py                                   # 1M, both databases
    .venv/bin/python benchmarks/run.py --databases sqlite --count 100000 --seconds 5
    .venv/bin/python benchmarks/run.py --reuse /tmp/parlour-bench        # seed once, keep it

For each database it seeds (or, with --reuse, finds) N conversations in one measured
workspace (~10 parts each, with admins, teams, contacts and tags made by the demo loader)
plus two smaller workspaces beside it, adds one conversation with 500 parts, starts
`parlour serve --workers 2` as a user would (PARLOUR_DATABASE_URL, PARLOUR_SECRET_KEY; the
rate limit is raised and load shedding set out of reach so neither caps the load, and both
are printed), and drives it with wrk on loopback (an async httpx client when wrk is missing
and cannot be installed), each scenario for --seconds. In the same run a bare Starlette app
serving a fixed 6 KB JSON body on 2 uvicorn workers gives the ceiling, measured with the
same wrk settings in slices alternating with each scenario's; every figure is also given as
a ratio to the ceiling measured with it. Peak RSS of each serve worker is sampled from
/proc. Every non-2xx response and socket error is counted; a scenario with any is a failure.

Prints a table per database with PASS/FAIL against issue 5's targets and a markdown block
for benchmarks/RESULTS.md (also written to --markdown when given). Not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import json
import os
import platform
import random
import re
import resource
import shlex
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
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
SLICES = 5  # alternations of a scenario and the ceiling
# Rounds of page 1, its deep page and the ceiling: the deep page must be within 10% of page
# 1, and one slice of either moves by ±15% on this machine, so their ratio needs more.
PAIR_ROUNDS = 10
# Percentiles each wrk run reports (its `done` hook), so slices can be combined into the
# percentiles of all their requests (finest around the p99).
QUANTILE_GRID = (
    tuple(float(p) for p in range(1, 99))
    + tuple(round(99 + p / 10, 1) for p in range(10))
    + tuple(round(99.9 + p / 100, 2) for p in range(1, 11))
)
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


# --- requests and results -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Req:
    method: str
    path: str
    body: dict[str, Any] | None = None
    headers: tuple[tuple[str, str], ...] = ()

    def payload(self) -> bytes | None:
        return None if self.body is None else json.dumps(self.body).encode()


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


@dataclass(slots=True)
class Result:
    rps: float
    p50: float
    p99: float
    requests: int
    non2xx: int
    socket_errors: int
    note: str = ""
    # (percentile, ms) at QUANTILE_GRID: the latency distribution, for combining slices.
    quantiles: tuple[tuple[float, float], ...] = ()

    @property
    def errors(self) -> int:
        return self.non2xx + self.socket_errors


@dataclass(slots=True)
class Row:
    scenario: Scenario
    result: Result
    ratio: float = 0.0
    verdict: str = ""
    # Against the scenario of `Target.near` (page 1), when measured in rounds with it.
    versus: float | None = None


@dataclass(slots=True)
class DatabaseReport:
    name: str
    url: str
    seeding: dict[str, Any]
    rows: list[Row] = field(default_factory=list)
    ceilings: list[float] = field(default_factory=list)
    rss_mb: dict[int, float] = field(default_factory=dict)
    checks: list[tuple[str, str, str]] = field(default_factory=list)  # (what, value, verdict)
    notes: list[str] = field(default_factory=list)


# --- load generators ------------------------------------------------------------------


def _lua_string(text: str) -> str:
    level = "=" * 3
    while f"]{level}]" in text:
        level += "="
    return f"[{level}[{text}]{level}]"


def wrk_script(requests: list[Req], token: str, shuffle: bool) -> str:
    """A wrk script cycling through `requests`, pre-formatted once per thread."""
    entries = []
    for req in requests:
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        if req.body is not None:
            headers["Content-Type"] = "application/json"
        headers.update(req.headers)
        header_table = ", ".join(
            f"[ {_lua_string(k)} ] = {_lua_string(v)}" for k, v in headers.items()
        )
        body = "nil" if req.body is None else _lua_string(json.dumps(req.body))
        entries.append(
            f"  {{{_lua_string(req.method)}, {_lua_string(req.path)}, {{{header_table}}}, {body}}}"
        )
    start = "math.random(#reqs)" if shuffle else "1"
    return (
        "local specs = {\n" + ",\n".join(entries) + "\n}\n"
        "local reqs = {}\n"
        "local i = 1\n"
        "init = function(args)\n"
        "  math.randomseed(os.time() + math.floor(os.clock() * 1000000))\n"
        "  for n, s in ipairs(specs) do reqs[n] = wrk.format(s[1], s[2], s[3], s[4]) end\n"
        f"  i = {start}\n"
        "end\n"
        "request = function()\n"
        "  local r = reqs[i]\n"
        "  i = i % #reqs + 1\n"
        "  return r\n"
        "end\n"
        "done = function(summary, latency, requests)\n"
        f"  for _, p in ipairs({{{', '.join(f'{p:g}' for p in QUANTILE_GRID)}}}) do\n"
        # (wrk's `percentile(100)` answers 0: its maximum is `latency.max`)
        "    local us = p < 100 and latency:percentile(p) or latency.max\n"
        '    io.write(string.format("quantile %g %d\\n", p, us))\n'
        "  end\n"
        "end\n"
    )


def _duration_ms(value: str, unit: str) -> float:
    number = float(value)
    return {"us": number / 1000, "ms": number, "s": number * 1000, "m": number * 60_000}[unit]


def parse_wrk(out: str) -> Result:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]

    def pct(p: str) -> float:
        match = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s|m)\b", out, re.M)
        return float("nan") if match is None else _duration_ms(match.group(1), match.group(2))

    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    socket_errors = sum(int(g) for g in sockets.groups()) if sockets else 0
    quantiles = tuple(
        (float(p), int(us) / 1000) for p, us in re.findall(r"^quantile ([\d.]+) (\d+)$", out, re.M)
    )
    return Result(
        rps=rps, p50=pct("50"), p99=pct("99"), requests=total,
        non2xx=int(non2xx.group(1)) if non2xx else 0, socket_errors=socket_errors,
        note=sockets.group(0) if sockets else "", quantiles=quantiles,
    )  # fmt: skip


def quantiles_of(latencies: list[float]) -> tuple[tuple[float, float], ...]:
    """`latencies` (ms, sorted) at QUANTILE_GRID, as wrk's `latency:percentile` reports."""
    if not latencies:
        return ()
    n = len(latencies)
    return tuple((p, latencies[min(n - 1, int(n * p / 100))]) for p in QUANTILE_GRID)


def mixture_percentile(results: list[Result], percent: float) -> float:
    """The `percent`-th latency (ms) of all requests of `results`, from their quantiles.

    Each run's distribution is a step function through its quantiles; weighted by its
    requests, they make the distribution of all of them. The answer is the smallest
    recorded latency at or below which `percent`% of all requests fall.
    """
    total = sum(r.requests for r in results)
    curves = [(r.requests / total, [ms for _, ms in r.quantiles], [p for p, _ in r.quantiles])
              for r in results]  # fmt: skip

    def share_at_most(ms: float) -> float:
        share = 0.0
        for weight, latencies, percents in curves:
            below = bisect.bisect_right(latencies, ms)
            share += weight * (percents[below - 1] if below else 0.0)
        return share

    candidates = sorted({ms for _, latencies, _ in curves for ms in latencies})
    index = bisect.bisect_left(candidates, True, key=lambda ms: share_at_most(ms) >= percent)
    return candidates[min(index, len(candidates) - 1)]


class Loader:
    """wrk (installed with apt-get when missing and root) or an async httpx fallback."""

    def __init__(self, workdir: Path, seconds: int, connections: int, threads: int) -> None:
        self.workdir = workdir
        self.seconds = seconds
        self.connections = connections
        self.threads = threads
        self.wrk = shutil.which("wrk") or self._install_wrk()
        self._n = 0

    @staticmethod
    def _install_wrk() -> str | None:
        if os.geteuid() != 0 or not shutil.which("apt-get"):
            return None
        print("wrk is missing: apt-get install -y wrk", file=sys.stderr)
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        subprocess.run(["apt-get", "update"], check=False, **quiet)  # type: ignore[call-overload]
        subprocess.run(["apt-get", "install", "-y", "wrk"], check=False, **quiet)  # type: ignore[call-overload]
        return shutil.which("wrk")

    @property
    def name(self) -> str:
        if self.wrk:
            return f"wrk -t{self.threads} -c{self.connections} -d{self.seconds}s --latency"
        return f"httpx async, {self.connections} concurrent, {self.seconds}s"

    def run(self, base: str, token: str, scenario: Scenario, seconds: int | None = None) -> Result:
        seconds = seconds or self.seconds
        if self.wrk is None:
            return asyncio.run(self._httpx(base, token, scenario, seconds))
        self._n += 1
        script = self.workdir / f"scenario{self._n}.lua"
        script.write_text(wrk_script(scenario.requests, token, scenario.shuffle))
        command = [
            self.wrk, f"-t{self.threads}", f"-c{self.connections}", f"-d{seconds}s",
            "--timeout", "10s", "--latency", "-s", str(script), base,
        ]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        if done.stderr.strip():  # wrk runs plain GETs of `base` when its script fails
            raise SystemExit(f"wrk failed on {scenario.name}: {done.stderr.strip()}")
        return parse_wrk(done.stdout)

    async def _httpx(self, base: str, token: str, scenario: Scenario, seconds: int) -> Result:
        latencies: list[float] = []
        statuses: Counter[int] = Counter()
        failures = 0
        end = time.monotonic() + seconds
        limits = httpx.Limits(max_connections=self.connections)
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(
            base_url=base, headers=headers, limits=limits, timeout=10
        ) as client:

            async def worker(offset: int) -> None:
                nonlocal failures
                i = offset
                while time.monotonic() < end:
                    req = scenario.requests[i % len(scenario.requests)]
                    i += 1
                    started = time.perf_counter()
                    try:
                        response = await client.request(
                            req.method, req.path, content=req.payload(),
                            headers={"Content-Type": "application/json", **dict(req.headers)},
                        )  # fmt: skip
                    except httpx.HTTPError:
                        failures += 1
                        continue
                    latencies.append((time.perf_counter() - started) * 1000)
                    statuses[response.status_code] += 1

            rng = random.Random(1)
            await asyncio.gather(
                *(worker(rng.randrange(len(scenario.requests))) for _ in range(self.connections))
            )
        latencies.sort()
        n = len(latencies)
        return Result(
            rps=n / seconds,
            p50=latencies[n // 2] if n else float("nan"),
            p99=latencies[min(n - 1, int(n * 0.99))] if n else float("nan"),
            requests=n,
            non2xx=sum(c for s, c in statuses.items() if not 200 <= s < 400),
            socket_errors=failures,
            quantiles=quantiles_of(latencies),
        )


# --- processes ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_up(url: str, process: subprocess.Popen[bytes], timeout: float = 900) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.TransportError:
            if process.poll() is not None:
                raise SystemExit(f"server exited early ({process.returncode})") from None
            time.sleep(0.3)
    raise SystemExit(f"{url} did not come up")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _status(pid: int) -> dict[str, str]:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return {}
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)


def worker_pids(parent: int) -> list[int]:
    """The parent's child processes, without multiprocessing's resource tracker."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        status = _status(int(entry.name))
        if status.get("PPid", "").strip() != str(parent):
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if "resource_tracker" not in cmdline:
            pids.append(int(entry.name))
    return sorted(pids)


class RssSampler(threading.Thread):
    """Samples each worker's peak RSS (VmHWM, and VmRSS) every quarter second."""

    def __init__(self, parent: int) -> None:
        super().__init__(daemon=True)
        self.parent = parent
        self.peak_kb: dict[int, int] = {}
        self._done = threading.Event()
        self._pids: list[int] = []
        self._rescan = 0.0

    def run(self) -> None:
        while not self._done.wait(0.25):
            self.sample()

    def sample(self) -> None:
        if time.monotonic() >= self._rescan:  # scanning /proc is dearer than reading 2 files
            self._pids = worker_pids(self.parent)
            self._rescan = time.monotonic() + 5
        for pid in self._pids:
            status = _status(pid)
            for key in ("VmHWM", "VmRSS"):
                if key in status:
                    kb = int(status[key].split()[0])
                    self.peak_kb[pid] = max(self.peak_kb.get(pid, 0), kb)

    def finish(self) -> dict[int, float]:
        self.sample()
        self._done.set()
        self.join()
        return {pid: kb / 1024 for pid, kb in sorted(self.peak_kb.items())}


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


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


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
        cpu_started = time.process_time() + _children_cpu()
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
        "total_cpu_seconds": round(time.process_time() + _children_cpu() - cpu_started, 1),
        "analyze_seconds": after,
    }
    if meta_path is not None:
        meta_path.write_text(json.dumps(meta, indent=2))
    return {**meta, "reused": False}


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


# --- one database ---------------------------------------------------------------------


def judge(rows: list[Row]) -> None:
    by_name = {row.scenario.name: row for row in rows}
    for row in rows:
        r, t = row.result, row.scenario.target
        failures = []
        if r.errors:
            failures.append(f"{r.errors} errors")
        if t is not None:
            if r.rps < t.min_rps:
                failures.append("req/s")
            if r.p99 >= t.max_p99:
                failures.append("p99")
            if row.ratio < t.min_ratio:
                failures.append("ratio")
            if t.near is not None and t.near in by_name:
                change = row.versus
                if change is None:
                    change = r.rps / by_name[t.near].result.rps - 1
                if change < -t.near_within:
                    failures.append(f"{change:+.0%} vs page 1")
                else:
                    row.scenario.name += f" [{change:+.0%} vs p1]"
        row.verdict = ("FAIL: " + ", ".join(failures)) if failures else ("PASS" if t else "ok")


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


def run_alternating(loader: Loader, token: str, runs: list[tuple[str, Scenario]]) -> list[Result]:
    """Scenarios judged against each other, run in alternating slices of the same time.

    Each run is (base URL, scenario): a scenario with the ceiling, or page 1 and its deep
    page with the ceiling. A shared machine's speed drifts by ±10% within a run: measured
    one after the other, a ratio or a few percent between two pages would be lost in that
    drift; alternated, every side sees the same machine.
    """
    return [_combined(each) for each in run_slices(loader, token, runs, SLICES)]


def run_slices(
    loader: Loader, token: str, runs: list[tuple[str, Scenario]], rounds: int
) -> list[list[Result]]:
    """Each run's slices, in `rounds` rounds of one slice each (`--seconds` / SLICES long)."""
    short = loader.seconds < 2 * SLICES
    seconds = max(1, loader.seconds // (2 if short else SLICES))
    results: list[list[Result]] = [[] for _ in runs]
    for _ in range(2 if short else rounds):
        for (base, scenario), out in zip(runs, results, strict=True):
            out.append(loader.run(base, token, scenario, seconds=seconds))
    return results


def paired_change(first: list[Result], deep: list[Result]) -> float:
    """How much slower (negative) the deep page ran than page 1: the median of each round's
    ratio. A round's two slices ran seconds apart, so the machine's drift cancels in their
    ratio, and a slice disturbed by something else on the machine moves one round only."""
    return statistics.median(d.rps / f.rps for f, d in zip(first, deep, strict=True)) - 1


def _combined(results: list[Result]) -> Result:
    """One result for slices of equal length: mean rate, all errors, and the p50 and p99
    of all their requests (without a run's quantiles: the median p50 and the worst p99)."""
    whole = all(r.quantiles for r in results) and sum(r.requests for r in results) > 0
    return Result(
        rps=statistics.mean(r.rps for r in results),
        p50=mixture_percentile(results, 50) if whole else statistics.median(r.p50 for r in results),
        p99=mixture_percentile(results, 99) if whole else max(r.p99 for r in results),
        requests=sum(r.requests for r in results),
        non2xx=sum(r.non2xx for r in results),
        socket_errors=sum(r.socket_errors for r in results),
        note="; ".join(r.note for r in results if r.note),
    )


def run_database(
    name: str, url: str, meta: dict[str, Any], loader: Loader, ceiling: str, workdir: Path
) -> DatabaseReport:
    report = DatabaseReport(name=name, url=url, seeding=meta)
    if url.startswith("sqlite:///"):
        read, seconds = read_through(Path(url.removeprefix("sqlite:///")))
        report.notes.append(
            f"the SQLite file read through once before the server starts ({read / 2**30:.1f} GiB "
            f"in {seconds:.1f}s), as a running server's would be: in the OS page cache"
        )
    cast = read_cast(url, meta["workspace_id"])
    token = meta["token"]
    port = free_port()
    env = {**os.environ, "PARLOUR_DATABASE_URL": url, "PARLOUR_SECRET_KEY": SECRET,
           **SERVE_SETTINGS}  # fmt: skip
    command = [sys.executable, "-m", "parlour", "serve", "--port", str(port), "--workers", "2",
               "--log-level", "warning"]  # fmt: skip
    started = time.perf_counter()
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    sampler: RssSampler | None = None
    try:
        wait_up(f"{base}/me", server)
        report.notes.append(f"`parlour serve` up in {time.perf_counter() - started:.1f}s")
        sampler = RssSampler(server.pid)
        sampler.start()
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"},
                          timeout=60) as client:  # fmt: skip
            cast.long_id = make_long_conversation(client, cast)
            scenarios = build_scenarios(cast)
            problems = preflight(client, scenarios)
            if problems:
                raise SystemExit("preflight failed:\n" + "\n".join(problems))
            detail = client.get(f"/conversations/{cast.ten_part_ids[0]}").json()
            report.notes.append(
                f"retrieve 10 parts: {detail['conversation_parts']['total_count']} parts, "
                f"{len(client.get(f'/conversations/{cast.ten_part_ids[0]}').content):,} bytes; "
                f"500 parts: {len(client.get(f'/conversations/{cast.long_id}').content):,} bytes; "
                f"list page: {len(client.get('/conversations').content):,} bytes"
            )
            page_bytes = len(client.get("/conversations").content)
        # Warm both (imports, caches, planner) before anything is timed.
        loader.run(f"{base}", token, scenarios[0], seconds=2)
        loader.run(ceiling, token, Scenario("ceiling", [Req("GET", "/conversations")]), seconds=2)
        bare = (ceiling, Scenario("ceiling", [Req("GET", "/conversations")]))
        # Every scenario (page 1 and its deep page together) runs in slices alternating
        # with the ceiling's, and its ratio is to that ceiling: drift in a shared machine's
        # speed moves both sides of the ratio.
        ceilings: list[Result] = []
        paired: dict[str, Row] = {}
        for n, scenario in enumerate(scenarios):
            partner = scenarios[n + 1] if n + 1 < len(scenarios) else None
            if scenario.name in paired:
                row = paired.pop(scenario.name)
            elif partner and partner.target and partner.target.near == scenario.name:
                slices = run_slices(
                    loader, token, [bare, (base, scenario), (base, partner)], PAIR_ROUNDS
                )
                near, result, deep = (_combined(each) for each in slices)
                ceilings.append(near)
                row = Row(scenario, result, ratio=result.rps / near.rps)
                paired[partner.name] = Row(
                    partner, deep, ratio=deep.rps / near.rps,
                    versus=paired_change(slices[1], slices[2]),
                )  # fmt: skip
            else:
                near, result = run_alternating(loader, token, [bare, (base, scenario)])
                ceilings.append(near)
                row = Row(scenario, result, ratio=result.rps / near.rps)
            print(f"  {scenario.name:55} {row.result.rps:8.0f}/s p50 {row.result.p50:7.2f} ms "
                  f"p99 {row.result.p99:7.2f} ms errors {row.result.errors}, "
                  f"{row.ratio:.1%} of the ceiling", file=sys.stderr)  # fmt: skip
            report.rows.append(row)
        label = f"(reference) bare Starlette, {page_bytes / 1024:.0f} KB (a real list page)"
        sized = Scenario(label, [Req("GET", f"/bytes/{page_bytes}")])
        near, result = run_alternating(loader, token, [bare, (ceiling, sized)])
        ceilings.append(near)
        sized_row = Row(sized, result, ratio=result.rps / near.rps, verdict="ok")
        report.rss_mb = sampler.finish()
        sampler = None
    finally:
        if sampler is not None:
            sampler.finish()
        stop(server)
    report.ceilings = [r.rps for r in ceilings]
    mean = sum(report.ceilings) / len(report.ceilings)
    ceiling_row = Row(
        Scenario(f"ceiling: bare Starlette, 6 KB (mean of {len(ceilings)}, "
                 f"{min(report.ceilings):,.0f}-{max(report.ceilings):,.0f})", []),
        Result(rps=mean, p50=statistics.median(r.p50 for r in ceilings),
               p99=statistics.median(r.p99 for r in ceilings),
               requests=sum(r.requests for r in ceilings),
               non2xx=sum(r.non2xx for r in ceilings),
               socket_errors=sum(r.socket_errors for r in ceilings)),
        ratio=1.0, verdict="ok",
    )  # fmt: skip
    report.rows.insert(0, ceiling_row)
    report.rows.insert(1, sized_row)
    judge(report.rows[2:])

    # Whole-run checks.
    worst = max(report.rss_mb.values(), default=0.0)
    report.checks.append((
        "peak RSS per worker < 200 MB",
        ", ".join(f"{mb:.0f} MB" for mb in report.rss_mb.values()) or "not sampled",
        "PASS" if report.rss_mb and worst < 200 else "FAIL",
    ))  # fmt: skip
    rate = meta["count"] / meta["measured_seconds"]
    projected = 1_000_000 / rate
    report.checks.append((
        "seed 1M conversations < 3 min",
        f"{meta['count']:,} in {meta['measured_seconds']:.0f}s ({rate:,.0f}/s"
        + (f"; 1M projected {projected:.0f}s)" if meta["count"] != 1_000_000 else ")")
        + f"; whole dataset {meta['total_conversations']:,} in {meta['total_seconds']:.0f}s"
        + f", then ANALYZE{'' if name == 'sqlite' else '/VACUUM'} {meta['analyze_seconds']:.0f}s"
        + (" (reused)" if meta.get("reused") else ""),
        "PASS" if projected < 180 else "FAIL",
    ))  # fmt: skip
    errors = sum(r.result.errors for r in report.rows)
    report.checks.append(("no errors in any scenario", f"{errors} non-2xx/socket errors",
                          "PASS" if errors == 0 else "FAIL"))  # fmt: skip
    for row in report.rows:
        if row.scenario.name.startswith("mixed"):
            report.notes.append(f"mixed: {row.result.rps / 10:,.0f} replies/s among the reads")
    report.notes.append(
        f"dataset: {cast.conversation_count:,} conversations, {cast.part_count:,} parts in the "
        f"measured workspace (+{meta['total_conversations'] - meta['count']:,} in 2 neighbours)"
    )
    return report


# --- output ---------------------------------------------------------------------------


def table(report: DatabaseReport) -> str:
    lines = [
        "| scenario | req/s | p50 ms | p99 ms | vs ceiling | errors | target | verdict |",
        "|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for row in report.rows:
        r, t = row.result, row.scenario.target
        lines.append(
            f"| {row.scenario.name} | {r.rps:,.0f} | {r.p50:.2f} | {r.p99:.2f} | "
            f"{row.ratio:.1%} | {r.errors} | {t.text if t else ''} | {row.verdict} |"
        )
    lines += ["", "| check | measured | verdict |", "|---|---|---|"]
    lines += [f"| {what} | {value} | {verdict} |" for what, value, verdict in report.checks]
    return "\n".join(lines)


def machine() -> dict[str, str]:
    mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))  # fmt: skip
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
               platform.processor() or "?")  # fmt: skip
    return {"nproc": str(os.cpu_count()), "memory": f"{mem_kb / 1024 / 1024:.1f} GiB", "cpu": cpu,
            "python": platform.python_version(), "sqlite": sqlite3.sqlite_version}  # fmt: skip


def postgres_version(admin_url: str) -> str:
    try:
        with psycopg.connect(admin_url) as conn:
            return str(conn.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]
    except psycopg.Error:
        return "unavailable"


def markdown(reports: list[DatabaseReport], info: dict[str, str], loader: Loader, args: Any) -> str:
    date = datetime.now().strftime("%Y-%m-%d %H:%M")
    out = [
        f"## Issue 5 benchmark (`benchmarks/run.py`), {date}",
        "",
        f"Machine: {info['nproc']} CPUs ({info['cpu']}), {info['memory']} memory; Python "
        f"{info['python']}, SQLite {info['sqlite']}, PostgreSQL {info.get('postgresql', '-')}.",
        "",
        "```sh",
        "cd /work/main && " + shlex.join([".venv/bin/python", "benchmarks/run.py", *sys.argv[1:]]),
        "```",
        "",
        f"`parlour serve --workers 2` (production settings: PARLOUR_DATABASE_URL, "
        f"PARLOUR_SECRET_KEY; {', '.join(f'{k}={v}' for k, v in SERVE_SETTINGS.items())} so "
        f"neither the rate limit nor load shedding caps the load; `--log-level warning`, i.e. "
        f"no access log). Load: {loader.name}, on the same machine (loopback; the load "
        f"generator shares the CPUs). Ceiling: a bare Starlette app on 2 uvicorn workers "
        f"returning a fixed 6 KB JSON body, same wrk settings. Each scenario runs in "
        f"{SLICES} slices alternating with the ceiling's (page 1 and the deep page of a sort "
        f"in {PAIR_ROUNDS} rounds of a slice each with the ceiling), same total time each, so "
        f"the machine's drift moves every side alike; a ratio is to the ceiling measured with "
        f"it, p50 and p99 are those of all the slices' requests (from each slice's "
        f"percentiles), and a deep page's change from page 1 is the median of its rounds' "
        f"ratios. "
        f"{args.count:,} conversations in the measured workspace.",
    ]
    for report in reports:
        out += ["", f"### {report.name}", "", table(report), ""]
        out += [f"- {note}" for note in report.notes]
        if report.name == "sqlite":
            out.append("- SQLite: WAL, `synchronous=NORMAL` (a commit survives a process "
                       "crash; power loss can drop the last commits).")  # fmt: skip
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=int, default=10, help="per scenario")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--reuse", metavar="DIR", help="keep the seeded data in DIR and reuse it")
    parser.add_argument(
        "--postgres-admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres"
    )
    parser.add_argument("--markdown", metavar="PATH", help="also write the markdown block here")
    parser.add_argument("--seed-only", action="store_true", help="seed (with --reuse) and stop")
    args = parser.parse_args()
    if args.seed_only and not args.reuse:
        parser.error("--seed-only keeps the data only with --reuse DIR")

    # A plain `kill` unwinds through the `finally` blocks, which stop the servers.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.perf_counter()
    scratch = Path(tempfile.mkdtemp(prefix="parlour-bench-"))
    data_dir = Path(args.reuse) if args.reuse else scratch
    data_dir.mkdir(parents=True, exist_ok=True)
    loader = Loader(scratch, args.seconds, args.connections, args.threads)
    info = machine()
    info["postgresql"] = postgres_version(args.postgres_admin_url)
    (scratch / "ceiling.py").write_text(CEILING_APP)
    ceiling_port = free_port()
    ceiling = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "ceiling:app", "--port", str(ceiling_port),
         "--workers", "2", "--log-level", "warning", "--app-dir", str(scratch)],
    )  # fmt: skip
    reports = []
    dropped: list[str] = []
    try:
        ceiling_url = f"http://127.0.0.1:{ceiling_port}"
        wait_up(f"{ceiling_url}/conversations", ceiling)
        for name in args.databases.split(","):
            print(f"{name}:", file=sys.stderr)
            if name == "sqlite":
                path = data_dir / f"bench-{args.count}.db"
                url = f"sqlite:///{path}"
            elif name == "postgresql":
                db_name = f"{PG_DATABASE}_{args.count}" if args.reuse else f"{PG_DATABASE}_tmp"
                meta_file = data_dir / f"postgresql-{args.count}.json"
                fresh = not (args.reuse and meta_file.exists())
                url = postgres_url(args.postgres_admin_url, db_name, fresh)
                if not args.reuse:
                    dropped.append(db_name)
            else:
                raise SystemExit(f"unknown database {name!r}")
            meta = seed(url, args.count, data_dir / f"{name}-{args.count}.json")
            if args.seed_only:
                print(f"  seeded: {json.dumps(meta)}", file=sys.stderr)
                continue
            reports.append(run_database(name, url, meta, loader, ceiling_url, scratch))
    finally:
        stop(ceiling)
        for db_name in dropped:
            drop_postgres(args.postgres_admin_url, db_name)
        shutil.rmtree(scratch, ignore_errors=True)

    text = markdown(reports, info, loader, args)
    print("\n" + text)
    print(f"(whole run {time.perf_counter() - started:.0f}s)")
    if args.markdown:
        Path(args.markdown).write_text(text)


if __name__ == "__main__":
    main()
