"""Background jobs over conversations; each owns its transactions, as a router does a request's."""

from __future__ import annotations

import logging

from parlour.conversations import entries, replies
from parlour.conversations import write_repository as repo
from parlour.conversations.writes import Writer
from parlour.db.session import Database

log = logging.getLogger("parlour.jobs")

# Conversations looked up per query; each is woken in a transaction of its own, so a long
# backlog never holds SQLite's write lock for more than one conversation at a time.
WAKE_BATCH = 100


def wake_due_snoozes(db: Database, now: int, *, limit: int | None = None) -> int:
    """Wake every snoozed conversation whose `snoozed_until` has passed; returns how many.

    Safe to run in several processes at once: each wake locks its conversation and checks
    again, so a conversation is woken exactly once. Each is a unit of work of its own: its
    commit stores the entry and writes the webhook deliveries (`db.unit_of_work`).
    """
    woken = 0
    skipped: set[tuple[int, int]] = set()
    while limit is None or woken < limit:
        with db.read_session() as session:
            due = repo.snooze_due(session, now, WAKE_BATCH + len(skipped))
        due = [key for key in due if key not in skipped]
        if not due:
            break
        for workspace_id, conversation_id in due:
            if limit is not None and woken >= limit:
                break
            with db.unit_of_work(now) as work:
                done = replies.wake_snoozed(Writer(work, workspace_id, now), conversation_id)
                work.commit()
            if done:
                woken += 1
            else:
                # Woken by someone else between our read and our lock.
                skipped.add((workspace_id, conversation_id))
    if woken:
        log.info("woke %d snoozed conversation(s)", woken)
    return woken


def store_missing_entries(db: Database, *, limit: int | None = None) -> int:
    """Render and store list entries that are missing (after a migration or a rename).

    Batch by batch, each in a transaction of its own; returns how many were stored.
    """
    with db.read_session() as session:
        if not entries.missing(session):
            return 0  # the usual case: no write transaction (no SQLite write lock) at all
    stored = 0
    while limit is None or stored < limit:
        with db.unit_of_work() as work:
            batch = entries.refill(work.session)
            work.commit()
        if not batch:
            break
        stored += batch
    if stored:
        log.info("stored %d conversation list entr%s", stored, "y" if stored == 1 else "ies")
    return stored
