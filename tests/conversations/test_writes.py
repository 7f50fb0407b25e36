"""Conversation writes over HTTP: create, reply, manage, tag, participants, update, redact."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from parlour.db.models import Workspace as WorkspaceRow
from parlour.db.session import Database
from tests.conftest import TEST_NOW
from tests.contract.intercom_spec import errors_against
from tests.conversations.conftest import Inbox
from tests.factories import (
    make_tag,
    make_workspace,
)


def test_create_returns_the_message_and_the_conversation_waits(inbox: Inbox) -> None:
    """A contact's new conversation is open, unread, waiting since it was created."""
    message = inbox.post(
        "/conversations", {"from": {"type": "user", "id": inbox.contact}, "body": "Help"}
    )
    assert errors_against("message", message) == []
    assert message["type"] == "user_message" and message["body"] == "<p>Help</p>"
    conversation = inbox.get(message["conversation_id"])
    assert errors_against("conversation", conversation) == []
    assert conversation["state"] == "open" and conversation["open"] is True
    assert conversation["waiting_since"] == TEST_NOW
    assert conversation["source"]["id"] == message["id"]
    assert conversation["source"]["author"]["id"] == inbox.contact
    assert [c["id"] for c in conversation["contacts"]["contacts"]] == [inbox.contact]
    assert conversation["conversation_parts"]["total_count"] == 0


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"from": {"type": "user", "id": "0" * 24}, "body": "x"}, 404, "not_found"),
        ({"from": {"type": "user", "id": "nope"}, "body": "x"}, 404, "not_found"),
        ({"from": {"type": "admin", "id": "1"}, "body": "x"}, 400, "parameter_invalid"),
        ({"from": {"type": "user"}, "body": "x"}, 400, "parameter_not_found"),
        ({"body": "x"}, 400, "parameter_not_found"),
        ({"from": "me", "body": "x"}, 400, "parameter_invalid"),
        ({"from": {"type": "user", "id": "CONTACT"}}, 400, "parameter_not_found"),
        ({"from": {"type": "user", "id": "CONTACT"}, "body": " "}, 400, "parameter_invalid"),
        ({"from": {"type": "user", "id": "CONTACT"}, "body": 5}, 400, "parameter_invalid"),
        ({"from": {"type": "user", "id": "CONTACT"}, "body": "a\x00b"}, 400, "parameter_invalid"),
        ({"from": {"type": "lead", "id": "CONTACT"}, "body": "x"}, 404, "not_found"),
        (
            {"from": {"type": "user", "id": "CONTACT"}, "body": "x", "created_at": 2 * TEST_NOW},
            400,
            "parameter_invalid",
        ),
        ([1, 2], 400, "parameter_invalid"),
    ],
)
def test_create_refuses_bad_input_and_writes_nothing(
    inbox: Inbox, body: Any, status: int, code: str
) -> None:
    """Every bad create is an error.list and leaves the workspace without conversations."""
    body = copy.deepcopy(body)  # parameters are shared by both databases' runs
    sender = body.get("from") if isinstance(body, dict) else None
    if isinstance(sender, dict) and sender.get("id") == "CONTACT":
        sender["id"] = inbox.contact
    error = inbox.post("/conversations", body, status)
    assert error["type"] == "error.list" and error["errors"][0]["code"] == code
    listed = inbox.client.get("/conversations", headers=inbox.ws.headers).json()
    assert listed["total_count"] == 0


