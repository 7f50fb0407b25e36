"""The hot GETs over a real server: a body nobody reads does not upset the connection.

`api.read_route` serves list and retrieve without reading the request's body (a GET's body
means nothing to them). uvicorn must then discard it, so that the next request on the same
keep-alive connection is parsed from the right byte.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from parlour.db.session import Database
from tests.conftest import TEST_NOW
from tests.e2e.rawhttp import Connection
from tests.e2e.server import running_server
from tests.factories import ConversationSpec, make_contact, make_conversation, make_workspace

pytestmark = pytest.mark.e2e


async def _exchange(base: str, token: str, conversation_id: int) -> list[tuple[int, bytes]]:
    host, port = base.removeprefix("http://").split(":")
    connection = Connection(host, int(port))
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    answers = []
    try:
        for path, body in [
            ("/conversations", None),
            ("/conversations", {"ignored": "x" * 200_000}),  # several TCP segments
            ("/conversations", None),
            (f"/conversations/{conversation_id}", {"ignored": True}),
            (f"/conversations/{conversation_id}", None),
        ]:
            response = await connection.request("GET", path, headers=headers, json=body)
            answers.append((response.status, response.body))
    finally:
        await connection.close()
    return answers


def test_a_get_with_a_body_is_answered_and_the_connection_goes_on(
    database_url: str, db: Database, tmp_path: Path
) -> None:
    ws = make_workspace(db, now=TEST_NOW)
    contact = make_contact(db, ws, now=TEST_NOW)
    conversation_id = make_conversation(
        db, ws, ConversationSpec(created_at=TEST_NOW - 60, contact_id=contact), now=TEST_NOW
    )
    with running_server(database_url, tmp_path) as base:
        answers = asyncio.run(_exchange(base, ws.token, conversation_id))
    assert [status for status, _ in answers] == [200] * 5
    lists = [body for _, body in answers[:3]]
    assert lists[0] == lists[1] == lists[2]
    assert answers[3][1] == answers[4][1]
