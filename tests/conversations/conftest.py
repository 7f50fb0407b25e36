"""The `Inbox` harness shared by conversation tests: a workspace, people, a movable clock."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from starlette.testclient import TestClient

from parlour.app import create_app
from parlour.core.clock import FrozenClock
from parlour.db.session import Database
from tests.conftest import TEST_NOW, make_settings
from tests.factories import Workspace, make_admin, make_contact, make_team, make_workspace


@dataclass
class Inbox:
    """A workspace with people, a client on a movable clock, and helpers."""

    client: TestClient
    clock: FrozenClock
    ws: Workspace
    admin: int
    other_admin: int
    team: int
    contact: str
    lead: str

    def post(self, path: str, body: Any, status: int = 200) -> dict[str, Any]:
        """POST JSON and check the status."""
        response = self.client.post(path, json=body, headers=self.ws.headers)
        assert response.status_code == status, response.text
        return response.json()  # type: ignore[no-any-return]

    def start(self, body: str = "Hi, my invoice is wrong", contact: str | None = None) -> str:
        """A contact starts a conversation; returns its id."""
        message = self.post(
            "/conversations",
            {"from": {"type": "user", "id": contact or self.contact}, "body": body},
        )
        return str(message["conversation_id"])

    def get(self, conversation_id: str) -> dict[str, Any]:
        """Retrieve a conversation."""
        response = self.client.get(f"/conversations/{conversation_id}", headers=self.ws.headers)
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    def admin_reply(self, cid: str, body: str = "Looking into it", kind: str = "comment") -> Any:
        """An admin replies."""
        payload = {"type": "admin", "message_type": kind, "admin_id": str(self.admin), "body": body}
        return self.post(f"/conversations/{cid}/reply", payload)

    def contact_reply(self, cid: str, body: str = "Any news?") -> Any:
        """The contact replies."""
        payload = {
            "type": "user",
            "message_type": "comment",
            "intercom_user_id": self.contact,
            "body": body,
        }
        return self.post(f"/conversations/{cid}/reply", payload)

    def part(self, cid: str, body: dict[str, Any], status: int = 200) -> Any:
        """A manage action."""
        return self.post(f"/conversations/{cid}/parts", body, status)


@pytest.fixture(scope="module")
def movable(database_url: str) -> Iterator[tuple[TestClient, FrozenClock]]:
    """An app of this module's own, whose clock tests may move."""
    clock = FrozenClock(TEST_NOW)
    app = create_app(make_settings(database_url), clock=clock)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, clock


@pytest.fixture
def inbox(db: Database, movable: tuple[TestClient, FrozenClock]) -> Inbox:
    """A fresh workspace with two admins, a team, a user and a lead."""
    client, clock = movable
    clock.now = TEST_NOW
    ws = make_workspace(db, now=TEST_NOW)
    admin = make_admin(db, ws, now=TEST_NOW, name="Ada Admin")
    other = make_admin(db, ws, now=TEST_NOW, name="Otto Other")
    return Inbox(
        client=client,
        clock=clock,
        ws=ws,
        admin=admin,
        other_admin=other,
        team=make_team(db, ws, now=TEST_NOW, admin_ids=[admin, other]),
        contact=make_contact(db, ws, now=TEST_NOW, external_id="cus_1", email="Cat@Example.com"),
        lead=make_contact(db, ws, now=TEST_NOW, role="lead"),
    )
