"""Many clients replying to one conversation at once over HTTP: nothing lost, no 5xx.

    .venv/bin/python benchmarks/concurrent_replies.py                  # 32 x 200 on SQLite
    .venv/bin/python benchmarks/concurrent_replies.py --database-url \\
        postgresql+psycopg://postgres@127.0.0.1:5432/replies_bench

Creates a workspace, an admin, a contact and one conversation, starts `parlour serve`
(2 workers by default), sends the replies from threads (half as the admin, half as the
contact), then checks that every 2xx reply is stored once, in each client's order, and
that `count_conversation_parts` is exact. Exits non-zero when a check fails.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for benchmarks/

from benchmarks.driver import free_port, wait_up

from parlour.conversations import edits
from parlour.conversations.inputs import NewConversation
from parlour.conversations.writes import Writer
from parlour.core.clock import system_clock
from parlour.core.ids import new_contact_id
from parlour.db.migrate import upgrade
from parlour.db.models import Contact
from parlour.wiring import open_database
from parlour.workspaces import service as workspaces


def prepare(url: str, *, name: str, conversations: int = 1) -> tuple[str, int, str, list[int]]:
    """A migrated workspace with an admin, a contact and conversations the contact started:
    (token, admin id, contact id, conversation ids). Shared by the benchmarks."""
    db = open_database(url)
    try:
        upgrade(db.engine)
        now = system_clock()
        with db.unit_of_work(now) as work:
            session = work.session
            workspace, owner = workspaces.create_workspace(session, name=name, now=now)
            token = workspaces.create_token(session, workspace, now=now, admin_id=owner.id)
            contact = Contact(
                id=new_contact_id(now), workspace_id=workspace.id, role="user",
                created_at=now, updated_at=now, custom_attributes={},
            )
            session.add(contact)
            session.flush()
            ids = [
                edits.create_conversation(
                    Writer(work, workspace.id, now),
                    NewConversation(from_type="user", from_id=contact.id, body=f"{name} {n}"),
                ).id
                for n in range(conversations)
            ]
            work.commit()
            return token, owner.id, contact.id, ids
    finally:
        db.dispose()


def _client(base: str, token: str, cid: int, payload: dict[str, Any], n: int, tag: str
            ) -> tuple[Counter[int], list[float]]:
    statuses: Counter[int] = Counter()
    latencies: list[float] = []
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"},
                      timeout=120) as http:
        for i in range(n):
            started = time.perf_counter()
            response = http.post(f"/conversations/{cid}/reply",
                                 json={**payload, "body": f"{tag}-{i}"})
            latencies.append(time.perf_counter() - started)
            statuses[response.status_code] += 1
    return statuses, latencies


def main(argv: list[str] | None = None) -> int:
    """Run the race and check the result."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--replies", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="parlour-race-") as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'race.db'}"
        token, admin, contact, [cid] = prepare(url, name="Replies")
        port = free_port()
        env = {**os.environ, "PARLOUR_DATABASE_URL": url}
        server = subprocess.Popen(
            [sys.executable, "-m", "parlour", "serve", "--port", str(port), "--workers",
             str(args.workers), "--log-level", "warning"],
            env=env,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_up(f"{base}/me", server)
            admin_reply = {"type": "admin", "message_type": "comment", "admin_id": str(admin)}
            contact_reply = {"type": "user", "message_type": "comment",
                             "intercom_user_id": contact}
            started = time.perf_counter()
            with ThreadPoolExecutor(args.clients) as pool:
                results = list(pool.map(
                    lambda n: _client(base, token, cid, admin_reply if n % 2 else contact_reply,
                                      args.replies, f"c{n}"),
                    range(args.clients),
                ))
            elapsed = time.perf_counter() - started
            detail = httpx.get(f"{base}/conversations/{cid}",
                               headers={"Authorization": f"Bearer {token}"}, timeout=60).json()
        finally:
            server.terminate()
            server.wait()

    statuses: Counter[int] = sum((r[0] for r in results), Counter())
    latencies = sorted(x for r in results for x in r[1])
    sent = args.clients * args.replies
    ok = statuses[200]
    print(f"{sent} replies from {args.clients} clients in {elapsed:.1f}s "
          f"({sent / elapsed:.0f}/s), statuses {dict(statuses)}")
    print(f"latency p50 {latencies[len(latencies) // 2] * 1000:.0f} ms, "
          f"p99 {latencies[int(len(latencies) * 0.99) - 1] * 1000:.0f} ms")
    total = detail["conversation_parts"]["total_count"]
    counted = detail["statistics"]["count_conversation_parts"]
    # Retrieve returns at most the 500 newest parts; the totals cover them all.
    failures = []
    if any(code >= 500 for code in statuses):
        failures.append("server errors")
    if total != ok or counted != ok:
        failures.append(f"stored {total} parts (statistics say {counted}) for {ok} 2xx replies")
    bodies = [p["body"] for p in detail["conversation_parts"]["conversation_parts"]]
    if len(set(bodies)) != len(bodies):
        failures.append("duplicated parts")
    for n in range(args.clients):
        mine = [int(b.split("-")[1].rstrip("</p>")) for b in bodies if b.startswith(f"<p>c{n}-")]
        if mine != sorted(mine):
            failures.append(f"client {n}'s replies out of order")
    print("OK" if not failures else "FAILED: " + "; ".join(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
