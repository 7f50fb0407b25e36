"""Search counts: cached until a write changes what the query reads, and counted exactly.

The workspace's per-field-group versions (migration 0007's triggers) key the count cache:
each write must move the versions of what it changed and leave the others alone, on
SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select, text, update

from parlour.conversations import search_columns, search_counts, search_fields
from parlour.conversations.search_pages import search_context
from parlour.db.models import Conversation, Workspace
from parlour.db.session import Database
from parlour.demo.loader import seed_conversations
from parlour.search.compile import compile_query
from parlour.search.query import conditions, digest, parse
from tests.conftest import TEST_NOW
from tests.conversations.conftest import Inbox
from tests.factories import ConversationSpec, make_conversation, make_tag, make_workspace

VERSIONS = (
    "population_version", "data_version", "tags_version", "contacts_version", "state_version",
    "assignee_version", "priority_version", "source_version",
)  # fmt: skip


def _f(field: str, operator: str, value: Any) -> dict[str, Any]:
    return {"field": field, "operator": operator, "value": value}


def _total(inbox: Inbox, query: Any) -> int:
    response = inbox.client.post(
        "/conversations/search", json={"query": query}, headers=inbox.ws.headers
    )
    assert response.status_code == 200, response.text
    return int(response.json()["total_count"])


def _versions(db: Database, workspace_id: int) -> dict[str, int]:
    with db.read_session() as session:
        row = session.execute(
            select(*(getattr(Workspace, n) for n in VERSIONS)).where(Workspace.id == workspace_id)
        ).one()
    return dict(zip(VERSIONS, row, strict=True))


def _moved(db: Database, inbox: Inbox, write: Any) -> set[str]:
    """The versions `write()` moved."""
    before = _versions(db, inbox.ws.id)
    write()
    after = _versions(db, inbox.ws.id)
    return {name for name in VERSIONS if after[name] != before[name]}


def _key(db: Database, inbox: Inbox, query: Any) -> tuple[Any, ...]:
    node = parse(query, search_fields.FIELDS)
    with db.read_session() as session:
        return search_counts.search_count_key(session, inbox.ws.id, node, digest(node))


def _tag(inbox: Inbox, cid: str, tag: int) -> None:
    inbox.post(f"/conversations/{cid}/tags", {"id": str(tag), "admin_id": str(inbox.admin)})


def test_a_count_outlives_a_reply_but_not_a_tag(db: Database, inbox: Inbox) -> None:
    """A reply keeps the count of a tag query cached; attaching the tag recounts it."""
    tag = make_tag(db, inbox.ws, now=TEST_NOW)
    first, second = inbox.start("One"), inbox.start("Two")
    _tag(inbox, first, tag)
    query = _f("tag_ids", "=", str(tag))
    cache = inbox.client.app.state.parlour.count_cache  # type: ignore[attr-defined]
    assert _total(inbox, query) == 1
    key = _key(db, inbox, query)
    assert cache.get(key) == 1
    inbox.admin_reply(second, "Looking into it")
    inbox.part(second, {"message_type": "close", "type": "admin", "admin_id": str(inbox.admin)})
    assert _key(db, inbox, query) == key, "neither write can change a tag count"
    assert _total(inbox, query) == 1
    _tag(inbox, second, tag)
    assert _key(db, inbox, query) != key
    assert _total(inbox, query) == 2
    # A query that reads `open` is recounted after a close, not after a reply to an open one.
    open_query = {"operator": "AND", "value": [query, _f("open", "=", True)]}
    assert _total(inbox, open_query) == 1
    open_key = _key(db, inbox, open_query)
    inbox.admin_reply(first, "Still on it")
    assert _key(db, inbox, open_query) == open_key
    inbox.part(first, {"message_type": "close", "type": "admin", "admin_id": str(inbox.admin)})
    assert _key(db, inbox, open_query) != open_key
    assert _total(inbox, open_query) == 0


def test_each_write_moves_the_versions_of_what_it_changed(db: Database, inbox: Inbox) -> None:
    """Triggers bump a group's version when its columns or links change, and only then."""
    tag = make_tag(db, inbox.ws, now=TEST_NOW)
    admin = str(inbox.admin)
    created: list[str] = []
    moved = _moved(db, inbox, lambda: created.append(inbox.start("Hello there")))
    assert {"population_version", "data_version"} <= moved
    cid = created[0]
    # An admin reply to an open conversation changes neither state nor assignment.
    assert _moved(db, inbox, lambda: inbox.admin_reply(cid)) == {"data_version"}
    assert _moved(db, inbox, lambda: _tag(inbox, cid, tag)) == {"data_version", "tags_version"}

    def untag() -> None:
        response = inbox.client.request(
            "DELETE", f"/conversations/{cid}/tags/{tag}", json={"admin_id": admin},
            headers=inbox.ws.headers,
        )  # fmt: skip
        assert response.status_code == 200, response.text

    assert _moved(db, inbox, untag) == {"data_version", "tags_version"}
    assign = {"message_type": "assignment", "type": "admin", "admin_id": admin,
              "assignee_id": str(inbox.other_admin)}  # fmt: skip
    assert "assignee_version" in _moved(db, inbox, lambda: inbox.part(cid, assign))
    close = {"message_type": "close", "type": "admin", "admin_id": admin}
    assert "state_version" in _moved(db, inbox, lambda: inbox.part(cid, close))
    join = {"admin_id": admin, "customer": {"intercom_user_id": inbox.lead}}
    moved = _moved(db, inbox, lambda: inbox.post(f"/conversations/{cid}/customers", join))
    assert "contacts_version" in moved
    source = inbox.get(cid)["source"]["id"]
    redact = {"type": "source", "conversation_id": cid, "source_id": source}
    redacted = _moved(db, inbox, lambda: inbox.post("/conversations/redact", redact))
    assert "source_version" in redacted

    def prioritise() -> None:  # no endpoint sets it yet: any UPDATE path bumps the version
        with db.write_session() as session:
            session.execute(
                update(Conversation).where(Conversation.id == int(cid)).values(priority="priority")
            )
            session.commit()

    assert _moved(db, inbox, prioritise) == {"priority_version"}
    # Deleting the conversation (and so its links) changes the population.
    response = inbox.client.delete(f"/conversations/{cid}", headers=inbox.ws.headers)
    assert response.status_code == 200
    assert _versions(db, inbox.ws.id)["population_version"] > 0


