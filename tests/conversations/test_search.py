"""POST /conversations/search: fields, text rules, pages, cursors, errors, isolation, indexes."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from parlour.db.session import Database
from tests.conftest import TEST_NOW
from tests.conversations.conftest import Inbox
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
    make_tag,
    make_team,
)

T0 = TEST_NOW - 86_400


def _search(
    client: TestClient, ws: Workspace, query: Any, status: int = 200, **extra: Any
) -> dict[str, Any]:
    response = client.post(
        "/conversations/search", json={"query": query, **extra}, headers=ws.headers
    )
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def _ids(client: TestClient, ws: Workspace, query: Any) -> set[str]:
    body = _search(client, ws, query, pagination={"per_page": 150})
    assert "next" not in body["pages"]
    return {c["id"] for c in body["conversations"]}


def _f(field: str, operator: str, value: Any) -> dict[str, Any]:
    return {"field": field, "operator": operator, "value": value}


def _error(body: dict[str, Any]) -> dict[str, Any]:
    assert body["type"] == "error.list" and body["request_id"]
    assert len(body["errors"]) == 1
    return body["errors"][0]  # type: ignore[no-any-return]


def _conv(db: Database, ws: Workspace, **spec: Any) -> str:
    spec.setdefault("created_at", T0)
    return str(make_conversation(db, ws, ConversationSpec(**spec), now=TEST_NOW))


def test_intercoms_example_request(client: TestClient, db: Database, workspace: Workspace) -> None:
    contact = make_contact(db, workspace, now=T0)
    made = [_conv(db, workspace, contact_id=contact, created_at=T0 + i) for i in range(7)]
    body = _search(
        client,
        workspace,
        {"operator": "AND", "value": [_f("created_at", ">", "1306054154")]},
        pagination={"per_page": 5},
    )
    assert body["type"] == "conversation.list"
    assert body["total_count"] == 7
    assert [c["id"] for c in body["conversations"]] == made[::-1][:5]  # newest created first
    assert body["pages"]["type"] == "pages"
    assert body["pages"]["page"] == 1 and body["pages"]["per_page"] == 5
    assert body["pages"]["total_pages"] == 2
    assert set(body["pages"]["next"]) == {"page", "starting_after"}
    assert all("conversation_parts" not in c for c in body["conversations"])


def test_source_body_matches_word_by_word(
    client: TestClient, db: Database, workspace: Workspace
) -> None:
    """The spec's own example: `= support` finds "I need support", `= need support` does not."""
    contact = make_contact(db, workspace, now=T0)
    needs = _conv(db, workspace, contact_id=contact, body="<p>I need <b>Support</b>!</p>")
    other = _conv(db, workspace, contact_id=contact, body="<p>Supporting docs attached</p>")

    def ids(operator: str, value: Any) -> set[str]:
        return _ids(client, workspace, _f("source.body", operator, value))

    assert ids("=", "support") == {needs}
    assert ids("=", "SUPPORT!") == {needs}  # one word once folded and stripped
    assert ids("=", "need support") == set()
    assert ids("~", "PORT") == {needs, other}
    assert ids("^", "supp") == {needs, other}
    assert ids("$", "ing") == {other}
    assert ids("$", "port") == {needs}
    assert ids("!=", "support") == {other}
    assert ids("!~", "doc") == {needs}
    assert ids("IN", ["attached", "nothing"]) == {other}
    assert ids("NIN", ["attached", "need"]) == set()
    assert ids("~", "b>") == set()  # markup is not text


def test_text_is_caseless_for_unicode(
    client: TestClient, db: Database, workspace: Workspace
) -> None:
    contact = make_contact(db, workspace, now=T0)
    greek = _conv(db, workspace, contact_id=contact, subject="ΟΔΟΣ Ünïcode", body="<p>ΟΔΟΣ</p>")
    german = _conv(db, workspace, contact_id=contact, subject="Straße", body="<p>STRASSE naïve</p>")
    decomposed = _conv(db, workspace, contact_id=contact, subject="cafe\u0301", body="<p>é</p>")

    def ids(field: str, operator: str, value: str) -> set[str]:
        return _ids(client, workspace, _f(field, operator, value))

    assert ids("source.subject", "~", "οδος") == {greek}  # final sigma folds like any sigma
    assert ids("source.subject", "^", "ΟΔΟς") == {greek}
    assert ids("source.subject", "$", "ÜNÏCODE") == {greek}
    assert ids("source.subject", "=", "STRASSE") == {german}  # ß folds to ss
    assert ids("source.subject", "=", "CAFÉ") == {decomposed}  # composed or not
    assert ids("source.body", "=", "straße") == {german}
    assert ids("source.body", "=", "NAÏVE") == {german}
    assert ids("source.body", "=", "e\u0301") == {decomposed}
    assert ids("source.body", "~", "δο") == {greek}


