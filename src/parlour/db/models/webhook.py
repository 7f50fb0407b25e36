"""Webhook subscriptions and their deliveries (the outbox: one row per notification to send)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from parlour.db.base import Base
from parlour.db.types import IdInt, Json


class WebhookSubscription(Base):
    """Where a workspace wants notifications of which topics, and the secret that signs them."""

    __tablename__ = "webhook_subscription"
    __table_args__ = (Index(None, "workspace_id"),)

    id: Mapped[int] = mapped_column(IdInt, primary_key=True, autoincrement=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(2048))
    topics: Mapped[list[str]] = mapped_column(Json, default=list)
    secret: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[int]
    updated_at: Mapped[int]


class WebhookDelivery(Base):
    """One notification for one subscription, written in the transaction of the change.

    `pending` rows are due at `next_attempt_at`; a worker that takes one pushes that time
    forward by a lease first, so a crashed worker's delivery is retried, never lost.
    """

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        # The delivery queue: pending rows by due time.
        Index(
            "ix_webhook_delivery_due",
            "next_attempt_at",
            "id",
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
        # Per-subscription order: the oldest pending delivery goes first.
        Index("ix_webhook_delivery_subscription", "subscription_id", "status", "id"),
        Index("ix_webhook_delivery_workspace", "workspace_id", "id"),
    )

    id: Mapped[int] = mapped_column(IdInt, primary_key=True, autoincrement=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_subscription.id", ondelete="CASCADE")
    )
    notification_id: Mapped[str] = mapped_column(String(64), unique=True)
    topic: Mapped[str] = mapped_column(String(64))
    # The notification's `data.item`, rendered when the change happened.
    item: Mapped[dict[str, Any]] = mapped_column(Json)
    created_at: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[int]
    first_sent_at: Mapped[int | None]
    delivered_at: Mapped[int | None]
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(Text)
