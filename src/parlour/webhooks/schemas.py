"""Webhook management objects as JSON (Parlour's own: Intercom manages these in its UI)."""

from __future__ import annotations

from typing import Any

from parlour.db.models import WebhookDelivery, WebhookSubscription


def subscription(row: WebhookSubscription) -> dict[str, Any]:
    """A `webhook_subscription`, secret included: only the workspace's own tokens see it."""
    return {
        "type": "webhook_subscription",
        "id": str(row.id),
        "url": row.url,
        "topics": row.topics,
        "secret": row.secret,
        "active": row.active,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


def subscription_list(rows: list[WebhookSubscription]) -> dict[str, Any]:
    """A `webhook_subscription.list`."""
    return {"type": "webhook_subscription.list", "data": [subscription(r) for r in rows]}


def delivery(row: WebhookDelivery) -> dict[str, Any]:
    """A `webhook_delivery`: one notification to one subscription, and how sending it went."""
    return {
        "type": "webhook_delivery",
        "id": str(row.id),
        "subscription_id": str(row.subscription_id),
        "notification_id": row.notification_id,
        "topic": row.topic,
        "status": row.status,
        "attempts": row.attempts,
        "created_at": row.created_at,
        "first_sent_at": row.first_sent_at,
        "delivered_at": row.delivered_at,
        "next_attempt_at": row.next_attempt_at if row.status == "pending" else None,
        "last_status_code": row.last_status_code,
        "last_error": row.last_error,
        "item": row.item,
    }


def delivery_list(rows: list[WebhookDelivery]) -> dict[str, Any]:
    """A `webhook_delivery.list`, newest first."""
    return {"type": "webhook_delivery.list", "data": [delivery(r) for r in rows]}
