"""The `parlour` command: serve, db, workspaces, tokens, admins, teams, sla, webhooks, seed.

One module per command group; this one assembles them.
"""

from __future__ import annotations

import typer

from parlour.cli import conversations, db, people, serve, sla, webhooks, workspaces

app = typer.Typer(
    help="Parlour: a self-hostable, Intercom-compatible conversations server.",
    no_args_is_help=True,
    add_completion=False,
)
app.command("serve")(serve.serve)
app.command("seed")(conversations.seed)
app.add_typer(db.app, name="db")
app.add_typer(workspaces.app, name="workspaces")
app.add_typer(workspaces.tokens_app, name="tokens")
app.add_typer(people.admins_app, name="admins")
app.add_typer(people.teams_app, name="teams")
app.add_typer(conversations.app, name="conversations")
app.add_typer(sla.app, name="sla")
app.add_typer(webhooks.app, name="webhooks")


def main() -> None:
    """Entry point of the `parlour` console script."""
    app()
