"""Tag queries, always scoped to one workspace."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from parlour.db.models import Tag


def list_tags(session: Session, workspace_id: int) -> list[Tag]:
    """Every tag of the workspace, oldest first."""
    return list(
        session.scalars(select(Tag).where(Tag.workspace_id == workspace_id).order_by(Tag.id))
    )
