"""GET /conversations/{id}: the conversation with its parts, oldest first."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from parlour.db.session import Database
from tests.conftest import TEST_NOW
from tests.factories import (
    ConversationSpec,
    Workspace,
    admin_says,
    assign,
    close,
    contact_says,
    make_admin,
    make_contact,
    make_conversation,
    make_tag,
    make_team,
    note,
)

T0 = TEST_NOW - 7200


@pytest.fixture
def conversation(db: Database, workspace: Workspace) -> dict[str, object]:
    admin = make_admin(db, workspace, now=T0, name="Mark Strong")
    team = make_team(db, workspace, now=T0, admin_ids=[admin])
    contact = make_contact(
        db, workspace, now=T0, external_id="70", email="joe@example.com", name="Joe Bloggs"
    )
    tag = make_tag(db, workspace, now=T0, name="VIP")
    events = [
        assign(admin, T0 + 60, "team", team),
        assign(admin, T0 + 61, "admin", admin),
        note(admin, T0 + 100, "<p>checking <i>logs</i></p>"),
        admin_says(admin, T0 + 200, "<p>Fixed it!</p>"),
        contact_says(contact, T0 + 300, "<p>Thanks</p>"),
        close(admin, T0 + 400),
    ]
    spec = ConversationSpec(
        created_at=T0,
        contact_id=contact,
        events=events,
        tag_ids=[tag],
        title="Invoice",
        subject="Billing",
    )
    conversation_id = make_conversation(db, workspace, spec, now=TEST_NOW)
    return {
        "id": str(conversation_id),
        "admin": admin,
        "team": team,
        "contact": contact,
        "tag": tag,
    }


def test_retrieve_has_every_part_oldest_first(
    client: TestClient, workspace: Workspace, conversation: dict[str, object]
) -> None:
    response = client.get(f"/conversations/{conversation['id']}", headers=workspace.headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    parts = body["conversation_parts"]
    assert parts["total_count"] == 6
    assert [p["part_type"] for p in parts["conversation_parts"]] == [
        "assignment",
        "assignment",
        "note",
        "comment",
        "comment",
        "close",
    ]
    times = [p["created_at"] for p in parts["conversation_parts"]]
    assert times == sorted(times)
    first = parts["conversation_parts"][0]
    assert first["assigned_to"] == {"type": "team", "id": str(conversation["team"])}
    assert first["author"]["name"] == "Mark Strong"
    reply = parts["conversation_parts"][4]
    assert reply["author"] == {
        "type": "user",
        "id": conversation["contact"],
        "name": "Joe Bloggs",
        "email": "joe@example.com",
    }
    assert body["state"] == "closed" and body["open"] is False
    assert body["waiting_since"] is None
    assert body["admin_assignee_id"] == conversation["admin"]
    assert body["team_assignee_id"] == conversation["team"]
    assert body["title"] == "Invoice"
    assert body["source"]["subject"] == "Billing"
    assert body["contacts"]["contacts"] == [
        {"type": "contact", "id": conversation["contact"], "external_id": "70"}
    ]
    assert [t["name"] for t in body["tags"]["tags"]] == ["VIP"]
    assert body["teammates"]["teammates"] == [{"type": "admin", "id": str(conversation["admin"])}]
    stats = body["statistics"]
    assert stats["type"] == "conversation_statistics"
    assert stats["count_conversation_parts"] == 6
    assert stats["first_admin_reply_at"] == T0 + 200
    assert stats["last_close_at"] == T0 + 400
    assert body["first_contact_reply"] == {"created_at": T0, "type": "conversation", "url": None}
    assert body["updated_at"] == T0 + 400


def test_retrieve_plaintext(
    client: TestClient, workspace: Workspace, conversation: dict[str, object]
) -> None:
    body = client.get(
        f"/conversations/{conversation['id']}",
        params={"display_as": "plaintext"},
        headers=workspace.headers,
    ).json()
    bodies = [p["body"] for p in body["conversation_parts"]["conversation_parts"]]
    assert bodies[2:5] == ["checking logs", "Fixed it!", "Thanks"]


@pytest.mark.parametrize(
    "conversation_id", ["999999999", "0", "-1", "abc", "1e3", "99999999999999999999999", "%00"]
)
def test_unknown_ids_are_404(
    client: TestClient, workspace: Workspace, conversation_id: str
) -> None:
    response = client.get(f"/conversations/{conversation_id}", headers=workspace.headers)
    assert response.status_code == 404
    body = response.json()
    assert body["type"] == "error.list"
    assert body["errors"] == [{"code": "not_found", "message": "Resource Not Found"}]
