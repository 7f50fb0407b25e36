"""Turn a write's announcements into webhook deliveries, in the write's own transaction.

Called by every transaction owner that runs conversation writes (the request dependency
and the background jobs) just before it commits. Nothing is recorded for a topic no
active subscription wants, so a workspace without webhooks pays one indexed query.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from parlour.conversations import repository as conversation_repo
from parlour.conversations import schemas as conversation_schemas
from parlour.core.events import Announcement, take
from parlour.db.models import WebhookDelivery
from parlour.db.prepared import Record
from parlour.webhooks import repository, topics


def record_announced(session: Session, now: int) -> int:
    """Write a pending delivery per (announcement, subscribed endpoint); returns how many."""
    announcements = take(session.info)
    if not announcements:
        return 0
    listening: dict[int, list[Record]] = {}
    written = 0
    for announcement in announcements:
        workspace_id = announcement.workspace_id
        if workspace_id not in listening:
            listening[workspace_id] = repository.listening(session, workspace_id)
        targets = [s for s in listening[workspace_id] if announcement.topic in s.topics]
        if not targets:
            continue
        item = _item(session, announcement)
        for subscription in targets:
            session.add(
                WebhookDelivery(
                    workspace_id=workspace_id,
                    subscription_id=subscription.id,
                    notification_id=f"notif_{uuid.uuid4().hex}",
                    topic=announcement.topic,
                    item=item,
                    created_at=now,
                    status="pending",
                    attempts=0,
                    next_attempt_at=now,
                )
            )
            written += 1
    session.flush()
    return written


def _item(session: Session, announcement: Announcement) -> dict[str, Any]:
    """The conversation as the API renders it, with the part that raised the topic.

    `*.deleted` topics carry only the identifying fields (Intercom sends no full object).
    """
    if announcement.topic == topics.DELETED:
        return {"type": "conversation", "id": str(announcement.conversation_id)}
    row = conversation_repo.get(session, announcement.workspace_id, announcement.conversation_id)
    assert row is not None  # announced in this very transaction
    parts = [announcement.part] if announcement.part is not None else []
    related = conversation_repo.load_related(session, announcement.workspace_id, [row], parts)
    return conversation_schemas.conversation(row, related, part_rows=parts)