def test_a_bulk_link_insert_moves_the_version_once_per_workspace(
    db: Database, inbox: Inbox
) -> None:
    """A seed's many links in one statement bump their workspace's version (PostgreSQL: once)."""
    tags = [make_tag(db, inbox.ws, now=TEST_NOW) for _ in range(3)]
    cid = int(inbox.start("Bulk"))
    before = _versions(db, inbox.ws.id)["tags_version"]
    with db.write_session() as session:
        session.execute(
            text(
                "INSERT INTO conversation_tag (conversation_id, tag_id, workspace_id, applied_at)"
                " VALUES (:c, :t1, :w, 0), (:c, :t2, :w, 0), (:c, :t3, :w, 0)"
            ),
            {"c": cid, "t1": tags[0], "t2": tags[1], "t3": tags[2], "w": inbox.ws.id},
        )
        session.commit()
    bumps = _versions(db, inbox.ws.id)["tags_version"] - before
    assert bumps == (3 if db.is_sqlite else 1)
    assert _total(inbox, _f("tag_ids", "IN", [str(t) for t in tags])) == 1


def test_a_list_filter_counts_each_conversation_once(db: Database, inbox: Inbox) -> None:
    """`tag_ids IN [a, b]`, counted from the links, counts a conversation with both once."""
    a, b, unused = (make_tag(db, inbox.ws, now=TEST_NOW) for _ in range(3))
    both, only_a, only_b, neither = (inbox.start(f"Conversation {i}") for i in range(4))
    for cid, tags in ((both, (a, b)), (only_a, (a,)), (only_b, (b,))):
        for tag in tags:
            _tag(inbox, cid, tag)
    assert neither
    assert _total(inbox, _f("tag_ids", "IN", [str(a), str(b)])) == 3
    assert _total(inbox, _f("tag_ids", "IN", [str(a), str(unused), "0042", "x"])) == 2
    assert _total(inbox, _f("tag_ids", "=", str(unused))) == 0
    assert _total(inbox, _f("tag_ids", "NIN", [str(a), str(b)])) == 1
    assert _total(inbox, _f("tag_ids", "=", None)) == 1
    assert _total(inbox, _f("contact_ids", "=", inbox.contact)) == 4
    assert _total(inbox, _f("contact_ids", "IN", [inbox.contact, inbox.lead])) == 4


