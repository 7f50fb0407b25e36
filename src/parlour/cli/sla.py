"""`parlour sla`: SLA rules (reply and close targets)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from parlour.cli.common import DatabaseUrl, WorkspaceId, console, in_workspace
from parlour.core.clock import system_clock
from parlour.sla_rules import service as sla_rules

app = typer.Typer(help="SLA rules (reply and close targets).", no_args_is_help=True)


@app.command("create")
def sla_create(
    workspace: WorkspaceId,
    name: Annotated[str, typer.Option(help="The rule's name (unique in the workspace)")],
    first_reply: Annotated[
        int | None, typer.Option(min=1, help="First reply target, seconds")
    ] = None,
    next_reply: Annotated[
        int | None, typer.Option(min=1, help="Next reply target, seconds")
    ] = None,
    time_to_close: Annotated[
        int | None, typer.Option(min=1, help="Time to close target, seconds")
    ] = None,
    office_hours: Annotated[
        str | None,
        typer.Option(help='Office hours as JSON, or @FILE (see README: {"timezone", "hours"})'),
    ] = None,
    apply_to_new: Annotated[
        bool, typer.Option("--apply-to-new", help="Apply to every new conversation")
    ] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Create an SLA rule and print its id."""
    hours = None
    if office_hours is not None:
        text = Path(office_hours[1:]).read_text() if office_hours.startswith("@") else office_hours
        try:
            hours = json.loads(text)
        except json.JSONDecodeError as exc:
            console.print(f"[red]--office-hours is not valid JSON: {exc}[/red]")
            raise typer.Exit(1) from None
    new = sla_rules.NewRule(
        name=name,
        first_reply_seconds=first_reply,
        next_reply_seconds=next_reply,
        time_to_close_seconds=time_to_close,
        office_hours=hours,
        apply_to_new=apply_to_new,
    )
    with in_workspace(database_url, workspace, write=True) as (session, workspace_id):
        rule = sla_rules.create_rule(
            session, workspace_id=workspace_id, now=system_clock(), new=new
        )
    rule_id = rule.id
    console.print(f"SLA rule [bold]{name.strip()}[/bold] created.")
    typer.echo(rule_id)


@app.command("list")
def sla_list(
    workspace: WorkspaceId,
    database_url: DatabaseUrl = None,
) -> None:
    """List SLA rules: id, name, first/next reply and close targets, flags."""
    with in_workspace(database_url, workspace) as (session, workspace_id):
        for rule in sla_rules.list_rules(session, workspace_id):
            flags = [f for f, on in (("new", rule.apply_to_new),
                                     ("archived", rule.archived_at is not None)) if on]
            targets = (rule.first_reply_seconds, rule.next_reply_seconds,
                       rule.time_to_close_seconds)
            typer.echo("\t".join([str(rule.id), rule.name,
                                  *("-" if t is None else str(t) for t in targets),
                                  ",".join(flags)]))


@app.command("archive")
def sla_archive(
    rule_id: Annotated[str, typer.Argument(help="The rule's id")],
    workspace: WorkspaceId,
    database_url: DatabaseUrl = None,
) -> None:
    """Archive an SLA rule: it can no longer be applied."""
    with in_workspace(database_url, workspace, write=True) as (session, workspace_id):
        sla_rules.archive_rule(
            session, workspace_id=workspace_id, now=system_clock(), raw_id=rule_id
        )
    console.print(f"SLA rule {rule_id} archived.")
