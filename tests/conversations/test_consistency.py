"""Derived columns always equal the rules applied to the stored timeline; paging under writes."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import select
from starlette.testclient import TestClient

from parlour.db.models import Conversation, ConversationPart
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
    refresh_derived,
    reopen,
    snooze,
)

DERIVED = (
    "state",
    "open",
    "snoozed_until",
    "waiting_since",
    "admin_assignee_id",
    "team_assignee_id",
    "teammate_ids",
    "first_contact_reply_at",
    "statistics",
    "part_count",
)


def stored_matches_recomputed(db: Database, workspace_id: int) -> list[str]:
    """Conversations of the workspace whose derived columns differ from a fresh derivation."""
    mismatches = []
    with db.read_session() as session:
        rows = session.scalars(
            select(Conversation).where(Conversation.workspace_id == workspace_id)
        )
        for row in rows:
            before = {name: getattr(row, name) for name in DERIVED}
            parts = list(
                session.scalars(
                    select(ConversationPart)
                    .where(ConversationPart.conversation_id == row.id)
                    .order_by(ConversationPart.position)
                )
            )
            refresh_derived(row, parts, TEST_NOW)
            after = {name: getattr(row, name) for name in DERIVED}
            if before != after:
                mismatches.append(f"{row.id}: {before} != {after}")
        session.rollback()
    return mismatches


def test_factory_conversations_are_consistent(db: Database, workspace: Workspace) -> None:
    admin = make_admin(db, workspace, now=TEST_NOW)
    contact = make_contact(db, workspace, now=TEST_NOW)
    t = TEST_NOW - 1000
    make_conversation(
        db,
        workspace,
        ConversationSpec(
            created_at=t,
            contact_id=contact,
            events=[
                assign(admin, t + 1, "admin", admin),
                admin_says(admin, t + 2),
                close(admin, t + 3),
                reopen(admin, t + 4),
                contact_says(contact, t + 5),
                snooze(admin, t + 6, t + 9000),
            ],
        ),
        now=TEST_NOW,
    )
    assert stored_matches_recomputed(db, workspace.id) == []


def test_paging_while_conversations_are_inserted(
    client: TestClient, db: Database, workspace: Workspace
) -> None:
    contact = make_contact(db, workspace, now=TEST_NOW)
    base = TEST_NOW - 100_000
    before = {
        str(
            make_conversation(
                db,
                workspace,
                ConversationSpec(created_at=base + i, contact_id=contact),
                now=TEST_NOW,
            )
        )
        for i in range(30)
    }
    stop = threading.Event()
    inserted: list[str] = []

    def writer() -> None:
        i = 0
        while not stop.is_set() and i < 200:
            spec = ConversationSpec(created_at=base + 1000 + i, contact_id=contact)
            inserted.append(str(make_conversation(db, workspace, spec, now=TEST_NOW)))
            i += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        for order in ("desc", "asc"):
            seen: list[str] = []
            params: dict[str, Any] = {"per_page": 4, "order": order, "sort": "created_at"}
            while True:
                body = client.get("/conversations", params=params, headers=workspace.headers).json()
                seen += [c["id"] for c in body["conversations"]]
                if "next" not in body["pages"]:
                    break
                params = {"per_page": 4, "starting_after": body["pages"]["next"]["starting_after"]}
            assert len(seen) == len(set(seen)), f"duplicates in {order}"
            assert before <= set(seen), f"skipped rows in {order}"
    finally:
        stop.set()
        thread.join()
    assert inserted, "the writer ran concurrently"
