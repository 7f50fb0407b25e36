"""Contact queries, always scoped to one workspace."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, literal, or_, select, tuple_
from sqlalchemy.orm import Session

from parlour.db.models import Contact, ContactTag, Tag


def get_contact(session: Session, workspace_id: int, contact_id: str) -> Contact | None:
    """One contact of the workspace."""
    return session.scalars(
        select(Contact).where(Contact.id == contact_id, Contact.workspace_id == workspace_id)
    ).first()


def tags_of(session: Session, workspace_id: int, contact_id: str) -> list[Tag]:
    """Tags applied to a contact, in the order they were applied."""
    return tags_by_contact(session, workspace_id, [contact_id]).get(contact_id, [])


def tags_by_contact(
    session: Session, workspace_id: int, contact_ids: list[str]
) -> dict[str, list[Tag]]:
    """Tags applied to each of these contacts (one query), in the order they were applied."""
    out: dict[str, list[Tag]] = defaultdict(list)
    if not contact_ids:
        return out
    for contact_id, tag in session.execute(
        select(ContactTag.contact_id, Tag)
        .join(Tag, Tag.id == ContactTag.tag_id)
        .where(ContactTag.contact_id.in_(contact_ids), ContactTag.workspace_id == workspace_id)
        .order_by(ContactTag.applied_at, Tag.id)
    ):
        out[contact_id].append(tag)
    return out


def page(
    session: Session, workspace_id: int, *, after: tuple[int, str] | None, limit: int
) -> list[Contact]:
    """Up to `limit` contacts after the (created_at, id) position, oldest first, by index seek."""
    stmt = select(Contact).where(Contact.workspace_id == workspace_id)
    if after is not None:
        position = tuple_(literal(after[0]), literal(after[1]))
        stmt = stmt.where(tuple_(Contact.created_at, Contact.id) > position)
    stmt = stmt.order_by(Contact.created_at, Contact.id).limit(limit)
    return list(session.scalars(stmt))


def count(session: Session, workspace_id: int) -> int:
    """How many contacts the workspace has."""
    stmt = select(func.count()).select_from(Contact).where(Contact.workspace_id == workspace_id)
    return int(session.scalar(stmt) or 0)


def find(
    session: Session,
    workspace_id: int,
    *,
    contact_id: str | None = None,
    external_id: str | None = None,
    email: str | None = None,
) -> Contact | None:
    """The workspace's contact with this id, else external id, else email (the first given).

    Among several with the external id or email, users come before leads, then the oldest.
    An email matches exactly or ignoring case (`lower()`; SQLite's folds ASCII only, so the
    exact test keeps other letters matching as given).
    """
    stmt = select(Contact).where(Contact.workspace_id == workspace_id)
    if contact_id is not None:
        stmt = stmt.where(Contact.id == contact_id)
    elif external_id is not None:
        stmt = stmt.where(Contact.external_id == external_id)
    elif email is not None:
        stmt = stmt.where(or_(Contact.email == email, func.lower(Contact.email) == email.lower()))
    else:
        return None
    stmt = stmt.order_by((Contact.role == "user").desc(), Contact.created_at, Contact.id)
    return session.scalars(stmt.limit(1)).first()


def add(session: Session, contact: Contact) -> None:
    """Stage a new contact and flush it."""
    session.add(contact)
    session.flush()


def delete_contact(session: Session, contact: Contact) -> None:
    """Delete a contact; its tag and conversation links go with it (ON DELETE CASCADE).

    Through the ORM, so what follows a commit (the list entries that show the contact)
    sees it go.
    """
    session.delete(contact)
    session.flush()