def test_invalid_json_is_400(inbox: Inbox) -> None:
    """A body that is not JSON is a parameter_invalid error, not a 500."""
    response = inbox.client.post(
        "/conversations",
        content=b"{not json",
        headers={**inbox.ws.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "parameter_invalid"


def test_reply_cycle_moves_waiting_since_and_statistics(inbox: Inbox) -> None:
    """Contact writes -> waiting; admin answers -> not waiting; contact again -> waiting anew."""
    cid = inbox.start()
    inbox.clock.advance(60)
    inbox.admin_reply(cid, "Note to self", kind="note")
    assert inbox.get(cid)["waiting_since"] == TEST_NOW  # a note is not a reply
    inbox.clock.advance(60)
    answered = inbox.admin_reply(cid)
    assert errors_against("conversation", answered) == []
    assert answered["waiting_since"] is None
    stats = answered["statistics"]
    assert stats["time_to_admin_reply"] == 120
    assert stats["first_admin_reply_at"] == TEST_NOW + 120
    inbox.clock.advance(30)
    again = inbox.contact_reply(cid)
    assert again["waiting_since"] == TEST_NOW + 150
    assert again["updated_at"] == TEST_NOW + 150
    parts = again["conversation_parts"]["conversation_parts"]
    assert [p["part_type"] for p in parts] == ["note", "comment", "comment"]
    assert [p["author"]["type"] for p in parts] == ["admin", "admin", "user"]
    assert parts[1]["body"] == "<p>Looking into it</p>"
    assert again["statistics"]["count_conversation_parts"] == 3


def test_contact_can_reply_by_external_id_email_and_last(inbox: Inbox) -> None:
    """user_id, email (any case) and `last` all find the contact and its latest conversation."""
    first = inbox.start("first")
    inbox.clock.advance(10)
    second = inbox.start("second")
    base = {"type": "user", "message_type": "comment", "body": "hello"}
    inbox.post(f"/conversations/{first}/reply", {**base, "user_id": "cus_1"})
    inbox.clock.advance(10)
    inbox.post(f"/conversations/{first}/reply", {**base, "email": "cat@example.COM"})
    inbox.clock.advance(10)
    latest = inbox.post("/conversations/last/reply", {**base, "intercom_user_id": inbox.contact})
    assert latest["id"] == first  # the one updated most recently
    assert inbox.get(second)["conversation_parts"]["total_count"] == 0


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"type": "admin", "message_type": "comment", "admin_id": "999999", "body": "x"},
         404, "admin_not_found"),
        ({"type": "admin", "message_type": "comment", "admin_id": "ADMIN"},
         400, "parameter_not_found"),
        ({"type": "admin", "message_type": "shout", "admin_id": "ADMIN", "body": "x"},
         400, "parameter_invalid"),
        ({"type": "admin", "message_type": "quick_reply", "admin_id": "ADMIN"},
         400, "parameter_not_found"),
        ({"type": "user", "message_type": "comment", "body": "x"}, 400, "parameter_not_found"),
        ({"type": "user", "message_type": "comment", "body": "x", "email": "no@x.io"},
         404, "not_found"),
        ({"type": "user", "message_type": "comment", "body": "x", "intercom_user_id": "LEAD"},
         400, "parameter_invalid"),
        ({"type": "robot", "message_type": "comment", "body": "x"}, 400, "parameter_invalid"),
        ({"type": "admin", "message_type": "comment", "admin_id": "ADMIN", "body": "x",
          "created_at": 5}, 400, "parameter_invalid"),
        ({"type": "admin", "message_type": "comment", "admin_id": "ADMIN", "body": "x",
          "attachment_urls": ["ftp://x"]}, 400, "parameter_invalid"),
        ({"type": "admin", "message_type": "comment", "admin_id": True, "body": "x"},
         400, "parameter_invalid"),
    ],
)
def test_bad_replies_change_nothing(
    inbox: Inbox, body: dict[str, Any], status: int, code: str
) -> None:
    """Unknown admins or contacts, non-participants and bad fields are refused, nothing stored."""
    body = copy.deepcopy(body)
    cid = inbox.start()
    before = inbox.get(cid)
    for key, value in list(body.items()):
        if value == "ADMIN":
            body[key] = str(inbox.admin)
        if value == "LEAD":
            body[key] = inbox.lead
    error = inbox.post(f"/conversations/{cid}/reply", body, status)
    assert error["errors"][0]["code"] == code
    assert inbox.get(cid) == before


def test_reply_to_unknown_or_foreign_conversation_is_404(
    inbox: Inbox, db: Database
) -> None:
    """Another workspace's conversation does not exist for this token."""
    other = make_workspace(db, now=TEST_NOW)
    cid = inbox.start()
    payload = {"type": "admin", "message_type": "comment", "admin_id": str(inbox.admin),
               "body": "x"}
    for target in ("999999999", "abc"):
        inbox.post(f"/conversations/{target}/reply", payload, 404)
    response = inbox.client.post(
        f"/conversations/{cid}/reply", json=payload, headers=other.headers
    )
    assert response.status_code == 404
    assert inbox.get(cid)["conversation_parts"]["total_count"] == 0


