"""Webhook deliveries from a write's announcements, in the write's own transaction.

A step of the commit pipeline (`parlour.wiring`), after the list entries: for each
announcement, one pending `webhook_delivery` per active subscription to its topic, carrying
the announced object as the API renders it (`UnitOfWork.payload`, rendered once). So a
notification exists exactly when its change does. Nothing is recorded for a topic no
subscription wants, so a workspace without webhooks pays one indexed query a write.
"""

from __future__ import annotations

import uuid

from parlour.db.models import WebhookDelivery
from parlour.db.unit_of_work import UnitOfWork
from parlour.webhooks import repository


def record(work: UnitOfWork) -> None:
    """Write a pending delivery per (announcement, subscribed endpoint); count them."""
    if not work.announced:
        return
    session = work.session
    listening: dict[int, list[repository.Listening]] = {}
    for announcement in work.announced:
        workspace_id = announcement.workspace_id
        if workspace_id not in listening:
            listening[workspace_id] = repository.listening(session, workspace_id)
        targets = [s for s in listening[workspace_id] if announcement.topic in s.topics]
        if not targets:
            continue
        item = work.payload(announcement)
        for subscription in targets:
            session.add(
                WebhookDelivery(
                    workspace_id=workspace_id,
                    subscription_id=subscription.id,
                    notification_id=f"notif_{uuid.uuid4().hex}",
                    topic=announcement.topic,
                    item=item,
                    created_at=work.now,
                    status="pending",
                    attempts=0,
                    next_attempt_at=work.now,
                )
            )
            work.deliveries += 1
    session.flush()
