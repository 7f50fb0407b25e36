"""The admins' read endpoints: /me, /admins, /admins/{id}."""

from __future__ import annotations

from starlette.testclient import TestClient

from parlour.db.session import Database
from tests.conftest import TEST_NOW
from tests.factories import Workspace, make_admin, make_team


def test_me_is_the_tokens_admin_with_its_app(client: TestClient, workspace: Workspace) -> None:
    body = client.get("/me", headers=workspace.headers).json()
    assert body["type"] == "admin"
    assert body["id"] == str(workspace.owner_id)
    assert body["app"]["type"] == "app"
    assert body["app"]["id_code"] == workspace.app_id
    assert body["avatar"]["type"] == "avatar"


def test_admins_list_and_retrieve(
    client: TestClient, db: Database, workspace: Workspace, other_workspace: Workspace
) -> None:
    admin = make_admin(db, workspace, now=TEST_NOW, name="Ciaran Lee")
    team = make_team(db, workspace, now=TEST_NOW, admin_ids=[admin], name="Billing")
    body = client.get("/admins", headers=workspace.headers).json()
    assert body["type"] == "admin.list"
    assert [a["id"] for a in body["admins"]] == [str(workspace.owner_id), str(admin)]
    one = client.get(f"/admins/{admin}", headers=workspace.headers).json()
    assert one["name"] == "Ciaran Lee" and one["team_ids"] == [team]
    for missing in ("999999999", "abc", str(other_workspace.owner_id)):
        response = client.get(f"/admins/{missing}", headers=workspace.headers)
        assert response.status_code == 404
        assert response.json()["errors"] == [
            {"code": "admin_not_found", "message": "Admin not found"}
        ]
