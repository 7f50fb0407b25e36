"""Webhooks in-process: subscriptions, which action fires which topic, signed delivery, retries.

Delivery goes through `deliver_due` with an `httpx.MockTransport` receiver, so every
attempt, its timing and its outcome are deterministic; `tests/e2e/test_webhooks_e2e.py`
does the same against a real server and a real receiver. `deliver_due` serves every
workspace and tests share a database, so each test's endpoint has a path of its own and
the receiver answers (and records) only requests to that path.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from parlour.conversations.jobs import wake_due_snoozes
from parlour.db.session import Database
from parlour.webhooks.delivery import RetryPolicy, deliver_due
from parlour.webhooks.topics import TOPICS
from tests.conftest import TEST_NOW
from tests.contract.intercom_spec import errors_against
from tests.conversations.conftest import Inbox
from tests.factories import make_tag, make_workspace

SECRET = "s3cret-for-tests"


class Receiver:
    """Records requests to its own path; answers them with `responses` in turn, then 200."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.requests: list[httpx.Request] = []
        self.responses: list[int | Exception] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path != self.path:
            return httpx.Response(200)  # another test's leftover notification
        self.requests.append(request)
        outcome = self.responses.pop(0) if self.responses else 200
        if isinstance(outcome, Exception):
            raise outcome
        return httpx.Response(outcome)

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.requests]


@pytest.fixture
def receiver(inbox: Inbox) -> Receiver:
    return Receiver(f"/hooks/{inbox.ws.app_id}")


def _subscribe(inbox: Inbox, topics: list[str] | tuple[str, ...] = TOPICS) -> dict[str, Any]:
    url = f"https://hooks.example.com/hooks/{inbox.ws.app_id}"
    return inbox.post("/parlour/webhooks", {"url": url, "topics": list(topics), "secret": SECRET})


def _deliveries(inbox: Inbox, status: str | None = None) -> list[dict[str, Any]]:
    params = {"status": status} if status else {}
    response = inbox.client.get("/parlour/webhook_deliveries", params=params,
                                headers=inbox.ws.headers)
    assert response.status_code == 200, response.text
    return list(reversed(response.json()["data"]))  # oldest first


def _deliver(db: Database, inbox: Inbox, receiver: Receiver, **policy: Any) -> Any:
    with httpx.Client(transport=httpx.MockTransport(receiver)) as client:
        return deliver_due(db, inbox.clock, client, RetryPolicy(**policy))


def test_subscriptions_create_list_get_delete(inbox: Inbox, db: Database) -> None:
    made = _subscribe(inbox, ["conversation.user.created"])
    assert made["type"] == "webhook_subscription" and made["secret"] == SECRET
    assert made["topics"] == ["conversation.user.created"] and made["active"] is True
    generated = inbox.post("/parlour/webhooks", {"url": "http://127.0.0.1:9/x",
                                                 "topics": ["conversation.deleted"]})
    assert len(generated["secret"]) >= 32
    listed = inbox.client.get("/parlour/webhooks", headers=inbox.ws.headers).json()
    assert [s["id"] for s in listed["data"]] == [made["id"], generated["id"]]
    other = make_workspace(db, now=TEST_NOW)
    for headers in (other.headers,):
        assert inbox.client.get(f"/parlour/webhooks/{made['id']}",
                                headers=headers).status_code == 404
        assert inbox.client.delete(f"/parlour/webhooks/{made['id']}",
                                   headers=headers).status_code == 404
    gone = inbox.client.delete(f"/parlour/webhooks/{made['id']}", headers=inbox.ws.headers)
    assert gone.json() == {"type": "webhook_subscription", "id": made["id"], "deleted": True}
    assert inbox.client.get(f"/parlour/webhooks/{made['id']}",
                            headers=inbox.ws.headers).status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"url": "ftp://example.com/x", "topics": ["conversation.deleted"]},
        {"url": "/relative", "topics": ["conversation.deleted"]},
        {"url": "https://example.com/x", "topics": []},
        {"url": "https://example.com/x", "topics": ["conversation.exploded"]},
        {"url": "https://example.com/x", "topics": "conversation.deleted"},
        {"url": "https://example.com/x", "topics": ["conversation.deleted"], "secret": "short"},
        {"topics": ["conversation.deleted"]},
    ],
)
def test_bad_subscriptions_are_refused(inbox: Inbox, body: dict[str, Any]) -> None:
    response = inbox.client.post("/parlour/webhooks", json=body, headers=inbox.ws.headers)
    assert response.status_code == 400, response.text
    assert errors_against("error", response.json()) == []
    assert inbox.client.get("/parlour/webhooks", headers=inbox.ws.headers).json()["data"] == []


