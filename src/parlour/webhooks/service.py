"""Webhook management: subscriptions (URL, topics, secret) and the deliveries made for them."""

from __future__ import annotations

import secrets
from urllib.parse import urlparse

from sqlalchemy.orm import Session

from parlour.core.ids import fetch_by_id
from parlour.db.models import WebhookDelivery, WebhookSubscription
from parlour.errors import NotFound, ParameterInvalid
from parlour.webhooks import repository
from parlour.webhooks.topics import TOPICS

STATUSES = ("pending", "delivered", "dead")
MAX_URL = 2048


def create_subscription(
    session: Session,
    *,
    workspace_id: int,
    now: int,
    url: str,
    topics: list[str],
    secret: str | None = None,
) -> WebhookSubscription:
    """A new active subscription; a secret is generated when none is given."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or len(url) > MAX_URL:
        raise ParameterInvalid("url must be an absolute http or https URL", field="url")
    if not topics:
        raise ParameterInvalid("topics must name at least one topic", field="topics")
    unknown = sorted(set(topics) - set(TOPICS))
    if unknown:
        raise ParameterInvalid(f"Unknown topics: {', '.join(unknown)}", field="topics")
    if secret is not None and not 8 <= len(secret) <= 255:
        raise ParameterInvalid("secret must be 8 to 255 characters", field="secret")
    row = WebhookSubscription(
        workspace_id=workspace_id,
        url=url,
        topics=list(dict.fromkeys(topics)),
        secret=secret or secrets.token_hex(20),
        active=True,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    return row


def list_subscriptions(session: Session, workspace_id: int) -> list[WebhookSubscription]:
    """Every subscription of the workspace."""
    return repository.subscriptions(session, workspace_id)


def get_subscription(session: Session, workspace_id: int, raw_id: str) -> WebhookSubscription:
    """One subscription, or 404."""
    row = fetch_by_id(raw_id, lambda n: repository.subscription(session, workspace_id, n))
    if row is None:
        raise NotFound("Webhook subscription not found")
    return row


def delete_subscription(session: Session, *, workspace_id: int, raw_id: str) -> int:
    """Delete a subscription and its deliveries; returns its id."""
    row = get_subscription(session, workspace_id, raw_id)
    deleted = row.id
    session.delete(row)
    session.flush()
    return deleted


def list_deliveries(
    session: Session,
    workspace_id: int,
    *,
    status: str | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> list[WebhookDelivery]:
    """The workspace's deliveries, newest first (`status` pending, delivered or dead)."""
    if status is not None and status not in STATUSES:
        raise ParameterInvalid("status must be pending, delivered or dead", field="status")
    return repository.deliveries(
        session, workspace_id, status=status, before_id=before_id, limit=limit
    )


def replay(session: Session, *, workspace_id: int, now: int, raw_id: str) -> WebhookDelivery:
    """Send a delivery again, soon, with a fresh retry budget (same notification id)."""
    row = fetch_by_id(raw_id, lambda n: repository.delivery(session, workspace_id, n))
    if row is None:
        raise NotFound("Webhook delivery not found")
    row.status = "pending"
    row.attempts = 0
    row.next_attempt_at = now
    row.last_error = None
    session.flush()
    return row
