"""Judging and printing: each scenario's verdict against its target, and the run's tables.

`judge` marks every row PASS or FAIL against its scenario's target (a deep page against
its page 1 too); `table` and `markdown` print a database's rows and checks, with the
machine and the settings they were measured with, for benchmarks/RESULTS.md.
"""

from __future__ import annotations

import os
import platform
import shlex
import sqlite3
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
from benchmarks.driver import PAIR_ROUNDS, SLICES, Loader, Result
from benchmarks.scenarios import SERVE_SETTINGS, Scenario

# --- rows -----------------------------------------------------------------------------


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


# --- verdicts -------------------------------------------------------------------------


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
