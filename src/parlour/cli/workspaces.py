"""`parlour workspaces` and `parlour tokens`: workspaces (Intercom's apps) and their tokens."""

from __future__ import annotations

from typing import Annotated

import typer

from parlour.api.versioning import KNOWN_VERSIONS
from parlour.cli.common import DatabaseUrl, WorkspaceId, console, in_workspace, migrated
from parlour.core.clock import system_clock
from parlour.workspaces import repository as workspace_repo
from parlour.workspaces import service as workspaces

app = typer.Typer(help="Workspaces (Intercom's apps).", no_args_is_help=True)
tokens_app = typer.Typer(help="Access tokens.", no_args_is_help=True)


@app.command("create")
def workspaces_create(
    name: Annotated[str, typer.Argument(help="Workspace name")],
    admin_name: Annotated[str, typer.Option(help="Owner admin's name")] = "Workspace Owner",
    admin_email: Annotated[str, typer.Option(help="Owner admin's email")] = "owner@example.com",
    api_version: Annotated[str, typer.Option(help="Default Intercom-Version")] = "2.14",
    database_url: DatabaseUrl = None,
) -> None:
    """Create a workspace with its owner admin and print a first access token."""
    if api_version not in KNOWN_VERSIONS:
        console.print(f"[red]Unknown Intercom version {api_version!r}[/red]")
        raise typer.Exit(2)
    db = migrated(database_url)
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


@app.command("list")
def workspaces_list(database_url: DatabaseUrl = None) -> None:
    """List workspaces."""
    db = migrated(database_url)
    with db.read_session() as session:
        for w in workspace_repo.list_workspaces(session):
            typer.echo(f"{w.app_id}\t{w.name}\tversion={w.api_version}")


@tokens_app.command("create")
def tokens_create(
    workspace: WorkspaceId,
    name: Annotated[str, typer.Option(help="A label for the token")] = "",
    database_url: DatabaseUrl = None,
) -> None:
    """Issue an access token (printed once; only its hash is stored)."""
    with in_workspace(database_url, workspace, write=True) as (session, workspace_id):
        row = workspace_repo.get_workspace(session, workspace_id)
        assert row is not None
        token = workspaces.create_token(session, row, now=system_clock(), name=name)
    typer.echo(token)


@tokens_app.command("list")
def tokens_list(
    workspace: WorkspaceId,
    database_url: DatabaseUrl = None,
) -> None:
    """List a workspace's tokens (ids and labels; the tokens themselves are not stored)."""
    with in_workspace(database_url, workspace) as (session, workspace_id):
        for t in workspace_repo.list_tokens(session, workspace_id):
            status = "revoked" if t.revoked_at else "active"
            typer.echo(f"{t.id}\t{t.name}\t{status}")


@tokens_app.command("revoke")
def tokens_revoke(
    token_id: int,
    workspace: WorkspaceId,
    database_url: DatabaseUrl = None,
) -> None:
    """Revoke a token: it stops working at once."""
    with in_workspace(database_url, workspace, write=True) as (session, workspace_id):
        revoked = workspace_repo.revoke_token(session, workspace_id, token_id, system_clock())
    if not revoked:
        console.print(f"[red]No active token {token_id}[/red]")
        raise typer.Exit(1)
    console.print(f"Token {token_id} revoked.")
