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
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for benchmarks/

from benchmarks.driver import (
    PAIR_ROUNDS,
    Loader,
    Req,
    Result,
    RssSampler,
    combined,
    free_port,
    paired_change,
    run_alternating,
    run_slices,
    stop,
    wait_up,
)
from benchmarks.report import DatabaseReport, Row, judge, machine, markdown, postgres_version
from benchmarks.scenarios import (
    CEILING_APP,
    PG_DATABASE,
    SECRET,
    SERVE_SETTINGS,
    Scenario,
    build_scenarios,
    drop_postgres,
    make_long_conversation,
    postgres_url,
    preflight,
    read_cast,
    read_through,
    seed,
)

# --- one database ---------------------------------------------------------------------


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
                near, result, deep = (combined(each) for each in slices)
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
