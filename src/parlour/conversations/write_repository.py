"""The statements conversation writes run: lock, insert, update, links, timelines, deletes.

Every write locks its conversation first (`lock_row`: `SELECT ... FOR UPDATE` on
PostgreSQL; SQLite's `BEGIN IMMEDIATE` already serialises writers), so concurrent writers
to one conversation queue on its row. The hot statements (a part appended: lock, timeline,
insert the part, update the row, the contacts' `last_contacted_at`) are prepared Core
statements on typed records (`db.prepared`): the ORM's unit of work cost several times the
SQL. Only `conversations.writes` (the write model) calls `insert_conversation` and
`update_row`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any, NamedTuple, Unpack, cast

from sqlalchemy import JSON, Table, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from parlour.conversations.timeline import Part
from parlour.db.models import (
    Contact,
    Conversation,
    ConversationColumns,
    ConversationContact,
    ConversationPart,
    ConversationRecord,
    ConversationTag,
    PartRecord,
)
from parlour.db.prepared import Prepared, PreparedWrite

CONVERSATION = cast(Table, Conversation.__table__)
PART = cast(Table, ConversationPart.__table__)
CONTACT = cast(Table, Contact.__table__)
CONTACT_LINK = cast(Table, ConversationContact.__table__)
TAG_LINK = cast(Table, ConversationTag.__table__)

_LOCKED = Prepared(
    select(CONVERSATION)
    .where(
        CONVERSATION.c.id == bindparam("conversation_id"),
        CONVERSATION.c.workspace_id == bindparam("workspace_id"),
    )
    .with_for_update(),
    ConversationRecord,
)


def lock_row(
    session: Session, workspace_id: int, conversation_id: int
) -> ConversationRecord | None:
    """The conversation (with its stored entry), row-locked until the transaction ends."""
    params = {"conversation_id": conversation_id, "workspace_id": workspace_id}
    return _LOCKED.first(session, params)


class _TimelineRow(NamedTuple):
    part_type: str
    author_type: str
    author_id: str
    created_at: int
    assigned_to_type: str | None
    assigned_to_id: str | None
    snoozed_until: int | None


_TIMELINE = Prepared(
    select(*(PART.c[name] for name in _TimelineRow._fields))
    .where(
        PART.c.conversation_id == bindparam("conversation_id"),
        PART.c.workspace_id == bindparam("workspace_id"),
    )
    .order_by(PART.c.position),
    _TimelineRow,
)


def timeline(session: Session, workspace_id: int, conversation_id: int) -> list[Part]:
    """Every part of a conversation as the pure rules see it, in order (no ORM objects)."""
    params = {"conversation_id": conversation_id, "workspace_id": workspace_id}
    return [Part(*row) for row in _TIMELINE.all(session, params)]


_INSERT_PART = Prepared(
    insert(PART)
    .values({c.name: bindparam(c.name) for c in PART.c if c.name != "id"})
    .returning(*PART.c),
    PartRecord,
)


def insert_part(session: Session, values: Mapping[str, Any]) -> PartRecord:
    """Insert one part (every column but `id`); returns it as stored (with its id)."""
    part = _INSERT_PART.first(session, values)
    assert part is not None  # INSERT ... RETURNING returns the row it inserted
    return part


_INSERT_CONVERSATION = Prepared(
    insert(CONVERSATION)
    .values({c.name: bindparam(c.name) for c in CONVERSATION.c if c.name not in ("id", "summary")})
    .returning(*CONVERSATION.c),
    ConversationRecord,
)


def insert_conversation(session: Session, values: ConversationColumns) -> ConversationRecord:
    """Insert a conversation (every column but `id` and `summary`); returns it as stored."""
    row = _INSERT_CONVERSATION.first(session, values)
    assert row is not None
    return row


JSON_COLUMNS = frozenset(c.name for c in CONVERSATION.c if isinstance(c.type, JSON))


@cache
def _update_statement(columns: tuple[str, ...]) -> Prepared[Any] | PreparedWrite:
    statement = (
        update(CONVERSATION)
        .where(CONVERSATION.c.id == bindparam("conversation_id"))
        .values({name: bindparam(f"new_{name}") for name in columns})
    )
    # RETURNING the JSON columns: PostgreSQL's jsonb stores an object's keys in an order of
    # its own, and the record (and so the entry) must show them as a read of the row would.
    json = [name for name in columns if name in JSON_COLUMNS]
    if not json:
        return PreparedWrite(statement)
    returned = NamedTuple("Returned", [(name, Any) for name in json])  # type: ignore[misc]
    return Prepared(statement.returning(*(CONVERSATION.c[name] for name in json)), returned)


def update_row(
    session: Session, row: ConversationRecord, **changes: Unpack[ConversationColumns]
) -> ConversationRecord:
    """Write `changes` to a locked conversation in one statement; the record after it."""
    columns = tuple(sorted(changes))
    params: dict[str, Any] = {f"new_{name}": value for name, value in changes.items()}
    params["conversation_id"] = row.id
    statement = _update_statement(columns)
    after = row._replace(**changes)
    if isinstance(statement, PreparedWrite):
        statement.execute(session, params)
        return after
    returned = statement.first(session, params)
    assert returned is not None  # the row is locked: it exists
    return after._replace(**returned._asdict())


_CONTACTED = PreparedWrite(
    update(CONTACT)
    .where(
        CONTACT.c.workspace_id == bindparam("in_workspace"),
        CONTACT.c.id.in_(
            select(CONTACT_LINK.c.contact_id).where(
                CONTACT_LINK.c.conversation_id == bindparam("of_conversation"),
                CONTACT_LINK.c.workspace_id == bindparam("in_workspace"),
            )
        ),
        or_(
            CONTACT.c.last_contacted_at.is_(None),
            CONTACT.c.last_contacted_at < bindparam("contacted_at"),
        ),
    )
    .values(last_contacted_at=bindparam("contacted_at"))
)


def mark_contacted(session: Session, workspace_id: int, conversation_id: int, at: int) -> None:
    """Move the participants' `last_contacted_at` up to `at` (a teammate wrote to them)."""
    params = {"in_workspace": workspace_id, "of_conversation": conversation_id, "contacted_at": at}
    _CONTACTED.execute(session, params)


