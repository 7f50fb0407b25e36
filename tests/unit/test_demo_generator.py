"""The demo generator and loader: deterministic, internally consistent, realistic rows."""

from __future__ import annotations

import random
import re
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from parlour.core.text import indexed_words
from parlour.db.migrate import upgrade
from parlour.db.models import (
    Conversation,
    ConversationContact,
    ConversationPart,
    ConversationTag,
    Workspace,
)
from parlour.db.session import Database
from parlour.demo.corpus import OUTBOUND, TOPICS
from parlour.demo.generator import (
    CONVERSATION_COLUMNS,
    PART_COLUMNS,
    ConversationGenerator,
    ConversationRows,
    as_dicts,
    generate_conversations,
    search_body,
)
from parlour.demo.loader import seed_conversations, seed_demo_workspace
from parlour.demo.people import Cast, PeopleRows, generate_people
from parlour.wiring import open_database
from parlour.workspaces.service import authenticate
from tests.conftest import TEST_NOW
from tests.factories import (
    ConversationSpec,
    make_contact,
    make_conversation,
    make_workspace,
    refresh_derived,
)
from tests.factories import Workspace as WorkspaceRef

HEX24 = re.compile(r"^[0-9a-f]{24}$")


def _people(seed: int = 1) -> PeopleRows:
    return generate_people(random.Random(seed), 1, TEST_NOW, contacts=120)


def _rows(count: int, seed: int = 1) -> ConversationRows:
    cast = _people(seed).cast()
    return generate_conversations(random.Random(seed), 1, TEST_NOW, cast, count)


def test_people_have_intercom_shaped_unique_ids_and_emails() -> None:
    """Contacts get unique 24-hex ids; admin and contact emails never repeat."""
    people = _people()
    assert len(people.admins) == 9  # eight teammates and the Operator bot
    assert len(people.teams) == 3 and people.team_members
    ids = [c["id"] for c in people.contacts]
    assert len(ids) == len(set(ids)) == 120
    assert all(HEX24.match(i) for i in ids)
    emails = [r["email"] for r in people.admins + people.contacts if r["email"]]
    assert len(emails) == len({e.lower() for e in emails})
    assert {c["role"] for c in people.contacts} == {"user", "lead"}
    cast: Cast = people.cast()
    assert cast.bot_id not in cast.admin_ids and len(cast.admin_ids) == 8


def test_same_seed_same_rows_different_seed_different_rows() -> None:
    """Generation is a pure function of the seed."""
    assert _rows(40, seed=3) == _rows(40, seed=3)
    assert _rows(40, seed=3).conversations != _rows(40, seed=4).conversations


def test_batches_do_not_change_the_output() -> None:
    """Splitting the same stream into batches yields the same rows with the same ids."""
    cast = _people().cast()
    whole = ConversationGenerator(random.Random(9), 1, TEST_NOW, cast).batch(
        30, first_conversation_id=1, first_part_id=1
    )
    split = ConversationGenerator(random.Random(9), 1, TEST_NOW, cast)
    first = split.batch(12, first_conversation_id=1, first_part_id=1)
    second = split.batch(18, first_conversation_id=13, first_part_id=len(first.parts) + 1)
    assert whole.conversations == first.conversations + second.conversations
    assert whole.parts == first.parts + second.parts


def test_timelines_are_ordered_and_within_the_conversation_life() -> None:
    """Parts are numbered from 0, never go back in time and end at updated_at."""
    rows = _rows(300)
    parts = as_dicts(PART_COLUMNS, rows.parts)
    by_conversation: dict[int, list[dict[str, object]]] = {}
    for part in parts:
        by_conversation.setdefault(int(part["conversation_id"]), []).append(part)
    ids = [p["id"] for p in parts]
    assert ids == list(range(1, len(ids) + 1))
    for conversation in as_dicts(CONVERSATION_COLUMNS, rows.conversations):
        parts = by_conversation.get(conversation["id"], [])
        assert [p["position"] for p in parts] == list(range(len(parts)))
        times = [int(p["created_at"]) for p in parts]
        assert times == sorted(times)
        assert all(conversation["created_at"] <= t <= TEST_NOW for t in times)
        assert conversation["part_count"] == len(parts)
        assert conversation["updated_at"] == (times[-1] if times else conversation["created_at"])
        if conversation["state"] == "closed":
            assert conversation["waiting_since"] is None and not conversation["open"]
        if conversation["state"] == "snoozed":
            assert conversation["snoozed_until"] > TEST_NOW  # expired snoozes were woken


