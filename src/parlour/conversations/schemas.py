"""Intercom-shaped JSON for conversations (2.14 `conversation`, `conversation_list`).

Rows become plain dicts here, explicitly, field by field; orjson encodes them. Fields the
spec declares non-nullable are omitted rather than sent as null when we have no value.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from parlour.conversations.repository import ListEntry
from parlour.conversations.rows import Person, Related
from parlour.core.text import html_to_text
from parlour.db.models import ConversationRecord, PartRecord, Tag
from parlour.db.unit_of_work import StoredEntry

CONTACT_TYPES = ("user", "lead", "contact")


def _body(text: str | None, plaintext: bool) -> str | None:
    if text is None or not plaintext:
        return text
    return html_to_text(text)


def author(author_type: str, author_id: str, related: Related) -> dict[str, Any]:
    """`conversation_part_author`: type, id, name and (when known) email."""
    out: dict[str, Any] = {"type": author_type, "id": author_id, "name": None}
    person: Person | None
    if author_type in ("admin", "bot"):
        person = related.admins.get(author_id)
    elif author_type in CONTACT_TYPES:
        person = related.people.get(author_id)
    else:
        person = None
    if person is not None:
        out["name"] = person.name
        if person.email:
            out["email"] = person.email
    return out


def source(row: ConversationRecord, related: Related, plaintext: bool) -> dict[str, Any]:
    """`conversation_source`: the opening message."""
    return {
        "type": row.source_type,
        "id": row.source_id,
        "delivered_as": row.source_delivered_as,
        "subject": row.source_subject,
        "body": _body(row.source_body, plaintext) or "",
        "author": author(row.source_author_type, row.source_author_id, related),
        "attachments": row.source_attachments,
        "url": row.source_url,
        "redacted": row.source_redacted,
    }


def _tags(row: ConversationRecord, related: Related) -> dict[str, Any]:
    tags = []
    for tag in related.tags.get(row.id, []):
        item: dict[str, Any] = {
            "type": "tag",
            "id": str(tag.id),
            "name": tag.name,
            "applied_at": tag.applied_at,
            "applied_by": (
                {"type": "admin", "id": str(tag.applied_by_id)}
                if tag.applied_by_id is not None
                else None
            ),
        }
        tags.append(item)
    return {"type": "tag.list", "tags": tags}


def _rating(row: ConversationRecord) -> dict[str, Any] | None:
    if row.rating is None:
        return None
    rating: dict[str, Any] = {"rating": row.rating}
    if row.rating_remark is not None:
        rating["remark"] = row.rating_remark
    if row.rating_created_at is not None:
        rating["created_at"] = row.rating_created_at
    if row.rating_updated_at is not None:
        rating["updated_at"] = row.rating_updated_at
    if row.rating_contact_id is not None:
        rating["contact"] = {"type": "contact", "id": row.rating_contact_id}
    if row.rating_teammate_id is not None:
        rating["teammate"] = {"type": "admin", "id": str(row.rating_teammate_id)}
    return rating


def _first_contact_reply(row: ConversationRecord) -> dict[str, Any] | None:
    if row.first_contact_reply_at is None:
        return None
    return {
        "created_at": row.first_contact_reply_at,
        "type": row.source_type,
        "url": row.source_url,
    }


def _sla_applied(row: ConversationRecord, related: Related) -> dict[str, Any] | None:
    policy = related.sla_policies.get(row.sla_policy_id) if row.sla_policy_id else None
    if policy is None or row.sla_status is None:
        return None
    return {
        "type": "conversation_sla_summary",
        "sla_name": policy.name,
        "sla_status": row.sla_status,
    }


def conversation(
    row: ConversationRecord,
    related: Related,
    *,
    plaintext: bool = False,
    part_rows: Sequence[PartRecord] | None = None,
) -> dict[str, Any]:
    """A `conversation` object; with `part_rows`, including `conversation_parts`."""
    contacts = [
        {"type": "contact", "id": c.id, "external_id": c.external_id}
        for c in related.contacts.get(row.id, [])
    ]
    out: dict[str, Any] = {
        "type": "conversation",
        "id": str(row.id),
        "title": row.title,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "waiting_since": row.waiting_since,
        "snoozed_until": row.snoozed_until,
        "source": source(row, related, plaintext),
        "contacts": {"type": "contact.list", "contacts": contacts},
        "first_contact_reply": _first_contact_reply(row),
        "admin_assignee_id": row.admin_assignee_id,
        "team_assignee_id": row.team_assignee_id,
        "open": row.open,
        "state": row.state,
        "read": row.read,
        "tags": _tags(row, related),
        "priority": row.priority,
        "sla_applied": _sla_applied(row, related),
        "statistics": row.statistics or None,
        "conversation_rating": _rating(row),
        "teammates": {
            "type": "admin.list",
            "teammates": [{"type": "admin", "id": i} for i in row.teammate_ids],
        },
        "custom_attributes": row.custom_attributes,
        "linked_objects": {"type": "list", "data": [], "total_count": 0, "has_more": False},
        "ai_agent_participated": False,
    }
    if part_rows is not None:
        out["conversation_parts"] = parts(row.part_count, related, plaintext, part_rows)
    return out


def conversation_with_parts(
    row: ConversationRecord | StoredEntry,
    related: Related,
    *,
    plaintext: bool,
    part_rows: Sequence[PartRecord],
) -> bytes:
    """A `conversation` with its `conversation_parts`, encoded.

    The stored list entry is the same object up to its parts (which `conversation` puts
    last), so it is spliced: its closing brace gives way to the parts. `row` is the
    conversation, or (a write's answer) the entry its commit stored.
    """
    stored: bytes | None
    if isinstance(row, StoredEntry):
        stored = row.entry
    else:
        stored = None if plaintext else row.summary
        if stored is None:
            return orjson.dumps(
                conversation(row, related, plaintext=plaintext, part_rows=part_rows)
            )
    listed = parts(row.part_count, related, plaintext, part_rows)
    return b"".join((stored[:-1], b',"conversation_parts":', orjson.dumps(listed), b"}"))


def parts(
    total: int, related: Related, plaintext: bool, part_rows: Sequence[PartRecord]
) -> dict[str, Any]:
    """`conversation_part.list`: these parts of a conversation that has `total` in all."""
    return {
        "type": "conversation_part.list",
        "conversation_parts": [part(p, related, plaintext) for p in part_rows],
        "total_count": total,
    }


def part(row: PartRecord, related: Related, plaintext: bool) -> dict[str, Any]:
    """A `conversation_part` object."""
    out: dict[str, Any] = {
        "type": "conversation_part",
        "id": str(row.id),
        "part_type": row.part_type,
        "body": _body(row.body, plaintext),
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "notified_at": row.notified_at,
        "author": author(row.author_type, row.author_id, related),
        "attachments": row.attachments,
        "external_id": row.external_id,
        "redacted": row.redacted,
        "state": row.state,
    }
    if row.assigned_to_type is not None:
        out["assigned_to"] = {
            "type": row.assigned_to_type
            if row.assigned_to_id not in (None, "0")
            else "nobody_admin",
            "id": row.assigned_to_id if row.assigned_to_id not in (None, "0") else None,
        }
    return out


def conversation_list(
    rows: Sequence[ListEntry | ConversationRecord],
    related: Related,
    *,
    plaintext: bool,
    pages: dict[str, Any],
    total_count: int,
) -> bytes:
    """A `conversation.list` page, encoded; list items never carry `conversation_parts`.

    A row's stored list entry (`conversations.entries`) is spliced in as it is; rows
    without one, and plaintext pages, are rendered from `related`.
    """
    # One join for the whole page: joining the entries first would copy them twice.
    chunks = [b'{"type":"conversation.list","conversations":[']
    for row in rows:
        stored = None if plaintext else row.summary
        if stored is not None:
            chunks.append(stored)
        else:
            # `complete` read every row without a stored entry (or all, plaintext) whole.
            assert isinstance(row, ConversationRecord)
            chunks.append(orjson.dumps(conversation(row, related, plaintext=plaintext)))
        chunks.append(b",")
    if rows:
        chunks.pop()  # the last entry's comma
    chunks += (b'],"total_count":', orjson.dumps(total_count), b',"pages":', orjson.dumps(pages))
    chunks.append(b"}")
    return b"".join(chunks)


def message(row: ConversationRecord) -> dict[str, Any]:
    """The `message` Intercom answers `POST /conversations` with."""
    out: dict[str, Any] = {
        "type": "user_message",
        "id": row.source_id,
        "created_at": row.created_at,
        "body": row.source_body,
        "message_type": "inapp",
        "conversation_id": str(row.id),
    }
    if row.source_subject:
        out["subject"] = row.source_subject
    return out


def applied_tag(tag: Tag, applied_at: int, applied_by_id: int | None) -> dict[str, Any]:
    """A `tag` as a tagging operation returns it: with `applied_at` and `applied_by`."""
    return {
        "type": "tag",
        "id": str(tag.id),
        "name": tag.name,
        "applied_at": applied_at,
        "applied_by": None
        if applied_by_id is None
        else {"type": "admin", "id": str(applied_by_id)},
    }


def deleted(conversation_id: int) -> dict[str, Any]:
    """`conversation_deleted`."""
    return {"id": str(conversation_id), "object": "conversation", "deleted": True}
