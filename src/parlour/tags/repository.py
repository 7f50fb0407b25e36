"""Tag queries, always scoped to one workspace."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from parlour.db.models import Contact, ContactTag, Tag
from parlour.db.text_search import same_text_any_case

# Ids per IN (...) list: far below SQLite's bound-parameter limit, whatever the request size.
_CHUNK = 500


def _chunks(ids: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def list_tags(session: Session, workspace_id: int) -> list[Tag]:
    """Every tag of the workspace, oldest first."""
    return list(
        session.scalars(select(Tag).where(Tag.workspace_id == workspace_id).order_by(Tag.id))
    )


def get_tag(session: Session, workspace_id: int, tag_id: int) -> Tag | None:
    """One tag of the workspace."""
    return session.scalars(
        select(Tag).where(Tag.id == tag_id, Tag.workspace_id == workspace_id)
    ).first()


def find_by_name(session: Session, workspace_id: int, name: str) -> Tag | None:
    """The workspace's (oldest) tag with this name, compared without regard to case.

    The same on both databases (`db.text_search.same_text_any_case`: `Éclair` is
    `éclair`); the exact comparison in it keeps an exact match, which the (workspace_id,
    name) unique constraint would refuse to insert twice, always found.
    """
    dialect = session.get_bind().dialect.name
    return session.scalars(
        select(Tag)
        .where(Tag.workspace_id == workspace_id, same_text_any_case(Tag.name, name, dialect))
        .order_by(Tag.id)
        .limit(1)
    ).first()


def add(session: Session, tag: Tag) -> None:
    """Stage a new tag and flush it so its id is known."""
    session.add(tag)
    session.flush()


def delete_tag(session: Session, tag: Tag) -> None:
    """Delete a tag; it comes off every conversation and contact (ON DELETE CASCADE).

    Through the ORM, so what follows a commit (the list entries that show the tag) sees
    it go.
    """
    session.delete(tag)
    session.flush()


def existing_contact_ids(session: Session, workspace_id: int, contact_ids: list[str]) -> set[str]:
    """Which of these ids are contacts of the workspace."""
    found: set[str] = set()
    for chunk in _chunks(contact_ids):
        found.update(
            session.scalars(
                select(Contact.id).where(
                    Contact.workspace_id == workspace_id, Contact.id.in_(chunk)
                )
            )
        )
    return found


def contacts_tagged(
    session: Session, workspace_id: int, tag_id: int, contact_ids: list[str]
) -> set[str]:
    """Which of these contacts already carry the tag."""
    found: set[str] = set()
    for chunk in _chunks(contact_ids):
        found.update(
            session.scalars(
                select(ContactTag.contact_id).where(
                    ContactTag.workspace_id == workspace_id,
                    ContactTag.tag_id == tag_id,
                    ContactTag.contact_id.in_(chunk),
                )
            )
        )
    return found


def add_contact_tags(session: Session, links: list[ContactTag]) -> None:
    """Stage new contact-tag links and flush them."""
    session.add_all(links)
    session.flush()