class Participant(NamedTuple):
    """A contact taking part in a conversation."""

    contact_id: str
    added_at: int


def participants(session: Session, workspace_id: int, conversation_id: int) -> list[Participant]:
    """The contacts of a conversation, oldest first."""
    rows = session.execute(
        select(CONTACT_LINK.c.contact_id, CONTACT_LINK.c.added_at)
        .where(
            CONTACT_LINK.c.conversation_id == conversation_id,
            CONTACT_LINK.c.workspace_id == workspace_id,
        )
        .order_by(CONTACT_LINK.c.added_at, CONTACT_LINK.c.contact_id)
    )
    return [Participant(contact_id, added_at) for contact_id, added_at in rows]


def add_participant(
    session: Session, workspace_id: int, conversation_id: int, contact_id: str, at: int
) -> None:
    """Link a contact to a conversation."""
    session.execute(
        insert(CONTACT_LINK).values(
            conversation_id=conversation_id,
            contact_id=contact_id,
            workspace_id=workspace_id,
            added_at=at,
        )
    )


def remove_participant(
    session: Session, workspace_id: int, conversation_id: int, contact_id: str
) -> None:
    """Unlink a contact from a conversation."""
    session.execute(
        delete(CONTACT_LINK).where(
            CONTACT_LINK.c.conversation_id == conversation_id,
            CONTACT_LINK.c.contact_id == contact_id,
            CONTACT_LINK.c.workspace_id == workspace_id,
        )
    )


class TagLink(NamedTuple):
    """A tag applied to a conversation, when and by whom."""

    applied_at: int
    applied_by_id: int | None


def tag_link(
    session: Session, workspace_id: int, conversation_id: int, tag_id: int
) -> TagLink | None:
    """The link tagging this conversation with this tag, if any."""
    found = session.execute(
        select(TAG_LINK.c.applied_at, TAG_LINK.c.applied_by_id).where(
            TAG_LINK.c.conversation_id == conversation_id,
            TAG_LINK.c.tag_id == tag_id,
            TAG_LINK.c.workspace_id == workspace_id,
        )
    ).first()
    return None if found is None else TagLink(found.applied_at, found.applied_by_id)


def add_tag_link(
    session: Session, workspace_id: int, conversation_id: int, tag_id: int, link: TagLink
) -> None:
    """Tag a conversation."""
    session.execute(
        insert(TAG_LINK).values(
            conversation_id=conversation_id,
            tag_id=tag_id,
            workspace_id=workspace_id,
            applied_at=link.applied_at,
            applied_by_id=link.applied_by_id,
        )
    )


