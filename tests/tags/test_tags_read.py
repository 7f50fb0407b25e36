"""Listing tags: `GET /tags`."""

from __future__ import annotations

from starlette.testclient import TestClient

from parlour.db.session import Database
from tests.conftest import TEST_NOW
from tests.factories import Workspace, make_tag


def test_tags_list(
    client: TestClient, db: Database, workspace: Workspace, other_workspace: Workspace
) -> None:
    tag = make_tag(db, workspace, now=TEST_NOW, name="Billing")
    make_tag(db, other_workspace, now=TEST_NOW, name="Theirs")
    tags = client.get("/tags", headers=workspace.headers).json()
    assert tags == {"type": "list", "data": [{"type": "tag", "id": str(tag), "name": "Billing"}]}