def _new_topics(inbox: Inbox, seen: list[str], action: Callable[[], Any]) -> list[str]:
    action()
    topics = [d["topic"] for d in _deliveries(inbox)]
    fresh = topics[len(seen):]
    seen.extend(fresh)
    return fresh


def test_each_action_fires_its_topic_and_only_it(inbox: Inbox, db: Database) -> None:
    _subscribe(inbox)
    admin = str(inbox.admin)
    tag = make_tag(db, inbox.ws, now=TEST_NOW, name="Billing")
    seen: list[str] = []
    cid = ""

    def start() -> None:
        nonlocal cid
        cid = inbox.start()

    def act(body: dict[str, Any]) -> Callable[[], Any]:
        return lambda: inbox.part(cid, {"admin_id": admin, **body})

    def request(method: str, path: str, body: Any = None, status: int = 200) -> Callable[[], Any]:
        def run() -> None:
            response = inbox.client.request(method, path.format(cid=cid), json=body,
                                            headers=inbox.ws.headers)
            assert response.status_code == status, response.text
        return run

    def wake() -> None:
        inbox.clock.advance(4000)
        wake_due_snoozes(db, inbox.clock())

    steps: list[tuple[Callable[[], Any], list[str]]] = [
        (start, ["conversation.user.created"]),
        (lambda: inbox.contact_reply(cid), ["conversation.user.replied"]),
        (lambda: inbox.admin_reply(cid), ["conversation.admin.replied"]),
        (lambda: inbox.admin_reply(cid, kind="note"), ["conversation.admin.noted"]),
        (act({"message_type": "close"}), ["conversation.admin.closed"]),
        (act({"message_type": "close"}), []),  # already closed: nothing happens
        (act({"message_type": "open"}), ["conversation.admin.opened"]),
        (act({"message_type": "snoozed", "snoozed_until": TEST_NOW + 3600}),
         ["conversation.admin.snoozed"]),
        (wake, ["conversation.admin.unsnoozed"]),
        (act({"message_type": "assignment", "type": "team", "assignee_id": str(inbox.team)}),
         ["conversation.admin.assigned"]),
        (request("POST", "/conversations/{cid}/run_assignment_rules"),
         ["conversation.admin.assigned"]),
        (request("POST", "/conversations/{cid}/tags", {"id": str(tag), "admin_id": admin}),
         ["conversation_part.tag.created"]),
        (request("DELETE", f"/conversations/{{cid}}/tags/{tag}", {"admin_id": admin}), []),
        (request("POST", "/conversations/{cid}/customers",
                 {"admin_id": admin, "customer": {"intercom_user_id": inbox.lead}}),
         ["conversation.contact.attached"]),
        (request("DELETE", f"/conversations/{{cid}}/customers/{inbox.lead}", {"admin_id": admin}),
         ["conversation.contact.detached"]),
        (request("PUT", "/conversations/{cid}", {"read": True}), ["conversation.read"]),
        (request("PUT", "/conversations/{cid}", {"title": "Invoice"}), []),
        (request("POST", "/parlour/conversations/{cid}/rating", {"rating": 5}),
         ["conversation.rating.added"]),
        (request("POST", "/conversations/{cid}/reply",
                 {"type": "admin", "message_type": "shout", "admin_id": admin}, status=400), []),
        (request("DELETE", "/conversations/{cid}"), ["conversation.deleted"]),
    ]
    for number, (action, expected) in enumerate(steps):
        assert _new_topics(inbox, seen, action) == expected, f"step {number}"
    deleted = _deliveries(inbox)[-1]
    assert deleted["item"] == {"type": "conversation", "id": cid}


def test_redacting_a_part_fires_its_topic(inbox: Inbox) -> None:
    _subscribe(inbox, ["conversation_part.redacted"])
    cid = inbox.start()
    reply = inbox.contact_reply(cid)
    part_id = reply["conversation_parts"]["conversation_parts"][-1]["id"]
    inbox.post("/conversations/redact", {"type": "conversation_part", "conversation_id": cid,
                                         "conversation_part_id": part_id})
    (redacted,) = _deliveries(inbox)
    assert redacted["topic"] == "conversation_part.redacted"
    parts = redacted["item"]["conversation_parts"]["conversation_parts"]
    assert [(p["id"], p["redacted"], p["body"]) for p in parts] == [(part_id, True, "")]


