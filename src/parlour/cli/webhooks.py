"""`parlour webhooks`: subscriptions, deliveries, and sending them."""

from __future__ import annotations

import time
from typing import Annotated

import httpx
import typer

from parlour.app import webhook_policy
from parlour.cli.common import DatabaseUrl, WorkspaceId, console, in_workspace, migrated
from parlour.config import Settings
from parlour.core.clock import system_clock
from parlour.webhooks import service as webhooks
from parlour.webhooks.delivery import deliver_due

app = typer.Typer(help="Webhook subscriptions and deliveries.", no_args_is_help=True)


@app.command("create")
def webhooks_create(
    workspace: WorkspaceId,
    url: Annotated[str, typer.Option(help="Endpoint receiving the notifications")],
    topic: Annotated[list[str], typer.Option("--topic", help="A topic (repeatable)")],
    secret: Annotated[str | None, typer.Option(help="Signing secret (generated if absent)")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Subscribe an endpoint to topics; prints the id and the signing secret."""
    with in_workspace(database_url, workspace, write=True) as (session, workspace_id):
        row = webhooks.create_subscription(
            session, workspace_id=workspace_id, now=system_clock(), url=url,
            topics=list(topic), secret=secret,
        )
    typer.echo(f"{row.id}\t{row.secret}")


@app.command("list")
def webhooks_list(
    workspace: WorkspaceId,
    database_url: DatabaseUrl = None,
) -> None:
    """List subscriptions: id, url, topics."""
    with in_workspace(database_url, workspace) as (session, workspace_id):
        for row in webhooks.list_subscriptions(session, workspace_id):
            typer.echo(f"{row.id}\t{row.url}\t{','.join(row.topics)}")


@app.command("delete")
def webhooks_delete(
    subscription_id: Annotated[str, typer.Argument(help="The subscription's id")],
    workspace: WorkspaceId,
    database_url: DatabaseUrl = None,
) -> None:
    """Delete a subscription and its undelivered notifications."""
    with in_workspace(database_url, workspace, write=True) as (session, workspace_id):
        webhooks.delete_subscription(session, workspace_id=workspace_id, raw_id=subscription_id)
    console.print(f"Subscription {subscription_id} deleted.")


@app.command("deliveries")
def webhooks_deliveries(
    workspace: WorkspaceId,
    status: Annotated[str | None, typer.Option(help="pending, delivered or dead")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many, newest first")] = 50,
    database_url: DatabaseUrl = None,
) -> None:
    """List deliveries: id, status, attempts, topic, notification id, last error."""
    with in_workspace(database_url, workspace) as (session, workspace_id):
        rows = webhooks.list_deliveries(session, workspace_id, status=status, limit=limit)
        for row in rows:
            error = " ".join((row.last_error or "").split())  # one line per delivery
            typer.echo(f"{row.id}\t{row.status}\t{row.attempts}\t{row.topic}\t"
                       f"{row.notification_id}\t{error}")


@app.command("replay")
def webhooks_replay(
    delivery_id: Annotated[str, typer.Argument(help="The delivery's id")],
    workspace: WorkspaceId,
    database_url: DatabaseUrl = None,
) -> None:
    """Queue a delivery (delivered or dead) to be sent again."""
    with in_workspace(database_url, workspace, write=True) as (session, workspace_id):
        webhooks.replay(session, workspace_id=workspace_id, now=system_clock(),
                        raw_id=delivery_id)
    console.print(f"Delivery {delivery_id} queued again.")


@app.command("deliver")
def webhooks_deliver(
    loop: Annotated[bool, typer.Option("--loop", help="Keep delivering until interrupted")] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Send due webhook deliveries (what `serve` does in the background), once or in a loop."""
    settings = Settings(database_url=database_url) if database_url else Settings()
    db = migrated(settings.database_url)
    policy = webhook_policy(settings)
    interval = settings.scheduler_interval or 5.0
    with httpx.Client(follow_redirects=False) as client:
        while True:
            report = deliver_due(db, system_clock, client, policy)
            console.print(f"Delivered {report.delivered}, retrying {report.retrying}, "
                          f"dead {report.dead}.")
            if not loop:
                return
            time.sleep(interval)