def remove_tag_link(session: Session, workspace_id: int, conversation_id: int, tag_id: int) -> None:
    """Untag a conversation."""
    session.execute(
        delete(TAG_LINK).where(
            TAG_LINK.c.conversation_id == conversation_id,
            TAG_LINK.c.tag_id == tag_id,
            TAG_LINK.c.workspace_id == workspace_id,
        )
    )


def latest_conversation_of(session: Session, workspace_id: int, contact_id: str) -> int | None:
    """The id of the contact's most recently updated conversation."""
    return session.scalar(
        select(CONVERSATION.c.id)
        .join(CONTACT_LINK, CONTACT_LINK.c.conversation_id == CONVERSATION.c.id)
        .where(
            CONTACT_LINK.c.contact_id == contact_id,
            CONTACT_LINK.c.workspace_id == workspace_id,
            CONVERSATION.c.workspace_id == workspace_id,
        )
        .order_by(CONVERSATION.c.updated_at.desc(), CONVERSATION.c.id.desc())
        .limit(1)
    )


def get_part(
    session: Session, workspace_id: int, conversation_id: int, part_id: int
) -> PartRecord | None:
    """One part of one conversation of this workspace."""
    found = session.execute(
        select(PART).where(
            PART.c.id == part_id,
            PART.c.conversation_id == conversation_id,
            PART.c.workspace_id == workspace_id,
        )
    ).first()
    return None if found is None else PartRecord(*found)


def update_part(session: Session, part: PartRecord, changes: Mapping[str, Any]) -> PartRecord:
    """Write `changes` to a part of a locked conversation; the record after it."""
    session.execute(update(PART).where(PART.c.id == part.id).values(dict(changes)))
    return part._replace(**changes)


def delete_conversation(session: Session, workspace_id: int, conversation_id: int) -> None:
    """Delete a conversation with its parts and links (explicitly: no reliance on cascades)."""
    for table in (PART, CONTACT_LINK, TAG_LINK):
        session.execute(
            delete(table).where(
                table.c.conversation_id == conversation_id, table.c.workspace_id == workspace_id
            )
        )
    session.execute(
        delete(CONVERSATION).where(
            CONVERSATION.c.id == conversation_id, CONVERSATION.c.workspace_id == workspace_id
        )
    )


def snooze_due(session: Session, now: int, limit: int) -> list[tuple[int, int]]:
    """(workspace id, conversation id) of snoozed conversations whose wake-up time has come."""
    rows = session.execute(
        select(CONVERSATION.c.workspace_id, CONVERSATION.c.id)
        .where(CONVERSATION.c.state == "snoozed", CONVERSATION.c.snoozed_until <= now)
        .order_by(CONVERSATION.c.snoozed_until, CONVERSATION.c.id)
        .limit(limit)
    )
    return [(workspace_id, conversation_id) for workspace_id, conversation_id in rows]


def open_assigned_counts(
    session: Session, workspace_id: int, admin_ids: Sequence[int]
) -> dict[int, int]:
    """How many open conversations each of these admins is assigned."""
    rows = session.execute(
        select(CONVERSATION.c.admin_assignee_id, func.count())
        .where(
            CONVERSATION.c.workspace_id == workspace_id,
            CONVERSATION.c.open.is_(True),
            CONVERSATION.c.admin_assignee_id.in_(admin_ids),
        )
        .group_by(CONVERSATION.c.admin_assignee_id)
    )
    return {int(admin_id): int(n) for admin_id, n in rows}


def last_assigned_at(
    session: Session, workspace_id: int, admin_ids: Sequence[int], part_types: Sequence[str]
) -> dict[int, int]:
    """When each of these admins was last assigned a conversation."""
    rows = session.execute(
        select(PART.c.assigned_to_id, func.max(PART.c.created_at))
        .where(
            PART.c.workspace_id == workspace_id,
            PART.c.part_type.in_(part_types),
            PART.c.assigned_to_type == "admin",
            PART.c.assigned_to_id.in_([str(a) for a in admin_ids]),
        )
        .group_by(PART.c.assigned_to_id)
    )
    return {int(admin_id): int(at) for admin_id, at in rows}
