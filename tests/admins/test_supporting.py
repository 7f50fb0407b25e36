"""The supporting read endpoints: /me, /admins, /admins/{id}, /contacts/{id}, /tags, /teams."""

from __future__ import annotations

from starlette.testclient import TestClient

from parlour.db.session import Database
from tests.conftest import TEST_NOW
from tests.factories import Workspace, make_admin, make_contact, make_tag, make_team


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


def test_contact_retrieve(client: TestClient, db: Database, workspace: Workspace) -> None:
    contact = make_contact(
        db, workspace, now=TEST_NOW, external_id="70", email="joe@bloggs.com", name="Joe Bloggs"
    )
    body = client.get(f"/contacts/{contact}", headers=workspace.headers).json()
    assert body["type"] == "contact" and body["id"] == contact
    assert body["workspace_id"] == workspace.app_id
    assert body["email_domain"] == "bloggs.com"
    assert body["role"] == "user"
    lead = make_contact(db, workspace, now=TEST_NOW, role="lead")
    lead_body = client.get(f"/contacts/{lead}", headers=workspace.headers).json()
    assert lead_body["role"] == "lead" and "email" not in lead_body
    for missing in ("0123456789abcdef01234567", "nope", contact.upper()):
        response = client.get(f"/contacts/{missing}", headers=workspace.headers)
        assert response.status_code == 404


def test_tags_and_teams(
    client: TestClient, db: Database, workspace: Workspace, other_workspace: Workspace
) -> None:
    tag = make_tag(db, workspace, now=TEST_NOW, name="Billing")
    make_tag(db, other_workspace, now=TEST_NOW, name="Theirs")
    tags = client.get("/tags", headers=workspace.headers).json()
    assert tags == {"type": "list", "data": [{"type": "tag", "id": str(tag), "name": "Billing"}]}
    admin = make_admin(db, workspace, now=TEST_NOW)
    team = make_team(db, workspace, now=TEST_NOW, admin_ids=[admin, workspace.owner_id])
    teams = client.get("/teams", headers=workspace.headers).json()
    assert teams["type"] == "team.list"
    assert teams["teams"][0]["id"] == str(team)
    assert sorted(teams["teams"][0]["admin_ids"]) == sorted([admin, workspace.owner_id])
    assert client.get("/teams", headers=other_workspace.headers).json()["teams"] == []
