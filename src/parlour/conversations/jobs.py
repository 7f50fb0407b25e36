"""Background jobs over conversations; each owns its transactions, as a router does a request's."""

from __future__ import annotations

import logging

from parlour.conversations import lifecycle, repository, summaries
from parlour.db.session import Database
from parlour.webhooks.outbox import record_announced

log = logging.getLogger("parlour.jobs")

# Conversations looked up per query; each is woken in a transaction of its own, so a long
# backlog never holds SQLite's write lock for more than one conversation at a time.
WAKE_BATCH = 100


def wake_due_snoozes(db: Database, now: int, *, limit: int | None = None) -> int:
    """Wake every snoozed conversation whose `snoozed_until` has passed; returns how many.

    Safe to run in several processes at once: each wake locks its conversation and checks
    again, so a conversation is woken exactly once.
    """
    woken = 0
    skipped: set[tuple[int, int]] = set()
    while limit is None or woken < limit:
        with db.read_session() as session:
            due = repository.snooze_due(session, now, WAKE_BATCH + len(skipped))
        due = [key for key in due if key not in skipped]
        if not due:
            break
        for workspace_id, conversation_id in due:
            if limit is not None and woken >= limit:
                break
            with db.write_session() as session:
                done = lifecycle.wake_snoozed(
                    session, workspace_id=workspace_id, now=now, conversation_id=conversation_id
                )
                record_announced(session, now)
                session.commit()
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
        if not summaries.missing(session):
            return 0  # the usual case: no write transaction (no SQLite write lock) at all
    stored = 0
    while limit is None or stored < limit:
        with db.write_session() as session:
            batch = summaries.refill(session)
            session.commit()
        if not batch:
            break
        stored += batch
    if stored:
        log.info("stored %d conversation list entr%s", stored, "y" if stored == 1 else "ies")
    return stored