def test_people_tags_and_assignment(client: TestClient, db: Database, workspace: Workspace) -> None:
    alice = make_admin(db, workspace, now=T0, name="Alice Ünal")
    bob = make_admin(db, workspace, now=T0, name="Bob")
    team = make_team(db, workspace, now=T0, admin_ids=[alice, bob])
    ann = make_contact(db, workspace, now=T0, email="Ann@Example.COM", name="Ann")
    ben = make_contact(db, workspace, now=T0, email="ben@example.com")
    vip, bug = make_tag(db, workspace, now=T0), make_tag(db, workspace, now=T0)
    alice_open = _conv(
        db, workspace, contact_id=ann, tag_ids=[vip],
        events=[assign(alice, T0 + 1, "admin", alice), admin_says(alice, T0 + 2)],
    )  # fmt: skip
    alice_closed = _conv(
        db, workspace, contact_id=ben, tag_ids=[vip, bug],
        events=[assign(alice, T0 + 1, "admin", alice), close(alice, T0 + 3)],
    )  # fmt: skip
    team_only = _conv(db, workspace, contact_id=ben, events=[assign(bob, T0 + 1, "team", team)])
    by_bob = _conv(db, workspace, admin_initiated_by=bob, contact_id=ann)

    def ids(query: Any) -> set[str]:
        return _ids(client, workspace, query)

    open_alice = {
        "operator": "AND",
        "value": [_f("open", "=", True), _f("admin_assignee_id", "=", alice)],
    }
    assert ids(open_alice) == {alice_open}
    assert ids(_f("admin_assignee_id", "=", str(alice))) == {alice_open, alice_closed}
    assert ids(_f("admin_assignee_id", "=", None)) == {team_only, by_bob}
    assert ids(_f("admin_assignee_id", "!=", alice)) == {team_only, by_bob}
    assert ids(_f("team_assignee_id", "=", team)) == {team_only}
    assert ids(_f("tag_ids", "IN", [str(bug), "999999"])) == {alice_closed}
    assert ids(_f("tag_ids", "=", vip)) == {alice_open, alice_closed}
    assert ids(_f("tag_ids", "NIN", [vip])) == {team_only, by_bob}
    assert ids(_f("tag_ids", "=", None)) == {team_only, by_bob}
    assert ids(_f("tag_ids", "=", f"0{vip}")) == set()  # ids compare exactly
    assert ids(_f("contact_ids", "=", ann)) == {alice_open, by_bob}
    assert ids(_f("teammate_ids", "=", str(alice))) == {alice_open, alice_closed}
    assert ids(_f("source.author.email", "=", "ANN@example.com")) == {alice_open}
    everyone = {alice_open, alice_closed, team_only, by_bob}  # admins' emails end so too
    assert ids(_f("source.author.email", "$", "EXAMPLE.COM")) == everyone
    assert ids(_f("source.author.name", "^", "bo")) == {by_bob}
    assert ids(_f("source.author.name", "=", None)) == {alice_closed, team_only}  # ben has none
    assert ids(_f("source.author.type", "=", "admin")) == {by_bob}
    assert ids(_f("source.delivered_as", "=", "admin_initiated")) == {by_bob}
    # An outbound message nobody answered is closed (conversations/state.py).
    assert ids(_f("state", "IN", ["closed", "snoozed"])) == {alice_closed, by_bob}
    assert ids(_f("statistics.last_closed_by_id", "=", alice)) == {alice_closed}
    assert ids(_f("statistics.count_assignments", ">=", 1)) == {alice_open, alice_closed, team_only}
    assert ids(_f("id", "IN", [alice_open, int(by_bob), "nope"])) == {alice_open, by_bob}
    nested = {
        "operator": "OR",
        "value": [
            {"operator": "AND", "value": [_f("open", "=", False), _f("tag_ids", "=", bug)]},
            _f("source.author.type", "=", "admin"),
            _f("team_assignee_id", "=", team),
        ],
    }
    assert ids(nested) == {alice_closed, by_bob, team_only}


