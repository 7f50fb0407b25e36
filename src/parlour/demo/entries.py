"""Stored list entries of generated conversations, rendered from the rows still in memory.

The commit of a write renders an entry from the stored row and five related-row queries
(`conversations.entries`); a seed already holds all of it, so it renders the same entry
(the same `entries.render`, from the same records) before inserting, and the entry goes in
with its row. Values are
given to the renderer as the database would return them: JSON columns decoded from the
text that is stored and, on PostgreSQL, with object keys in the order `jsonb` keeps them,
so an entry is byte for byte what a write through the API would have stored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, Table, select

from parlour.conversations import entries
from parlour.conversations.rows import Person, Related, RelatedContact, RelatedTag
from parlour.db.models import Admin, Contact, ConversationRecord, Tag
from parlour.demo.generator import CONVERSATION_COLUMNS, ConversationRows, Record

_admin: Table = Admin.__table__  # type: ignore[assignment]
_contact: Table = Contact.__table__  # type: ignore[assignment]
_tag: Table = Tag.__table__  # type: ignore[assignment]
_JSON_COLUMNS = ("custom_attributes", "source_attachments", "teammate_ids", "statistics")
_JSON_INDEXES = tuple(CONVERSATION_COLUMNS.index(name) for name in _JSON_COLUMNS)


@dataclass(frozen=True, slots=True)
class Directory:
    """What list entries show of a workspace's people and tags, read once per seed."""

    admins: dict[str, Person]
    people: dict[str, Person]
    external_ids: dict[str, str | None]
    tag_names: dict[int, str]
    jsonb: bool  # PostgreSQL: JSON comes back with its object keys reordered


def read_directory(conn: Connection, workspace_id: int, contact_ids: set[str]) -> Directory:
    """The workspace's admins and tags, and these contacts, as list entries show them."""
    admins = {
        str(a.id): Person(a.id, a.name, a.email)
        for a in conn.execute(
            select(_admin.c.id, _admin.c.name, _admin.c.email).where(
                _admin.c.workspace_id == workspace_id
            )
        )
    }
    people: dict[str, Person] = {}
    external_ids: dict[str, str | None] = {}
    for c in conn.execute(
        select(_contact.c.id, _contact.c.name, _contact.c.email, _contact.c.external_id).where(
            _contact.c.workspace_id == workspace_id
        )
    ):
        if c.id in contact_ids:
            people[c.id] = Person(c.id, c.name, c.email)
            external_ids[c.id] = c.external_id
    tag_names = {
        t.id: t.name
        for t in conn.execute(
            select(_tag.c.id, _tag.c.name).where(_tag.c.workspace_id == workspace_id)
        )
    }
    return Directory(admins, people, external_ids, tag_names, conn.dialect.name == "postgresql")


def jsonb_order(value: Any) -> Any:
    """`value` with every object's keys in `jsonb`'s order: shorter first, then bytewise."""
    if isinstance(value, dict):
        ordered = sorted(value.items(), key=lambda item: (len(item[0].encode()), item[0].encode()))
        return {k: jsonb_order(v) for k, v in ordered}
    if isinstance(value, list):
        return [jsonb_order(v) for v in value]
    return value


def render(rows: ConversationRows, directory: Directory) -> list[bytes]:
    """The list entry of each generated conversation, in the order of `rows.conversations`."""
    # Stand-ins for the related rows, with the attributes rendering reads.
    related = Related(admins=directory.admins, people=directory.people)
    external_ids = directory.external_ids
    for conversation_id, contact_id, _workspace, _added in rows.contacts:
        related.contacts.setdefault(conversation_id, []).append(
            RelatedContact(conversation_id, contact_id, external_ids.get(contact_id))
        )
    # The order `rows.load_related` reads them in.
    for linked in related.contacts.values():
        linked.sort(key=lambda c: c.id)
    tag_names = directory.tag_names
    for conversation_id, tag_id, _workspace, applied_at, applied_by in rows.tags:
        related.tags.setdefault(conversation_id, []).append(
            RelatedTag(conversation_id, tag_id, tag_names[tag_id], applied_at, applied_by)
        )
    for applied in related.tags.values():
        applied.sort(key=lambda t: (t.applied_at, t.id))
    decode = (lambda text: jsonb_order(orjson.loads(text))) if directory.jsonb else orjson.loads
    return [entries.render(_as_read(row, decode), related) for row in rows.conversations]


def _as_read(row: Record, decode: Callable[[str], Any]) -> ConversationRecord:
    """The record a read of the stored row would give (no entry yet)."""
    values = list(row)
    for index in _JSON_INDEXES:
        values[index] = decode(values[index])
    return ConversationRecord._make([*values, None])
