"""Tag queries, always scoped to one workspace."""

from __future__ import annotations

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from parlour.db.models import Tag


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
    """The workspace's (oldest) tag with this name, compared case-insensitively.

    The exact comparison matters: SQLite's lower() folds ASCII only, and an exact match
    missed here would break the (workspace_id, name) unique constraint on insert.
    """
    return session.scalars(
        select(Tag)
        .where(
            Tag.workspace_id == workspace_id,
            or_(Tag.name == name, func.lower(Tag.name) == name.lower()),
        )
        .order_by(Tag.id)
        .limit(1)
    ).first()


def add(session: Session, tag: Tag) -> None:
    """Stage a new tag and flush it so its id is known."""
    session.add(tag)
    session.flush()


def delete_tag(session: Session, workspace_id: int, tag_id: int) -> None:
    """Delete a tag; it comes off every conversation and contact (ON DELETE CASCADE)."""
    session.execute(delete(Tag).where(Tag.id == tag_id, Tag.workspace_id == workspace_id))
