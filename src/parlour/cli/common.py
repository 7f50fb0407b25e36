"""What every command shares: the console, `--database-url`, opening a workspace's session."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy.orm import Session

from parlour.config import Settings
from parlour.db.migrate import upgrade
from parlour.db.session import Database
from parlour.errors import ApiError
from parlour.wiring import open_database
from parlour.workspaces import repository as workspace_repo

console = Console()
DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        envvar="PARLOUR_DATABASE_URL",
        help="SQLAlchemy URL; default: an embedded SQLite file.",
    ),
]
WorkspaceId = Annotated[str, typer.Option(help="Workspace app id")]


def database(url: str | None) -> Database:
    """The database at `url` (else the settings' default), writing through the commit pipeline."""
    settings = Settings(database_url=url) if url else Settings()
    return open_database(settings.database_url)


def migrated(url: str | None) -> Database:
    """`database(url)`, migrated to the packaged head first."""
    db = database(url)
    upgrade(db.engine)
    return db


@contextmanager
def in_workspace(
    database_url: str | None, app_id: str, *, write: bool = False
) -> Iterator[tuple[Session, int]]:
    """A session in the named workspace; an API error prints its message and exits 1.

    A write session commits when the block ends without error.
    """
    db = migrated(database_url)
    workspace_id = workspace_or_exit(db, app_id)
    with (db.write_session if write else db.read_session)() as session:
        try:
            yield session, workspace_id
        except ApiError as exc:
            console.print(f"[red]{exc.message}[/red]")
            raise typer.Exit(1) from None
        if write:
            session.commit()


def workspace_or_exit(db: Database, app_id: str) -> int:
    """The id of the workspace with this app id; a message and exit 1 if there is none."""
    with db.read_session() as session:
        workspace = workspace_repo.get_workspace_by_app_id(session, app_id)
        if workspace is None:
            console.print(f"[red]No workspace with app id {app_id!r}[/red]")
            raise typer.Exit(1)
        return workspace.id
