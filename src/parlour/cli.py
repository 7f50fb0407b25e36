"""The `parlour` command: serve, db, workspaces, tokens, admins, teams, sla, webhooks, seed."""

from __future__ import annotations

import json
import os
import shlex
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.orm import Session

from parlour.admins import service as admins
from parlour.config import Settings
from parlour.conversations.jobs import store_missing_entries, wake_due_snoozes
from parlour.core.clock import system_clock
from parlour.db.migrate import upgrade
from parlour.db.session import Database
from parlour.errors import ApiError
from parlour.sla_rules import service as sla_rules
from parlour.teams import service as teams
from parlour.webhooks import service as webhooks
from parlour.webhooks.delivery import deliver_due
from parlour.workspaces import repository as workspace_repo
from parlour.workspaces import service as workspaces

app = typer.Typer(
    help="Parlour: a self-hostable, Intercom-compatible conversations server.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
workspaces_app = typer.Typer(help="Workspaces (Intercom's apps).", no_args_is_help=True)
tokens_app = typer.Typer(help="Access tokens.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(workspaces_app, name="workspaces")
admins_app = typer.Typer(help="Admins (teammates).", no_args_is_help=True)
teams_app = typer.Typer(help="Teams of admins.", no_args_is_help=True)
app.add_typer(tokens_app, name="tokens")
app.add_typer(admins_app, name="admins")
app.add_typer(teams_app, name="teams")
conversations_app = typer.Typer(help="Conversation maintenance.", no_args_is_help=True)
app.add_typer(conversations_app, name="conversations")
sla_app = typer.Typer(help="SLA rules (reply and close targets).", no_args_is_help=True)
app.add_typer(sla_app, name="sla")
webhooks_app = typer.Typer(help="Webhook subscriptions and deliveries.", no_args_is_help=True)
app.add_typer(webhooks_app, name="webhooks")

console = Console()
DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        envvar="PARLOUR_DATABASE_URL",
        help="SQLAlchemy URL; default: an embedded SQLite file.",
    ),
]


def _database(url: str | None) -> Database:
    settings = Settings(database_url=url) if url else Settings()
    return Database(settings.database_url)


def _migrated(url: str | None) -> Database:
    db = _database(url)
    upgrade(db.engine)
    return db


@contextmanager
def _in_workspace(
    database_url: str | None, app_id: str, *, write: bool = False
) -> Iterator[tuple[Session, int]]:
    """A session in the named workspace; an API error prints its message and exits 1.

    A write session commits when the block ends without error.
    """
    db = _migrated(database_url)
    workspace_id = _workspace_or_exit(db, app_id)
    with (db.write_session if write else db.read_session)() as session:
        try:
            yield session, workspace_id
        except ApiError as exc:
            console.print(f"[red]{exc.message}[/red]")
            raise typer.Exit(1) from None
        if write:
            session.commit()


def _workspace_or_exit(db: Database, app_id: str) -> int:
    with db.read_session() as session:
        workspace = workspace_repo.get_workspace_by_app_id(session, app_id)
        if workspace is None:
            console.print(f"[red]No workspace with app id {app_id!r}[/red]")
            raise typer.Exit(1)
        return workspace.id


@db_app.command("upgrade")
def db_upgrade(
    database_url: DatabaseUrl = None, revision: Annotated[str, typer.Argument()] = "head"
) -> None:
    """Apply the packaged migrations (creates the schema on an empty database)."""
    db = _database(database_url)
    upgrade(db.engine, revision)
    console.print(f"Database at [bold]{db.engine.url.render_as_string()}[/bold] is at {revision}.")


