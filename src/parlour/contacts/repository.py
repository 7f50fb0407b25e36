"""Contact queries, always scoped to one workspace."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from parlour.db.models import Contact, ContactTag, Tag


def get_contact(session: Session, workspace_id: int, contact_id: str) -> Contact | None:
    """One contact of the workspace."""
    return session.scalars(
        select(Contact).where(Contact.id == contact_id, Contact.workspace_id == workspace_id)
    ).first()


def tags_of(session: Session, workspace_id: int, contact_id: str) -> list[Tag]:
    """Tags applied to a contact, in the order they were applied."""
    return list(
        session.scalars(
            select(Tag)
            .join(ContactTag, ContactTag.tag_id == Tag.id)
            .where(ContactTag.contact_id == contact_id, ContactTag.workspace_id == workspace_id)
            .order_by(ContactTag.applied_at, Tag.id)
        )
    )