def test_only_subscribed_topics_of_the_workspace_are_recorded(inbox: Inbox, db: Database) -> None:
    _subscribe(inbox, ["conversation.admin.closed"])
    other = make_workspace(db, now=TEST_NOW)
    inbox.client.post("/parlour/webhooks", headers=other.headers,
                      json={"url": "https://other.example.com", "topics": list(TOPICS)})
    cid = inbox.start()
    inbox.admin_reply(cid)
    inbox.part(cid, {"message_type": "close", "admin_id": str(inbox.admin)})
    assert [d["topic"] for d in _deliveries(inbox)] == ["conversation.admin.closed"]
    theirs = inbox.client.get("/parlour/webhook_deliveries", headers=other.headers).json()
    assert theirs["data"] == []


def test_delivery_is_signed_and_carries_the_conversation(
    inbox: Inbox, db: Database, receiver: Receiver
) -> None:
    _subscribe(inbox, ["conversation.admin.replied"])
    cid = inbox.start()
    inbox.clock.advance(30)
    inbox.admin_reply(cid, body="On it")
    inbox.clock.advance(5)
    report = _deliver(db, inbox, receiver)
    assert report.delivered >= 1
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    expected = "sha1=" + hmac.new(SECRET.encode(), request.content, hashlib.sha1).hexdigest()
    assert request.headers["X-Hub-Signature"] == expected
    assert request.headers["Content-Type"] == "application/json"
    body = json.loads(request.content)
    assert body["type"] == "notification_event" and body["topic"] == "conversation.admin.replied"
    assert body["id"].startswith("notif_") and body["delivery_attempts"] == 1
    assert body["created_at"] == TEST_NOW + 30 and body["first_sent_at"] == TEST_NOW + 35
    assert body["data"]["type"] == "notification_event_data"
    item = body["data"]["item"]
    assert errors_against("conversation", item) == []
    assert item["id"] == cid and item["state"] == "open"
    parts = item["conversation_parts"]["conversation_parts"]
    assert [p["body"] for p in parts] == ["<p>On it</p>"]  # the part that raised the topic
    workspace = inbox.client.get("/me", headers=inbox.ws.headers).json()
    assert body["app_id"] == workspace["app"]["id_code"]
    delivered = _deliveries(inbox, "delivered")
    assert delivered[-1]["attempts"] == 1 and delivered[-1]["delivered_at"] == TEST_NOW + 35


def test_failures_retry_with_backoff_then_deliver(
    inbox: Inbox, db: Database, receiver: Receiver
) -> None:
    _subscribe(inbox, ["conversation.user.created"])
    inbox.start()
    receiver.responses = [500, httpx.ReadTimeout("slow"), 200]
    _deliver(db, inbox, receiver)
    pending = _deliveries(inbox, "pending")[-1]
    assert pending["attempts"] == 1 and pending["last_status_code"] == 500
    assert pending["next_attempt_at"] == TEST_NOW + 60
    inbox.clock.advance(59)
    _deliver(db, inbox, receiver)
    assert len(receiver.requests) == 1  # not due yet
    inbox.clock.advance(1)
    _deliver(db, inbox, receiver)
    pending = _deliveries(inbox, "pending")[-1]
    assert pending["attempts"] == 2 and pending["last_status_code"] is None
    assert "ReadTimeout" in pending["last_error"]
    assert pending["next_attempt_at"] == TEST_NOW + 60 + 120  # doubled
    inbox.clock.advance(120)
    _deliver(db, inbox, receiver)
    bodies = receiver.bodies()
    assert [b["delivery_attempts"] for b in bodies] == [1, 2, 3]
    assert len({b["id"] for b in bodies}) == 1  # the same notification each time
    assert {b["first_sent_at"] for b in bodies} == {TEST_NOW}
    done = _deliveries(inbox, "delivered")[-1]
    assert done["attempts"] == 3 and done["last_error"] is None


def test_dead_after_the_budget_and_replay(inbox: Inbox, db: Database, receiver: Receiver) -> None:
    _subscribe(inbox, ["conversation.user.created"])
    inbox.start()
    receiver.responses = [503, 503]
    _deliver(db, inbox, receiver, max_attempts=2)
    inbox.clock.advance(60)
    _deliver(db, inbox, receiver, max_attempts=2)
    dead = _deliveries(inbox, "dead")
    assert len(dead) == 1 and dead[0]["attempts"] == 2 and dead[0]["next_attempt_at"] is None
    inbox.clock.advance(10_000)
    _deliver(db, inbox, receiver, max_attempts=2)
    assert len(receiver.requests) == 2  # the dead letter is not retried
    replayed = inbox.post(f"/parlour/webhook_deliveries/{dead[0]['id']}/replay", {})
    assert replayed["status"] == "pending" and replayed["attempts"] == 0
    _deliver(db, inbox, receiver, max_attempts=2)
    assert _deliveries(inbox, "delivered")[-1]["id"] == dead[0]["id"]
    missing = inbox.client.post("/parlour/webhook_deliveries/999999/replay",
                                headers=inbox.ws.headers)
    assert missing.status_code == 404


