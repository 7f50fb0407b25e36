"""Commands that change who and what a conversation is linked to: its tags and contacts.

Each locks the conversation, changes the link, and tells the write model the links changed
(`writes.relinked`: `updated_at` moves, and the commit renders the entry from the rows).
"""

from __future__ import annotations

from dataclasses import dataclass

from parlour.admins.service import admin_id_of
from parlour.contacts.service import ContactRef, named_contact
from parlour.conversations import write_repository as repo
from parlour.conversations import writes
from parlour.conversations.write_repository import TagLink
from parlour.conversations.writes import Writer
from parlour.core.ids import parse_numeric_id
from parlour.db.models import ConversationRecord, Tag
from parlour.db.unit_of_work import UnitOfWork
from parlour.errors import LastCustomer, NotFound, TagNotFound, UserNotFound
from parlour.tags import repository as tags_repo
from parlour.webhooks import topics


@dataclass(frozen=True, slots=True)
class TagChange:
    """The tag a tag endpoint applied or removed, and when and by whom it was applied."""

    tag: Tag
    applied_at: int
    applied_by_id: int | None


def attach_tag(w: Writer, conversation_id: str, *, tag_id: str, admin_id: str) -> TagChange:
    """Tag a conversation (applying a tag twice keeps the first application)."""
    work, workspace_id, now = w
    session = work.session
    row = writes.lock(work, workspace_id, conversation_id, NotFound("Conversation not found"))
    admin = admin_id_of(session, workspace_id, admin_id)
    tag = _tag(work, workspace_id, tag_id)
    link = repo.tag_link(session, workspace_id, row.id, tag.id)
    if link is None:
        link = TagLink(applied_at=now, applied_by_id=admin)
        repo.add_tag_link(session, workspace_id, row.id, tag.id, link)
        after = writes.relinked(work, row, now)
        writes.announce(work, after, topics.PART_TAG_CREATED)
    return TagChange(tag=tag, applied_at=link.applied_at, applied_by_id=link.applied_by_id)


def detach_tag(w: Writer, conversation_id: str, *, tag_id: str, admin_id: str) -> TagChange:
    """Remove a tag from a conversation."""
    work, workspace_id, now = w
    session = work.session
    row = writes.lock(work, workspace_id, conversation_id, NotFound("Conversation not found"))
    admin_id_of(session, workspace_id, admin_id)
    tag = _tag(work, workspace_id, tag_id)
    link = repo.tag_link(session, workspace_id, row.id, tag.id)
    if link is None:
        raise TagNotFound()
    repo.remove_tag_link(session, workspace_id, row.id, tag.id)
    writes.relinked(work, row, now)
    return TagChange(tag=tag, applied_at=link.applied_at, applied_by_id=link.applied_by_id)


def _tag(work: UnitOfWork, workspace_id: int, raw: str) -> Tag:
    numeric = parse_numeric_id(raw)
    tag = tags_repo.get_tag(work.session, workspace_id, numeric) if numeric is not None else None
    if tag is None:
        raise TagNotFound()
    return tag


def attach_contact(
    w: Writer, conversation_id: str, *, admin_id: str, contact: ContactRef
) -> ConversationRecord:
    """Add a contact as a participant (adding one twice changes nothing)."""
    work, workspace_id, now = w
    session = work.session
    row = writes.lock(work, workspace_id, conversation_id)
    admin_id_of(session, workspace_id, admin_id)
    person = named_contact(session, workspace_id, contact)
    linked = {p.contact_id for p in repo.participants(session, workspace_id, row.id)}
    if person.id in linked:
        return row
    repo.add_participant(session, workspace_id, row.id, person.id, now)
    after = writes.relinked(work, row, now)
    writes.announce(work, after, topics.CONTACT_ATTACHED)
    return after


def detach_contact(
    w: Writer, conversation_id: str, *, admin_id: str, contact_id: str
) -> ConversationRecord:
    """Remove a participant; the last one stays (422)."""
    work, workspace_id, now = w
    session = work.session
    row = writes.lock(work, workspace_id, conversation_id)
    admin_id_of(session, workspace_id, admin_id)
    links = repo.participants(session, workspace_id, row.id)
    if contact_id not in {p.contact_id for p in links}:
        raise UserNotFound()
    if len(links) == 1:
        raise LastCustomer()
    repo.remove_participant(session, workspace_id, row.id, contact_id)
    after = writes.relinked(work, row, now)
    writes.announce(work, after, topics.CONTACT_DETACHED)
    return after
