"""Time `seed_conversations` on a freshly migrated database and print its throughput.

    .venv/bin/python benchmarks/seed_benchmark.py                     # 100,000 on SQLite
    .venv/bin/python benchmarks/seed_benchmark.py --count 20000 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/seed_bench

The database must be empty (or at least not in use): seeding assigns ids itself. Besides
wall time it prints the CPU time of this process and of the worker processes: on a
shared machine wall time mostly measures the neighbours.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

from parlour.db.migrate import upgrade
from parlour.db.models import ConversationPart
from parlour.db.session import Database
from parlour.demo.loader import seed_conversations
from parlour.workspaces.service import create_workspace

NOW = 1_764_000_000


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, seed, report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: a SQLite file in a temp directory")
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--mean-parts", type=int, default=10)
    parser.add_argument("--workers", type=int, help="generating processes (default: auto)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="parlour-seed-") as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'seed.db'}"
        db = Database(url)
        try:
            started = time.perf_counter()
            upgrade(db.engine)
            with db.write_session() as session:
                workspace, _owner = create_workspace(session, name="Benchmark", now=NOW)
                session.commit()
                workspace_id = workspace.id
            print(f"migrated in {time.perf_counter() - started:.1f}s ({db.engine.dialect.name})")

            def progress(done: int) -> None:
                elapsed = time.perf_counter() - started
                print(f"\r{done:>9,} conversations  {elapsed:6.1f}s", end="", file=sys.stderr)

            started, cpu = time.perf_counter(), time.process_time()
            loaded = seed_conversations(
                db,
                workspace_id,
                args.count,
                now=NOW,
                seed=args.seed,
                mean_parts=args.mean_parts,
                progress=progress,
                workers=args.workers,
            )
            elapsed = time.perf_counter() - started
            cpu = time.process_time() - cpu
            children = resource.getrusage(resource.RUSAGE_CHILDREN)
            print(file=sys.stderr)
            with db.read_session() as session:
                parts = session.scalar(
                    select(func.count()).where(ConversationPart.workspace_id == workspace_id)
                )
            parts = int(parts or 0)
            print(f"{loaded:,} conversations, {parts:,} parts in {elapsed:.1f}s")
            print(f"{loaded / elapsed:,.0f} conversations/s, {parts / elapsed:,.0f} parts/s")
            print(
                f"CPU: {cpu:.1f}s here, {children.ru_utime + children.ru_stime:.1f}s in workers"
            )
        finally:
            db.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
