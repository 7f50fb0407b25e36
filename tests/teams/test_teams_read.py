"""Listing teams: `GET /teams`."""

from __future__ import annotations

from starlette.testclient import TestClient

from parlour.db.session import Database
from tests.conftest import TEST_NOW
from tests.factories import Workspace, make_admin, make_team


def test_teams_list(
    client: TestClient, db: Database, workspace: Workspace, other_workspace: Workspace
) -> None:
    admin = make_admin(db, workspace, now=TEST_NOW)
    team = make_team(db, workspace, now=TEST_NOW, admin_ids=[admin, workspace.owner_id])
    teams = client.get("/teams", headers=workspace.headers).json()
    assert teams["type"] == "team.list"
    assert teams["teams"][0]["id"] == str(team)
    assert sorted(teams["teams"][0]["admin_ids"]) == sorted([admin, workspace.owner_id])
    assert client.get("/teams", headers=other_workspace.headers).json()["teams"] == []