def test_the_inbox_looks_like_a_real_one() -> None:
    """A few hundred conversations cover every state, queue and sort key the API serves."""
    rows = _rows(400)
    conversations = as_dicts(CONVERSATION_COLUMNS, rows.conversations)
    states = Counter(c["state"] for c in conversations)
    assert set(states) == {"open", "closed", "snoozed"}
    assert all(n >= 5 for n in states.values()), states
    waiting = [c for c in conversations if c["waiting_since"] is not None]
    assert 40 <= len(waiting) <= 300
    assert any(c["admin_assignee_id"] is None for c in conversations)
    assert any(c["team_assignee_id"] is not None for c in conversations)
    assert any(c["source_delivered_as"] == "admin_initiated" for c in conversations)
    assert any(c["rating"] is not None for c in conversations)
    kinds = Counter(p["part_type"] for p in as_dicts(PART_COLUMNS, rows.parts))
    for kind in ("comment", "note", "assignment", "close", "snoozed"):
        assert kinds[kind] > 0, kind
    assert 4 <= len(rows.parts) / len(rows.conversations) <= 20
    assert rows.tags and rows.contacts


@pytest.mark.parametrize(
    "values",
    [
        {"n": 4821, "plan": "Pro", "first": "Sofia"},
        {"n": 10_000, "plan": "Enterprise", "first": "Zoë"},
        # Values HTML parsing would change or split: the slow path, same answer.
        {"n": 7, "plan": "Pro", "first": "A&amp;B <i>x</i>"},
        {"n": 7, "plan": "Pro", "first": " Ann Marie "},
    ],
)
def test_search_body_is_the_indexed_words_of_the_formatted_body(values: dict[str, object]) -> None:
    """The cached search column equals `indexed_words` of every opening body, formatted."""
    templates = [t for topic in TOPICS for t in topic.openers] + [b for _, b in OUTBOUND]
    assert any("{n}" in t for t in templates)
    for template in templates:
        for _ in range(2):  # the second call is answered from the cache
            assert search_body(template, values) == indexed_words(template.format(**values))


def test_generator_refuses_an_empty_cast() -> None:
    """Conversations need someone on each side."""
    empty = Cast(admin_ids=(), bot_id=0, teams=(), contacts=(), tags=())
    with pytest.raises(ValueError, match="at least one admin"):
        ConversationGenerator(random.Random(0), 1, TEST_NOW, empty)


def _count(db: Database, column: object, workspace_id: int) -> int:
    with db.read_session() as session:
        table = column.class_
        return int(
            session.scalar(select(func.count()).where(table.workspace_id == workspace_id)) or 0
        )


def _data_version(db: Database, workspace_id: int) -> int:
    with db.read_session() as session:
        return int(
            session.scalar(select(Workspace.data_version).where(Workspace.id == workspace_id))
            or 0
        )


def test_seeded_rows_match_what_the_service_derives(db: Database, workspace: WorkspaceRef) -> None:
    """Every derived column the loader stored is what `refresh_derived` computes from the parts."""
    before = _data_version(db, workspace.id)
    assert seed_conversations(db, workspace.id, 60, now=TEST_NOW, seed=5) == 60
    assert _data_version(db, workspace.id) == before + 1
    derived = (
        "state", "open", "waiting_since", "snoozed_until", "admin_assignee_id",
        "team_assignee_id", "teammate_ids", "first_contact_reply_at", "statistics",
        "part_count",
    )
    with db.read_session() as session:
        conversations = session.scalars(
            select(Conversation).where(Conversation.workspace_id == workspace.id)
        ).all()
        assert len(conversations) == 60
        for row in conversations:
            parts = list(
                session.scalars(
                    select(ConversationPart)
                    .where(ConversationPart.conversation_id == row.id)
                    .order_by(ConversationPart.position)
                )
            )
            stored = {name: getattr(row, name) for name in derived}
            refresh_derived(row, parts, TEST_NOW)
            assert {name: getattr(row, name) for name in derived} == stored, row.id
        session.rollback()
    assert _count(db, ConversationContact.workspace_id, workspace.id) >= 60
    assert _count(db, ConversationTag.workspace_id, workspace.id) > 0