def test_a_subscription_receives_in_order_a_retry_holds_the_rest(
    inbox: Inbox, db: Database, receiver: Receiver
) -> None:
    _subscribe(inbox, ["conversation.user.created", "conversation.admin.replied"])
    cid = inbox.start()
    inbox.admin_reply(cid)
    receiver.responses = [500]
    _deliver(db, inbox, receiver)
    assert [b["topic"] for b in receiver.bodies()] == ["conversation.user.created"]
    inbox.clock.advance(60)
    _deliver(db, inbox, receiver)
    assert [b["topic"] for b in receiver.bodies()] == [
        "conversation.user.created", "conversation.user.created", "conversation.admin.replied",
    ]


def test_a_worker_that_dies_mid_delivery_is_retried_after_its_lease(
    inbox: Inbox, db: Database, receiver: Receiver
) -> None:
    """At least once: a leased delivery whose outcome was never recorded is sent again."""
    from parlour.webhooks import delivery

    _subscribe(inbox, ["conversation.user.created"])
    inbox.start()
    policy = RetryPolicy(lease=120)
    # Lease everything due (this test's delivery among others); the worker then "dies".
    while delivery._lease_one(db, inbox.clock(), policy, delivery.DeliveryReport()):
        pass
    _deliver(db, inbox, receiver, lease=120)
    assert receiver.requests == []  # leased: nobody else takes it
    inbox.clock.advance(120)
    _deliver(db, inbox, receiver, lease=120)
    bodies = receiver.bodies()
    assert [b["topic"] for b in bodies] == ["conversation.user.created"]
    assert bodies[0]["delivery_attempts"] == 2  # the lost attempt counts
    assert _deliveries(inbox, "delivered")[-1]["attempts"] == 2


def test_attempts_that_never_report_back_still_run_out(
    inbox: Inbox, db: Database, receiver: Receiver
) -> None:
    from parlour.webhooks import delivery

    _subscribe(inbox, ["conversation.user.created"])
    inbox.start()
    policy = RetryPolicy(lease=10, max_attempts=2)
    for _ in range(2):  # two workers die mid-send
        while delivery._lease_one(db, inbox.clock(), policy, delivery.DeliveryReport()):
            pass
        inbox.clock.advance(10)
    _deliver(db, inbox, receiver, lease=10, max_attempts=2)
    assert receiver.requests == []
    (dead,) = _deliveries(inbox, "dead")
    assert dead["attempts"] == 2 and "worker stopped" in dead["last_error"]


def test_an_outcome_after_the_lease_was_taken_over_is_ignored(
    inbox: Inbox, db: Database
) -> None:
    """A slow send whose lease ran out must not count twice or overwrite the new attempt."""
    from parlour.webhooks import delivery

    _subscribe(inbox, ["conversation.user.created"])
    inbox.start()
    policy = RetryPolicy(lease=10)
    report = delivery.DeliveryReport()
    first = delivery._lease_one(db, inbox.clock(), policy, report)
    while first is not None and f"/hooks/{inbox.ws.app_id}" not in first.url:
        first = delivery._lease_one(db, inbox.clock(), policy, report)
    assert first is not None
    inbox.clock.advance(10)
    second = delivery._lease_one(db, inbox.clock(), policy, report)
    while second is not None and second.delivery_id != first.delivery_id:
        second = delivery._lease_one(db, inbox.clock(), policy, report)
    assert second is not None and second.lease_until > first.lease_until
    delivery._record(db, first, inbox.clock(), 500, "HTTP 500", policy, report)
    (pending,) = _deliveries(inbox, "pending")
    assert pending["attempts"] == 2 and pending["last_error"] is None
    delivery._record(db, second, inbox.clock(), 200, None, policy, report)
    assert _deliveries(inbox, "delivered")[-1]["attempts"] == 2


def test_deleting_a_subscription_drops_its_pending_deliveries(inbox: Inbox) -> None:
    made = _subscribe(inbox, ["conversation.user.created"])
    inbox.start()
    assert len(_deliveries(inbox, "pending")) == 1
    inbox.client.delete(f"/parlour/webhooks/{made['id']}", headers=inbox.ws.headers)
    assert _deliveries(inbox) == []


@pytest.mark.parametrize("params", [{"status": "lost"}, {"per_page": "0"}, {"before": "x"}])
def test_bad_delivery_queries_are_400(inbox: Inbox, params: dict[str, str]) -> None:
    response = inbox.client.get("/parlour/webhook_deliveries", params=params,
                                headers=inbox.ws.headers)
    assert response.status_code == 400
