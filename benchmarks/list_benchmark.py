"""Benchmark GET /conversations and GET /conversations/{id} on a real `parlour serve`.

Seeds a fresh database, starts `parlour serve` (and a bare Starlette app serving a fixed
6 KB JSON body as the ceiling for this machine, this run), drives each with wrk (or an
async httpx loop if wrk is missing), and prints req/s, p50/p99 and the ratio to the ceiling.
Not a test: run it by hand, e.g.

    .venv/bin/python benchmarks/list_benchmark.py --count 100000 --workers 2
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for benchmarks/

from benchmarks.driver import free_port, wait_up
from benchmarks.scenarios import CEILING_APP

from parlour.app import build_state
from parlour.config import Settings
from parlour.conversations import repository
from parlour.conversations.repository import ListFilter
from parlour.core.cursor import Cursor
from parlour.db.migrate import upgrade
from parlour.db.session import Database
from parlour.demo.loader import seed_conversations
from parlour.workspaces import service as workspaces

SECRET = "benchmark-secret"
def run_wrk(url: str, token: str, seconds: int) -> tuple[float, float, float]:
    out = subprocess.run(
        ["wrk", "-t2", "-c32", f"-d{seconds}s", "--latency", "-H", f"Authorization: Bearer {token}",
         url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]

    def pct(p: str) -> float:
        match = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out)
        if match is None:
            return float("nan")
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    if "Non-2xx" in out:
        raise SystemExit(f"errors during load:\n{out}")
    return rps, pct("50"), pct("99")


async def _httpx_load(url: str, token: str, seconds: int) -> tuple[float, float, float]:
    latencies: list[float] = []
    end = time.monotonic() + seconds
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}) as client:
        async def worker() -> None:
            while time.monotonic() < end:
                started = time.perf_counter()
                response = await client.get(url)
                response.raise_for_status()
                latencies.append((time.perf_counter() - started) * 1000)
        await asyncio.gather(*(worker() for _ in range(16)))
    latencies.sort()
    return (len(latencies) / seconds, statistics.median(latencies),
            latencies[int(len(latencies) * 0.99) - 1])


def load(url: str, token: str, seconds: int) -> tuple[float, float, float]:
    if shutil.which("wrk"):
        return run_wrk(url, token, seconds)
    return asyncio.run(_httpx_load(url, token, seconds))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="parlour-bench-"))
    url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    db = Database(url)
    upgrade(db.engine)
    now = int(time.time())
    with db.write_session() as session:
        ws, _owner = workspaces.create_workspace(session, name="Bench", now=now)
        token = workspaces.create_token(session, ws, now=now)
        workspace_id = ws.id
        session.commit()
    started = time.perf_counter()
    seed_conversations(db, workspace_id, args.count, now=now, seed=1)
    print(f"seeded {args.count} conversations in {time.perf_counter() - started:.1f}s")

    # A cursor pointing deep into the list (as if the client had followed `next` many times).
    state = build_state(Settings(database_url=url, secret_key=SECRET))
    depth = max(1, args.count // 2)
    with db.read_session() as session:
        rows = repository.offset_page(session, workspace_id, ListFilter(), sort="updated_at",
                                      descending=True, offset=depth, limit=1)
    deep = state.cursor_codec.encode(Cursor(workspace_id=workspace_id,
                                            query={"sort": "updated_at", "order": "desc"},
                                            sort_value=rows[0].sort_value, last_id=rows[0].id,
                                            page=depth // 20 + 1))
    any_id = rows[0].id

    env = {**os.environ, "PARLOUR_DATABASE_URL": url, "PARLOUR_SECRET_KEY": SECRET,
           "PARLOUR_RATE_LIMIT": "100000000"}
    port, ceiling_port = free_port(), free_port()
    server = subprocess.Popen([sys.executable, "-m", "parlour", "serve", "--port", str(port),
                               "--workers", str(args.workers), "--log-level", "warning"], env=env)
    (workdir / "ceiling.py").write_text(CEILING_APP)
    ceiling = subprocess.Popen([sys.executable, "-m", "uvicorn", "ceiling:app", "--port",
                                str(ceiling_port), "--workers", str(args.workers),
                                "--log-level", "warning", "--app-dir", str(workdir)])
    try:
        base = f"http://127.0.0.1:{port}"
        wait_up(f"{base}/me", server)
        wait_up(f"http://127.0.0.1:{ceiling_port}/conversations", ceiling)
        scenarios = {
            "ceiling: bare Starlette 6 KB": f"http://127.0.0.1:{ceiling_port}/conversations",
            "list page 1 (updated_at desc)": f"{base}/conversations",
            "list page 1 (created_at asc)": f"{base}/conversations?sort=created_at&order=asc",
            "list page 1 (waiting_since)": f"{base}/conversations?sort=waiting_since",
            f"list page ~{depth // 20} via cursor": f"{base}/conversations?starting_after={deep}",
            "list filtered admin+open": (
                f"{base}/conversations?type=admin&admin_id=nobody&open=true"
            ),
            "retrieve one conversation": f"{base}/conversations/{any_id}",
        }
        results = {name: load(target, token, args.seconds) for name, target in scenarios.items()}
    finally:
        server.terminate()
        ceiling.terminate()
        server.wait()
        ceiling.wait()
    ceiling_rps = results["ceiling: bare Starlette 6 KB"][0]
    print(f"\n{args.count} conversations, {args.workers} workers, nproc={os.cpu_count()}, "
          f"db={url.split(':')[0]}, loader={'wrk' if shutil.which('wrk') else 'httpx'}")
    print(f"{'scenario':40} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'vs ceiling':>10}")
    for name, (rps, p50, p99) in results.items():
        print(f"{name:40} {rps:9.0f} {p50:8.2f} {p99:8.2f} {rps / ceiling_rps:10.0%}")


if __name__ == "__main__":
    main()