def test_close_snooze_open_and_statistics(inbox: Inbox) -> None:
    """Close ends waiting; a contact reply reopens; snooze and open follow the spec."""
    cid = inbox.start()
    admin = str(inbox.admin)
    inbox.clock.advance(100)
    closed = inbox.part(
        cid, {"message_type": "close", "type": "admin", "admin_id": admin, "body": "Done"}
    )
    assert closed["state"] == "closed" and closed["open"] is False
    assert closed["waiting_since"] is None
    assert closed["statistics"]["time_to_first_close"] == 100
    assert closed["statistics"]["last_closed_by_id"] == admin
    # Closing again changes nothing.
    again = inbox.part(cid, {"message_type": "close", "type": "admin", "admin_id": admin})
    assert again["conversation_parts"]["total_count"] == 1
    inbox.clock.advance(50)
    reopened = inbox.contact_reply(cid, "Actually, one more thing")
    assert reopened["state"] == "open" and reopened["waiting_since"] == TEST_NOW + 150
    assert reopened["statistics"]["count_reopens"] == 1
    until = TEST_NOW + 86_400
    snoozed = inbox.part(
        cid, {"message_type": "snoozed", "admin_id": admin, "snoozed_until": until}
    )
    assert snoozed["state"] == "snoozed" and snoozed["snoozed_until"] == until
    opened = inbox.part(cid, {"message_type": "open", "admin_id": admin})
    assert opened["state"] == "open" and opened["snoozed_until"] is None
    kinds = [p["part_type"] for p in opened["conversation_parts"]["conversation_parts"]]
    assert kinds == ["close", "comment", "snoozed", "open"]
    assert errors_against("conversation", opened) == []


def test_snooze_in_the_past_is_refused(inbox: Inbox) -> None:
    """snoozed_until must be in the future."""
    cid = inbox.start()
    error = inbox.part(
        cid,
        {"message_type": "snoozed", "admin_id": str(inbox.admin), "snoozed_until": TEST_NOW},
        400,
    )
    assert error["errors"][0]["field"] == "snoozed_until"
    assert inbox.get(cid)["state"] == "open"


def test_assignment_to_admin_team_and_nobody(inbox: Inbox) -> None:
    """Assignees follow assignment parts; 0 unassigns; lists filter on them at once."""
    cid = inbox.start()
    admin = str(inbox.admin)
    to_team = inbox.part(
        cid,
        {"message_type": "assignment", "type": "team", "admin_id": admin,
         "assignee_id": str(inbox.team)},
    )
    assert to_team["team_assignee_id"] == inbox.team
    to_admin = inbox.part(
        cid,
        {"message_type": "assignment", "type": "admin", "admin_id": admin,
         "assignee_id": str(inbox.other_admin), "body": "Over to Otto"},
    )
    assert to_admin["admin_assignee_id"] == inbox.other_admin
    assert to_admin["team_assignee_id"] == inbox.team
    last = to_admin["conversation_parts"]["conversation_parts"][-1]
    assert last["assigned_to"] == {"type": "admin", "id": str(inbox.other_admin)}
    assert last["body"] == "<p>Over to Otto</p>"
    listed = inbox.client.get(
        "/conversations",
        params={"type": "admin", "admin_id": str(inbox.other_admin)},
        headers=inbox.ws.headers,
    ).json()
    assert [c["id"] for c in listed["conversations"]] == [cid]
    unassigned = inbox.part(
        cid,
        {"message_type": "assignment", "type": "admin", "admin_id": admin, "assignee_id": "0"},
    )
    assert unassigned["admin_assignee_id"] is None
    nobody = inbox.client.get(
        "/conversations", params={"type": "admin", "admin_id": "nobody"},
        headers=inbox.ws.headers,
    ).json()
    assert [c["id"] for c in nobody["conversations"]] == [cid]
    assert unassigned["statistics"]["count_assignments"] >= 2


