"""Driving the load and the processes: wrk runs and their results, servers, slices.

`Loader` runs a scenario's requests with wrk (an async httpx client when wrk is missing)
and reads back its rate, errors and latency distribution; `free_port`, `wait_up` and
`stop` start and stop servers, `RssSampler` follows their workers' memory, and
`run_alternating` / `run_slices` measure runs in slices alternating with each other, so a
shared machine's drift moves every side alike.
"""

from __future__ import annotations

import asyncio
import bisect
import json
import os
import random
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from benchmarks.scenarios import Scenario

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


# --- requests and results -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Req:
    method: str
    path: str
    body: dict[str, Any] | None = None
    headers: tuple[tuple[str, str], ...] = ()

    def payload(self) -> bytes | None:
        return None if self.body is None else json.dumps(self.body).encode()


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


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# --- alternating slices ---------------------------------------------------------------


def run_alternating(loader: Loader, token: str, runs: list[tuple[str, Scenario]]) -> list[Result]:
    """Scenarios judged against each other, run in alternating slices of the same time.

    Each run is (base URL, scenario): a scenario with the ceiling, or page 1 and its deep
    page with the ceiling. A shared machine's speed drifts by ±10% within a run: measured
    one after the other, a ratio or a few percent between two pages would be lost in that
    drift; alternated, every side sees the same machine.
    """
    return [combined(each) for each in run_slices(loader, token, runs, SLICES)]


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


def combined(results: list[Result]) -> Result:
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
