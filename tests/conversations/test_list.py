"""GET /conversations: every rule of the seed page, both pagination styles, the legacy filters."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import update
from starlette.testclient import TestClient

from parlour.db.models import Conversation
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
    make_workspace,
    note,
    snooze,
)

T0 = TEST_NOW - 86_400


def _list(client: TestClient, ws: Workspace, **params: Any) -> dict[str, Any]:
    response = client.get("/conversations", params=params, headers=ws.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _ids(body: dict[str, Any]) -> list[str]:
    return [c["id"] for c in body["conversations"]]


def _error(response: Any) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    assert body["type"] == "error.list"
    assert body["request_id"]
    return body["errors"][0]  # type: ignore[no-any-return]


def _cursor_refused(client: TestClient, ws: Workspace, cursor: str) -> str:
    """The message of the 400 `parameter_invalid` a list answers `starting_after=cursor`."""
    response = client.get("/conversations", params={"starting_after": cursor}, headers=ws.headers)
    assert response.status_code == 400
    error = _error(response)
    assert (error["code"], error["field"]) == ("parameter_invalid", "starting_after")
    return str(error["message"])


def _simple(db: Database, ws: Workspace, contact: str, created: int, updated: int) -> str:
    events = [contact_says(contact, updated)] if updated > created else []
    return str(
        make_conversation(
            db,
            ws,
            ConversationSpec(created_at=created, contact_id=contact, events=events),
            now=TEST_NOW,
        )
    )


@pytest.fixture
def three(db: Database, workspace: Workspace) -> list[str]:
    """Three conversations whose created_at and updated_at orders differ."""
    contact = make_contact(db, workspace, now=T0, email="ann@example.com")
    return [
        _simple(db, workspace, contact, T0 + 10, T0 + 500),
        _simple(db, workspace, contact, T0 + 20, T0 + 300),
        _simple(db, workspace, contact, T0 + 30, T0 + 400),
    ]


def test_default_is_updated_at_descending(
    client: TestClient, workspace: Workspace, three: list[str]
) -> None:
    body = _list(client, workspace)
    assert body["type"] == "conversation.list"
    assert _ids(body) == [three[0], three[2], three[1]]
    assert body["total_count"] == 3


def test_order_asc_and_desc(client: TestClient, workspace: Workspace, three: list[str]) -> None:
    assert _ids(_list(client, workspace, order="asc")) == [three[1], three[2], three[0]]
    assert _ids(_list(client, workspace, order="desc")) == [three[0], three[2], three[1]]


@pytest.mark.parametrize("value", ["DESC", "sideways", "", "1", "ascending"])
def test_any_invalid_order_falls_back_to_asc(
    client: TestClient, workspace: Workspace, three: list[str], value: str
) -> None:
    assert _ids(_list(client, workspace, order=value)) == [three[1], three[2], three[0]]


def test_sort_created_at(client: TestClient, workspace: Workspace, three: list[str]) -> None:
    assert _ids(_list(client, workspace, sort="created_at")) == [three[2], three[1], three[0]]
    assert _ids(_list(client, workspace, sort="created_at", order="asc")) == three


def test_invalid_sort_is_a_400(client: TestClient, workspace: Workspace) -> None:
    response = client.get("/conversations", params={"sort": "priority"}, headers=workspace.headers)
    assert response.status_code == 400
    error = _error(response)
    assert error["code"] == "parameter_invalid"
    assert error["field"] == "sort"
    assert "created_at, updated_at, waiting_since" in error["message"]


def test_list_items_carry_no_parts_but_retrieve_does(
    client: TestClient, workspace: Workspace, three: list[str]
) -> None:
    body = _list(client, workspace)
    assert all("conversation_parts" not in c for c in body["conversations"])
    one = client.get(f"/conversations/{three[0]}", headers=workspace.headers).json()
    assert one["conversation_parts"]["type"] == "conversation_part.list"
    assert one["conversation_parts"]["total_count"] == 1


def test_waiting_since_excludes_teammate_last_and_closed(
    client: TestClient, db: Database, workspace: Workspace
) -> None:
    admin = make_admin(db, workspace, now=T0)
    contact = make_contact(db, workspace, now=T0)

    def conv(created: int, events: list[Any]) -> str:
        spec = ConversationSpec(created_at=created, contact_id=contact, events=events)
        return str(make_conversation(db, workspace, spec, now=TEST_NOW))

    waiting_new = conv(T0, [])  # contact opened, nobody answered: waiting since T0
    answered = conv(T0 + 1, [admin_says(admin, T0 + 50)])
    waiting_again = conv(
        T0 + 2, [admin_says(admin, T0 + 20), contact_says(contact, T0 + 30), note(admin, T0 + 40)]
    )
    closed = conv(T0 + 3, [close(admin, T0 + 10)])
    snoozed = conv(T0 + 4, [snooze(admin, T0 + 5, TEST_NOW + 3600)])

    body = _list(client, workspace, sort="waiting_since", order="asc")
    assert _ids(body) == [waiting_new, snoozed, waiting_again]
    assert answered not in _ids(body) and closed not in _ids(body)
    assert body["total_count"] == 3
    assert [c["waiting_since"] for c in body["conversations"]] == [T0, T0 + 4, T0 + 30]
    desc = _list(client, workspace, sort="waiting_since")
    assert _ids(desc) == [waiting_again, snoozed, waiting_new]


def test_pages_in_cursor_style(client: TestClient, db: Database, workspace: Workspace) -> None:
    contact = make_contact(db, workspace, now=T0)
    made = {_simple(db, workspace, contact, T0 + i, T0 + i) for i in range(7)}
    seen: list[str] = []
    body = _list(client, workspace, per_page=3)
    pages = [body["pages"]]
    seen += _ids(body)
    while "next" in body["pages"]:
        nxt = body["pages"]["next"]
        assert set(nxt) == {"page", "starting_after"}
        body = _list(client, workspace, per_page=3, starting_after=nxt["starting_after"])
        pages.append(body["pages"])
        seen += _ids(body)
    assert sorted(seen) == sorted(made) and len(seen) == len(set(seen))
    assert [p["page"] for p in pages] == [1, 2, 3]
    assert all(p["total_pages"] == 3 and p["per_page"] == 3 and p["type"] == "pages" for p in pages)
    assert "next" not in pages[-1]


def test_per_page_defaults_to_20(client: TestClient, db: Database, workspace: Workspace) -> None:
    contact = make_contact(db, workspace, now=T0)
    for i in range(21):
        _simple(db, workspace, contact, T0 + i, T0 + i)
    body = _list(client, workspace)
    assert len(body["conversations"]) == 20
    assert body["pages"]["per_page"] == 20
    assert body["pages"]["next"]["page"] == 2


@pytest.mark.parametrize("value", ["0", "151", "-1", "abc", "2.5", "99999999999999999999"])
def test_per_page_out_of_range_is_a_400(
    client: TestClient, workspace: Workspace, value: str
) -> None:
    response = client.get("/conversations", params={"per_page": value}, headers=workspace.headers)
    assert response.status_code == 400
    error = _error(response)
    assert error == {
        "code": "parameter_invalid",
        "message": "per_page must be an integer between 1 and 150",
        "field": "per_page",
    }


def test_per_page_150_is_allowed(client: TestClient, workspace: Workspace) -> None:
    assert _list(client, workspace, per_page=150)["pages"]["per_page"] == 150


def test_cursor_survives_inserts_and_updates_between_pages(
    client: TestClient, db: Database, workspace: Workspace
) -> None:
    contact = make_contact(db, workspace, now=T0)
    original = [_simple(db, workspace, contact, T0 + i, T0 + i) for i in range(10)]
    first = _list(client, workspace, per_page=4)
    # New conversations arrive (newest updated_at: they sort before the cursor) meanwhile.
    for i in range(5):
        _simple(db, workspace, contact, T0 + 100 + i, T0 + 100 + i)
    seen = _ids(first)
    body = first
    while "next" in body["pages"]:
        body = _list(
            client, workspace, per_page=4, starting_after=body["pages"]["next"]["starting_after"]
        )
        seen += _ids(body)
    assert len(seen) == len(set(seen)), "no duplicates"
    assert sorted(seen) == sorted(original), "no skips, and rows before the cursor stay there"


@pytest.mark.parametrize("cursor", ["garbage", "a.b", "", "x" * 5000, "e30.AAAAAAAAAAAAAAAAAAAAAA"])
def test_bad_cursor_is_a_400(client: TestClient, workspace: Workspace, cursor: str) -> None:
    response = client.get(
        "/conversations", params={"starting_after": cursor}, headers=workspace.headers
    )
    if cursor == "":
        assert response.status_code == 200
        return
    assert response.status_code == 400
    assert _error(response)["field"] == "starting_after"


def test_tampered_and_foreign_cursors_are_rejected(
    client: TestClient, db: Database, workspace: Workspace, other_workspace: Workspace
) -> None:
    contact = make_contact(db, workspace, now=T0)
    for i in range(3):
        _simple(db, workspace, contact, T0 + i, T0 + i)
    cursor = _list(client, workspace, per_page=1)["pages"]["next"]["starting_after"]
    body, signature = cursor.split(".")
    flipped = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1]
    tampered = client.get(
        "/conversations",
        params={"starting_after": f"{flipped}.{signature}"},
        headers=workspace.headers,
    )
    assert tampered.status_code == 400
    foreign = _cursor_refused(client, other_workspace, cursor)
    assert foreign == "starting_after is not a valid cursor"


def test_cursor_carries_its_query_and_rejects_a_different_one(
    client: TestClient, db: Database, workspace: Workspace, three: list[str]
) -> None:
    first = _list(client, workspace, per_page=1, sort="created_at", order="asc")
    cursor = first["pages"]["next"]["starting_after"]
    # Without sort/order the cursor's own query applies.
    assert _ids(_list(client, workspace, per_page=1, starting_after=cursor)) == [three[1]]
    mismatch = client.get(
        "/conversations",
        headers=workspace.headers,
        params={"per_page": 1, "starting_after": cursor, "sort": "updated_at"},
    )
    assert mismatch.status_code == 400
    assert _error(mismatch)["field"] == "starting_after"


def test_a_run_of_ties_grown_behind_the_position_still_pages_exactly(
    client: TestClient, db: Database, workspace: Workspace
) -> None:
    """A cursor knows of one tie before its position; a row takes the value since, before
    it: the page after it still starts right after the position (two seeks, not one)."""
    contact = make_contact(db, workspace, now=T0)
    first = _simple(db, workspace, contact, T0, T0 + 1)  # the smallest id
    run = [_simple(db, workspace, contact, T0, T0 + 5) for _ in range(4)]
    later = [_simple(db, workspace, contact, T0, T0 + v) for v in (6, 7)]
    page = _list(client, workspace, per_page=2, order="asc")
    assert _ids(page) == [first, run[0]]
    cursor = page["pages"]["next"]["starting_after"]
    codec = client.app.state.parlour.cursor_codec  # type: ignore[attr-defined]
    assert codec.decode(cursor, workspace_id=workspace.id).ties == 1
    with db.engine.begin() as conn:
        conn.execute(
            update(Conversation).where(Conversation.id == int(first)).values(updated_at=T0 + 5)
        )
    seen: list[str] = []
    body = _list(client, workspace, per_page=2, starting_after=cursor)
    seen += _ids(body)
    while "next" in body["pages"]:
        body = _list(
            client, workspace, per_page=2, starting_after=body["pages"]["next"]["starting_after"]
        )
        seen += _ids(body)
    assert seen == run[1:] + later  # `first` moved behind the position: not shown again


def test_cursors_of_a_search_or_of_contacts_are_refused(
    client: TestClient, db: Database, workspace: Workspace, three: list[str]
) -> None:
    """Signed by this server for this workspace, but for another list: never a page of it."""
    make_contact(db, workspace, now=T0, email="bo@example.com")
    search = client.post(
        "/conversations/search",
        json={"query": {"field": "open", "operator": "=", "value": True},
              "pagination": {"per_page": 1}},
        headers=workspace.headers,
    )  # fmt: skip
    contacts = client.get("/contacts", params={"per_page": 1}, headers=workspace.headers)
    for response in (search, contacts):
        assert response.status_code == 200, response.text
        cursor = response.json()["pages"]["next"]["starting_after"]
        assert _cursor_refused(client, workspace, cursor) == (
            "starting_after belongs to another list or a search, not to this list"
        )


def test_legacy_versions_get_numbered_pages(
    client: TestClient, db: Database, workspace: Workspace
) -> None:
    contact = make_contact(db, workspace, now=T0)
    made = [_simple(db, workspace, contact, T0 + i, T0 + i) for i in range(5)]
    headers = {**workspace.headers, "Intercom-Version": "1.4"}
    response = client.get("/conversations", params={"per_page": 2}, headers=headers)
    body = response.json()
    assert body["pages"]["type"] == "pages"
    assert body["pages"]["page"] == 1 and body["pages"]["total_pages"] == 3
    assert isinstance(body["pages"]["next"], str)
    assert body["pages"]["next"].startswith("http://testserver/conversations?")
    assert "page=2" in body["pages"]["next"] and "per_page=2" in body["pages"]["next"]
    seen = _ids(body)
    while body["pages"]["next"]:
        body = client.get(body["pages"]["next"], headers=headers).json()
        seen += _ids(body)
    assert seen == list(reversed(made))
    # Jumping straight to a page number works too.
    page3 = client.get("/conversations", params={"per_page": 2, "page": 3}, headers=headers).json()
    assert _ids(page3) == [made[0]] and page3["pages"]["next"] is None
    beyond = client.get("/conversations", params={"per_page": 2, "page": 9}, headers=headers).json()
    assert beyond["conversations"] == [] and beyond["pages"]["next"] is None


def test_workspace_default_version_applies_without_header(db: Database, client: TestClient) -> None:
    legacy = make_workspace(db, now=T0, api_version="1.2")
    body = _list(client, legacy)
    assert "next" in body["pages"] and body["pages"]["next"] is None  # 1.x shape
    modern = client.get("/conversations", headers={**legacy.headers, "Intercom-Version": "2.14"})
    assert "next" not in modern.json()["pages"]  # 2.x shape: absent on the last page


@pytest.mark.parametrize("version", ["3.0", "2.99", "abc", "1"])
def test_unknown_version_is_a_400(client: TestClient, workspace: Workspace, version: str) -> None:
    response = client.get(
        "/conversations", headers={**workspace.headers, "Intercom-Version": version}
    )
    assert response.status_code == 400
    assert _error(response)["code"] == "intercom_version_invalid"


def test_filter_by_admin_and_open(client: TestClient, db: Database, workspace: Workspace) -> None:
    alice = make_admin(db, workspace, now=T0)
    bob = make_admin(db, workspace, now=T0)
    contact = make_contact(db, workspace, now=T0)

    def conv(events: list[Any]) -> str:
        spec = ConversationSpec(created_at=T0, contact_id=contact, events=events)
        return str(make_conversation(db, workspace, spec, now=TEST_NOW))

    alice_open = conv([assign(alice, T0 + 1, "admin", alice)])
    alice_closed = conv([assign(alice, T0 + 1, "admin", alice), close(alice, T0 + 2)])
    bob_open = conv([assign(bob, T0 + 1, "admin", bob)])
    nobody = conv([])
    unassigned_again = conv([assign(bob, T0 + 1, "admin", bob), assign(bob, T0 + 2, "admin", None)])

    def ids(**params: Any) -> set[str]:
        return set(_ids(_list(client, workspace, **params)))

    assert ids(type="admin", admin_id=alice) == {alice_open, alice_closed}
    assert ids(type="admin", admin_id=alice, open="true") == {alice_open}
    assert ids(type="admin", admin_id=alice, open="false") == {alice_closed}
    assert ids(type="admin", id=bob) == {bob_open}  # the Ruby client's `id`
    assert ids(type="admin", admin_id="nobody") == {nobody, unassigned_again}
    assert ids(open="false") == {alice_closed}
    body = _list(client, workspace, type="admin", admin_id=alice, open="true")
    assert body["total_count"] == 1
    assert body["conversations"][0]["admin_assignee_id"] == alice


def test_filter_by_user(client: TestClient, db: Database, workspace: Workspace) -> None:
    ann = make_contact(db, workspace, now=T0, external_id="ext-ann", email="Ann@Example.com")
    ben = make_contact(db, workspace, now=T0, role="lead", email="ben@example.com")
    ann_conv = _simple(db, workspace, ann, T0, T0)
    ben_conv = _simple(db, workspace, ben, T0, T0)

    def ids(**params: Any) -> list[str]:
        return _ids(_list(client, workspace, type="user", **params))

    assert ids(user_id="ext-ann") == [ann_conv]
    assert ids(intercom_user_id=ben) == [ben_conv]
    assert ids(email="ann@example.com") == [ann_conv]
    missing = client.get(
        "/conversations", params={"type": "user", "user_id": "nope"}, headers=workspace.headers
    )
    assert missing.status_code == 404
    assert _error(missing) == {"code": "not_found", "message": "User Not Found"}


@pytest.mark.parametrize(
    ("params", "code", "field"),
    [
        ({"type": "team"}, "parameter_invalid", "type"),
        ({"type": "admin"}, "parameter_not_found", "admin_id"),
        ({"type": "user"}, "parameter_not_found", "user_id"),
        ({"type": "admin", "admin_id": "123456789"}, "admin_not_found", "admin_id"),
        (
            {"type": "admin", "admin_id": "x'; drop table conversation;--"},
            "admin_not_found",
            "admin_id",
        ),
        ({"open": "maybe"}, "parameter_invalid", "open"),
        ({"display_as": "markdown"}, "parameter_invalid", "display_as"),
        ({"page": "0"}, None, None),  # 2.x ignores `page`
    ],
)
def test_bad_filters(
    client: TestClient,
    workspace: Workspace,
    params: dict[str, str],
    code: str | None,
    field: str | None,
) -> None:
    response = client.get("/conversations", params=params, headers=workspace.headers)
    if code is None:
        assert response.status_code == 200
        return
    assert response.status_code in (400, 404)
    error = _error(response)
    assert error["code"] == code
    assert error["field"] == field
    assert error["message"]


def test_admin_of_another_workspace_is_not_found(
    client: TestClient, db: Database, workspace: Workspace, other_workspace: Workspace
) -> None:
    response = client.get(
        "/conversations",
        params={"type": "admin", "admin_id": other_workspace.owner_id},
        headers=workspace.headers,
    )
    assert response.status_code == 404
    assert _error(response)["code"] == "admin_not_found"


def test_display_as_plaintext(client: TestClient, db: Database, workspace: Workspace) -> None:
    contact = make_contact(db, workspace, now=T0)
    _simple(db, workspace, contact, T0, T0)
    html = _list(client, workspace)["conversations"][0]["source"]["body"]
    text = _list(client, workspace, display_as="plaintext")["conversations"][0]["source"]["body"]
    assert html == "<p>Hello, I need <b>help</b> &amp; advice.</p>"
    assert text == "Hello, I need help & advice."


def test_workspaces_never_see_each_other(
    client: TestClient, db: Database, workspace: Workspace, other_workspace: Workspace
) -> None:
    contact = make_contact(db, workspace, now=T0)
    mine = _simple(db, workspace, contact, T0, T0)
    theirs = _list(client, other_workspace)
    assert theirs["conversations"] == [] and theirs["total_count"] == 0
    response = client.get(f"/conversations/{mine}", headers=other_workspace.headers)
    assert response.status_code == 404
    assert _error(response) == {"code": "not_found", "message": "Resource Not Found"}
    assert client.get(f"/contacts/{contact}", headers=other_workspace.headers).status_code == 404


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_pages_through_runs_of_equal_sort_values(
    client: TestClient, db: Database, workspace: Workspace, order: str
) -> None:
    """Runs of one `updated_at` across page ends: every conversation once, in order.

    A cursor whose next row had another value skips looking for ties (`Cursor.ties` 0);
    one made inside a run counts the run's rows up to it, across pages too, and the next
    page seeks the value once and skips them.
    """
    contact = make_contact(db, workspace, now=T0)
    # Values 0,0,0,0,0,1,2,2,2,3,...: page ends of 3 fall inside runs and between them.
    values = [0, 0, 0, 0, 0, 1, 2, 2, 2, 3, 4, 4, 5]
    made = [_simple(db, workspace, contact, T0, T0 + 1 + v) for v in values]
    seen: list[str] = []
    ties: list[int] = []
    body = _list(client, workspace, per_page=3, order=order)
    seen += _ids(body)
    codec = client.app.state.parlour.cursor_codec  # type: ignore[attr-defined]
    while "next" in body["pages"]:
        cursor = body["pages"]["next"]["starting_after"]
        ties.append(codec.decode(cursor, workspace_id=workspace.id).ties)
        body = _list(client, workspace, per_page=3, starting_after=cursor)
        seen += _ids(body)
    by_value = sorted(zip(values, map(int, made), strict=True), reverse=order == "desc")
    assert seen == [str(cid) for _, cid in by_value]
    # The rows of the position's value up to it, where the next row has it too. Desc, the
    # last page of zeros counts the one zero before it too.
    assert ties == ([3, 0, 0, 0] if order == "asc" else [0, 2, 1, 4])