# Group counts (migration 0008): `conversation_group` must equal a recount after any write,
# and a count from it must equal the count over the conversations.

RECOUNT = {
    "sqlite": "(SELECT coalesce(',' || group_concat(tag_id, ',') || ',', '') FROM "
    "(SELECT tag_id FROM conversation_tag AS t WHERE t.conversation_id = c.id ORDER BY 1))",
    "postgresql": "coalesce((SELECT ',' || string_agg(tag_id::text, ',' ORDER BY tag_id) || ','"
    " FROM conversation_tag AS t WHERE t.conversation_id = c.id), '')",
}


Rows = list[tuple[Any, ...]]


def _stored_and_recount(
    db: Database, workspace_id: int, stored: str, recount: str
) -> tuple[Rows, Rows]:
    """(the rows of `stored`, the rows of `recount`), both of workspace `:w`, sorted."""
    with db.read_session() as session:
        found = [
            sorted(tuple(r) for r in session.execute(text(sql), {"w": workspace_id}).all())
            for sql in (stored, recount)
        ]
    return found[0], found[1]


def _groups(db: Database, workspace_id: int) -> tuple[Rows, Rows]:
    """(the stored groups, a recount from the conversations and their links), sorted."""
    tags = RECOUNT["sqlite" if db.is_sqlite else "postgresql"]
    stored, recount = _stored_and_recount(
        db,
        workspace_id,
        "SELECT open, state, priority, admin_assignee_id, team_assignee_id, tag_ids, "
        "conversations FROM conversation_group WHERE workspace_id = :w",
        "SELECT c.open, c.state, c.priority, coalesce(c.admin_assignee_id, 0), "
        f"coalesce(c.team_assignee_id, 0), {tags}, count(*) FROM conversation AS c "
        "WHERE c.workspace_id = :w GROUP BY 1, 2, 3, 4, 5, 6",
    )
    for row in stored:  # the key lists the ids in ascending order, as every trigger builds it
        ids = [int(i) for i in row[5].strip(",").split(",") if i]
        assert ids == sorted(ids), row
    return stored, recount


def _hours(db: Database, workspace_id: int) -> tuple[Rows, Rows]:
    """(the stored hour counts, a recount from the conversations), sorted."""
    return _stored_and_recount(
        db,
        workspace_id,
        "SELECT hour, conversations FROM conversation_hour WHERE workspace_id = :w",
        "SELECT created_at / 3600, count(*) FROM conversation WHERE workspace_id = :w GROUP BY 1",
    )


def _rollups(db: Database, workspace_id: int) -> tuple[Rows, Rows]:
    """PostgreSQL: (the stored rollup rows, a recount from the conversations), sorted."""
    return _stored_and_recount(
        db,
        workspace_id,
        "SELECT open, state, priority, team_assignee_id, tag_ids, conversations "
        "FROM conversation_group_rollup WHERE workspace_id = :w",
        "SELECT c.open, c.state, c.priority, coalesce(c.team_assignee_id, 0), "
        f"{RECOUNT['postgresql']}, count(*) FROM conversation AS c "
        "WHERE c.workspace_id = :w GROUP BY 1, 2, 3, 4, 5",
    )


