"""POST /conversations/search agrees with a plain-Python evaluator on random data and queries.

Hypothesis builds a small inbox (people, tags, conversations with random timelines, text in
several scripts and cases, custom attributes, ratings) in a workspace of its own, then
random queries over every kind of field and operator, nested up to the spec's limit. Each
query is paged through with a random `per_page`; the ids must be exactly those the
reference evaluator (`search_reference.py`) finds in the rendered conversations, newest
created first, each once, with a `total_count` to match. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from parlour.conversations import search_pages
from parlour.db.session import Database
from tests.conftest import TEST_NOW
from tests.conversations.search_reference import matches
from tests.factories import (
    ConversationSpec,
    Event,
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
    make_workspace,
    note,
    reopen,
    snooze,
)

T0 = TEST_NOW - 10_000
EXAMPLES = int(os.environ.get("PARLOUR_SEARCH_EXAMPLES", "40"))  # more to explore locally
QUERIES_PER_INBOX = 5

# Text in several scripts and cases: folding must make `naïve`/`NAÏVE`, `straße`/`STRASSE`,
# `ΟΔΟΣ`/`οδος` equal, and keep Devanagari words whole.
VOCABULARY = (
    "support", "Support", "SUPPORT!", "invoice", "Invoice#42", "naïve", "NAÏVE", "straße",
    "STRASSE", "ΟΔΟΣ", "οδος", "Ünïcode", "e-mail", "über", "日本語", "हिन्दी", "x", "ab", "a_b",
    "refund", "Refunded", "can't",
)  # fmt: skip
FRAGMENTS = (
    "sup", "SUP", "port", "voic", "aïv", "STR", "asse", "οδ", "ΔΟΣ", "code", "mail", "ber",
    "本", "न्दी", "und", "a_", "'t", "e-m", "support x", "42",
)  # fmt: skip
SEPARATORS = (" ", ", ", "! ", " &amp; ", "<br>", "</p><p>", " - ")
# Names and emails are folded by the database on PostgreSQL (lower()), which agrees with
# full case folding for these letters (not for ß, ς or İ: see search/compile.py).
NAMES = ("Ada Admin", "Élodie Ünal", "Жанна", "ΣΟΦΙΑ Ng", "bob", "Ängel")
EMAILS = ("Cat@Example.com", "élodie@exämple.org", "bob@example.com", "")
ATTRIBUTE_KEYS = ("Plan", "Seats", "VIP", "Region")
ATTRIBUTE_VALUES = st.one_of(
    st.sampled_from(("Pro", "pro", "PRO plan", "Starter", "Ünïcode", "")),
    st.integers(-3, 30),
    st.sampled_from((0.5, 2.5, 129.5)),
    st.booleans(),
    st.none(),
)


@st.composite
def texts(draw: st.DrawFn, html: bool) -> str:
    """A phrase from the vocabulary, HTML-wrapped for bodies."""
    chosen = draw(st.lists(st.sampled_from(VOCABULARY), max_size=5))
    glue = [draw(st.sampled_from(SEPARATORS)) for _ in chosen]
    text = "".join(w + g for w, g in zip(chosen, glue, strict=True)).strip()
    return f"<p>{text}</p>" if html else text.replace("<br>", " ").replace("</p><p>", " ")


@st.composite
def inboxes(draw: st.DrawFn) -> dict[str, Any]:
    """The recipe of a small inbox (built by `_build`)."""
    conversations = []
    for _ in range(draw(st.integers(0, 7))):
        created = T0 + draw(st.integers(0, 40))
        moments = sorted(draw(st.lists(st.integers(1, 500), max_size=4)))
        events = [
            (draw(st.sampled_from(("admin", "contact", "note", "close", "reopen", "snooze",
                                    "assign_admin", "assign_team", "unassign"))), created + m)
            for m in moments
        ]  # fmt: skip
        conversations.append(
            {
                "created_at": created,
                "events": events,
                "contact": draw(st.integers(0, 2)),
                "admin_initiated": draw(st.booleans()),
                "author_admin": draw(st.integers(0, 1)),
                "tags": draw(st.sets(st.integers(0, 2))),
                "body": draw(texts(True)),
                "subject": draw(texts(False)),
                "read": draw(st.booleans()),
                "priority": draw(st.sampled_from(("priority", "not_priority"))),
                "custom": draw(st.dictionaries(st.sampled_from(ATTRIBUTE_KEYS), ATTRIBUTE_VALUES)),
                "source_type": draw(st.sampled_from(("conversation", "email", "push"))),
                "url": draw(st.sampled_from((None, "https://App.example.com/Reports/7"))),
                "rating": draw(
                    st.none()
                    | st.tuples(st.integers(1, 5), st.sampled_from((None, "Très bien", "meh")))
                ),
            }
        )
    return {
        "admin_names": draw(st.lists(st.sampled_from(NAMES), min_size=2, max_size=2)),
        "contacts": draw(
            st.lists(
                st.tuples(st.sampled_from((*NAMES, None)), st.sampled_from(EMAILS)),
                min_size=3,
                max_size=3,
            )
        ),
        "conversations": conversations,
    }


def _event(kind: str, at: int, admin: int, other: int, team: int, contact: str) -> Event:
    if kind == "admin":
        return admin_says(admin, at)
    if kind == "contact":
        return contact_says(contact, at, "<p>Still there?</p>")
    if kind == "note":
        return note(admin, at)
    if kind == "close":
        return close(admin, at)
    if kind == "reopen":
        return reopen(admin, at)
    if kind == "snooze":
        return snooze(admin, at, at + 3_600)
    if kind == "assign_admin":
        return assign(admin, at, "admin", other)
    if kind == "assign_team":
        return assign(admin, at, "team", team)
    return assign(admin, at, "admin", None)


def _build(db: Database, recipe: dict[str, Any]) -> tuple[Workspace, dict[str, Any]]:
    ws = make_workspace(db, now=T0)
    admins = [make_admin(db, ws, now=T0, name=name) for name in recipe["admin_names"]]
    team = make_team(db, ws, now=T0, admin_ids=admins)
    contacts = [
        make_contact(db, ws, now=T0, name=name, email=email or None, external_id=f"e{i}")
        for i, (name, email) in enumerate(recipe["contacts"])
    ]
    tags = [make_tag(db, ws, now=T0, name=name) for name in ("VIP", "Bug", "Ünïcode")]
    ids = []
    for c in recipe["conversations"]:
        admin, contact = admins[c["author_admin"]], contacts[c["contact"]]
        events = [_event(kind, at, admin, admins[1], team, contact) for kind, at in c["events"]]
        spec = ConversationSpec(
            created_at=c["created_at"],
            contact_id=contact,
            admin_initiated_by=admin if c["admin_initiated"] else None,
            events=events,
            tag_ids=[tags[i] for i in sorted(c["tags"])],
            body=c["body"],
            subject=c["subject"],
            read=c["read"],
            priority=c["priority"],
            custom_attributes=c["custom"],
            source_type=c["source_type"],
            source_url=c["url"],
            rating=(c["rating"][0], c["rating"][1], admins[0]) if c["rating"] else None,
        )
        ids.append(make_conversation(db, ws, spec, now=TEST_NOW))
    world = {
        "admins": admins,
        "team": team,
        "contacts": contacts,
        "tags": tags,
        "conversations": ids,
    }
    return ws, world


def _filter(draw: st.DrawFn, world: dict[str, Any]) -> dict[str, Any]:
    """One random valid filter over the whole whitelist."""
    admins = [str(a) for a in world["admins"]]
    ids = [str(i) for i in world["conversations"]] + ["0", "007", "999999"]
    strings = st.sampled_from(VOCABULARY + FRAGMENTS + NAMES + EMAILS[:3] + ("pro", "Très"))
    string_ops = ("=", "!=", "IN", "NIN", "~", "!~", "^", "$")
    order_ops = ("=", "!=", "IN", "NIN", "<", "<=", ">", ">=")
    times = st.integers(T0 - 5, T0 + 600)
    family = draw(
        st.sampled_from(
            ("id", "date", "keyword", "text", "body", "author", "people", "assignee",
             "boolean", "statistics", "rating", "custom", "constant")
        )
    )  # fmt: skip
    if family == "id":
        field, op = "id", draw(st.sampled_from(("=", "!=", "IN", "NIN")))
        pool: st.SearchStrategy[Any] = st.sampled_from(ids) | st.sampled_from(
            [*world["conversations"], 1]
        )
    elif family == "date":
        field = draw(
            st.sampled_from(("created_at", "updated_at", "waiting_since", "snoozed_until"))
        )
        op, pool = draw(st.sampled_from(order_ops)), times | times.map(str)
    elif family == "keyword":
        field = draw(
            st.sampled_from(("state", "priority", "source.type", "channel_initiated",
                             "source.delivered_as", "source.author.type"))
        )  # fmt: skip
        op = draw(st.sampled_from(string_ops))
        pool = st.sampled_from(
            ("open", "closed", "snoozed", "OPEN", "priority", "not_priority", "email", "push",
             "conversation", "admin_initiated", "customer_initiated", "user", "admin", "o",
             "ed", "prior")
        )  # fmt: skip
    elif family == "text":
        field = draw(st.sampled_from(("source.subject", "source.url")))
        op, pool = (
            draw(st.sampled_from(string_ops)),
            strings | st.sampled_from(("app.EXAMPLE", "/7")),
        )
    elif family == "body":
        field, op, pool = "source.body", draw(st.sampled_from(string_ops)), strings
    elif family == "author":
        field = draw(
            st.sampled_from(("source.author.name", "source.author.email", "source.author.id"))
        )
        if field == "source.author.id":
            op = draw(st.sampled_from(("=", "!=", "IN", "NIN")))
            pool = st.sampled_from(admins + world["contacts"])
        else:
            op, pool = (
                draw(st.sampled_from(string_ops)),
                strings | st.sampled_from(("ada", "élo", "EXAMPLE.COM")),
            )
    elif family == "people":
        field = draw(st.sampled_from(("contact_ids", "teammate_ids", "tag_ids")))
        op = draw(st.sampled_from(("=", "!=", "IN", "NIN")))
        pool = st.sampled_from(
            world["contacts"] + admins + [str(t) for t in world["tags"]] + ["nope"]
        ) | st.sampled_from(world["tags"])
    elif family == "assignee":
        field = draw(st.sampled_from(("admin_assignee_id", "team_assignee_id")))
        op = draw(st.sampled_from(order_ops))
        pool = st.sampled_from([*world["admins"], world["team"], *admins, 0])
    elif family == "boolean":
        field = draw(st.sampled_from(("open", "read", "ai_agent_participated")))
        op = draw(st.sampled_from(("=", "!=", "IN", "NIN")))
        pool = st.sampled_from((True, False, 1, 0, "true", "false"))
    elif family == "statistics":
        field = draw(
            st.sampled_from(("statistics.count_reopens", "statistics.time_to_admin_reply",
                             "statistics.first_admin_reply_at", "statistics.last_closed_by_id",
                             "statistics.count_conversation_parts"))
        )  # fmt: skip
        if field == "statistics.last_closed_by_id":
            op, pool = draw(st.sampled_from(("=", "!=", "IN", "NIN"))), st.sampled_from(admins)
        else:
            op, pool = (
                draw(st.sampled_from(order_ops)),
                st.integers(0, 3) | times | st.integers(0, 600),
            )
    elif family == "rating":
        field = draw(
            st.sampled_from(("conversation_rating.score", "conversation_rating.remark",
                             "conversation_rating.replied_at", "conversation_rating.admin_d",
                             "conversation_rating.contact_id"))
        )  # fmt: skip
        if field == "conversation_rating.score":
            op, pool = draw(st.sampled_from(order_ops)), st.integers(0, 6)
        elif field == "conversation_rating.replied_at":
            op, pool = draw(st.sampled_from(order_ops)), times
        elif field == "conversation_rating.remark":
            op, pool = (
                draw(st.sampled_from(string_ops)),
                st.sampled_from(("très", "TRÈS BIEN", "meh", "bien", "e")),
            )
        else:
            op = draw(st.sampled_from(("=", "!=", "IN", "NIN")))
            pool = st.sampled_from(admins + world["contacts"])
    elif family == "custom":
        field = "custom_attributes." + draw(st.sampled_from(ATTRIBUTE_KEYS))
        kind = draw(st.sampled_from(("string", "number", "boolean")))
        if kind == "string":
            op = draw(st.sampled_from(string_ops))
            pool = st.sampled_from(("Pro", "pro", "PRO", "plan", "Star", "ünï", "o"))
        elif kind == "number":
            op, pool = (
                draw(st.sampled_from(order_ops)),
                st.integers(-3, 30) | st.sampled_from((0.5, 129.5)),
            )
        else:
            op, pool = draw(st.sampled_from(("=", "!=", "IN", "NIN"))), st.booleans()
    else:
        field = draw(st.sampled_from(("ai_agent.rating", "conversation_rating.requested_at")))
        op, pool = draw(st.sampled_from(order_ops)), st.integers(0, 5)
    if op in ("IN", "NIN"):
        value: Any = draw(st.lists(pool, min_size=1, max_size=4))
    elif op in ("=", "!=") and draw(st.integers(0, 9)) == 0:
        value = None
    else:
        value = draw(pool)
    return {"field": field, "operator": op, "value": value}


@st.composite
def queries(draw: st.DrawFn, world: dict[str, Any], depth: int = 0) -> dict[str, Any]:
    """A filter, or an AND/OR group nested at most two deep."""
    if depth >= 2 or draw(st.integers(0, 2)) == 0:
        return _filter(draw, world)
    items = draw(st.lists(queries(world, depth + 1), min_size=1, max_size=4))
    return {"operator": draw(st.sampled_from(("AND", "OR"))), "value": items}


def _search_all(
    client: TestClient, ws: Workspace, query: dict[str, Any], per_page: int
) -> tuple[list[dict[str, Any]], int]:
    found: list[dict[str, Any]] = []
    body: dict[str, Any] = {"query": query, "pagination": {"per_page": per_page}}
    totals = set()
    while True:
        response = client.post("/conversations/search", json=body, headers=ws.headers)
        assert response.status_code == 200, (query, response.text)
        page = response.json()
        found += page["conversations"]
        totals.add(page["total_count"])
        nxt = page["pages"].get("next")
        if nxt is None:
            break
        body["pagination"]["starting_after"] = nxt["starting_after"]
    assert len(totals) == 1
    return found, totals.pop()


# The page plan depends on how many rows match (`search_pages.search_page`); shrinking the
# thresholds makes these small inboxes take the paths a million rows would.
PLANS = {
    "few": {},
    "many": {"FEW_MATCHES": 0, "PROBE_WINDOWS": (1, 3)},
}


@pytest.mark.parametrize("plan", sorted(PLANS))
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_search_agrees_with_the_reference(
    client: TestClient, db: Database, plan: str, data: Any
) -> None:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in PLANS[plan].items():
            patch.setattr(search_pages, name, value)
        _check_random_queries(client, db, data)


def _check_random_queries(client: TestClient, db: Database, data: Any) -> None:
    recipe = data.draw(inboxes(), label="inbox")
    ws, world = _build(db, recipe)
    listed = client.get("/conversations", params={"per_page": 150}, headers=ws.headers).json()
    rendered = listed["conversations"]
    assert len(rendered) == len(world["conversations"])
    for _ in range(QUERIES_PER_INBOX):
        query = data.draw(queries(world), label="query")
        per_page = data.draw(st.integers(1, 4), label="per_page")
        found, total = _search_all(client, ws, query, per_page)
        expected = [c for c in rendered if matches(query, c)]
        share = "none" if not expected else "all" if len(expected) == len(rendered) else "some"
        event(f"query matches {share}")
        got = [c["id"] for c in found]
        assert sorted(got) == sorted(c["id"] for c in expected), query
        assert len(got) == len(set(got)) == total
        keys = [(c["created_at"], int(c["id"])) for c in found]
        assert keys == sorted(keys, reverse=True), "newest created first, id breaks ties"
