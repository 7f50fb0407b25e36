"""SLA rules over HTTP (create, list, apply, evaluate, remove) and conversation ratings."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from parlour.db.session import Database
from tests.conftest import TEST_NOW
from tests.contract.intercom_spec import errors_against
from tests.conversations.conftest import Inbox
from tests.factories import make_contact, make_workspace

HOUR = 3600
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")


def _rule(inbox: Inbox, status: int = 200, **fields: Any) -> dict[str, Any]:
    body = {"name": "Standard", "first_reply_time_in_seconds": 2 * HOUR, **fields}
    return inbox.post("/parlour/sla_rules", body, status)


def _apply(inbox: Inbox, cid: str, rule_id: str, status: int = 200) -> dict[str, Any]:
    response = inbox.client.put(
        f"/parlour/conversations/{cid}/sla", json={"sla_rule_id": rule_id}, headers=inbox.ws.headers
    )
    assert response.status_code == status, response.text
    return response.json()  # type: ignore[no-any-return]


def _rules(inbox: Inbox) -> list[dict[str, Any]]:
    response = inbox.client.get("/sla_rules", headers=inbox.ws.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["type"] == "sla_rule.list"
    return body["data"]  # type: ignore[no-any-return]


def test_create_list_find_and_archive_rules(inbox: Inbox) -> None:
    rule = _rule(inbox, next_reply_time_in_seconds=HOUR, time_to_close_in_seconds=48 * HOUR)
    assert rule["type"] == "sla_rule" and rule["name"] == "Standard"
    assert rule["first_reply_time_in_seconds"] == 2 * HOUR
    assert rule["next_reply_time_in_seconds"] == HOUR
    assert rule["time_to_close_in_seconds"] == 48 * HOUR
    assert rule["archived"] is False and rule["archived_at"] is None
    assert rule["created_at"] == rule["updated_at"] == TEST_NOW
    assert [r["id"] for r in _rules(inbox)] == [rule["id"]]
    found = inbox.client.get(f"/sla_rules/{rule['id']}", headers=inbox.ws.headers).json()
    assert found == rule

    inbox.clock.advance(60)
    archived = inbox.client.delete(f"/parlour/sla_rules/{rule['id']}", headers=inbox.ws.headers)
    assert archived.status_code == 200
    assert archived.json()["archived"] is True
    assert archived.json()["archived_at"] == TEST_NOW + 60
    assert _rules(inbox)[0]["archived"] is True  # still listed, as Intercom lists them
    cid = inbox.start()
    refused = _apply(inbox, cid, rule["id"], status=400)
    assert refused["errors"][0]["code"] == "parameter_invalid"
    assert inbox.get(cid)["sla_applied"] is None


def test_rules_of_other_workspaces_are_not_found(inbox: Inbox, db: Database) -> None:
    other = make_workspace(db, now=TEST_NOW)
    theirs = inbox.client.post(
        "/parlour/sla_rules",
        json={"name": "Theirs", "time_to_close_in_seconds": HOUR},
        headers=other.headers,
    ).json()
    for path in (f"/sla_rules/{theirs['id']}", "/sla_rules/999999999", "/sla_rules/abc"):
        response = inbox.client.get(path, headers=inbox.ws.headers)
        assert response.status_code == 404 and response.json()["errors"][0]["code"] == "not_found"
    cid = inbox.start()
    assert _apply(inbox, cid, theirs["id"], status=404)["errors"][0]["code"] == "not_found"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"first_reply_time_in_seconds": 60}, 400, "parameter_not_found"),
        ({"name": "  ", "first_reply_time_in_seconds": 60}, 400, "parameter_invalid"),
        ({"name": "No targets"}, 400, "parameter_not_found"),
        ({"name": "Zero", "first_reply_time_in_seconds": 0}, 400, "parameter_invalid"),
        ({"name": "Text", "first_reply_time_in_seconds": "60"}, 400, "parameter_invalid"),
        ({"name": "Huge", "time_to_close_in_seconds": 10**12}, 400, "parameter_invalid"),
        ({"name": "Bad hours", "first_reply_time_in_seconds": 60, "office_hours": "9-5"},
         400, "parameter_invalid"),
        ({"name": "Bad zone", "first_reply_time_in_seconds": 60,
          "office_hours": {"timezone": "Nowhere/Land", "hours": {"monday": [["09:00", "17:00"]]}}},
         400, "parameter_invalid"),
        ({"name": "Flag", "first_reply_time_in_seconds": 60, "apply_to_new_conversations": "y"},
         400, "parameter_invalid"),
        ({"name": "standard", "first_reply_time_in_seconds": 60}, 409, "conflict"),
    ],
)
def test_bad_rules_are_refused_and_nothing_is_created(
    inbox: Inbox, body: dict[str, Any], status: int, code: str
) -> None:
    _rule(inbox)
    before = _rules(inbox)
    response = inbox.client.post("/parlour/sla_rules", json=body, headers=inbox.ws.headers)
    assert response.status_code == status, response.text
    assert response.json()["errors"][0]["code"] == code
    assert errors_against("error", response.json()) == []
    assert _rules(inbox) == before


def test_first_reply_in_time_is_hit(inbox: Inbox) -> None:
    rule = _rule(inbox)
    cid = inbox.start()
    applied = _apply(inbox, cid, rule["id"])
    assert applied["sla_applied"] == {
        "type": "conversation_sla_summary", "sla_name": "Standard", "sla_status": "active",
    }
    assert errors_against("conversation", applied) == []
    inbox.clock.advance(2 * HOUR)
    inbox.admin_reply(cid, kind="note")  # notes are not replies
    assert inbox.get(cid)["sla_applied"]["sla_status"] == "active"
    inbox.admin_reply(cid)
    conversation = inbox.get(cid)
    assert conversation["sla_applied"]["sla_status"] == "hit"
    assert errors_against("conversation", conversation) == []


def test_a_miss_is_recorded_when_a_teammate_replies_late(inbox: Inbox) -> None:
    rule = _rule(inbox)
    cid = inbox.start()
    _apply(inbox, cid, rule["id"])
    inbox.clock.advance(5 * HOUR)
    inbox.contact_reply(cid)
    # The deadline has passed but no teammate has acted: Intercom still reports active.
    assert inbox.get(cid)["sla_applied"]["sla_status"] == "active"
    listed = inbox.client.get("/conversations", headers=inbox.ws.headers).json()
    assert listed["conversations"][0]["sla_applied"]["sla_status"] == "active"
    inbox.admin_reply(cid)
    assert inbox.get(cid)["sla_applied"]["sla_status"] == "missed"
    # A miss stays a miss.
    inbox.contact_reply(cid)
    inbox.admin_reply(cid)
    assert inbox.get(cid)["sla_applied"]["sla_status"] == "missed"


def test_next_reply_and_time_to_close(inbox: Inbox) -> None:
    rule = _rule(inbox, next_reply_time_in_seconds=HOUR, time_to_close_in_seconds=10 * HOUR)
    cid = inbox.start()
    _apply(inbox, cid, rule["id"])
    inbox.clock.advance(60)
    inbox.admin_reply(cid)
    inbox.clock.advance(60)
    inbox.contact_reply(cid)
    inbox.clock.advance(HOUR + 1)
    inbox.admin_reply(cid)
    assert inbox.get(cid)["sla_applied"]["sla_status"] == "missed"
    inbox.part(cid, {"message_type": "close", "admin_id": str(inbox.admin)})
    assert inbox.get(cid)["sla_applied"]["sla_status"] == "missed"


def test_office_hours_stop_the_clock_overnight(inbox: Inbox) -> None:
    """TEST_NOW is Monday 16:00 UTC; 2 office hours from then end Tuesday 10:00."""
    nine_to_five = {"timezone": "UTC", "hours": {d: [["09:00", "17:00"]] for d in WEEKDAYS}}
    rule = _rule(inbox, office_hours=nine_to_five)
    assert rule["office_hours"]["hours"]["monday"] == [["09:00", "17:00"]]
    on_time, late = inbox.start(), inbox.start()
    for cid in (on_time, late):
        _apply(inbox, cid, rule["id"])
    inbox.clock.advance(18 * HOUR)  # Tuesday 10:00, long after two wall-clock hours
    inbox.admin_reply(on_time)
    inbox.clock.advance(1)
    inbox.admin_reply(late)
    assert inbox.get(on_time)["sla_applied"]["sla_status"] == "hit"
    assert inbox.get(late)["sla_applied"]["sla_status"] == "missed"


def test_removing_the_sla_cancels_it(inbox: Inbox) -> None:
    rule = _rule(inbox)
    cid = inbox.start()
    _apply(inbox, cid, rule["id"])
    inbox.clock.advance(60)
    response = inbox.client.delete(f"/parlour/conversations/{cid}/sla", headers=inbox.ws.headers)
    assert response.status_code == 200
    assert response.json()["sla_applied"]["sla_status"] == "cancelled"
    assert response.json()["updated_at"] == TEST_NOW + 60
    inbox.clock.advance(10 * HOUR)
    inbox.admin_reply(cid)  # no longer evaluated
    assert inbox.get(cid)["sla_applied"]["sla_status"] == "cancelled"
    # Applying a rule again starts afresh: nobody is waiting, so nothing is due yet.
    inbox.clock.advance(60)
    assert _apply(inbox, cid, rule["id"])["sla_applied"]["sla_status"] == "active"
    inbox.contact_reply(cid)
    inbox.clock.advance(60)
    inbox.admin_reply(cid)  # a reply to the next message: the rule has no next-reply target
    assert inbox.get(cid)["sla_applied"]["sla_status"] == "active"
    fresh = inbox.start()
    missing = inbox.client.delete(f"/parlour/conversations/{fresh}/sla", headers=inbox.ws.headers)
    assert missing.status_code == 404


def test_a_rule_for_new_conversations_is_applied_when_they_start(inbox: Inbox) -> None:
    first = _rule(inbox, name="Everyone", apply_to_new_conversations=True)
    assert first["apply_to_new_conversations"] is True
    assert inbox.get(inbox.start())["sla_applied"]["sla_name"] == "Everyone"
    second = _rule(inbox, name="VIP", apply_to_new_conversations=True)
    flags = {r["name"]: r["apply_to_new_conversations"] for r in _rules(inbox)}
    assert flags == {"Everyone": False, "VIP": True}  # one rule for new conversations at a time
    assert inbox.get(inbox.start())["sla_applied"]["sla_name"] == "VIP"
    inbox.client.delete(f"/parlour/sla_rules/{second['id']}", headers=inbox.ws.headers)
    assert inbox.get(inbox.start())["sla_applied"] is None


def test_bad_apply_requests_change_nothing(inbox: Inbox) -> None:
    rule = _rule(inbox)
    cid = inbox.start()
    before = inbox.get(cid)
    for body, status in (({}, 400), ({"sla_rule_id": "nope"}, 404), ({"sla_rule_id": [1]}, 400)):
        response = inbox.client.put(
            f"/parlour/conversations/{cid}/sla", json=body, headers=inbox.ws.headers
        )
        assert response.status_code == status, response.text
    assert _apply(inbox, "999999999", rule["id"], status=404)["errors"][0]["code"] == "not_found"
    assert inbox.get(cid) == before


# Ratings.


def _rate(inbox: Inbox, cid: str, body: dict[str, Any], status: int = 200) -> dict[str, Any]:
    return inbox.post(f"/parlour/conversations/{cid}/rating", body, status)


def test_rating_with_remark_then_changed(inbox: Inbox) -> None:
    cid = inbox.start()
    inbox.part(cid, {"message_type": "assignment", "admin_id": str(inbox.admin),
                     "assignee_id": str(inbox.other_admin), "type": "admin"})
    inbox.clock.advance(100)
    rated = _rate(inbox, cid, {"rating": 4, "remark": "Quick, thanks"})
    assert errors_against("conversation", rated) == []
    assert rated["conversation_rating"] == {
        "rating": 4,
        "remark": "Quick, thanks",
        "created_at": TEST_NOW + 100,
        "updated_at": TEST_NOW + 100,
        "contact": {"type": "contact", "id": inbox.contact},
        "teammate": {"type": "admin", "id": str(inbox.other_admin)},
    }
    assert rated["updated_at"] == TEST_NOW + 100
    inbox.clock.advance(50)
    changed = _rate(inbox, cid, {"remark": "Actually it came back"})
    assert changed["conversation_rating"]["rating"] == 4
    assert changed["conversation_rating"]["remark"] == "Actually it came back"
    assert changed["conversation_rating"]["created_at"] == TEST_NOW + 100
    assert changed["conversation_rating"]["updated_at"] == TEST_NOW + 150
    assert _rate(inbox, cid, {"rating": 5})["conversation_rating"]["rating"] == 5


def test_rating_names_the_last_teammate_when_nobody_is_assigned(inbox: Inbox) -> None:
    cid = inbox.start()
    inbox.admin_reply(cid)
    rated = _rate(inbox, cid, {"rating": 5, "contact_id": inbox.contact})
    assert rated["conversation_rating"]["teammate"] == {"type": "admin", "id": str(inbox.admin)}
    unanswered = _rate(inbox, inbox.start(), {"rating": 1})
    assert "teammate" not in unanswered["conversation_rating"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({}, 400, "parameter_invalid"),
        ({"rating": 0}, 400, "parameter_invalid"),
        ({"rating": 6}, 400, "parameter_invalid"),
        ({"rating": "5"}, 400, "parameter_invalid"),
        ({"rating": 4.5}, 400, "parameter_invalid"),
        ({"rating": 5, "remark": 3}, 400, "parameter_invalid"),
        ({"rating": 5, "contact_id": "0" * 24}, 404, "not_found"),
        ({"rating": 5, "contact_id": "OTHER"}, 404, "not_found"),
    ],
)
def test_bad_ratings_change_nothing(
    inbox: Inbox, db: Database, body: dict[str, Any], status: int, code: str
) -> None:
    cid = inbox.start()
    if body.get("contact_id") == "OTHER":  # a contact of this workspace, not in the conversation
        body = {**body, "contact_id": make_contact(db, inbox.ws, now=TEST_NOW)}
    before = copy.deepcopy(inbox.get(cid))
    response = inbox.client.post(
        f"/parlour/conversations/{cid}/rating", json=body, headers=inbox.ws.headers
    )
    assert response.status_code == status, response.text
    assert response.json()["errors"][0]["code"].endswith(code)
    assert inbox.get(cid) == before
    missing = inbox.client.post(
        "/parlour/conversations/999999999/rating", json={"rating": 5}, headers=inbox.ws.headers
    )
    assert missing.status_code == 404