def _assert_rollup_exact(db: Database, workspace_id: int, queries: list[Any]) -> None:
    """The rollup equals a recount, and counts from it equal counts over the rows.

    PostgreSQL only; SQLite has no rollup, and never counts from one.
    """
    nodes = [parse(query, search_fields.FIELDS) for query in queries]
    if db.is_sqlite:
        with db.read_session() as session:
            ctx = search_context(session, workspace_id)
            assert all(search_counts._rollup_count(ctx, node) is None for node in nodes)
        return
    stored, recount = _rollups(db, workspace_id)
    assert stored == recount
    for query, node in zip(queries, nodes, strict=True):
        with db.read_session() as session:
            ctx = search_context(session, workspace_id)
            counting = search_counts._rollup_count(ctx, node)
            if counting is None:  # (it reads the admin assignee)
                assert any(c.field == "admin_assignee_id" for c in conditions(node)), query
                continue
            total, rows = session.execute(counting).one()
        assert rows == len(stored)
        assert total == _rows_count(db, workspace_id, node), query


def _rows_count(db: Database, workspace_id: int, node: Any) -> int:
    with db.read_session() as session:
        ctx = search_context(session, workspace_id)
        rows = (
            select(func.count())
            .select_from(Conversation)
            .where(
                Conversation.workspace_id == workspace_id,
                compile_query(node, search_columns.TARGETS, ctx, search_columns.CUSTOM),
            )
        )
        return int(session.execute(rows).scalar_one())


def _assert_counts_match_rows(
    db: Database, workspace_id: int, queries: list[Any], build: Callable[..., Any]
) -> None:
    """Each query counted by `build` (one of the repository's count paths) as by its rows."""
    for query in queries:
        node = parse(query, search_fields.FIELDS)
        with db.read_session() as session:
            counting = build(search_context(session, workspace_id), node)
            assert counting is not None, query
            counted = session.execute(counting).scalar_one()
        assert counted == _rows_count(db, workspace_id, node), query


def _counts(db: Database, workspace_id: int, query: Any) -> tuple[int, int]:
    """(the count from the groups, the count over the conversations) of one query."""
    node = parse(query, search_fields.FIELDS)
    with db.read_session() as session:
        ctx = search_context(session, workspace_id)
        grouped = search_counts._group_count(ctx, node)
        assert grouped is not None, query
        total, groups = session.execute(grouped).one()
    assert groups == len(_groups(db, workspace_id)[0])
    return int(total), _rows_count(db, workspace_id, node)


def _random_query(rng: random.Random, values: dict[str, list[Any]], depth: int = 0) -> Any:
    """A random query over the group fields: every operator they take, nested twice."""
    if depth < 2 and rng.random() < 0.4:
        items = [_random_query(rng, values, depth + 1) for _ in range(rng.randint(1, 3))]
        return {"operator": rng.choice(("AND", "OR")), "value": items}
    field = rng.choice(sorted(values))
    pool = values[field]
    if field == "tag_ids":
        operator = rng.choice(("=", "!=", "IN", "NIN"))
    elif field == "open":
        operator = rng.choice(("=", "!="))
    elif field in ("state", "priority"):
        operator = rng.choice(("=", "!=", "IN", "NIN", "~", "!~", "^", "$"))
    else:
        operator = rng.choice(("=", "!=", "IN", "NIN", "<", ">"))
    if operator in ("IN", "NIN"):  # (null is no list item)
        items = [v for v in pool if v is not None]
        return _f(field, operator, rng.sample(items, min(len(items), rng.randint(1, 3))))
    value = rng.choice(pool)
    if operator in ("~", "!~", "^", "$"):
        value = value[1:4]
    elif operator in ("<", ">"):
        value = 0 if value is None else value
    return _f(field, operator, value)


