"""Tag use cases."""

from __future__ import annotations

from sqlalchemy.orm import Session

from parlour.db.models import Tag
from parlour.tags import repository


def list_tags(session: Session, workspace_id: int) -> list[Tag]:
    """All tags of the workspace."""
    return repository.list_tags(session, workspace_id)
