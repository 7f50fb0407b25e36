"""Webhook queries: subscriptions per workspace, and the delivery queue."""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, aliased

from parlour.db.models import WebhookDelivery, WebhookSubscription, Workspace
from parlour.db.prepared import Prepared


def subscriptions(session: Session, workspace_id: int) -> list[WebhookSubscription]:
    """Every subscription of the workspace, oldest first."""
    return list(
        session.scalars(
            select(WebhookSubscription)
            .where(WebhookSubscription.workspace_id == workspace_id)
            .order_by(WebhookSubscription.id)
        )
    )


class Listening(NamedTuple):
    """An active subscription and the topics it wants."""

    id: int
    topics: list[str]


# Every conversation write that announces something runs this, usually to find nothing.
_LISTENING = Prepared(
    select(WebhookSubscription.id, WebhookSubscription.topics)
    .where(
        WebhookSubscription.workspace_id == bindparam("workspace_id"),
        WebhookSubscription.active.is_(True),
    )
    .order_by(WebhookSubscription.id),
    Listening,
)


def listening(session: Session, workspace_id: int) -> list[Listening]:
    """(id, topics) of the workspace's active subscriptions, oldest first."""
    return _LISTENING.all(session, {"workspace_id": workspace_id})


def subscription(
    session: Session, workspace_id: int, subscription_id: int
) -> WebhookSubscription | None:
    """One subscription of the workspace."""
    return session.scalars(
        select(WebhookSubscription).where(
            WebhookSubscription.workspace_id == workspace_id,
            WebhookSubscription.id == subscription_id,
        )
    ).first()


def deliveries(
    session: Session, workspace_id: int, *, status: str | None, before_id: int | None, limit: int
) -> list[WebhookDelivery]:
    """The workspace's deliveries, newest first, optionally of one status."""
    stmt = select(WebhookDelivery).where(WebhookDelivery.workspace_id == workspace_id)
    if status is not None:
        stmt = stmt.where(WebhookDelivery.status == status)
    if before_id is not None:
        stmt = stmt.where(WebhookDelivery.id < before_id)
    return list(session.scalars(stmt.order_by(WebhookDelivery.id.desc()).limit(limit)))


def delivery(session: Session, workspace_id: int, delivery_id: int) -> WebhookDelivery | None:
    """One delivery of the workspace."""
    return session.scalars(
        select(WebhookDelivery).where(
            WebhookDelivery.workspace_id == workspace_id, WebhookDelivery.id == delivery_id
        )
    ).first()


def claim_due(session: Session, now: int, limit: int) -> list[WebhookDelivery]:
    """Due deliveries that head their subscription's queue, row-locked (others skip them).

    Only the oldest pending delivery of a subscription is ever due, so a subscription's
    notifications arrive in the order they happened, a retry holding back the ones after it.
    """
    older = aliased(WebhookDelivery)
    head = (
        select(func.min(older.id))
        .where(older.subscription_id == WebhookDelivery.subscription_id, older.status == "pending")
        .scalar_subquery()
    )
    stmt = (
        select(WebhookDelivery)
        .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
        .where(
            WebhookDelivery.status == "pending",
            WebhookDelivery.next_attempt_at <= now,
            WebhookSubscription.active.is_(True),
            WebhookDelivery.id == head,
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit)
        .with_for_update(of=WebhookDelivery, skip_locked=True)
    )
    return list(session.scalars(stmt))


def lock_delivery(session: Session, delivery_id: int) -> WebhookDelivery | None:
    """A delivery, row-locked until the transaction ends."""
    return session.scalars(
        select(WebhookDelivery).where(WebhookDelivery.id == delivery_id).with_for_update()
    ).first()


def app_id(session: Session, workspace_id: int) -> str:
    """The workspace's Intercom app id (notifications carry it)."""
    return session.scalars(select(Workspace.app_id).where(Workspace.id == workspace_id)).one()