def test_seeding_twice_continues_ids_and_leaves_sequences_usable(
    db: Database, workspace: WorkspaceRef
) -> None:
    """A second seed appends; rows created afterwards (by the ORM) get fresh ids."""
    seed_conversations(db, workspace.id, 10, now=TEST_NOW, seed=1)
    seed_conversations(db, workspace.id, 15, now=TEST_NOW, seed=2)
    assert _count(db, Conversation.workspace_id, workspace.id) == 25
    contact = make_contact(db, workspace, now=TEST_NOW)
    spec = ConversationSpec(created_at=TEST_NOW - 60, contact_id=contact)
    created = make_conversation(db, workspace, spec, now=TEST_NOW)
    assert _count(db, Conversation.workspace_id, workspace.id) == 26
    with db.read_session() as session:
        seeded = session.scalars(
            select(Conversation.id).where(Conversation.workspace_id == workspace.id)
        ).all()
    assert created == max(seeded)


def test_seeding_an_unknown_workspace_is_refused(db: Database) -> None:
    """Nothing is written for a workspace that does not exist."""
    with pytest.raises(ValueError, match="does not exist"):
        seed_conversations(db, 987_654_321, 5, now=TEST_NOW)


def test_demo_workspace_comes_with_a_working_token(db: Database) -> None:
    """The demo workspace has people, conversations and a token that authenticates."""
    demo = seed_demo_workspace(db, now=TEST_NOW, conversations=25, seed=3, name="Demo test")
    assert demo.conversations == 25
    assert _count(db, Conversation.workspace_id, demo.workspace_id) == 25
    with db.read_session() as session:
        assert authenticate(session, demo.token).workspace_id == demo.workspace_id


def test_seed_does_not_touch_other_workspaces(db: Database) -> None:
    """Seeding one workspace leaves another's rows and data_version alone."""
    one = make_workspace(db, now=TEST_NOW)
    two = make_workspace(db, now=TEST_NOW)
    contact = make_contact(db, two, now=TEST_NOW)
    spec = ConversationSpec(created_at=TEST_NOW, contact_id=contact)
    make_conversation(db, two, spec, now=TEST_NOW)
    version = _data_version(db, two.id)
    seed_conversations(db, one.id, 8, now=TEST_NOW)
    assert _count(db, Conversation.workspace_id, two.id) == 1
    assert _data_version(db, two.id) == version


def test_seed_leaves_planner_statistics_for_primary_key_lookups(tmp_path: Path) -> None:
    """After a bulk load SQLite looks contacts up by id, not by scanning the workspace."""
    db = open_database(f"sqlite:///{tmp_path / 'plan.db'}")
    try:
        upgrade(db.engine)
        workspace = make_workspace(db, now=TEST_NOW)
        seed_conversations(db, workspace.id, 2_000, now=TEST_NOW)  # 500 contacts
        with db.read_session() as session:
            plan = " ".join(
                str(row[-1])
                for row in session.connection().exec_driver_sql(
                    # A page's worth of ids: with more than a few, unanalyzed SQLite
                    # would rather scan the workspace's contacts.
                    "EXPLAIN QUERY PLAN SELECT * FROM contact "
                    f"WHERE workspace_id = ? AND id IN ({', '.join('?' * 21)})",
                    (workspace.id, *(f"{n:024x}" for n in range(21))),
                )
            )
    finally:
        db.dispose()
    assert "(id=?)" in plan, plan
