"""`parlour conversations` and `parlour seed`: conversation maintenance and bulk loads."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from parlour.cli.common import DatabaseUrl, WorkspaceId, console, migrated, workspace_or_exit
from parlour.conversations.jobs import store_missing_entries, wake_due_snoozes
from parlour.core.clock import system_clock
from parlour.demo.loader import seed_conversations

app = typer.Typer(help="Conversation maintenance.", no_args_is_help=True)


@app.command("wake-snoozed")
def conversations_wake_snoozed(database_url: DatabaseUrl = None) -> None:
    """Wake every snoozed conversation whose time has come (what `serve` does every few seconds)."""
    db = migrated(database_url)
    woken = wake_due_snoozes(db, system_clock())
    console.print(f"Woke {woken} snoozed conversation(s).")


@app.command("render-summaries")
def conversations_render_summaries(database_url: DatabaseUrl = None) -> None:
    """Store every missing list entry (what `serve` does in the background)."""
    db = migrated(database_url)
    stored = store_missing_entries(db)
    console.print(f"Stored {stored} conversation list entr{'y' if stored == 1 else 'ies'}.")


def seed(
    workspace: WorkspaceId,
    count: Annotated[int, typer.Option("--count", "-n", min=1, help="Conversations to add")] = 1000,
    random_seed: Annotated[int, typer.Option("--seed", help="Random seed")] = 0,
    mean_parts: Annotated[int, typer.Option(min=1, help="Average parts per conversation")] = 10,
    database_url: DatabaseUrl = None,
) -> None:
    """Bulk-load realistic conversations into a workspace."""
    db = migrated(database_url)
    workspace_id = workspace_or_exit(db, workspace)
    started = time.perf_counter()
    with Progress(
        TextColumn("[bold]seeding"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        task = bar.add_task("seed", total=count)
        loaded = seed_conversations(
            db,
            workspace_id,
            count,
            now=system_clock(),
            seed=random_seed,
            mean_parts=mean_parts,
            progress=lambda done: bar.update(task, completed=done),
        )
    elapsed = time.perf_counter() - started
    console.print(f"Loaded {loaded} conversations in {elapsed:.1f}s.")
