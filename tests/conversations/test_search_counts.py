"""Search counts: cached until a write changes what the query reads, and counted exactly.

The workspace's per-field-group versions (migration 0007's triggers) key the count cache:
each write must move the versions of what it changed and leave the others alone, on
SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, text, update

from parlour.conversations import repository, search_fields
from parlour.db.models import Conversation, Workspace
from parlour.db.session import Database
from parlour.search.query import digest, parse
from tests.conftest import TEST_NOW
from tests.conversations.conftest import Inbox
from tests.factories import make_tag

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
        return repository.search_count_key(session, inbox.ws.id, node, digest(node))


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