@pytest.mark.parametrize(
    "body",
    [
        {"message_type": "assignment", "type": "admin", "admin_id": "ADMIN",
         "assignee_id": "999999"},
        {"message_type": "assignment", "type": "team", "admin_id": "ADMIN",
         "assignee_id": "999999"},
        {"message_type": "assignment", "type": "bot", "admin_id": "ADMIN", "assignee_id": "1"},
        {"message_type": "assignment", "type": "admin", "admin_id": "ADMIN"},
        {"message_type": "explode", "admin_id": "ADMIN"},
        {"message_type": "close", "type": "admin", "admin_id": "12345678"},
        {"message_type": "snoozed", "admin_id": "ADMIN"},
        {"message_type": "snoozed", "admin_id": "ADMIN", "snoozed_until": "tomorrow"},
    ],
)
def test_bad_actions_change_nothing(inbox: Inbox, body: dict[str, Any]) -> None:
    """Missing or foreign references and bad fields are 4xx and leave the conversation alone."""
    body = copy.deepcopy(body)
    cid = inbox.start()
    before = inbox.get(cid)
    if body.get("admin_id") == "ADMIN":
        body["admin_id"] = str(inbox.admin)
    response = inbox.client.post(
        f"/conversations/{cid}/parts", json=body, headers=inbox.ws.headers
    )
    assert response.status_code in (400, 404), response.text
    assert response.json()["type"] == "error.list"
    assert inbox.get(cid) == before


def test_tags_attach_detach(inbox: Inbox, db: Database) -> None:
    """Tagging answers the tag with who applied it; untagging removes it; errors per spec."""
    cid = inbox.start()
    tag = make_tag(db, inbox.ws, now=TEST_NOW, name="Billing")
    admin = str(inbox.admin)
    applied = inbox.post(f"/conversations/{cid}/tags", {"id": str(tag), "admin_id": admin})
    assert errors_against("tag", applied) == []
    assert applied == {
        "type": "tag", "id": str(tag), "name": "Billing", "applied_at": TEST_NOW,
        "applied_by": {"type": "admin", "id": admin},
    }
    inbox.post(f"/conversations/{cid}/tags", {"id": tag, "admin_id": int(admin)})  # ints too
    tags = inbox.get(cid)["tags"]["tags"]
    assert [t["id"] for t in tags] == [str(tag)]
    foreign = make_tag(db, make_workspace(db, now=TEST_NOW), now=TEST_NOW)
    missing = inbox.post(f"/conversations/{cid}/tags", {"id": str(foreign), "admin_id": admin},
                         404)
    assert missing["errors"][0]["code"] == "tag_not_found"
    gone = inbox.post("/conversations/999999999/tags", {"id": str(tag), "admin_id": admin}, 404)
    assert gone["errors"][0] == {"code": "not_found", "message": "Conversation not found"}
    removed = inbox.client.request(
        "DELETE", f"/conversations/{cid}/tags/{tag}", json={"admin_id": admin},
        headers=inbox.ws.headers,
    )
    assert removed.status_code == 200 and removed.json()["id"] == str(tag)
    assert inbox.get(cid)["tags"]["tags"] == []
    twice = inbox.client.request(
        "DELETE", f"/conversations/{cid}/tags/{tag}", json={"admin_id": admin},
        headers=inbox.ws.headers,
    )
    assert twice.status_code == 404 and twice.json()["errors"][0]["code"] == "tag_not_found"


def test_participants_attach_and_detach(inbox: Inbox) -> None:
    """Contacts join by id, external id or email; the last one cannot leave (422)."""
    cid = inbox.start()
    admin = str(inbox.admin)
    joined = inbox.post(
        f"/conversations/{cid}/customers",
        {"admin_id": admin, "customer": {"intercom_user_id": inbox.lead}},
    )
    assert errors_against("conversation", joined) == []
    assert {c["id"] for c in joined["contacts"]["contacts"]} == {inbox.contact, inbox.lead}
    missing = inbox.post(
        f"/conversations/{cid}/customers",
        {"admin_id": admin, "customer": {"email": "ghost@example.com"}}, 404,
    )
    assert missing["errors"][0]["message"] == "User Not Found"

    def detach(contact: str) -> Any:
        return inbox.client.request(
            "DELETE", f"/conversations/{cid}/customers/{contact}", json={"admin_id": admin},
            headers=inbox.ws.headers,
        )

    left = detach(inbox.lead)
    assert left.status_code == 200
    assert [c["id"] for c in left.json()["contacts"]["contacts"]] == [inbox.contact]
    last = detach(inbox.contact)
    assert last.status_code == 422
    assert last.json()["errors"][0] == {
        "code": "parameter_invalid", "message": "Removing the last customer is not allowed",
    }
    assert detach(inbox.lead).status_code == 404


