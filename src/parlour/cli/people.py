"""`parlour admins` and `parlour teams`: teammates, and teams of them."""

from __future__ import annotations

from typing import Annotated

import typer

from parlour.admins import service as admins
from parlour.cli.common import DatabaseUrl, WorkspaceId, console, in_workspace
from parlour.core.clock import system_clock
from parlour.teams import service as teams

admins_app = typer.Typer(help="Admins (teammates).", no_args_is_help=True)
teams_app = typer.Typer(help="Teams of admins.", no_args_is_help=True)


@admins_app.command("create")
def admins_create(
    workspace: WorkspaceId,
    name: Annotated[str, typer.Option(help="The admin's name")],
    email: Annotated[str, typer.Option(help="The admin's email (unique in the workspace)")],
    job_title: Annotated[str, typer.Option(help="Job title")] = "",
    database_url: DatabaseUrl = None,
) -> None:
    """Add a teammate to a workspace and print its id."""
    with in_workspace(database_url, workspace, write=True) as (session, workspace_id):
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
    workspace: WorkspaceId,
    database_url: DatabaseUrl = None,
) -> None:
    """List a workspace's admins: id, name, email."""
    with in_workspace(database_url, workspace) as (session, workspace_id):
        for view in admins.list_admins(session, workspace_id):
            typer.echo(f"{view.admin.id}\t{view.admin.name}\t{view.admin.email}")


@teams_app.command("create")
def teams_create(
    workspace: WorkspaceId,
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
    with in_workspace(database_url, workspace, write=True) as (session, workspace_id):
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
    workspace: WorkspaceId,
    database_url: DatabaseUrl = None,
) -> None:
    """List a workspace's teams: id, name, member admin ids."""
    with in_workspace(database_url, workspace) as (session, workspace_id):
        for view in teams.list_teams(session, workspace_id):
            members = ",".join(str(a) for a in view.admin_ids)
            typer.echo(f"{view.team.id}\t{view.team.name}\t{members}")
