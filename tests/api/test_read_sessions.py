"""A read's session ends as its answer starts, whatever the answer (`ReadRoute`, `deps.reading`)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from starlette.types import Message

from parlour.app import create_app
from parlour.core.clock import FrozenClock
from tests.conftest import TEST_NOW, make_settings
from tests.factories import ConversationSpec, Workspace, make_contact, make_conversation


@pytest.fixture
def own_app(database_url: str) -> Iterator[FastAPI]:
    """An app of this test's own, so that no other test's requests share its pool."""
    app = create_app(make_settings(database_url), clock=FrozenClock(TEST_NOW))
    yield app
    app.state.parlour.db.dispose()


def _checked_out(app: FastAPI) -> int:
    """Connections lent out and read transactions open (SQLite keeps a few connections
    checked out between reads, their transactions ended: `Database._idle_reads`)."""
    db = app.state.parlour.db
    return int(db.engine.pool.checkedout()) - len(db._idle_reads) + db.open_reads


def _get(app: FastAPI, path: str, token: str | None) -> tuple[int, list[int]]:
    """Send one GET; the status and the pool's checked-out count at each message sent."""
    headers = [(b"authorization", f"Bearer {token}".encode())] if token else []
    path, _, query = path.partition("?")
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query.encode(),
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    seen: list[int] = []
    status = 0

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        seen.append(_checked_out(app))

    asyncio.run(app(scope, receive, send))
    return status, seen


def test_every_read_returns_its_connection_before_answering(
    own_app: FastAPI, db: Any, workspace: Workspace
) -> None:
    contact = make_contact(db, workspace, now=TEST_NOW)
    found = make_conversation(
        db, workspace, ConversationSpec(created_at=TEST_NOW - 60, contact_id=contact), now=TEST_NOW
    )
    cases = [
        ("/conversations", workspace.token, 200),
        (f"/conversations/{found}", workspace.token, 200),
        ("/conversations/999999999", workspace.token, 404),  # raised in the handler
        ("/conversations?sort=nonsense", workspace.token, 400),  # raised while parsing
        ("/conversations", "not-a-token", 401),  # raised in the dependency itself
        ("/admins", workspace.token, 200),
    ]
    for path, token, expected in cases:
        status, seen = _get(own_app, path, token)
        assert status == expected, path
        # Nothing is held from the first byte of the answer on, and nothing after it.
        assert seen and all(count == 0 for count in seen), (path, seen)
        assert _checked_out(own_app) == 0, path


def test_a_failing_read_returns_its_connection(
    own_app: FastAPI, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from parlour.conversations import service

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(service, "list_conversations", broken)
    status, _ = _get(own_app, "/conversations", workspace.token)
    assert status == 500
    assert _checked_out(own_app) == 0
