"""Our responses validate against Intercom's own 2.14 OpenAPI schemas."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from parlour.db.session import Database
from tests.conftest import TEST_NOW
from tests.contract.intercom_spec import assert_valid, response_schema_name
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
    snooze,
)

T0 = TEST_NOW - 50_000


@pytest.fixture
def populated(db: Database, workspace: Workspace) -> dict[str, Any]:
    """A workspace with every kind of row the read endpoints render."""
    admin = make_admin(db, workspace, now=T0)
    team = make_team(db, workspace, now=T0, admin_ids=[admin])
    user = make_contact(db, workspace, now=T0, external_id="u1", email="u1@example.com", name="U")
    lead = make_contact(db, workspace, now=T0, role="lead")
    tag = make_tag(db, workspace, now=T0)
    timelines: list[tuple[str, list[Any]]] = [
        (user, []),
        (
            user,
            [
                assign(admin, T0 + 5, "team", team),
                admin_says(admin, T0 + 9),
                contact_says(user, T0 + 20),
                note(admin, T0 + 21),
                close(admin, T0 + 30),
            ],
        ),
        (lead, [snooze(admin, T0 + 3, TEST_NOW + 500), assign(admin, T0 + 4, "admin", None)]),
    ]
    ids = [
        make_conversation(
            db,
            workspace,
            ConversationSpec(created_at=T0 + i, contact_id=c, events=e, tag_ids=[tag]),
            now=TEST_NOW,
        )
        for i, (c, e) in enumerate(timelines)
    ]
    ids.append(
        make_conversation(
            db,
            workspace,
            ConversationSpec(created_at=T0 + 9, admin_initiated_by=admin),
            now=TEST_NOW,
        )
    )
    return {"admin": admin, "user": user, "lead": lead, "conversations": ids}


def _check(client: TestClient, ws: Workspace, url: str, spec_path: str, **kwargs: Any) -> Any:
    response = client.get(url, headers=ws.headers, **kwargs)
    assert response.status_code == 200, response.text
    assert_valid(response_schema_name(spec_path, "get", "200"), response.json())
    return response.json()


@pytest.mark.parametrize(
    "params", [{}, {"per_page": 2}, {"sort": "waiting_since"}, {"display_as": "plaintext"}]
)
def test_conversation_list(
    client: TestClient, workspace: Workspace, populated: dict[str, Any], params: dict[str, Any]
) -> None:
    body = _check(client, workspace, "/conversations", "/conversations", params=params)
    for item in body["conversations"]:
        assert_valid("conversation_list_item", item)


def test_conversation_retrieve(
    client: TestClient, workspace: Workspace, populated: dict[str, Any]
) -> None:
    for conversation_id in populated["conversations"]:
        body = _check(
            client,
            workspace,
            f"/conversations/{conversation_id}",
            "/conversations/{conversation_id}",
        )
        for part in body["conversation_parts"]["conversation_parts"]:
            assert_valid("conversation_part", part)


def test_supporting_endpoints(
    client: TestClient, workspace: Workspace, populated: dict[str, Any]
) -> None:
    _check(client, workspace, "/me", "/me")
    _check(client, workspace, "/admins", "/admins")
    _check(client, workspace, f"/admins/{populated['admin']}", "/admins/{admin_id}")
    _check(client, workspace, f"/contacts/{populated['user']}", "/contacts/{contact_id}")
    _check(client, workspace, f"/contacts/{populated['lead']}", "/contacts/{contact_id}")
    _check(client, workspace, "/tags", "/tags")
    _check(client, workspace, "/teams", "/teams")


@pytest.mark.parametrize(
    ("url", "headers", "status"),
    [
        ("/conversations", {}, 401),
        ("/conversations/123456789", None, 404),
        ("/conversations?per_page=0", None, 400),
        ("/admins/1", {"Authorization": "Bearer nope"}, 401),
        ("/contacts/nope", None, 404),
        ("/nowhere", None, 404),
    ],
)
def test_errors_validate(
    client: TestClient, workspace: Workspace, url: str, headers: dict[str, str] | None, status: int
) -> None:
    response = client.get(url, headers=workspace.headers if headers is None else headers)
    assert response.status_code == status
    assert_valid("error", response.json())


def test_legacy_pages_validate_against_pages_link(
    client: TestClient, workspace: Workspace, populated: dict[str, Any]
) -> None:
    response = client.get(
        "/conversations",
        params={"per_page": 1},
        headers={**workspace.headers, "Intercom-Version": "1.4"},
    )
    assert_valid("pages_link", response.json()["pages"])


@pytest.mark.parametrize(
    "body",
    [
        {"query": {"operator": "AND", "value": [{"field": "created_at", "operator": ">",
                                                 "value": "1306054154"}]},
         "pagination": {"per_page": 2}},
        {"query": {"field": "source.body", "operator": "~", "value": "help"}},
        {"query": {"field": "open", "operator": "=", "value": False}},
    ],
)  # fmt: skip
def test_conversation_search(
    client: TestClient, workspace: Workspace, populated: dict[str, Any], body: dict[str, Any]
) -> None:
    response = client.post("/conversations/search", json=body, headers=workspace.headers)
    assert response.status_code == 200, response.text
    result = response.json()
    assert_valid(response_schema_name("/conversations/search", "post", "200"), result)
    assert result["conversations"], "the populated workspace has matches"
    for item in result["conversations"]:
        assert_valid("conversation_list_item", item)


def test_search_requests_validate_and_errors_too(
    client: TestClient, workspace: Workspace, populated: dict[str, Any]
) -> None:
    """Our example requests are `search_request`s; a bad one answers an `error`."""
    good = {"query": {"field": "open", "operator": "=", "value": True}, "pagination": None}
    assert_valid("search_request", good)
    bad = {"query": {"field": "nope", "operator": "=", "value": 1}}
    response = client.post("/conversations/search", json=bad, headers=workspace.headers)
    assert response.status_code == 400
    assert_valid("error", response.json())