def test_dates_ratings_custom_attributes_and_constants(
    client: TestClient, db: Database, workspace: Workspace
) -> None:
    admin = make_admin(db, workspace, now=T0)
    contact = make_contact(db, workspace, now=T0)
    early = _conv(
        db,
        workspace,
        contact_id=contact,
        created_at=T0,
        custom_attributes={"Plan": "Pro", "Seats": 3},
    )
    middle = _conv(
        db, workspace, contact_id=contact, created_at=T0 + 10,
        custom_attributes={"Plan": "PRO plan", "Seats": 12.5, "VIP": True},
        rating=(5, "Très bien", admin),
    )  # fmt: skip
    late = _conv(
        db, workspace, contact_id=contact, created_at=T0 + 20,
        custom_attributes={"Plan": None, "Seats": "3"}, rating=(2, None, None),
        events=[contact_says(contact, T0 + 30)],
    )  # fmt: skip

    def ids(query: Any) -> set[str]:
        return _ids(client, workspace, query)

    assert ids(_f("created_at", ">", T0 + 10)) == {late}  # strict
    assert ids(_f("created_at", ">=", T0 + 10)) == {middle, late}
    assert ids(_f("created_at", "<", str(T0 + 10))) == {early}
    range_query = {
        "operator": "AND",
        "value": [_f("created_at", ">", T0), _f("created_at", "<", T0 + 20)],
    }
    assert ids(range_query) == {middle}
    assert ids(_f("updated_at", "=", T0 + 30)) == {late}
    assert ids(_f("conversation_rating.score", ">", 2)) == {middle}
    assert ids(_f("conversation_rating.remark", "~", "TRÈS")) == {middle}
    assert ids(_f("conversation_rating.admin_d", "=", str(admin))) == {middle}
    assert ids(_f("conversation_rating.replied_at", "=", None)) == {early}
    assert ids(_f("custom_attributes.Plan", "~", "pro")) == {early, middle}
    assert ids(_f("custom_attributes.Plan", "=", None)) == {late}
    assert ids(_f("custom_attributes.Seats", ">", 3)) == {middle}  # "3" is a string
    assert ids(_f("custom_attributes.Seats", "=", "3")) == {late}
    assert ids(_f("custom_attributes.VIP", "=", True)) == {middle}
    assert ids(_f("custom_attributes.VIP", "!=", True)) == {early, late}
    assert ids(_f("custom_attributes.Nope", "=", None)) == {early, middle, late}
    assert ids(_f("ai_agent_participated", "=", False)) == {early, middle, late}
    assert ids(_f("ai_agent.rating", ">", 0)) == set()
    assert ids(_f("conversation_rating.requested_at", "=", None)) == {early, middle, late}


def test_pages_walk_every_match_once(
    client: TestClient, db: Database, workspace: Workspace
) -> None:
    contact = make_contact(db, workspace, now=T0)
    made = [_conv(db, workspace, contact_id=contact, created_at=T0 + i % 3) for i in range(9)]
    query = _f("open", "=", True)
    seen: list[str] = []
    pages = []
    body = _search(client, workspace, query, pagination={"per_page": 4})
    while True:
        seen += [c["id"] for c in body["conversations"]]
        pages.append(body["pages"])
        if "next" not in body["pages"]:
            break
        cursor = body["pages"]["next"]["starting_after"]
        body = _search(
            client, workspace, query, pagination={"per_page": 4, "starting_after": cursor}
        )
    assert sorted(seen) == sorted(made) and len(seen) == len(set(seen))
    assert [p["page"] for p in pages] == [1, 2, 3]
    assert all(p["total_pages"] == 3 for p in pages)
    # Ties on created_at are broken by id, newest first.
    created = {cid: T0 + i % 3 for i, cid in enumerate(made)}
    assert seen == sorted(made, key=lambda cid: (created[cid], int(cid)), reverse=True)


def test_default_and_maximum_per_page(
    client: TestClient, db: Database, workspace: Workspace
) -> None:
    contact = make_contact(db, workspace, now=T0)
    for i in range(21):
        _conv(db, workspace, contact_id=contact, created_at=T0 + i)
    body = _search(client, workspace, _f("open", "=", True))
    assert len(body["conversations"]) == 20 and body["pages"]["per_page"] == 20
    assert (
        _search(client, workspace, _f("open", "=", True), pagination=None)["pages"]["per_page"]
        == 20
    )
    assert (
        _search(client, workspace, _f("open", "=", True), pagination={"per_page": 150})[
            "total_count"
        ]
        == 21
    )


@pytest.mark.parametrize("per_page", [0, 151, -1, "abc", 2.5, True, [5]])
def test_bad_per_page(client: TestClient, workspace: Workspace, per_page: Any) -> None:
    body = _search(client, workspace, _f("open", "=", True), 400, pagination={"per_page": per_page})
    assert _error(body) == {
        "code": "parameter_invalid",
        "message": "per_page must be an integer between 1 and 150",
        "field": "pagination.per_page",
    }


