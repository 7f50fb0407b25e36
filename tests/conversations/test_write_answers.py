"""A write answers with the conversation it left, rendered after its commit.

The answer is read once the write lock is released (`write_router._AfterCommit`), from the
list entry the write's commit stored and the parts up to its own; it must be byte for byte
what retrieving the conversation right after shows. The hot write (a part appended)
re-renders its entry from the previous one (`entries.rerender`): entries must stay current.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import make_url, text

from parlour.conversations import rows, schemas, service
from parlour.db.session import Database
from parlour.db.unit_of_work import StoredEntry
from tests.conftest import TEST_NOW
from tests.conversations.conftest import Inbox
from tests.conversations.test_entries import assert_entries_current
from tests.factories import make_tag


def _retrieved(inbox: Inbox, cid: str) -> bytes:
    response = inbox.client.get(f"/conversations/{cid}", headers=inbox.ws.headers)
    assert response.status_code == 200, response.text
    return response.content


def _writes(inbox: Inbox, db: Database) -> Iterator[tuple[str, str, dict[str, Any], str]]:
    """(method, path, body, conversation id answered: "" for another object) of each write."""
    admin = str(inbox.admin)
    tag = make_tag(db, inbox.ws, now=TEST_NOW, name="Billing")
    cid = inbox.start()
    reply = f"/conversations/{cid}/reply"
    parts = f"/conversations/{cid}/parts"
    yield "POST", reply, {"type": "admin", "message_type": "comment", "admin_id": admin,
                          "body": "On it"}, cid  # fmt: skip
    yield "POST", reply, {"type": "admin", "message_type": "note", "admin_id": admin,
                          "body": "Internal"}, cid  # fmt: skip
    yield "POST", reply, {"type": "user", "message_type": "comment",
                          "intercom_user_id": inbox.contact, "body": "Thanks"}, cid  # fmt: skip
    yield "POST", parts, {"message_type": "assignment", "type": "admin", "admin_id": admin,
                          "assignee_id": str(inbox.other_admin)}, cid  # fmt: skip
    yield "POST", parts, {"message_type": "snoozed", "admin_id": admin,
                          "snoozed_until": TEST_NOW + 3600}, cid  # fmt: skip
    yield "POST", parts, {"message_type": "open", "admin_id": admin}, cid
    yield "POST", parts, {"message_type": "close", "admin_id": admin}, cid
    yield "POST", parts, {"message_type": "close", "admin_id": admin}, cid  # changes nothing
    yield "PUT", f"/conversations/{cid}", {"title": "Invoice"}, cid
    yield "PUT", f"/conversations/{cid}", {"title": "Invoice"}, cid  # changes nothing
    yield "POST", f"/conversations/{cid}/customers", {
        "admin_id": admin, "customer": {"intercom_user_id": inbox.lead}}, cid  # fmt: skip
    yield "POST", f"/conversations/{cid}/tags", {"id": str(tag), "admin_id": admin}, ""
    rule = inbox.post("/parlour/sla_rules", {"name": "Standard", "first_reply_time_in_seconds": 60})
    yield "PUT", f"/parlour/conversations/{cid}/sla", {"sla_rule_id": rule["id"]}, cid
    # The hot write again, now that the entry shows a tag, two contacts and an SLA.
    yield "POST", reply, {"type": "user", "message_type": "comment",
                          "intercom_user_id": inbox.contact, "body": "Hello?"}, cid  # fmt: skip
    yield "POST", reply, {"type": "admin", "message_type": "comment", "admin_id": admin,
                          "body": "Sorted"}, cid  # fmt: skip
    yield "POST", f"/parlour/conversations/{cid}/rating", {"rating": 4}, cid
    yield "POST", "/conversations/redact", {
        "type": "source", "conversation_id": cid, "source_id": inbox.get(cid)["source"]["id"],
    }, cid  # fmt: skip


def test_every_write_answers_what_retrieving_it_shows(inbox: Inbox, db: Database) -> None:
    for method, path, body, cid in _writes(inbox, db):
        inbox.clock.now += 60
        response = inbox.client.request(method, path, json=body, headers=inbox.ws.headers)
        assert response.status_code == 200, (path, body, response.text)
        assert response.headers["content-type"] == "application/json; charset=utf-8"
        if cid:
            assert response.content == _retrieved(inbox, cid), (path, body)
        assert_entries_current(db, inbox.ws.id)


def test_an_admin_reply_moves_every_participant_last_contacted_at(
    inbox: Inbox, db: Database
) -> None:
    cid = inbox.start()
    attach = {"admin_id": str(inbox.admin), "customer": {"intercom_user_id": inbox.lead}}
    inbox.post(f"/conversations/{cid}/customers", attach)
    inbox.clock.now = TEST_NOW + 500
    inbox.admin_reply(cid, "Internal", kind="note")  # notes contact nobody
    for person in (inbox.contact, inbox.lead):
        assert inbox.client.get(f"/contacts/{person}", headers=inbox.ws.headers).json()[
            "last_contacted_at"
        ] is None
    inbox.admin_reply(cid)
    for person in (inbox.contact, inbox.lead):
        contact = inbox.client.get(f"/contacts/{person}", headers=inbox.ws.headers).json()
        assert contact["last_contacted_at"] == TEST_NOW + 500


def test_the_answer_shows_the_parts_up_to_its_own_write(inbox: Inbox, db: Database) -> None:
    """A later write's parts are not in an earlier write's answer, however late it is read."""
    cid = inbox.start()
    first = inbox.admin_reply(cid, "First")
    inbox.admin_reply(cid, "Second")
    with db.read_session() as session:
        row = rows.read_row(session, inbox.ws.id, int(cid))
        assert row is not None and row.summary is not None
        detail = service.written_detail(
            session,
            workspace_id=inbox.ws.id,
            conversation_id=int(cid),
            stored=StoredEntry(row.summary, 1),
        )
    assert [p.body for p in detail.parts] == ["<p>First</p>"]
    assert detail.row.part_count == 1
    assert first["conversation_parts"]["total_count"] == 1


def _lock_is_free(db: Database, conversation_id: int) -> bool:
    """Whether another connection could take the write lock (SQLite) or the row (PostgreSQL)."""
    if db.is_sqlite:
        path = make_url(db.url).database
        assert path is not None
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            return True
        except sqlite3.OperationalError:
            return False
        finally:
            other.close()
    with db.engine.connect() as connection:
        try:
            connection.execute(
                text("SELECT id FROM conversation WHERE id = :id FOR UPDATE NOWAIT"),
                {"id": conversation_id},
            )
            return True
        except Exception:  # lock_not_available
            return False
        finally:
            connection.rollback()


def test_the_answer_is_rendered_once_the_write_lock_is_released(
    inbox: Inbox, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid = inbox.start()
    seen: list[bool] = []
    render: Callable[..., bytes] = schemas.conversation_with_parts

    def checking(*args: Any, **kwargs: Any) -> bytes:
        seen.append(_lock_is_free(db, int(cid)))
        return render(*args, **kwargs)

    monkeypatch.setattr(schemas, "conversation_with_parts", checking)
    inbox.admin_reply(cid)
    inbox.part(cid, {"message_type": "close", "admin_id": str(inbox.admin)})
    assert seen == [True, True]