def test_update_read_title_attributes_and_empty_body(inbox: Inbox) -> None:
    """PUT changes only what it is given; an empty body is `{}`."""
    cid = inbox.start()
    inbox.clock.advance(5)
    response = inbox.client.put(
        f"/conversations/{cid}",
        json={"read": True, "title": "Invoice", "custom_attributes": {"Plan": "Pro", "n": 3}},
        headers=inbox.ws.headers,
    )
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["read"] is True and updated["title"] == "Invoice"
    assert updated["custom_attributes"] == {"Plan": "Pro", "n": 3}
    assert updated["updated_at"] == TEST_NOW + 5
    merged = inbox.client.put(
        f"/conversations/{cid}", json={"custom_attributes": {"n": None, "Region": "EU"}},
        headers=inbox.ws.headers,
    ).json()
    assert merged["custom_attributes"] == {"Plan": "Pro", "Region": "EU"}
    assert merged["title"] == "Invoice"
    empty = inbox.client.put(f"/conversations/{cid}", headers=inbox.ws.headers)
    assert empty.status_code == 200 and empty.json()["custom_attributes"] == merged[
        "custom_attributes"
    ]
    bad = inbox.client.put(f"/conversations/{cid}", json={"read": "yes"},
                           headers=inbox.ws.headers)
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "read"


def test_update_honours_display_as(inbox: Inbox) -> None:
    """PUT takes `display_as=plaintext` like retrieve; a bad value is 400 and writes nothing."""
    cid = inbox.start()
    url = f"/conversations/{cid}"
    plain = inbox.client.put(
        url, params={"display_as": "plaintext"}, json={"title": "Plain"}, headers=inbox.ws.headers
    )
    assert plain.status_code == 200, plain.text
    assert plain.json()["source"]["body"] == "Hi, my invoice is wrong"
    html = inbox.client.put(url, json={}, headers=inbox.ws.headers).json()
    assert html["source"]["body"] == "<p>Hi, my invoice is wrong</p>"
    bad = inbox.client.put(
        url, params={"display_as": "markdown"}, json={"title": "Never"}, headers=inbox.ws.headers
    )
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "display_as"
    assert inbox.client.get(url, headers=inbox.ws.headers).json()["title"] == "Plain"


def test_huge_numbers_in_custom_attributes_read_back(inbox: Inbox) -> None:
    """A number past 64 bits (a JS client's 1e20) is stored and renders again, on both backends.

    PostgreSQL's JSONB keeps 1e20 as the exact integer 100000000000000000000; read back as a
    Python int, it would make every later render of the conversation a 500.
    """
    cid = inbox.start()
    response = inbox.client.put(
        f"/conversations/{cid}",
        json={"custom_attributes": {"big": 1e20, "small": -(2**63)}},
        headers=inbox.ws.headers,
    )
    assert response.status_code == 200, response.text
    assert inbox.get(cid)["custom_attributes"] == {"big": 1e20, "small": -(2**63)}
    listed = inbox.client.get("/conversations", headers=inbox.ws.headers)
    assert listed.status_code == 200, listed.text


def test_delete_removes_everything(inbox: Inbox) -> None:
    """DELETE answers conversation_deleted; the conversation is gone from list and retrieve."""
    cid = inbox.start()
    inbox.admin_reply(cid)
    response = inbox.client.delete(f"/conversations/{cid}", headers=inbox.ws.headers)
    assert response.status_code == 200
    assert response.json() == {"id": cid, "object": "conversation", "deleted": True}
    assert errors_against("conversation_deleted", response.json()) == []
    assert inbox.client.get(f"/conversations/{cid}", headers=inbox.ws.headers).status_code == 404
    listed = inbox.client.get("/conversations", headers=inbox.ws.headers).json()
    assert listed["total_count"] == 0
    again = inbox.client.delete(f"/conversations/{cid}", headers=inbox.ws.headers)
    assert again.status_code == 404


