"""Tag use cases: list, find, create or rename, delete."""

from __future__ import annotations

from sqlalchemy.orm import Session

from parlour.core.ids import parse_numeric_id
from parlour.db.models import Tag
from parlour.errors import NotFound, ParameterInvalid
from parlour.tags import repository
from parlour.workspaces import repository as workspace_repo

MAX_NAME = 255


def list_tags(session: Session, workspace_id: int) -> list[Tag]:
    """All tags of the workspace."""
    return repository.list_tags(session, workspace_id)


def find_tag(session: Session, workspace_id: int, tag_id: str) -> Tag:
    """One tag of the workspace, or 404 `not_found`."""
    numeric = parse_numeric_id(tag_id)
    tag = repository.get_tag(session, workspace_id, numeric) if numeric is not None else None
    if tag is None:
        raise NotFound()
    return tag


def _clean_name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned:
        raise ParameterInvalid("name can't be blank", field="name")
    if len(cleaned) > MAX_NAME:
        raise ParameterInvalid(f"name is longer than {MAX_NAME} characters", field="name")
    return cleaned


def create_or_rename(
    session: Session, *, workspace_id: int, now: int, name: str, tag_id: str | None
) -> Tag:
    """Without `tag_id`: the tag with this name (any case), created if missing.

    With `tag_id`: that tag renamed; a name another tag already has is 400.
    """
    cleaned = _clean_name(name)
    target = find_tag(session, workspace_id, tag_id) if tag_id is not None else None
    # Names are unique per workspace regardless of case: check them one writer at a time.
    workspace_repo.lock(session, workspace_id)
    existing = repository.find_by_name(session, workspace_id, cleaned)
    if target is None:
        if existing is not None:
            return existing
        tag = Tag(workspace_id=workspace_id, name=cleaned, created_at=now)
        repository.add(session, tag)
        return tag
    if existing is not None and existing.id != target.id:
        raise ParameterInvalid(f"A tag named {existing.name!r} already exists", field="name")
    target.name = cleaned
    session.flush()
    return target


def delete_tag(session: Session, *, workspace_id: int, tag_id: str) -> None:
    """Delete a tag; it comes off every conversation and contact it was on."""
    tag = find_tag(session, workspace_id, tag_id)
    # The workspace row first, as conversation writes take it, then the tag and its links.
    workspace_repo.lock(session, workspace_id)
    repository.delete_tag(session, workspace_id, tag.id)
    # Conversations lose the tag: counts cached by data version must not outlive that.
    workspace_repo.bump_data_version(session, workspace_id)
