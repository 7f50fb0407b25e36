"""Snoozed conversations wake when `snoozed_until` passes: the job and the scheduler.

The job wakes due conversations of every workspace, and other tests' snoozes share the
database: assertions look at this test's conversations, not at the job's global count.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest
from starlette.testclient import TestClient

from parlour.app import create_app
from parlour.conversations.jobs import wake_due_snoozes
from parlour.core.clock import FrozenClock
from parlour.db.session import Database
from parlour.scheduler import Job, Scheduler
from tests.conftest import TEST_NOW, make_settings
from tests.contract.intercom_spec import errors_against
from tests.conversations.conftest import Inbox


def _snooze(inbox: Inbox, cid: str, seconds: int) -> int:
    until = inbox.clock() + seconds
    inbox.part(
        cid, {"message_type": "snoozed", "admin_id": str(inbox.admin), "snoozed_until": until}
    )
    return until


def _kinds(conversation: dict[str, Any]) -> list[str]:
    return [p["part_type"] for p in conversation["conversation_parts"]["conversation_parts"]]


def test_due_snooze_wakes_with_a_timer_part_dated_when_it_was_due(
    inbox: Inbox, db: Database
) -> None:
    cid = inbox.start()
    inbox.admin_reply(cid)
    until = _snooze(inbox, cid, 600)
    inbox.clock.advance(599)
    wake_due_snoozes(db, inbox.clock())
    assert inbox.get(cid)["state"] == "snoozed"

    inbox.clock.advance(3600)  # the scheduler is late: the part is still dated `until`
    assert wake_due_snoozes(db, inbox.clock()) >= 1
    woken = inbox.get(cid)
    assert errors_against("conversation", woken) == []
    assert woken["state"] == "open" and woken["open"] is True
    assert woken["snoozed_until"] is None
    assert _kinds(woken) == ["comment", "snoozed", "timer_unsnooze"]
    timer = woken["conversation_parts"]["conversation_parts"][-1]
    assert timer["created_at"] == until and timer["author"]["type"] == "bot"
    assert timer["author"]["id"] == str(inbox.ws.owner_id)  # the first admin signs as bot
    assert woken["updated_at"] == until
    assert woken["statistics"]["count_conversation_parts"] == 3
    assert woken["statistics"]["count_reopens"] == 0  # waking is not a reopen
    # A teammate replied last: nobody is waiting after the wake either.
    assert woken["waiting_since"] is None
    # Exactly once.
    wake_due_snoozes(db, inbox.clock())
    assert _kinds(inbox.get(cid)) == ["comment", "snoozed", "timer_unsnooze"]


def test_a_contact_reply_wakes_first_and_the_timer_does_nothing(
    inbox: Inbox, db: Database
) -> None:
    cid = inbox.start()
    _snooze(inbox, cid, 600)
    inbox.clock.advance(60)
    inbox.contact_reply(cid)
    inbox.clock.advance(3600)
    wake_due_snoozes(db, inbox.clock())
    woken = inbox.get(cid)
    assert woken["state"] == "open" and _kinds(woken) == ["snoozed", "comment"]
    assert woken["waiting_since"] == TEST_NOW


def test_parts_added_while_overdue_keep_the_timeline_ordered(inbox: Inbox, db: Database) -> None:
    cid = inbox.start()
    until = _snooze(inbox, cid, 600)
    inbox.clock.advance(900)
    note_at = inbox.clock()
    inbox.admin_reply(cid, kind="note")  # a note does not wake a conversation
    assert inbox.get(cid)["state"] == "snoozed"
    wake_due_snoozes(db, inbox.clock())
    parts = inbox.get(cid)["conversation_parts"]["conversation_parts"]
    assert [p["part_type"] for p in parts] == ["snoozed", "note", "timer_unsnooze"]
    assert parts[-1]["created_at"] == note_at > until


def test_many_due_conversations_across_workspaces_all_wake(inbox: Inbox, db: Database) -> None:
    ids = [inbox.start(body=f"Question {n}") for n in range(7)]
    for cid in ids:
        _snooze(inbox, cid, 120)
    inbox.clock.advance(121)
    assert wake_due_snoozes(db, inbox.clock(), limit=3) == 3
    wake_due_snoozes(db, inbox.clock())
    assert {inbox.get(cid)["state"] for cid in ids} == {"open"}


def test_the_server_scheduler_wakes_without_any_request(database_url: str, db: Database) -> None:
    """`create_app` runs the job on its own thread while the server is up."""
    from tests.factories import make_admin, make_contact, make_workspace

    clock = FrozenClock(TEST_NOW)
    app = create_app(make_settings(database_url, scheduler_interval=0.05), clock=clock)
    ws = make_workspace(db, now=TEST_NOW)
    admin = make_admin(db, ws, now=TEST_NOW)
    contact = make_contact(db, ws, now=TEST_NOW)
    with TestClient(app, raise_server_exceptions=False) as client:
        created = client.post(
            "/conversations",
            json={"from": {"type": "user", "id": contact}, "body": "Hello"},
            headers=ws.headers,
        ).json()
        cid = created["conversation_id"]
        client.post(
            f"/conversations/{cid}/parts",
            json={"message_type": "snoozed", "admin_id": str(admin),
                  "snoozed_until": TEST_NOW + 300},
            headers=ws.headers,
        ).raise_for_status()
        clock.advance(301)
        deadline = time.monotonic() + 10
        state = "snoozed"
        while state == "snoozed" and time.monotonic() < deadline:
            time.sleep(0.05)
            state = client.get(f"/conversations/{cid}", headers=ws.headers).json()["state"]
        assert state == "open"


def test_a_failing_job_is_logged_and_the_others_still_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ran: list[str] = []

    def broken() -> None:
        raise RuntimeError("database went away")

    scheduler = Scheduler([Job("broken", broken), Job("fine", lambda: ran.append("fine"))], 60)
    with caplog.at_level(logging.ERROR, logger="parlour.scheduler"):
        scheduler.tick()
        scheduler.tick()
    assert ran == ["fine", "fine"]
    assert "background job broken failed" in caplog.text


def test_scheduler_stops_promptly() -> None:
    ticks: list[float] = []
    scheduler = Scheduler([Job("count", lambda: ticks.append(time.monotonic()))], 3600)
    scheduler.start()
    started = time.monotonic()
    while not ticks and time.monotonic() - started < 5:
        time.sleep(0.01)
    scheduler.stop()
    assert len(ticks) == 1  # the first tick runs at once, the next would be an hour later
    assert time.monotonic() - started < 5
