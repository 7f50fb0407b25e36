"""Webhook management objects as JSON (Parlour's own: Intercom manages these in its UI)."""

from __future__ import annotations

from typing import Any

from parlour.db.models import WebhookDelivery, WebhookSubscription
from parlour.webhooks.topics import TOPICS


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


# OpenAPI 3.0 component schemas for `/openapi.json`.
_ID = {"type": "string"}
_EPOCH = {"type": "integer"}
_MAYBE_EPOCH = {"type": "integer", "nullable": True}
OPENAPI_SCHEMAS: dict[str, Any] = {
    "webhook_subscription": {
        "type": "object",
        "title": "Webhook subscription (Parlour)",
        "required": ["type", "id", "url", "topics", "secret", "active", "created_at"],
        "properties": {
            "type": {"type": "string", "enum": ["webhook_subscription"]},
            "id": _ID,
            "url": {"type": "string"},
            "topics": {"type": "array", "items": {"type": "string"}},
            "secret": {"type": "string"},
            "active": {"type": "boolean"},
            "created_at": _EPOCH,
            "updated_at": _EPOCH,
        },
    },
    "webhook_subscription_list": {
        "type": "object",
        "required": ["type", "data"],
        "properties": {
            "type": {"type": "string", "enum": ["webhook_subscription.list"]},
            "data": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/webhook_subscription"},
            },
        },
    },
    "webhook_subscription_deleted": {
        "type": "object",
        "required": ["type", "id", "deleted"],
        "properties": {
            "type": {"type": "string", "enum": ["webhook_subscription"]},
            "id": _ID,
            "deleted": {"type": "boolean", "enum": [True]},
        },
    },
    "create_webhook_subscription_request": {
        "type": "object",
        "required": ["url", "topics"],
        "properties": {
            "url": {"type": "string", "format": "uri", "pattern": "^https?://[^/?#]",
                    "maxLength": 2048},
            "topics": {"type": "array", "items": {"type": "string", "enum": sorted(TOPICS)},
                       "minItems": 1, "maxItems": 50},
            "secret": {"type": "string", "minLength": 8, "maxLength": 255, "nullable": True},
        },
    },
    "webhook_delivery": {
        "type": "object",
        "title": "Webhook delivery (Parlour)",
        "required": ["type", "id", "subscription_id", "topic", "status", "attempts", "item"],
        "properties": {
            "type": {"type": "string", "enum": ["webhook_delivery"]},
            "id": _ID,
            "subscription_id": _ID,
            "notification_id": {"type": "string"},
            "topic": {"type": "string"},
            "status": {"type": "string", "enum": ["pending", "delivered", "dead"]},
            "attempts": {"type": "integer"},
            "created_at": _EPOCH,
            "first_sent_at": _MAYBE_EPOCH,
            "delivered_at": _MAYBE_EPOCH,
            "next_attempt_at": _MAYBE_EPOCH,
            "last_status_code": {"type": "integer", "nullable": True},
            "last_error": {"type": "string", "nullable": True},
            "item": {"type": "object", "description": "The notification's data.item"},
        },
    },
    "webhook_delivery_list": {
        "type": "object",
        "required": ["type", "data"],
        "properties": {
            "type": {"type": "string", "enum": ["webhook_delivery.list"]},
            "data": {"type": "array", "items": {"$ref": "#/components/schemas/webhook_delivery"}},
        },
    },
}