def test_cursor_is_bound_to_its_query_and_workspace(
    client: TestClient, db: Database, workspace: Workspace, other_workspace: Workspace
) -> None:
    contact = make_contact(db, workspace, now=T0)
    for i in range(3):
        _conv(db, workspace, contact_id=contact, created_at=T0 + i)
    query = _f("open", "=", True)
    cursor = _search(client, workspace, query, pagination={"per_page": 1})["pages"]["next"][
        "starting_after"
    ]
    other_query = _search(
        client, workspace, _f("open", "!=", False), 400,
        pagination={"per_page": 1, "starting_after": cursor},
    )  # fmt: skip
    assert _error(other_query)["field"] == "starting_after"
    assert "another query" in _error(other_query)["message"]
    foreign = _search(client, other_workspace, query, 400, pagination={"starting_after": cursor})
    assert _error(foreign)["message"] == "starting_after is not a valid cursor"
    tampered = _search(
        client, workspace, query, 400, pagination={"starting_after": cursor[:-3] + "AAA"}
    )
    assert _error(tampered)["code"] == "parameter_invalid"
    # A search cursor is not a list cursor and the other way round.
    listed = client.get(
        "/conversations", params={"starting_after": cursor}, headers=workspace.headers
    )
    assert listed.status_code == 400
    list_cursor = client.get(
        "/conversations", params={"per_page": 1}, headers=workspace.headers
    ).json()["pages"]["next"]["starting_after"]
    _search(client, workspace, query, 400, pagination={"starting_after": list_cursor})
    # null and "" mean no cursor.
    assert (
        _search(client, workspace, query, pagination={"starting_after": None})["pages"]["page"] == 1
    )
    assert (
        _search(client, workspace, query, pagination={"starting_after": ""})["pages"]["page"] == 1
    )


def test_pages_are_stable_under_concurrent_writes(inbox: Inbox) -> None:
    """Rows that still match are never repeated or skipped, whatever is written between pages."""
    started = []
    for i in range(10):
        inbox.clock.now = TEST_NOW + i
        started.append(inbox.start(f"Problem number {i}"))
    query = {"operator": "AND", "value": [_f("source.body", "=", "problem"), _f("open", "=", True)]}
    first = _search(inbox.client, inbox.ws, query, pagination={"per_page": 4})
    seen = [c["id"] for c in first["conversations"]]
    inbox.clock.now = TEST_NOW + 100
    for cid in started:  # every conversation is updated (updated_at moves) and still matches
        inbox.admin_reply(cid, "On it")
    newer = inbox.start("Another problem")  # created after the cursor: sorts before it
    body = first
    while "next" in body["pages"]:
        cursor = body["pages"]["next"]["starting_after"]
        body = _search(
            inbox.client, inbox.ws, query, pagination={"per_page": 4, "starting_after": cursor}
        )
        seen += [c["id"] for c in body["conversations"]]
    assert len(seen) == len(set(seen)), "no duplicates"
    assert sorted(seen) == sorted(started), "no skips; the newer one is on page 1 next time"
    assert body["total_count"] == 11  # counts follow the writes
    assert newer in {c["id"] for c in _search(inbox.client, inbox.ws, query)["conversations"]}


def test_text_index_follows_writes(inbox: Inbox) -> None:
    """Created, redacted and deleted sources are found, then not (SQLite triggers, folding)."""
    cid = inbox.start("My PRINTER is on fire")

    def found(word: str) -> bool:
        return cid in _ids(inbox.client, inbox.ws, _f("source.body", "=", word))

    assert found("printer") and found("FIRE")
    source_id = inbox.get(cid)["source"]["id"]
    inbox.post(
        "/conversations/redact", {"type": "source", "conversation_id": cid, "source_id": source_id}
    )
    assert not found("printer")
    cid = inbox.start("Scanner jammed")
    assert found("scanner")
    response = inbox.client.delete(f"/conversations/{cid}", headers=inbox.ws.headers)
    assert response.status_code == 200
    assert not found("scanner")


def test_workspaces_never_see_each_other(
    client: TestClient, db: Database, workspace: Workspace, other_workspace: Workspace
) -> None:
    contact = make_contact(db, workspace, now=T0)
    tag = make_tag(db, workspace, now=T0)
    _conv(db, workspace, contact_id=contact, tag_ids=[tag], body="<p>secret</p>")
    assert _ids(client, other_workspace, _f("source.body", "=", "secret")) == set()
    assert _ids(client, other_workspace, _f("tag_ids", "=", tag)) == set()
    assert _ids(client, other_workspace, _f("contact_ids", "=", contact)) == set()
    assert _search(client, other_workspace, _f("open", "=", True))["total_count"] == 0


