"""Offer a server several times its capacity and see who waits: with and without load shedding.

    .venv/bin/python benchmarks/overload.py                    # 5x capacity, both settings
    .venv/bin/python benchmarks/overload.py --factor 10 --seconds 15

Seeds a workspace (SQLite file by default) with conversations, starts `parlour serve` with
one worker, measures its capacity with a few closed-loop clients (a mix of list pages and
replies), then sends requests open-loop at `--factor` times that rate for `--seconds`
(arrivals do not wait for answers, as real independent clients would not) with a client
timeout of `--timeout` seconds. It does so twice: load shedding off
(`PARLOUR_MAX_IN_FLIGHT=0`, `PARLOUR_MAX_QUEUE_MS=0`) and with the defaults, and prints
latency percentiles of the answered requests, status counts and timeouts, then how long the
server takes to answer normally again.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for tests/ and benchmarks/

from benchmarks.concurrent_replies import prepare
from benchmarks.driver import free_port
from tests.e2e.rawhttp import Connection

from parlour.config import Settings

CONVERSATIONS = 200
PER_PAGE = 150  # a list page of 150 conversations: a few ms, so the client keeps up


@dataclass
class Target:
    base: str
    token: str
    admin: int
    conversations: list[int]


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)  # answered requests, seconds
    statuses: Counter[int] = field(default_factory=Counter)
    timeouts: int = 0
    at_server: int = 0  # requests sent and not yet answered
    most_at_server: int = 0
    client_lag: float = 0.0  # the most the sender fell behind its schedule, seconds
    errors: Counter[str] = field(default_factory=Counter)


class Pool:
    """`size` keep-alive connections, as an SDK's pool or a proxy in front would keep.

    An arrival finding every connection busy waits for one: that wait counts in its latency
    and against its timeout, as it would for a real client.
    """

    def __init__(self, target: Target, size: int) -> None:
        port = int(target.base.rsplit(":", 1)[1])
        self.free: asyncio.Queue[Connection] = asyncio.Queue()
        for _ in range(size):
            self.free.put_nowait(Connection("127.0.0.1", port))

    async def close(self) -> None:
        while not self.free.empty():
            await self.free.get_nowait().close()


async def _one(pool: Pool, target: Target, outcome: Outcome, rng: random.Random,
               timeout: float) -> None:
    headers = {"Authorization": f"Bearer {target.token}"}
    request: tuple[str, str, dict[str, str] | None]
    if rng.random() < 0.8:
        request = ("GET", f"/conversations?per_page={PER_PAGE}", None)
    else:
        request = ("POST", f"/conversations/{rng.choice(target.conversations)}/reply",
                   {"type": "admin", "message_type": "comment",
                    "admin_id": str(target.admin), "body": "load"})
    started = time.perf_counter()
    held: list[Connection] = []

    async def attempt() -> int:
        conn = await pool.free.get()
        held.append(conn)
        outcome.at_server += 1
        outcome.most_at_server = max(outcome.most_at_server, outcome.at_server)
        try:
            response = await conn.request(request[0], request[1], headers=headers,
                                          json=request[2])
        finally:
            outcome.at_server -= 1
        return response.status

    try:
        status = await asyncio.wait_for(attempt(), timeout)
    except TimeoutError:
        outcome.timeouts += 1
    except (OSError, asyncio.IncompleteReadError) as exc:
        outcome.errors[type(exc).__name__] += 1
    else:
        outcome.latencies.append(time.perf_counter() - started)
        outcome.statuses[status] += 1
        pool.free.put_nowait(held.pop())
    if held:  # a failed or abandoned request: its connection is in an unknown state
        conn = held.pop()
        await conn.close()
        pool.free.put_nowait(conn)


async def capacity(target: Target, seconds: float) -> float:
    """Requests per second with 4 closed-loop clients (the server is the bottleneck)."""
    outcome = Outcome()
    rng = random.Random(1)
    pool = Pool(target, 4)
    deadline = time.perf_counter() + seconds

    async def loop() -> None:
        while time.perf_counter() < deadline:
            await _one(pool, target, outcome, rng, 30)

    started = time.perf_counter()
    await asyncio.gather(*(loop() for _ in range(4)))
    elapsed = time.perf_counter() - started
    await pool.close()
    return sum(outcome.statuses.values()) / elapsed


async def open_loop(target: Target, rate: float, seconds: float, timeout: float,
                    connections: int) -> Outcome:
    """`rate` arrivals a second for `seconds`, whatever the answers; waits for the last."""
    outcome = Outcome()
    rng = random.Random(2)
    pool = Pool(target, connections)
    tasks: list[asyncio.Task[None]] = []
    started = time.perf_counter()
    sent = 0
    while (elapsed := time.perf_counter() - started) < seconds:
        outcome.client_lag = max(outcome.client_lag, elapsed - sent / rate)
        due = int(elapsed * rate) - sent
        for _ in range(due):
            tasks.append(asyncio.create_task(_one(pool, target, outcome, rng, timeout)))
        sent += max(due, 0)
        await asyncio.sleep(0.002)
    await asyncio.gather(*tasks)
    await pool.close()
    return outcome


async def recovery(target: Target) -> float:
    """Seconds until 5 requests in a row answer 200 within a second each."""
    started = time.perf_counter()
    streak = 0
    headers = {"Authorization": f"Bearer {target.token}"}
    conn = Connection("127.0.0.1", int(target.base.rsplit(":", 1)[1]))
    while streak < 5 and time.perf_counter() - started < 120:
        try:
            response = await asyncio.wait_for(
                conn.request("GET", "/conversations?per_page=20", headers=headers), 1
            )
            streak = streak + 1 if response.status == 200 else 0
        except (TimeoutError, OSError, asyncio.IncompleteReadError):
            await conn.close()
            streak = 0
    await conn.close()
    return time.perf_counter() - started


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000


def run(url: str, env: dict[str, str], args: argparse.Namespace, label: str,
        rate: float | None) -> float:
    port = free_port()
    token, admin, _contact, ids = prepare(url, name="Overload", conversations=CONVERSATIONS)
    server = subprocess.Popen(
        [sys.executable, "-m", "parlour", "serve", "--port", str(port), "--workers", "1",
         "--log-level", "warning"],
        env={**os.environ, "PARLOUR_DATABASE_URL": url, **env},
    )
    target = Target(f"http://127.0.0.1:{port}", token, admin, ids)
    try:
        for _ in range(150):
            try:
                httpx.get(f"{target.base}/me", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        if rate is None:
            rate = uvloop.run(capacity(target, 5)) * args.factor
            print(f"capacity ~{rate / args.factor:.0f} req/s; offering {rate:.0f} req/s "
                  f"({args.factor}x) for {args.seconds}s, client timeout {args.timeout}s")
        outcome = uvloop.run(
            open_loop(target, rate, args.seconds, args.timeout, args.connections)
        )
        back = uvloop.run(recovery(target))
    finally:
        server.terminate()
        server.wait()
    answered = outcome.latencies
    ok = outcome.statuses[200]
    total = len(answered) + outcome.timeouts + sum(outcome.errors.values())
    print(f"{label}: {total} sent, {ok} ok, statuses {dict(sorted(outcome.statuses.items()))}, "
          f"timeouts {outcome.timeouts}, transport errors {dict(outcome.errors)}, "
          f"{args.connections} connections; sender at most {outcome.client_lag * 1000:.0f} ms "
          f"behind schedule, at most {outcome.most_at_server} requests at the server at once")
    print(f"  answered latency p50 {_pct(answered, 0.5):.0f} ms, p99 {_pct(answered, 0.99):.0f}"
          f" ms, max {_pct(answered, 1.0):.0f} ms; normal answers again after {back:.1f}s")
    return rate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--factor", type=float, default=5)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--timeout", type=float, default=10)
    parser.add_argument("--connections", type=int, default=256)
    parser.add_argument("--only", choices=["off", "on"], default=None)
    args = parser.parse_args(argv)
    defaults = Settings()
    settings = {
        "off": {"PARLOUR_MAX_IN_FLIGHT": "0", "PARLOUR_MAX_QUEUE_MS": "0"},
        "on": {"PARLOUR_MAX_IN_FLIGHT": str(defaults.max_in_flight),
               "PARLOUR_MAX_QUEUE_MS": str(defaults.max_queue_ms)},
    }
    rate = None
    for name in ("off", "on"):
        if args.only not in (None, name):
            continue
        with tempfile.TemporaryDirectory(prefix="parlour-overload-") as tmp:
            url = f"sqlite:///{Path(tmp) / 'overload.db'}"
            label = (f"shedding {name} (max_in_flight={settings[name]['PARLOUR_MAX_IN_FLIGHT']},"
                     f" max_queue_ms={settings[name]['PARLOUR_MAX_QUEUE_MS']})")
            rate = run(url, {**settings[name], "PARLOUR_RATE_LIMIT": "1000000"}, args, label,
                       rate)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
