"""Webhooks from a real `parlour serve` to a real HTTP endpoint: signed, retried, crash-safe.

The receiver (`tests/webhook_receiver.py`) is an HTTP server on 127.0.0.1 that records
every POST (headers and raw body) and can fail, slow down or hold its answers. Each test
runs on a database of its own (same backend as the session's): a served scheduler sends
every workspace's due deliveries, so on the shared database it would also send other
tests' leftovers (to `hooks.example.com`...) in the middle of these, and the crash test
must own its queue.
"""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from parlour.core.clock import system_clock
from parlour.db.models import WebhookDelivery
from parlour.db.session import Database
from tests.e2e.server import fresh_database, running_server, server_process
from tests.factories import Workspace, make_admin, make_contact, make_workspace
from tests.webhook_receiver import Received, Receiver, running_receiver
from tests.webhook_receiver import verify as verify_signed

pytestmark = pytest.mark.e2e

SECRET = "e2e-webhook-secret"
TIMEOUT = 5  # PARLOUR_WEBHOOK_TIMEOUT: longer than the receiver ever makes parlour wait
LEASE = 8  # PARLOUR_WEBHOOK_LEASE
SERVER_ENV = {
    "PARLOUR_SCHEDULER_INTERVAL": "0.2",
    "PARLOUR_WEBHOOK_RETRY_DELAY": "1",
    "PARLOUR_WEBHOOK_TIMEOUT": str(TIMEOUT),
    # Short, so the crash test waits out a real lease.
    "PARLOUR_WEBHOOK_LEASE": str(LEASE),
}
WAIT = 20.0  # seconds any expected delivery may take


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as endpoint:
        yield endpoint


def verify(request: Received) -> dict[str, Any]:
    """The notification, its signature checked against the subscriptions' secret."""
    return verify_signed(request, SECRET)


# --- databases and servers ----------------------------------------------------------------


@dataclass
class Served:
    """A running `parlour serve` (two workers) on a database of this module's own."""

    base: str
    db: Database