@pytest.mark.parametrize(
    ("payload", "status", "code", "field"),
    [
        ({}, 400, "parameter_not_found", "query"),
        ({"query": None}, 400, "parameter_not_found", "query"),
        ({"query": []}, 400, "parameter_invalid", "query"),
        ({"query": _f("bogus", "=", 1)}, 400, "parameter_invalid", "query.field"),
        ({"query": _f("open", "LIKE", 1)}, 400, "parameter_invalid", "query.operator"),
        ({"query": _f("created_at", "=", "yesterday")}, 400, "parameter_invalid", "query.value"),
        ({"query": {"operator": "AND", "value": [_f("open", "=", True)] * 16}}, 400,
         "parameter_invalid", "query.value"),
        ({"query": {"operator": "AND", "value": [{"operator": "OR", "value": [
            {"operator": "AND", "value": [_f("open", "=", True)]}]}]}}, 400, "parameter_invalid",
         "query.value[0].value[0]"),
        ({"query": _f("open", "=", True), "pagination": "x"}, 400, "parameter_invalid",
         "pagination"),
        ({"query": _f("open", "=", True), "pagination": {"starting_after": 5}}, 400,
         "parameter_invalid", "pagination.starting_after"),
        ({"query": _f("state", "=", "open'; DROP TABLE conversation; --")}, 200, None, None),
        ({"query": _f("source.body", "~", "%_\\\"*")}, 200, None, None),
        ({"query": _f("custom_attributes.x') OR 1=1 --", "=", "a")}, 200, None, None),
        ({"query": _f("custom_attributes.a\"b", "=", "a")}, 400, "parameter_invalid",
         "query.field"),
    ],
)  # fmt: skip
def test_bad_input_is_a_400_naming_it_and_never_a_500(
    client: TestClient,
    db: Database,
    workspace: Workspace,
    payload: dict[str, Any],
    status: int,
    code: str | None,
    field: str | None,
) -> None:
    contact = make_contact(db, workspace, now=T0)
    _conv(db, workspace, contact_id=contact, body="<p>100% done_ok</p>")
    response = client.post("/conversations/search", json=payload, headers=workspace.headers)
    assert response.status_code == status, response.text
    if code is None:
        assert response.json()["total_count"] == 0
        return
    error = _error(response.json())
    assert error["code"] == code and error["field"] == field and error["message"]
    # Nothing was written, and the data is still there.
    assert client.get("/conversations", headers=workspace.headers).json()["total_count"] == 1


def test_body_must_be_a_json_object(client: TestClient, workspace: Workspace) -> None:
    for content in (b"", b"not json", b"[1]"):
        response = client.post("/conversations/search", content=content, headers=workspace.headers)
        assert response.status_code == 400
        assert _error(response.json())["field"] == "body"
    unauthorized = client.post("/conversations/search", json={"query": _f("open", "=", True)})
    assert unauthorized.status_code == 401


def test_like_wildcards_are_literal(client: TestClient, db: Database, workspace: Workspace) -> None:
    contact = make_contact(db, workspace, now=T0)
    percent = _conv(db, workspace, contact_id=contact, subject="100% sure_thing/ok")
    _conv(db, workspace, contact_id=contact, subject="1000 surely")
    assert _ids(client, workspace, _f("source.subject", "~", "0%")) == {percent}
    assert _ids(client, workspace, _f("source.subject", "~", "e_t")) == {percent}
    assert _ids(client, workspace, _f("source.subject", "$", "/ok")) == {percent}
    assert _ids(client, workspace, _f("source.subject", "^", "100%")) == {percent}
    quoted = _conv(db, workspace, contact_id=contact, subject='He said "hi" AND ok*')
    assert _ids(client, workspace, _f("source.subject", "~", '"HI" and')) == {quoted}
    assert _ids(client, workspace, _f("source.subject", "$", "ok*")) == {quoted}


def test_legacy_versions_get_the_same_cursor_pages(
    client: TestClient, db: Database, workspace: Workspace
) -> None:
    contact = make_contact(db, workspace, now=T0)
    for i in range(3):
        _conv(db, workspace, contact_id=contact, created_at=T0 + i)
    response = client.post(
        "/conversations/search",
        json={"query": _f("open", "=", True), "pagination": {"per_page": 2}},
        headers={**workspace.headers, "Intercom-Version": "1.4"},
    )
    assert response.status_code == 200
    assert set(response.json()["pages"]["next"]) == {"page", "starting_after"}
