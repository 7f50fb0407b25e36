"""The `parlour` command line: help, db upgrade, workspaces, tokens, seed."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from parlour.app import create_app
from parlour.cli import app
from tests.conftest import make_settings

runner = CliRunner()


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


def test_help_lists_every_command() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("serve", "db", "workspaces", "tokens", "seed"):
        assert command in result.output


def test_workspace_token_lifecycle(url: str) -> None:
    assert runner.invoke(app, ["db", "upgrade", "--database-url", url]).exit_code == 0
    created = runner.invoke(app, ["workspaces", "create", "Acme", "--database-url", url])
    assert created.exit_code == 0, created.output
    first_token = created.output.strip().splitlines()[-1]
    listed = runner.invoke(app, ["workspaces", "list", "--database-url", url])
    app_id = listed.output.split("\t")[0]
    second = runner.invoke(app, ["tokens", "create", "--workspace", app_id, "--name", "ci",
                                 "--database-url", url])
    assert second.exit_code == 0
    second_token = second.output.strip().splitlines()[-1]
    api = create_app(make_settings(url))
    with TestClient(api) as client:
        for token in (first_token, second_token):
            me = client.get("/me", headers={"Authorization": f"Bearer {token}"})
            assert me.status_code == 200 and me.json()["app"]["id_code"] == app_id
        tokens = runner.invoke(
            app, ["tokens", "list", "--workspace", app_id, "--database-url", url]
        )
        token_id = tokens.output.splitlines()[1].split("\t")[0]
        revoked = runner.invoke(app, ["tokens", "revoke", token_id, "--workspace", app_id,
                                      "--database-url", url])
        assert revoked.exit_code == 0
        gone = client.get("/me", headers={"Authorization": f"Bearer {second_token}"})
        assert gone.status_code == 401


def test_unknown_workspace_and_version_are_refused(url: str) -> None:
    missing = runner.invoke(app, ["tokens", "create", "--workspace", "nope", "--database-url", url])
    assert missing.exit_code == 1 and "No workspace" in missing.output
    bad = runner.invoke(app, ["workspaces", "create", "X", "--api-version", "9.9",
                              "--database-url", url])
    assert bad.exit_code == 2


def test_seed_loads_conversations(url: str) -> None:
    runner.invoke(app, ["workspaces", "create", "Seeded", "--database-url", url])
    app_id = runner.invoke(app, ["workspaces", "list", "--database-url", url]).output.split("\t")[0]
    result = runner.invoke(app, ["seed", "--workspace", app_id, "-n", "50", "--database-url", url])
    assert result.exit_code == 0, result.output
    assert "Loaded 50 conversations" in result.output