def test_group_counts_follow_every_kind_of_write(db: Database, inbox: Inbox) -> None:
    """Groups equal a recount after each write, and group counts equal row counts."""
    admin = str(inbox.admin)
    tags = [make_tag(db, inbox.ws, now=TEST_NOW) for _ in range(3)]
    cids = [inbox.start(f"Conversation {i}") for i in range(6)]
    values: dict[str, list[Any]] = {
        "open": [True, False],
        "state": ["open", "closed", "snoozed"],
        "priority": ["priority", "not_priority"],
        "admin_assignee_id": [inbox.admin, inbox.other_admin, None],
        "team_assignee_id": [inbox.team, None],
        "tag_ids": [str(t) for t in tags] + ["0042", None],
    }
    rng = random.Random(4)
    queries = [_random_query(rng, values) for _ in range(40)]
    queries += [
        _f("tag_ids", "IN", [str(tags[0]), str(tags[1])]),
        {"operator": "AND", "value": [
            _f("open", "=", True),
            {"operator": "OR", "value": [
                _f("priority", "=", "priority"), _f("tag_ids", "=", str(tags[2])),
                _f("team_assignee_id", "=", inbox.team),
            ]},
        ]},
    ]  # fmt: skip

    def prioritise(cid: str) -> None:
        with db.write_session() as session:
            session.execute(
                update(Conversation).where(Conversation.id == int(cid)).values(priority="priority")
            )
            session.commit()

    def untag(cid: str, tag: int) -> None:
        response = inbox.client.request(
            "DELETE", f"/conversations/{cid}/tags/{tag}", json={"admin_id": admin},
            headers=inbox.ws.headers,
        )  # fmt: skip
        assert response.status_code == 200, response.text

    def delete_tag(tag: int) -> None:
        response = inbox.client.delete(f"/tags/{tag}", headers=inbox.ws.headers)
        assert response.status_code == 200, response.text

    def delete_conversation(cid: str) -> None:
        response = inbox.client.delete(f"/conversations/{cid}", headers=inbox.ws.headers)
        assert response.status_code == 200, response.text

    writes = [
        lambda: _tag(inbox, cids[0], tags[0]),
        lambda: _tag(inbox, cids[0], tags[1]),
        lambda: _tag(inbox, cids[1], tags[1]),
        lambda: _tag(inbox, cids[2], tags[2]),
        lambda: _tag(inbox, cids[3], tags[0]),
        lambda: inbox.part(cids[0], {"message_type": "assignment", "type": "admin",
                                     "admin_id": admin, "assignee_id": str(inbox.other_admin)}),
        lambda: inbox.part(cids[1], {"message_type": "assignment", "type": "team",
                                     "admin_id": admin, "assignee_id": str(inbox.team)}),
        lambda: inbox.part(cids[2], {"message_type": "close", "type": "admin", "admin_id": admin}),
        lambda: inbox.part(cids[3], {"message_type": "snoozed", "type": "admin",
                                     "admin_id": admin, "snoozed_until": TEST_NOW + 3600}),
        lambda: inbox.contact_reply(cids[2]),  # reopens it
        lambda: prioritise(cids[4]),
        lambda: untag(cids[0], tags[0]),
        lambda: delete_tag(tags[1]),
        lambda: delete_conversation(cids[3]),
        lambda: inbox.start("One more"),
    ]  # fmt: skip
    for write in writes:
        write()
        stored, recount = _groups(db, inbox.ws.id)
        assert stored == recount
        stored, recount = _hours(db, inbox.ws.id)
        assert stored == recount
        for query in queries:
            grouped, rows = _counts(db, inbox.ws.id, query)
            assert grouped == rows, query
        _assert_rollup_exact(db, inbox.ws.id, queries)
    assert _total(inbox, queries[-1]) == _counts(db, inbox.ws.id, queries[-1])[1]


def test_a_seed_fills_the_groups(db: Database) -> None:
    """The demo loader's bulk inserts (SQLite: INSERT ... SELECT; PostgreSQL: COPY) add up."""
    ws = make_workspace(db, now=TEST_NOW)
    seed_conversations(db, ws.id, 60, now=TEST_NOW, seed=5, workers=0)
    stored, recount = _groups(db, ws.id)
    assert stored == recount
    assert sum(row[-1] for row in stored) == 60
    hours, recount = _hours(db, ws.id)
    assert hours == recount
    _assert_rollup_exact(db, ws.id, [_f("open", "=", True)])


