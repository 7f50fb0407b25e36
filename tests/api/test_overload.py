"""Load shedding in the real app: a full worker refuses with Intercom's 503, doing nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import orjson
from fastapi import FastAPI

from parlour.app import create_app
from parlour.core.clock import FrozenClock
from parlour.db.session import Database
from tests.conftest import TEST_NOW, make_settings
from tests.factories import ConversationSpec, Workspace, make_admin, make_contact, make_conversation
from tests.unit.asgi import Answer, call


@contextmanager
def _app(database_url: str, **overrides: object) -> Iterator[FastAPI]:
    """The app, driven without a lifespan: its pooled connections are closed at the end."""
    app = create_app(make_settings(database_url, **overrides), clock=FrozenClock(TEST_NOW))
    try:
        yield app
    finally:
        app.state.parlour.db.dispose()


def test_a_full_worker_sheds_with_503_and_does_nothing(
    database_url: str, db: Database, workspace: Workspace
) -> None:
    with _app(database_url, max_in_flight=2) as app:
        _shed_replies(app, db, workspace)


def _conversation(
    db: Database, workspace: Workspace
) -> tuple[int, dict[str, str], Callable[[object], bytes]]:
    """A conversation to reply to, the JSON headers, and an admin reply body maker."""
    admin = make_admin(db, workspace, now=TEST_NOW)
    contact = make_contact(db, workspace, now=TEST_NOW)
    cid = make_conversation(
        db, workspace, ConversationSpec(created_at=TEST_NOW - 60, contact_id=contact),
        now=TEST_NOW,
    )

    def reply(text: object) -> bytes:
        return orjson.dumps({"type": "admin", "message_type": "comment",
                             "admin_id": str(admin), "body": str(text)})

    return cid, {**workspace.headers, "Content-Type": "application/json"}, reply


def _shed_replies(app: FastAPI, db: Database, workspace: Workspace) -> None:
    cid, headers, make_reply = _conversation(db, workspace)

    def reply(n: int) -> bytes:
        return make_reply(f"reply {n}")

    async def burst() -> list[Answer]:
        return list(await asyncio.gather(*(
            call(app, f"/conversations/{cid}/reply", method="POST", headers=headers,
                 body=reply(n))
            for n in range(6)
        )))

    answers = asyncio.run(burst())
    assert [a.status for a in answers] == [200, 200, 503, 503, 503, 503]
    for answer in answers[2:]:
        body = answer.json()
        assert body["type"] == "error.list"
        assert body["request_id"] == answer.headers["x-request-id"]
        assert body["errors"][0]["code"] == "service_unavailable"
        assert answer.headers["retry-after"] == "1"

    # Only the two admitted replies were stored; the worker serves again at once.
    detail = asyncio.run(call(app, f"/conversations/{cid}", headers=workspace.headers))
    assert detail.status == 200
    bodies = [p["body"] for p in detail.json()["conversation_parts"]["conversation_parts"]]
    assert bodies == ["<p>reply 0</p>", "<p>reply 1</p>"]


def test_rate_limited_answers_keep_their_headers_next_to_shedding(
    database_url: str, workspace: Workspace
) -> None:
    with _app(database_url, rate_limit=1, max_in_flight=100) as app:
        first = asyncio.run(call(app, "/me", headers=workspace.headers))
        second = asyncio.run(call(app, "/me", headers=workspace.headers))
    assert first.status == 200
    assert second.status == 429
    assert second.json()["errors"][0]["code"] == "rate_limit_exceeded"
    assert second.headers["x-ratelimit-remaining"] == "0"
    assert "retry-after" not in second.headers


def test_a_slow_request_body_holds_no_transaction(
    database_url: str, db: Database, workspace: Workspace
) -> None:
    """A write waiting for its body must not hold the write lock while the loop serves others.

    (It did: SQLite's lock was taken while authenticating, then the handler awaited the body,
    and the next write of the worker blocked the loop in busy_timeout for 30 s.)
    """
    cid, headers, reply = _conversation(db, workspace)

    async def scene(app: FastAPI) -> list[Answer]:
        arrived = asyncio.Event()
        path = f"/conversations/{cid}/reply"
        slow = asyncio.create_task(call(app, path, method="POST", headers=headers,
                                        body=reply("slow"), body_ready=arrived))
        await asyncio.sleep(0.05)  # the slow request is now waiting for its body
        fast = await asyncio.wait_for(
            call(app, path, method="POST", headers=headers, body=reply("fast")), 10
        )
        arrived.set()
        return [fast, await slow]

    with _app(database_url) as app:
        fast, slow = asyncio.run(scene(app))
        assert (fast.status, slow.status) == (200, 200), (fast.body, slow.body)
        parts = slow.json()["conversation_parts"]["conversation_parts"]
        assert [p["body"] for p in parts] == ["<p>fast</p>", "<p>slow</p>"]
