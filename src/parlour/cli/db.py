"""`parlour db`: the database schema."""

from __future__ import annotations

from typing import Annotated

import typer

from parlour.cli.common import DatabaseUrl, console, database
from parlour.db.migrate import upgrade

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command("upgrade")
def db_upgrade(
    database_url: DatabaseUrl = None, revision: Annotated[str, typer.Argument()] = "head"
) -> None:
    """Apply the packaged migrations (creates the schema on an empty database)."""
    db = database(database_url)
    upgrade(db.engine, revision)
    console.print(f"Database at [bold]{db.engine.url.render_as_string()}[/bold] is at {revision}.")