def test_created_at_ranges_count_by_the_hour(db: Database, inbox: Inbox) -> None:
    """A `created_at`-only query counts whole hours from `conversation_hour`: the same total."""
    hour = 3600
    base = (TEST_NOW // hour) * hour - 10 * hour
    times = [base - 1, base, base + 1, base + hour - 1, base + hour, base + 3 * hour + 17,
             base + 5 * hour, base + 5 * hour, base + 9 * hour - 1, 7, hour, hour - 1]  # fmt: skip
    ids = [
        make_conversation(
            db, inbox.ws, ConversationSpec(created_at=t, contact_id=inbox.contact), now=TEST_NOW
        )
        for t in times
    ]
    rng = random.Random(8)
    edges = sorted({t + d for t in times for d in (-1, 0, 1)} | {0, base + 50 * hour})
    queries: list[Any] = [_f("created_at", "=", base + 5 * hour), _f("created_at", ">", base)]
    queries += [_f("created_at", "<", base + 2 * hour), _f("created_at", "<", hour)]
    for _ in range(60):
        low, high = sorted(rng.sample(edges, 2))
        queries.append(
            {"operator": "AND", "value": [_f("created_at", ">", low), _f("created_at", "<", high)]}
        )
    queries.append(
        {"operator": "AND", "value": [_f("created_at", ">", base), _f("created_at", "<", base)]}
    )

    def check() -> None:
        _assert_counts_match_rows(db, inbox.ws.id, queries, search_counts._range_count)
        stored, recount = _hours(db, inbox.ws.id)
        assert stored == recount

    check()
    with db.write_session() as session:  # a redaction-like rewrite of created_at moves an hour
        session.execute(
            update(Conversation).where(Conversation.id == ids[5]).values(created_at=base + 2)
        )
        session.commit()
    check()
    response = inbox.client.delete(f"/conversations/{ids[1]}", headers=inbox.ws.headers)
    assert response.status_code == 200
    check()
    either = {"operator": "OR", "value": queries[:2]}
    with db.read_session() as session:
        ctx = search_context(session, inbox.ws.id)
        assert search_counts._range_count(ctx, parse(either, search_fields.FIELDS)) is None
    assert _total(inbox, queries[1]) == _rows_count(
        db, inbox.ws.id, parse(queries[1], search_fields.FIELDS)
    )


def _write_then_set(db: Database, write: Any, done: threading.Event) -> None:
    with db.engine.connect() as conn:
        write(conn)
        conn.commit()
    done.set()


def test_concurrent_tag_and_state_writes_keep_groups_exact(db: Database, inbox: Inbox) -> None:
    """PostgreSQL: two transactions tagging / closing one conversation at once both count.

    The second waits for the workspace row in its trigger, then reads the first's change.
    """
    if db.is_sqlite:
        pytest.skip("SQLite runs one writer at a time")
    a, b = (make_tag(db, inbox.ws, now=TEST_NOW) for _ in range(2))
    cid = int(inbox.start("Concurrent"))
    link = text(
        "INSERT INTO conversation_tag (conversation_id, tag_id, workspace_id, applied_at) "
        "VALUES (:c, :t, :w, 0)"
    )
    for second in (
        lambda conn: conn.execute(link, {"c": cid, "t": b, "w": inbox.ws.id}),
        lambda conn: conn.execute(
            update(Conversation)
            .where(Conversation.id == cid)
            .values(open=False, state="closed", admin_assignee_id=inbox.admin)
        ),
    ):
        with db.engine.connect() as first:
            first.execute(link, {"c": cid, "t": a, "w": inbox.ws.id})  # holds the workspace
            done = threading.Event()
            thread = threading.Thread(target=_write_then_set, args=(db, second, done))
            thread.start()
            assert not done.wait(0.5), "the second write should wait for the workspace row"
            first.commit()
            thread.join(10)
            assert done.is_set()
        stored, recount = _groups(db, inbox.ws.id)
        assert stored == recount
        stored, recount = _rollups(db, inbox.ws.id)
        assert stored == recount
        with db.write_session() as session:
            session.execute(
                text("DELETE FROM conversation_tag WHERE conversation_id = :c"), {"c": cid}
            )
            session.commit()


def test_text_counts_follow_creates_redactions_and_deletes(db: Database, inbox: Inbox) -> None:
    """PostgreSQL counts text-only queries over `conversation_text`: the same as the rows."""
    if db.is_sqlite:
        pytest.skip("SQLite counts text through its FTS5 index")
    bodies = ("Invoice overdue, refund please", "My invoice is wrong", "Password reset", "")
    cids = [inbox.start(body) for body in bodies if body] + [inbox.start("Refunded twice")]
    queries = [
        _f("source.body", "=", "invoice"),
        _f("source.body", "IN", ["invoice", "password", "two words"]),
        _f("source.body", "!=", "invoice"),
        _f("source.body", "NIN", ["refund", "reset"]),
        _f("source.body", "~", "voic"),
        _f("source.body", "^", "refund"),
        _f("source.body", "$", "und"),
        _f("source.body", "=", None),
        _f("source.subject", "~", "x"),
        {"operator": "OR", "value": [
            _f("source.body", "=", "refund"), _f("source.subject", "=", None),
        ]},
    ]  # fmt: skip

    def check() -> None:
        _assert_counts_match_rows(db, inbox.ws.id, queries, search_counts._text_count)

    check()
    assert _total(inbox, queries[0]) == 2
    source = inbox.get(cids[0])["source"]["id"]
    inbox.post(
        "/conversations/redact", {"type": "source", "conversation_id": cids[0], "source_id": source}
    )
    check()
    assert _total(inbox, queries[0]) == 1
    response = inbox.client.delete(f"/conversations/{cids[1]}", headers=inbox.ws.headers)
    assert response.status_code == 200
    check()
    assert _total(inbox, queries[0]) == 0
    with db.read_session() as session:
        copied = session.execute(
            text("SELECT count(*) FROM conversation_text WHERE workspace_id = :w"),
            {"w": inbox.ws.id},
        ).scalar_one()
    assert copied == len(cids) - 1


def test_counts_without_the_admin_read_the_rollup(db: Database, inbox: Inbox) -> None:
    """PostgreSQL counts group-field queries from the rollup unless they read the admin."""
    tag = make_tag(db, inbox.ws, now=TEST_NOW)
    first, second = inbox.start("One"), inbox.start("Two")
    _tag(inbox, first, tag)
    inbox.part(second, {"message_type": "assignment", "type": "admin",
                        "admin_id": str(inbox.admin), "assignee_id": str(inbox.admin)})  # fmt: skip
    cache = inbox.client.app.state.parlour.count_cache  # type: ignore[attr-defined]
    read = {"rollup": (inbox.ws.id, "rollup"), "groups": (inbox.ws.id, "groups")}
    by_tag = {"operator": "AND", "value": [_f("tag_ids", "IN", [str(tag)]), _f("open", "=", True)]}
    assert _total(inbox, by_tag) == 1
    assert _total(inbox, _f("admin_assignee_id", "=", inbox.admin)) == 1
    if db.is_sqlite:
        assert cache.get(read["rollup"]) is None
        assert cache.get(read["groups"]) is not None
    else:
        assert cache.get(read["rollup"]) == len(_rollups(db, inbox.ws.id)[0])
        assert cache.get(read["groups"]) == len(_groups(db, inbox.ws.id)[0])
    # A workspace whose rollup once read too many rows counts from the groups: the same.
    cache.put(read["rollup"], search_counts.MAX_GROUPS + 1)
    inbox.start("Three")
    assert _total(inbox, by_tag) == 1
    assert _total(inbox, _f("tag_ids", "=", None)) == 2
