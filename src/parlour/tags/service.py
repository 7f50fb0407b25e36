"""Tag use cases: list, find, create or rename, tag contacts, delete."""

from __future__ import annotations

from sqlalchemy.orm import Session

from parlour.core.ids import is_contact_id, parse_numeric_id
from parlour.db.models import ContactTag, Tag
from parlour.errors import NotFound, ParameterInvalid, UserNotFound
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


def tag_contacts(
    session: Session, *, workspace_id: int, now: int, name: str, contact_ids: list[str]
) -> Tag:
    """Apply the tag named `name` (any case; created if missing) to these contacts.

    Every id must be a contact of the workspace, else 404 "User Not Found" and nothing is
    written. A contact named twice, or already tagged, keeps its first application.
    """
    cleaned = _clean_name(name)
    wanted = list(dict.fromkeys(contact_ids))
    # The workspace row first: contact deletes and tag deletes take it too, so neither the
    # contacts found nor the tag can vanish before the links are written.
    workspace_repo.lock(session, workspace_id)
    found = repository.existing_contact_ids(
        session, workspace_id, [c for c in wanted if is_contact_id(c)]
    )
    if len(found) != len(wanted):
        raise UserNotFound()
    tag = create_or_rename(session, workspace_id=workspace_id, now=now, name=cleaned, tag_id=None)
    tagged = repository.contacts_tagged(session, workspace_id, tag.id, wanted)
    repository.add_contact_tags(
        session,
        [
            ContactTag(contact_id=c, tag_id=tag.id, workspace_id=workspace_id, applied_at=now)
            for c in wanted
            if c not in tagged
        ],
    )
    return tag


def delete_tag(session: Session, *, workspace_id: int, tag_id: str) -> None:
    """Delete a tag; it comes off every conversation and contact it was on."""
    tag = find_tag(session, workspace_id, tag_id)
    # The workspace row first, as conversation writes take it, then the tag and its links.
    workspace_repo.lock(session, workspace_id)
    repository.delete_tag(session, tag)
    # Conversations lose the tag: counts cached by data version must not outlive that.
    workspace_repo.bump_data_version(session, workspace_id)