@workspaces_app.command("create")
def workspaces_create(
    name: Annotated[str, typer.Argument(help="Workspace name")],
    admin_name: Annotated[str, typer.Option(help="Owner admin's name")] = "Workspace Owner",
    admin_email: Annotated[str, typer.Option(help="Owner admin's email")] = "owner@example.com",
    api_version: Annotated[str, typer.Option(help="Default Intercom-Version")] = "2.14",
    database_url: DatabaseUrl = None,
) -> None:
    """Create a workspace with its owner admin and print a first access token."""
    from parlour.api.versioning import KNOWN_VERSIONS

    if api_version not in KNOWN_VERSIONS:
        console.print(f"[red]Unknown Intercom version {api_version!r}[/red]")
        raise typer.Exit(2)
    db = _migrated(database_url)
    now = system_clock()
    with db.write_session() as session:
        workspace, owner = workspaces.create_workspace(
            session,
            name=name,
            now=now,
            admin_name=admin_name,
            admin_email=admin_email,
            api_version=api_version,
        )
        token = workspaces.create_token(
            session, workspace, now=now, name="initial", admin_id=owner.id
        )
        session.commit()
        console.print(f"Workspace [bold]{name}[/bold] app_id={workspace.app_id}")
    typer.echo(token)


@workspaces_app.command("list")
def workspaces_list(database_url: DatabaseUrl = None) -> None:
    """List workspaces."""
    db = _migrated(database_url)
    with db.read_session() as session:
        for w in workspace_repo.list_workspaces(session):
            typer.echo(f"{w.app_id}\t{w.name}\tversion={w.api_version}")


@tokens_app.command("create")
def tokens_create(
    workspace: Annotated[str, typer.Option(help="Workspace app id")],
    name: Annotated[str, typer.Option(help="A label for the token")] = "",
    database_url: DatabaseUrl = None,
) -> None:
    """Issue an access token (printed once; only its hash is stored)."""
    with _in_workspace(database_url, workspace, write=True) as (session, workspace_id):
        row = workspace_repo.get_workspace(session, workspace_id)
        assert row is not None
        token = workspaces.create_token(session, row, now=system_clock(), name=name)
    typer.echo(token)


@tokens_app.command("list")
def tokens_list(
    workspace: Annotated[str, typer.Option(help="Workspace app id")],
    database_url: DatabaseUrl = None,
) -> None:
    """List a workspace's tokens (ids and labels; the tokens themselves are not stored)."""
    with _in_workspace(database_url, workspace) as (session, workspace_id):
        for t in workspace_repo.list_tokens(session, workspace_id):
            status = "revoked" if t.revoked_at else "active"
            typer.echo(f"{t.id}\t{t.name}\t{status}")


@tokens_app.command("revoke")
def tokens_revoke(
    token_id: int,
    workspace: Annotated[str, typer.Option(help="Workspace app id")],
    database_url: DatabaseUrl = None,
) -> None:
    """Revoke a token: it stops working at once."""
    with _in_workspace(database_url, workspace, write=True) as (session, workspace_id):
        revoked = workspace_repo.revoke_token(session, workspace_id, token_id, system_clock())
    if not revoked:
        console.print(f"[red]No active token {token_id}[/red]")
        raise typer.Exit(1)
    console.print(f"Token {token_id} revoked.")


@admins_app.command("create")
def admins_create(
    workspace: Annotated[str, typer.Option(help="Workspace app id")],
    name: Annotated[str, typer.Option(help="The admin's name")],
    email: Annotated[str, typer.Option(help="The admin's email (unique in the workspace)")],
    job_title: Annotated[str, typer.Option(help="Job title")] = "",
    database_url: DatabaseUrl = None,
) -> None:
    """Add a teammate to a workspace and print its id."""
    with _in_workspace(database_url, workspace, write=True) as (session, workspace_id):
        view = admins.create_admin(
            session,
            workspace_id=workspace_id,
            now=system_clock(),
            name=name,
            email=email,
            job_title=job_title,
        )
    admin_id = view.admin.id
    console.print(f"Admin [bold]{view.admin.name}[/bold] <{view.admin.email}> created.")
    typer.echo(admin_id)


