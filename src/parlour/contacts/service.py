"""Contact use cases."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from parlour.contacts import repository
from parlour.core.ids import is_contact_id
from parlour.db.models import Contact, Tag
from parlour.errors import NotFound


@dataclass(slots=True)
class ContactView:
    """A contact and its tags."""

    contact: Contact
    tags: list[Tag]


def retrieve_contact(session: Session, workspace_id: int, contact_id: str) -> ContactView:
    """One contact of the workspace, or 404 `not_found`."""
    contact = (
        repository.get_contact(session, workspace_id, contact_id)
        if is_contact_id(contact_id)
        else None
    )
    if contact is None:
        raise NotFound()
    return ContactView(contact, repository.tags_of(session, workspace_id, contact.id))