def test_redact_part_and_source(inbox: Inbox) -> None:
    """Redaction blanks the body and marks it; unknown parts are the spec's 404."""
    cid = inbox.start("my card is 4242")
    replied = inbox.contact_reply(cid, "and my password is hunter2")
    part_id = replied["conversation_parts"]["conversation_parts"][0]["id"]
    redacted = inbox.post(
        "/conversations/redact",
        {"type": "conversation_part", "conversation_id": cid, "conversation_part_id": part_id},
    )
    part = redacted["conversation_parts"]["conversation_parts"][0]
    assert part["redacted"] is True and "hunter2" not in (part["body"] or "")
    source = inbox.post(
        "/conversations/redact",
        {"type": "source", "conversation_id": cid, "source_id": redacted["source"]["id"]},
    )
    assert source["source"]["redacted"] is True and "4242" not in source["source"]["body"]
    missing = inbox.post(
        "/conversations/redact",
        {"type": "conversation_part", "conversation_id": cid, "conversation_part_id": "1"},
        404,
    )
    assert missing["errors"][0]["code"] == "conversation_part_or_message_not_found"


def test_writes_bump_counts_immediately(inbox: Inbox) -> None:
    """Cached totals never go stale: create and close are reflected in the next list."""
    def total(**params: str) -> int:
        body = inbox.client.get("/conversations", params=params, headers=inbox.ws.headers)
        return int(body.json()["total_count"])

    assert total() == 0
    cid = inbox.start()
    assert total() == 1 and total(sort="waiting_since") == 1
    inbox.part(cid, {"message_type": "close", "type": "admin", "admin_id": str(inbox.admin)})
    assert total(sort="waiting_since") == 0
    assert total(type="admin", admin_id="nobody", open="false") == 1


def test_only_creates_and_deletes_move_the_unfiltered_count(inbox: Inbox, db: Database) -> None:
    """Replies and state changes keep the unfiltered total cached; it is still exact."""
    def total() -> int:
        body = inbox.client.get("/conversations", headers=inbox.ws.headers)
        return int(body.json()["total_count"])

    def versions() -> tuple[int, int]:
        with db.read_session() as session:
            row = session.get(WorkspaceRow, inbox.ws.id)
            assert row is not None
            return row.data_version, row.population_version

    first, second = inbox.start(), inbox.start("Another")
    assert total() == 2
    data, population = versions()
    inbox.admin_reply(first)
    inbox.part(second, {"message_type": "close", "type": "admin", "admin_id": str(inbox.admin)})
    assert versions()[1] == population and versions()[0] > data
    assert total() == 2
    response = inbox.client.delete(f"/conversations/{first}", headers=inbox.ws.headers)
    assert response.status_code == 200, response.text
    assert versions()[1] == population + 1
    assert total() == 1
    inbox.start("Third")
    assert total() == 2


def test_run_assignment_rules_balances_across_the_team(inbox: Inbox) -> None:
    """With a team assigned, the rule assigns its least-loaded member; without, nothing."""
    admin = str(inbox.admin)
    loaded = inbox.start("first")
    inbox.part(loaded, {"message_type": "assignment", "type": "admin", "admin_id": admin,
                        "assignee_id": admin})
    cid = inbox.start("second")
    untouched = inbox.post(f"/conversations/{cid}/run_assignment_rules", None)
    assert untouched["admin_assignee_id"] is None  # no team: no rule applies
    inbox.part(cid, {"message_type": "assignment", "type": "team", "admin_id": admin,
                     "assignee_id": str(inbox.team)})
    routed = inbox.post(f"/conversations/{cid}/run_assignment_rules", None)
    assert errors_against("conversation", routed) == []
    assert routed["admin_assignee_id"] == inbox.other_admin  # Ada already holds one
    last = routed["conversation_parts"]["conversation_parts"][-1]
    assert last["part_type"] == "default_assignment"
    assert last["author"]["type"] == "bot"
    again = inbox.post(f"/conversations/{cid}/run_assignment_rules", None)
    assert again["conversation_parts"]["total_count"] == routed["conversation_parts"][
        "total_count"
    ]
    inbox.post("/conversations/999999999/run_assignment_rules", None, 404)
