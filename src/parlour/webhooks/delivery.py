"""Send due webhook deliveries: signed POSTs, retries with exponential backoff, dead letters.

At least once: a worker leases one delivery (pushes its due time forward, counts the
attempt) and commits, then sends it, then records the outcome, unless the lease was taken
over meanwhile. If the worker dies in between, the lease runs out and the delivery is sent
again with the same notification id, so receivers can drop duplicates; a delivery whose
attempts keep crashing still runs out of budget. Several workers (processes, or servers
on one PostgreSQL) share the queue safely: the lease is taken under `FOR UPDATE SKIP
LOCKED`, and SQLite runs writers one at a time.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from parlour import __version__
from parlour.db.models import WebhookDelivery
from parlour.db.session import Database
from parlour.webhooks import repository

log = logging.getLogger("parlour.webhooks")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How long to wait for an endpoint, and how often and how late to try again."""

    timeout: float = 5.0
    max_attempts: int = 8
    base_delay: int = 60
    max_delay: int = 3600
    # How long one send may take before another worker may send the delivery again.
    lease: int = 120

    def delay(self, attempts: int) -> int:
        """Seconds before the next try after `attempts` failed ones: base, 2x base, 4x..."""
        return int(min(self.max_delay, self.base_delay * 2 ** max(attempts - 1, 0)))


@dataclass(frozen=True, slots=True)
class _Job:
    delivery_id: int
    url: str
    secret: str
    body: bytes
    lease_until: int  # identifies this lease: a later one moves the due time again


@dataclass(slots=True)
class DeliveryReport:
    """What one run did."""

    delivered: int = 0
    retrying: int = 0
    dead: int = 0


def envelope(row: WebhookDelivery, app_id: str, now: int) -> dict[str, Any]:
    """The notification as Intercom sends it."""
    return {
        "type": "notification_event",
        "app_id": app_id,
        "data": {"type": "notification_event_data", "item": row.item},
        "links": {},
        "id": row.notification_id,
        "topic": row.topic,
        "delivery_status": "pending",
        "delivery_attempts": row.attempts,
        "delivered_at": 0,
        "first_sent_at": row.first_sent_at or now,
        "created_at": row.created_at,
        "self": None,
    }


def signature(secret: str, body: bytes) -> str:
    """Intercom's `X-Hub-Signature`: `sha1=` and the hex HMAC-SHA1 of the body."""
    return "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()


def deliver_due(
    db: Database,
    clock: Callable[[], int],
    client: httpx.Client,
    policy: RetryPolicy,
) -> DeliveryReport:
    """Send deliveries one at a time until none is due, recording each outcome.

    A success lets the next delivery of its subscription go in the same run; a failure
    is due again only after its delay, so the run ends.
    """
    report = DeliveryReport()
    while True:
        job = _lease_one(db, clock(), policy, report)
        if job is None:
            return report
        if job.url:
            status, error = _send(client, job, policy)
            _record(db, job, clock(), status, error, policy, report)


def _lease_one(
    db: Database, now: int, policy: RetryPolicy, report: DeliveryReport
) -> _Job | None:
    """Lease the next due delivery (None when nothing is due)."""
    with db.write_session() as session:
        claimed = repository.claim_due(session, now, 1)
        if not claimed:
            return None
        row = claimed[0]
        if row.attempts >= policy.max_attempts:
            # Its last attempts never reported back (the worker died): out of budget.
            row.status = "dead"
            row.last_error = row.last_error or "no outcome recorded (worker stopped)"
            session.commit()
            report.dead += 1
            return _Job(row.id, "", "", b"", 0)
        subscription = repository.subscription(session, row.workspace_id, row.subscription_id)
        assert subscription is not None  # deliveries are deleted with their subscription
        row.attempts += 1
        if row.first_sent_at is None:
            row.first_sent_at = now
        row.next_attempt_at = now + policy.lease
        body = orjson.dumps(envelope(row, repository.app_id(session, row.workspace_id), now))
        job = _Job(row.id, subscription.url, subscription.secret, body, row.next_attempt_at)
        session.commit()
    return job


def _send(client: httpx.Client, job: _Job, policy: RetryPolicy) -> tuple[int | None, str | None]:
    headers = {
        "Content-Type": "application/json",
        "User-Agent": f"Parlour-Webhook/{__version__}",
        "X-Hub-Signature": signature(job.secret, job.body),
    }
    try:
        response = client.post(job.url, content=job.body, headers=headers, timeout=policy.timeout)
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"[:1000]
    if 200 <= response.status_code < 300:
        return response.status_code, None
    return response.status_code, f"HTTP {response.status_code}"


def _record(
    db: Database,
    job: _Job,
    now: int,
    status: int | None,
    error: str | None,
    policy: RetryPolicy,
    report: DeliveryReport,
) -> None:
    with db.write_session() as session:
        row = repository.lock_delivery(session, job.delivery_id)
        if row is None or row.status != "pending" or row.next_attempt_at != job.lease_until:
            return  # deleted, replayed, or our lease ran out and another worker took it
        row.last_status_code = status
        row.last_error = error
        if error is None:
            row.status, row.delivered_at = "delivered", now
            report.delivered += 1
        elif row.attempts >= policy.max_attempts:
            row.status = "dead"
            report.dead += 1
            log.warning("webhook %s to subscription %s is dead after %d attempts: %s",
                        row.notification_id, row.subscription_id, row.attempts, error)
        else:
            row.next_attempt_at = now + policy.delay(row.attempts)
            report.retrying += 1
        session.commit()
