"""A real `parlour serve` wakes a snoozed conversation on its own, with no request to prompt it."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from parlour.core.clock import system_clock
from parlour.db.session import Database
from tests.e2e.server import running_server
from tests.factories import make_admin, make_contact, make_workspace

pytestmark = pytest.mark.e2e


def test_served_scheduler_wakes_snoozed_conversation(
    database_url: str, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = system_clock()
    ws = make_workspace(db, now=now, name="Scheduler")
    admin = make_admin(db, ws, now=now)
    contact = make_contact(db, ws, now=now)
    monkeypatch.setenv("PARLOUR_SCHEDULER_INTERVAL", "0.2")
    with running_server(database_url, tmp_path, workers=2) as base, httpx.Client(
        base_url=base, headers=ws.headers, timeout=10
    ) as http:
        created = http.post(
            "/conversations", json={"from": {"type": "user", "id": contact}, "body": "Hi"}
        )
        cid = created.json()["conversation_id"]
        until = system_clock() + 2
        snoozed = http.post(
            f"/conversations/{cid}/parts",
            json={"message_type": "snoozed", "admin_id": str(admin), "snoozed_until": until},
        )
        assert snoozed.status_code == 200 and snoozed.json()["state"] == "snoozed"
        deadline = time.monotonic() + 20
        conversation = snoozed.json()
        while conversation["state"] == "snoozed" and time.monotonic() < deadline:
            time.sleep(0.2)
            conversation = http.get(f"/conversations/{cid}").json()
    assert conversation["state"] == "open"
    kinds = [p["part_type"] for p in conversation["conversation_parts"]["conversation_parts"]]
    # Two workers run the scheduler: the conversation is still woken exactly once.
    assert kinds == ["snoozed", "timer_unsnooze"]
    assert conversation["conversation_parts"]["conversation_parts"][-1]["created_at"] == until
