"""Concurrent replies to one conversation over HTTP: none lost, none duplicated, no 5xx.

The full-size run (32 clients x 200 replies) is `benchmarks/concurrent_replies.py`; the
suite runs a smaller one on both databases, against two server worker processes so that
SQLite's cross-process locking is exercised too.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from parlour.db.session import Database
from tests.conftest import TEST_NOW
from tests.e2e.server import running_server
from tests.factories import (
    ConversationSpec,
    make_admin,
    make_contact,
    make_conversation,
    make_workspace,
)

pytestmark = pytest.mark.e2e
CLIENTS = 8
REPLIES = 12


def _replies(base: str, token: str, conversation_id: int, payload: dict[str, Any], n: int,
             tag: str) -> Counter[int]:
    statuses: Counter[int] = Counter()
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=60) as http:
        for i in range(n):
            body = {**payload, "body": f"{tag}-{i}"}
            response = http.post(f"/conversations/{conversation_id}/reply", json=body)
            statuses[response.status_code] += 1
    return statuses


def test_concurrent_replies_are_all_stored_in_order(
    database_url: str, db: Database, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Every 2xx reply is stored exactly once, positions are dense, counts are exact."""
    ws = make_workspace(db, now=TEST_NOW)
    admin = make_admin(db, ws, now=TEST_NOW)
    contact = make_contact(db, ws, now=TEST_NOW)
    conversation_id = make_conversation(
        db, ws, ConversationSpec(created_at=TEST_NOW - 60, contact_id=contact), now=TEST_NOW
    )
    admin_reply = {"type": "admin", "message_type": "comment", "admin_id": str(admin)}
    contact_reply = {"type": "user", "message_type": "comment", "intercom_user_id": contact}
    with running_server(database_url, tmp_path_factory.mktemp("race"), workers=2) as base:
        with ThreadPoolExecutor(CLIENTS) as pool:
            results = list(
                pool.map(
                    lambda n: _replies(
                        base, ws.token, conversation_id,
                        admin_reply if n % 2 else contact_reply, REPLIES, f"c{n}",
                    ),
                    range(CLIENTS),
                )
            )
        statuses = sum(results, Counter())
        assert statuses == Counter({200: CLIENTS * REPLIES}), statuses
        detail = httpx.get(
            f"{base}/conversations/{conversation_id}", headers=ws.headers, timeout=30
        ).json()
    parts = detail["conversation_parts"]["conversation_parts"]
    assert detail["conversation_parts"]["total_count"] == CLIENTS * REPLIES == len(parts)
    assert detail["statistics"]["count_conversation_parts"] == CLIENTS * REPLIES
    bodies = [p["body"] for p in parts]
    assert len(set(bodies)) == len(bodies)
    for n in range(CLIENTS):
        # Each client's replies appear in the order it sent them.
        mine = [b for b in bodies if b.startswith(f"<p>c{n}-")]
        assert mine == [f"<p>c{n}-{i}</p>" for i in range(REPLIES)]
    times = [p["created_at"] for p in parts]
    assert times == sorted(times)
