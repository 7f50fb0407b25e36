"""Retrieving a contact: `GET /contacts/{id}`."""

from __future__ import annotations

from starlette.testclient import TestClient

from parlour.db.session import Database
from tests.conftest import TEST_NOW
from tests.factories import Workspace, make_contact


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