@pytest.fixture(scope="module")
def served(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    directory = tmp_path_factory.mktemp("webhooks-e2e")
    with (
        pytest.MonkeyPatch.context() as env,
        fresh_database(database_url, directory) as (url, db),
    ):
        for key, value in SERVER_ENV.items():
            env.setenv(key, value)
        with running_server(url, directory, workers=2) as base:
            yield Served(base, db)


@dataclass
class Actor:
    """A workspace with an admin and a contact, and an HTTP client for it."""

    http: httpx.Client
    ws: Workspace
    admin: str
    contact: str

    def ok(self, method: str, path: str, body: Any = None) -> Any:
        response = self.http.request(method, path, json=body)
        assert response.status_code == 200, response.text
        return response.json()

    def subscribe(self, url: str, topics: list[str]) -> dict[str, Any]:
        return dict(self.ok("POST", "/parlour/webhooks",
                            {"url": url, "topics": topics, "secret": SECRET}))

    def start_conversation(self, body: str = "Hi, my invoice is wrong") -> str:
        made = self.ok("POST", "/conversations",
                       {"from": {"type": "user", "id": self.contact}, "body": body})
        return str(made["conversation_id"])

    def admin_reply(self, cid: str, body: str = "Looking into it") -> None:
        self.ok("POST", f"/conversations/{cid}/reply",
                {"type": "admin", "message_type": "comment", "admin_id": self.admin, "body": body})

    def deliveries(self, status: str | None = None) -> list[dict[str, Any]]:
        """The workspace's deliveries, oldest first."""
        params = {"status": status} if status else {}
        response = self.http.get("/parlour/webhook_deliveries", params=params)
        assert response.status_code == 200, response.text
        return list(reversed(response.json()["data"]))


@contextmanager
def actor(base: str, db: Database) -> Iterator[Actor]:
    now = system_clock()  # the server runs on the real clock
    ws = make_workspace(db, now=now, name="Hooks")
    admin = str(make_admin(db, ws, now=now))
    contact = make_contact(db, ws, now=now)
    with httpx.Client(base_url=base, headers=ws.headers, timeout=30) as http:
        yield Actor(http, ws, admin, contact)


def eventually(check: Callable[[], bool], what: str, timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out after {timeout}s waiting for {what}"
        time.sleep(0.1)


# --- the tests ----------------------------------------------------------------------------


def test_notifications_arrive_signed_in_order(served: Served, receiver: Receiver) -> None:
    topics = ["conversation.user.created", "conversation.admin.replied",
              "conversation.admin.closed"]
    with actor(served.base, served.db) as me:
        me.subscribe(receiver.url("/hooks/a"), topics)
        began = system_clock()
        cid = me.start_conversation()
        me.admin_reply(cid)
        me.ok("POST", f"/conversations/{cid}/parts",
              {"message_type": "close", "admin_id": me.admin})
        ended = system_clock()
        receiver.wait_for(3)
        time.sleep(1)  # five more scheduler ticks in each worker: nothing else may come
        app_id = me.ok("GET", "/me")["app"]["id_code"]
        recorded = me.deliveries()
    requests = receiver.received()
    assert [r.path for r in requests] == ["/hooks/a"] * 3
    bodies = [verify(r) for r in requests]
    assert [b["topic"] for b in bodies] == topics
    for body in bodies:
        assert body["type"] == "notification_event"
        assert body["app_id"] == app_id
        assert body["data"]["type"] == "notification_event_data"
        assert body["data"]["item"]["type"] == "conversation"
        assert body["data"]["item"]["id"] == cid
        assert body["id"].startswith("notif_")
        assert body["delivery_attempts"] == 1
        assert began <= body["created_at"] <= ended
        assert body["created_at"] <= body["first_sent_at"] <= system_clock()
    assert bodies[2]["data"]["item"]["state"] == "closed"
    assert len({b["id"] for b in bodies}) == 3
    assert [(d["notification_id"], d["status"], d["attempts"]) for d in recorded] == [
        (b["id"], "delivered", 1) for b in bodies
    ]


def test_failed_attempts_are_retried_until_delivered(served: Served, receiver: Receiver) -> None:
    receiver.fail_first = 2
    with actor(served.base, served.db) as me:
        me.subscribe(receiver.url("/hooks/b"), ["conversation.user.created"])
        cid = me.start_conversation()
        requests = receiver.wait_for(3)
        eventually(lambda: bool(me.deliveries("delivered")), "the delivery to be recorded")
        time.sleep(0.5)
        recorded = me.deliveries()
    requests = receiver.received()
    assert [r.answer for r in requests] == [500, 500, 200]
    bodies = [verify(r) for r in requests]
    assert [b["delivery_attempts"] for b in bodies] == [1, 2, 3]
    assert len({b["id"] for b in bodies}) == 1  # the same notification each time
    assert len({b["first_sent_at"] for b in bodies}) == 1
    assert {b["data"]["item"]["id"] for b in bodies} == {cid}
    # Backed off (1 s, then 2 s, in whole seconds), not retried at once.
    assert requests[2].at - requests[0].at > 1.0
    assert len(recorded) == 1
    done = recorded[0]
    assert (done["notification_id"], done["status"], done["attempts"]) == (
        bodies[0]["id"], "delivered", 3)
    assert done["last_status_code"] == 200 and done["last_error"] is None
    assert done["delivered_at"] is not None and done["next_attempt_at"] is None


def test_a_server_killed_mid_delivery_loses_no_notification(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, receiver: Receiver
) -> None:
    """At least once, across a SIGKILL of the whole server (both workers) mid-send.

    The receiver answers slowly and holds its third request, so the crash happens with two
    notifications delivered, one in flight (received, outcome never recorded) and seven
    never sent. A new server on the same database must send the in-flight one again (same
    id) once its lease has run out, and every other one, in order.

    The lease is short (`PARLOUR_WEBHOOK_LEASE`), so the new server really waits it out:
    nothing is resent before the lease ends, and the rest of the subscription's queue waits
    behind the leased delivery.
    """
    for key, value in SERVER_ENV.items():
        monkeypatch.setenv(key, value)
    receiver.delay = 0.2
    receiver.hold_from = 3
    path = "/hooks/crash"
    with fresh_database(database_url, tmp_path) as (url, db):
        with server_process(url, tmp_path, workers=2, log_name="serve-1.log",
                            own_group=True) as (base, process), actor(base, db) as me:
            me.subscribe(receiver.url(path), ["conversation.user.created",
                                              "conversation.admin.replied"])
            for n in range(5):
                cid = me.start_conversation(f"Problem {n}")
                me.admin_reply(cid, f"Answer {n}")
            written = [d["notification_id"] for d in me.deliveries()]
            assert len(written) == 10
            receiver.wait_for(3)  # the third is in flight: received, not answered
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        before_restart = receiver.received()
        in_flight = before_restart[-1].json()["id"]
        assert [r.json()["id"] for r in before_restart] == written[:3]
        receiver.hold_from, receiver.delay = None, 0.0
        receiver.release.set()

        with db.read_session() as session:
            rows = {r.notification_id: r for r in session.scalars(
                select(WebhookDelivery).order_by(WebhookDelivery.id))}
        assert [rows[n].status for n in written] == ["delivered"] * 2 + ["pending"] * 8
        leased = rows[in_flight]
        assert leased.attempts == 1 and leased.first_sent_at is not None  # counted when leased
        assert leased.next_attempt_at == leased.first_sent_at + LEASE
        assert all(rows[n].first_sent_at is None for n in written[3:])  # never sent

        with (
            server_process(url, tmp_path, workers=2, log_name="serve-2.log") as (base, _),
            httpx.Client(base_url=base, headers=me.ws.headers, timeout=30) as http,
        ):
            def all_delivered() -> bool:
                listed = http.get("/parlour/webhook_deliveries",
                                  params={"status": "delivered"}).json()["data"]
                return len(listed) == len(written)

            eventually(all_delivered, "every delivery to be delivered")
            final = list(reversed(http.get("/parlour/webhook_deliveries").json()["data"]))

    requests = receiver.received()
    assert {r.path for r in requests} == {path}
    ids = [verify(r)["id"] for r in requests]
    assert set(ids) == set(written)
    copies = Counter(ids)
    assert {n: c for n, c in copies.items() if c > 1} == {in_flight: 2}
    # Per-subscription order survives the crash: the resend first, then the rest.
    assert ids == written[:3] + written[2:]
    # The resend waited for the lease to run out (it started when the third was sent).
    assert requests[3].at - requests[2].at >= LEASE - 1.5
    resent = requests[3].json()
    assert resent["first_sent_at"] == requests[2].json()["first_sent_at"]
    assert [(d["notification_id"], d["status"]) for d in final] == [
        (n, "delivered") for n in written
    ]
