"""`parlour serve`: migrate, optionally seed a demo workspace, and run the API server."""

from __future__ import annotations

import os
import shlex
from typing import Annotated

import typer
import uvicorn

from parlour.api.protocol import HeadWithBodyProtocol
from parlour.cli.common import DatabaseUrl, console, database, migrated
from parlour.config import Settings
from parlour.core.clock import system_clock
from parlour.demo.loader import seed_demo_workspace
from parlour.workspaces import repository as workspace_repo
from parlour.workspaces import service as workspaces


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
    if database_url:
        # Workers build their own Settings from the environment.
        os.environ["PARLOUR_DATABASE_URL"] = database_url
    settings = Settings()
    db = migrated(settings.database_url) if migrate else database(settings.database_url)
    with db.read_session() as session:
        has_workspace = bool(workspace_repo.list_workspaces(session))
    if demo:
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