@admins_app.command("list")
def admins_list(
    workspace: Annotated[str, typer.Option(help="Workspace app id")],
    database_url: DatabaseUrl = None,
) -> None:
    """List a workspace's admins: id, name, email."""
    with _in_workspace(database_url, workspace) as (session, workspace_id):
        for view in admins.list_admins(session, workspace_id):
            typer.echo(f"{view.admin.id}\t{view.admin.name}\t{view.admin.email}")


@teams_app.command("create")
def teams_create(
    workspace: Annotated[str, typer.Option(help="Workspace app id")],
    name: Annotated[str, typer.Option(help="The team's name")],
    admin: Annotated[
        list[int] | None, typer.Option("--admin", help="A member's admin id (repeatable)")
    ] = None,
    distribution_method: Annotated[
        str | None, typer.Option(help="balanced (default) or round_robin")
    ] = None,
    assignment_limit: Annotated[
        int | None, typer.Option(min=1, help="Open conversations per member")
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Create a team of existing admins and print its id."""
    with _in_workspace(database_url, workspace, write=True) as (session, workspace_id):
        view = teams.create_team(
            session,
            workspace_id=workspace_id,
            now=system_clock(),
            name=name,
            admin_ids=list(admin or []),
            distribution_method=distribution_method,
            assignment_limit=assignment_limit,
        )
    team_id = view.team.id
    console.print(f"Team [bold]{view.team.name}[/bold] created with {len(view.admin_ids)} admins.")
    typer.echo(team_id)


@teams_app.command("list")
def teams_list(
    workspace: Annotated[str, typer.Option(help="Workspace app id")],
    database_url: DatabaseUrl = None,
) -> None:
    """List a workspace's teams: id, name, member admin ids."""
    with _in_workspace(database_url, workspace) as (session, workspace_id):
        for view in teams.list_teams(session, workspace_id):
            members = ",".join(str(a) for a in view.admin_ids)
            typer.echo(f"{view.team.id}\t{view.team.name}\t{members}")


@sla_app.command("create")
def sla_create(
    workspace: Annotated[str, typer.Option(help="Workspace app id")],
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
    with _in_workspace(database_url, workspace, write=True) as (session, workspace_id):
        rule = sla_rules.create_rule(
            session, workspace_id=workspace_id, now=system_clock(), new=new
        )
    rule_id = rule.id
    console.print(f"SLA rule [bold]{name.strip()}[/bold] created.")
    typer.echo(rule_id)


@sla_app.command("list")
def sla_list(
    workspace: Annotated[str, typer.Option(help="Workspace app id")],
    database_url: DatabaseUrl = None,
) -> None:
    """List SLA rules: id, name, first/next reply and close targets, flags."""
    with _in_workspace(database_url, workspace) as (session, workspace_id):
        for rule in sla_rules.list_rules(session, workspace_id):
            flags = [f for f, on in (("new", rule.apply_to_new),
                                     ("archived", rule.archived_at is not None)) if on]
            targets = (rule.first_reply_seconds, rule.next_reply_seconds,
                       rule.time_to_close_seconds)
            typer.echo("\t".join([str(rule.id), rule.name,
                                  *("-" if t is None else str(t) for t in targets),
                                  ",".join(flags)]))


@sla_app.command("archive")
def sla_archive(
    rule_id: Annotated[str, typer.Argument(help="The rule's id")],
    workspace: Annotated[str, typer.Option(help="Workspace app id")],
    database_url: DatabaseUrl = None,
) -> None:
    """Archive an SLA rule: it can no longer be applied."""
    with _in_workspace(database_url, workspace, write=True) as (session, workspace_id):
        sla_rules.archive_rule(
            session, workspace_id=workspace_id, now=system_clock(), raw_id=rule_id
        )
    console.print(f"SLA rule {rule_id} archived.")


@webhooks_app.command("create")
def webhooks_create(
    workspace: Annotated[str, typer.Option(help="Workspace app id")],
    url: Annotated[str, typer.Option(help="Endpoint receiving the notifications")],
    topic: Annotated[list[str], typer.Option("--topic", help="A topic (repeatable)")],
    secret: Annotated[str | None, typer.Option(help="Signing secret (generated if absent)")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Subscribe an endpoint to topics; prints the id and the signing secret."""
    with _in_workspace(database_url, workspace, write=True) as (session, workspace_id):
        row = webhooks.create_subscription(
            session, workspace_id=workspace_id, now=system_clock(), url=url,
            topics=list(topic), secret=secret,
        )
    typer.echo(f"{row.id}\t{row.secret}")


@webhooks_app.command("list")
def webhooks_list(
    workspace: Annotated[str, typer.Option(help="Workspace app id")],
    database_url: DatabaseUrl = None,
) -> None:
    """List subscriptions: id, url, topics."""
    with _in_workspace(database_url, workspace) as (session, workspace_id):
        for row in webhooks.list_subscriptions(session, workspace_id):
            typer.echo(f"{row.id}\t{row.url}\t{','.join(row.topics)}")


@webhooks_app.command("delete")
def webhooks_delete(
    subscription_id: Annotated[str, typer.Argument(help="The subscription's id")],
    workspace: Annotated[str, typer.Option(help="Workspace app id")],
    database_url: DatabaseUrl = None,
) -> None:
    """Delete a subscription and its undelivered notifications."""
    with _in_workspace(database_url, workspace, write=True) as (session, workspace_id):
        webhooks.delete_subscription(session, workspace_id=workspace_id, raw_id=subscription_id)
    console.print(f"Subscription {subscription_id} deleted.")


@webhooks_app.command("deliveries")
def webhooks_deliveries(
    workspace: Annotated[str, typer.Option(help="Workspace app id")],
    status: Annotated[str | None, typer.Option(help="pending, delivered or dead")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many, newest first")] = 50,
    database_url: DatabaseUrl = None,
) -> None:
    """List deliveries: id, status, attempts, topic, notification id, last error."""
    with _in_workspace(database_url, workspace) as (session, workspace_id):
        rows = webhooks.list_deliveries(session, workspace_id, status=status, limit=limit)
        for row in rows:
            error = " ".join((row.last_error or "").split())  # one line per delivery
            typer.echo(f"{row.id}\t{row.status}\t{row.attempts}\t{row.topic}\t"
                       f"{row.notification_id}\t{error}")


@webhooks_app.command("replay")
def webhooks_replay(
    delivery_id: Annotated[str, typer.Argument(help="The delivery's id")],
    workspace: Annotated[str, typer.Option(help="Workspace app id")],
    database_url: DatabaseUrl = None,
) -> None:
    """Queue a delivery (delivered or dead) to be sent again."""
    with _in_workspace(database_url, workspace, write=True) as (session, workspace_id):
        webhooks.replay(session, workspace_id=workspace_id, now=system_clock(),
                        raw_id=delivery_id)
    console.print(f"Delivery {delivery_id} queued again.")


@webhooks_app.command("deliver")
def webhooks_deliver(
    loop: Annotated[bool, typer.Option("--loop", help="Keep delivering until interrupted")] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Send due webhook deliveries (what `serve` does in the background), once or in a loop."""
    import httpx

    from parlour.app import webhook_policy

    settings = Settings(database_url=database_url) if database_url else Settings()
    db = _migrated(settings.database_url)
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


@conversations_app.command("wake-snoozed")
def conversations_wake_snoozed(database_url: DatabaseUrl = None) -> None:
    """Wake every snoozed conversation whose time has come (what `serve` does every few seconds)."""
    db = _migrated(database_url)
    woken = wake_due_snoozes(db, system_clock())
    console.print(f"Woke {woken} snoozed conversation(s).")


@conversations_app.command("render-summaries")
def conversations_render_summaries(database_url: DatabaseUrl = None) -> None:
    """Store every missing list entry (what `serve` does in the background)."""
    db = _migrated(database_url)
    stored = store_missing_entries(db)
    console.print(f"Stored {stored} conversation list entr{'y' if stored == 1 else 'ies'}.")


@app.command("seed")
def seed(
    workspace: Annotated[str, typer.Option(help="Workspace app id")],
    count: Annotated[int, typer.Option("--count", "-n", min=1, help="Conversations to add")] = 1000,
    random_seed: Annotated[int, typer.Option("--seed", help="Random seed")] = 0,
    mean_parts: Annotated[int, typer.Option(min=1, help="Average parts per conversation")] = 10,
    database_url: DatabaseUrl = None,
) -> None:
    """Bulk-load realistic conversations into a workspace."""
    from parlour.demo.loader import seed_conversations

    db = _migrated(database_url)
    workspace_id = _workspace_or_exit(db, workspace)
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


def _print_demo(token: str, host: str, port: int) -> None:
    base = f"http://{host}:{port}"
    console.print("\n[bold green]Demo workspace ready.[/bold green]")
    console.print(f"Access token: [bold]{token}[/bold]\n")
    console.print("curl:")
    typer.echo(
        f"  curl {shlex.quote(base + '/conversations?order=desc&sort=updated_at')} \\\n"
        f"    -H {shlex.quote('Authorization: Bearer ' + token)} "
        f"-H 'Accept: application/json'\n"
    )
    console.print("python-intercom:")
    typer.echo(
        "  from intercom import Intercom\n"
        f"  client = Intercom(token={token!r}, base_url={base!r})\n"
        "  for conversation in client.conversations.list():\n"
        "      print(conversation.id, conversation.state)\n"
    )


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes")] = 1,
    demo: Annotated[
        bool, typer.Option("--demo", help="Seed a demo workspace, print a token")
    ] = False,
    migrate: Annotated[bool, typer.Option(help="Apply migrations before starting")] = True,
    database_url: DatabaseUrl = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level")] = "info",
) -> None:
    """Run the API server (migrating the database first)."""
    import uvicorn

    from parlour.api.protocol import HeadWithBodyProtocol

    if database_url:
        # Workers build their own Settings from the environment.
        os.environ["PARLOUR_DATABASE_URL"] = database_url
    settings = Settings()
    db = _migrated(settings.database_url) if migrate else _database(settings.database_url)
    with db.read_session() as session:
        has_workspace = bool(workspace_repo.list_workspaces(session))
    if demo:
        from parlour.demo.loader import seed_demo_workspace

        now = system_clock()
        with db.read_session() as session:
            existing = next(
                (w for w in workspace_repo.list_workspaces(session) if w.name == "Demo"), None
            )
        if existing is None:
            with console.status("Seeding the demo workspace..."):
                token = seed_demo_workspace(db, now=now).token
        else:
            with db.write_session() as session:
                row = workspace_repo.get_workspace(session, existing.id)
                assert row is not None
                token = workspaces.create_token(session, row, now=now, name="demo")
                session.commit()
        _print_demo(token, host, port)
    elif not has_workspace:
        console.print(
            "No workspace yet: run [bold]parlour serve --demo[/bold] for a demo, or "
            "[bold]parlour workspaces create NAME[/bold]."
        )
    if db.is_sqlite:
        # PostgreSQL's autovacuum keeps its statistics fresh; SQLite has nothing like it.
        db.analyze()
    db.dispose()
    console.print(f"Database: {db.engine.url.render_as_string()}")
    uvicorn.run(
        "parlour.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        # Access lines are logged at INFO: above it, uvicorn would still format each
        # request's address and path for a call that prints nothing.
        access_log=log_level.lower() in ("info", "debug", "trace"),
        proxy_headers=False,
        server_header=False,
        # httptools, writing each response's head together with its body (one segment).
        http=HeadWithBodyProtocol,
    )


def main() -> None:
    """Entry point of the `parlour` console script."""
    app()
