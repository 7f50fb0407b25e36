"""Stored list entries (`conversations.entries`) always equal a fresh rendering.

Every kind of write goes through the API, then each stored entry is compared byte for byte
with the conversation rendered from its rows now; renames clear the entries they change,
and pages answer the same with or without stored entries.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import select, update

from parlour.conversations import entries
from parlour.conversations import rows as conversation_rows
from parlour.conversations.jobs import store_missing_entries
from parlour.db.models import Admin, Contact, Conversation, SlaPolicy, Tag
from parlour.db.session import Database
from tests.conftest import TEST_NOW
from tests.conversations.conftest import Inbox
from tests.factories import make_tag


def _entries(db: Database, workspace_id: int) -> dict[int, bytes | None]:
    with db.read_session() as session:
        rows = session.execute(
            select(Conversation.id, Conversation.summary).where(
                Conversation.workspace_id == workspace_id
            )
        )
        return {row.id: row.summary for row in rows}


def _fresh(db: Database, workspace_id: int, ids: list[int]) -> dict[int, bytes]:
    with db.read_session() as session:
        rows = conversation_rows.rows_by_id(session, ids)
        related = conversation_rows.load_related(session, workspace_id, rows)
        return {row.id: entries.render(row, related) for row in rows}


def assert_entries_current(db: Database, workspace_id: int) -> int:
    """Every stored entry equals the conversation rendered from its rows; how many are stored."""
    stored = {i: e for i, e in _entries(db, workspace_id).items() if e is not None}
    fresh = _fresh(db, workspace_id, list(stored))
    for conversation_id, entry in stored.items():
        assert orjson.loads(entry) == orjson.loads(fresh[conversation_id]), conversation_id
        assert entry == fresh[conversation_id]
    return len(stored)


def _clear(db: Database, workspace_id: int) -> None:
    with db.write_session() as session:
        session.execute(
            update(Conversation)
            .where(Conversation.workspace_id == workspace_id)
            .values(summary=None)
        )
        session.commit()


def _get(inbox: Inbox, path: str) -> Any:
    response = inbox.client.get(path, headers=inbox.ws.headers)
    assert response.status_code == 200, response.text
    return response.json()


def _busy_inbox(inbox: Inbox, db: Database) -> list[str]:
    """Conversations that went through every kind of write."""
    admin = str(inbox.admin)
    tag = make_tag(db, inbox.ws, now=TEST_NOW, name="Billing")
    first, second, third = inbox.start(), inbox.start("Second"), inbox.start("Third")
    inbox.admin_reply(first)
    inbox.admin_reply(first, "Internal", kind="note")
    inbox.contact_reply(first)
    inbox.part(first, {"message_type": "assignment", "type": "admin", "admin_id": admin,
                       "assignee_id": str(inbox.other_admin)})
    inbox.part(second, {"message_type": "assignment", "type": "team", "admin_id": admin,
                        "assignee_id": str(inbox.team)})
    inbox.part(second, {"message_type": "close", "type": "admin", "admin_id": admin})
    inbox.part(third, {"message_type": "snoozed", "type": "admin", "admin_id": admin,
                       "snoozed_until": TEST_NOW + 3600})
    inbox.post(f"/conversations/{first}/tags", {"id": str(tag), "admin_id": admin})
    inbox.post(f"/conversations/{second}/tags", {"id": str(tag), "admin_id": admin})
    inbox.client.request("DELETE", f"/conversations/{second}/tags/{tag}",
                         json={"admin_id": admin}, headers=inbox.ws.headers)
    inbox.post(f"/conversations/{first}/customers",
               {"admin_id": admin, "customer": {"intercom_user_id": inbox.lead}})
    response = inbox.client.put(f"/conversations/{third}", headers=inbox.ws.headers,
                                json={"title": "Renamed", "custom_attributes": {"Plan": "Pro"}})
    assert response.status_code == 200, response.text
    source = _source_id(inbox, second)
    inbox.post("/conversations/redact",
               {"type": "source", "conversation_id": second, "source_id": source})
    rule = inbox.post("/parlour/sla_rules", {"name": "Standard", "first_reply_time_in_seconds": 60})
    response = inbox.client.put(f"/parlour/conversations/{third}/sla",
                                json={"sla_rule_id": rule["id"]}, headers=inbox.ws.headers)
    assert response.status_code == 200, response.text
    inbox.post(f"/parlour/conversations/{first}/rating", {"rating": 5, "remark": "Great"})
    return [first, second, third]


def _source_id(inbox: Inbox, cid: str) -> str:
    return str(inbox.get(cid)["source"]["id"])


def test_every_write_leaves_current_entries(inbox: Inbox, db: Database) -> None:
    ids = _busy_inbox(inbox, db)
    assert assert_entries_current(db, inbox.ws.id) == len(ids)


def test_pages_answer_the_same_without_stored_entries(inbox: Inbox, db: Database) -> None:
    ids = _busy_inbox(inbox, db)
    paths = [
        "/conversations",
        "/conversations?display_as=plaintext",
        "/conversations?sort=created_at&order=asc&per_page=2",
        *(f"/conversations/{i}" for i in ids),
        *(f"/conversations/{i}?display_as=plaintext" for i in ids),
    ]
    stored = {path: _get(inbox, path) for path in paths}
    search = {"query": {"field": "open", "operator": "IN", "value": [True, False]}}
    searched = inbox.post("/conversations/search", search)
    _clear(db, inbox.ws.id)
    assert {path: _get(inbox, path) for path in paths} == stored
    assert inbox.post("/conversations/search", search) == searched


def test_refill_stores_missing_entries_and_then_has_nothing_to_do(
    inbox: Inbox, db: Database
) -> None:
    _busy_inbox(inbox, db)
    _clear(db, inbox.ws.id)
    with db.write_session() as session:
        while entries.refill(session, limit=2):
            pass
        session.commit()
    assert None not in _entries(db, inbox.ws.id).values()
    assert assert_entries_current(db, inbox.ws.id) == 3


def test_the_background_job_stores_missing_entries(inbox: Inbox, db: Database) -> None:
    _busy_inbox(inbox, db)
    _clear(db, inbox.ws.id)
    assert store_missing_entries(db) >= 3
    assert None not in _entries(db, inbox.ws.id).values()
    assert assert_entries_current(db, inbox.ws.id) == 3


def test_renamed_tag_contact_admin_and_policy_clear_the_entries_showing_them(
    inbox: Inbox, db: Database
) -> None:
    first, second, third = _busy_inbox(inbox, db)
    untouched = str(
        inbox.post("/conversations", {"from": {"type": "lead", "id": inbox.lead}, "body": "Hi"})[
            "conversation_id"
        ]
    )
    renames: list[tuple[type[Any], Any, dict[str, Any]]] = [
        (Tag, None, {"name": "Invoices"}),
        (Contact, inbox.contact, {"name": "Cat Renamed", "external_id": "cus_9"}),
        (Admin, inbox.admin, {"name": "Ada Renamed"}),
        (SlaPolicy, None, {"name": "Gold"}),
    ]
    for model, key, values in renames:
        with db.write_session() as session:
            obj = (
                session.get(model, key)
                if key is not None
                else session.scalars(
                    select(model).where(model.workspace_id == inbox.ws.id)  # type: ignore[attr-defined]
                ).one()
            )
            for name, value in values.items():
                setattr(obj, name, value)
            session.commit()
        entries = _entries(db, inbox.ws.id)
        assert entries[int(untouched)] is not None, model
        assert_entries_current(db, inbox.ws.id)
    entries = _entries(db, inbox.ws.id)
    assert entries[int(first)] is None and entries[int(third)] is None
    listed = {c["id"]: c for c in _get(inbox, "/conversations")["conversations"]}
    assert listed[first]["tags"]["tags"][0]["name"] == "Invoices"
    contacts = {c["id"]: c for c in listed[first]["contacts"]["contacts"]}
    assert contacts[inbox.contact]["external_id"] == "cus_9"
    assert listed[first]["source"]["author"]["name"] == "Cat Renamed"
    assert listed[third]["sla_applied"]["sla_name"] == "Gold"
    assert listed[second]["id"] == second


def test_deleting_a_tag_or_contact_clears_the_entries_showing_them(
    inbox: Inbox, db: Database
) -> None:
    first, _second, _third = _busy_inbox(inbox, db)
    tag = _get(inbox, f"/conversations/{first}")["tags"]["tags"][0]["id"]
    response = inbox.client.delete(f"/tags/{tag}", headers=inbox.ws.headers)
    assert response.status_code == 200, response.text
    assert _entries(db, inbox.ws.id)[int(first)] is None
    assert _get(inbox, "/conversations")["conversations"][-1]["tags"]["tags"] == []
    response = inbox.client.delete(f"/contacts/{inbox.lead}", headers=inbox.ws.headers)
    assert response.status_code == 200, response.text
    assert_entries_current(db, inbox.ws.id)
    contacts = _get(inbox, f"/conversations/{first}")["contacts"]["contacts"]
    assert [c["id"] for c in contacts] == [inbox.contact]


def test_a_rolled_back_write_leaves_the_entry_as_it_was(inbox: Inbox, db: Database) -> None:
    cid = inbox.start()
    before = _entries(db, inbox.ws.id)[int(cid)]
    with db.write_session() as session:
        row = session.get(Conversation, int(cid))
        assert row is not None
        row.title = "Never committed"
        session.flush()
        session.rollback()
    assert _entries(db, inbox.ws.id)[int(cid)] == before
    assert assert_entries_current(db, inbox.ws.id) == 1
