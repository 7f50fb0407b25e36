"""Stored list entries: each conversation's list JSON, stored and kept current at commit.

A list or search page is twenty conversation objects. Rendering them (five related-row
queries, building and encoding the dicts) was most of a page's cost, so each conversation
keeps its rendered list entry in `conversation.summary` and pages splice the stored bytes.

The entry is rewritten in the transaction that changes what it shows, so it can never be
newer or older than the data. `store` is a step of the commit pipeline (`parlour.wiring`):
it renders every conversation the unit of work says was written, once. A conversation
whose own columns alone changed is rendered from its previous entry and its new record,
without reading related rows: what an entry shows of other rows cannot have changed, or
it would have been cleared. Others are read and rendered whole. That one rendering is the
stored entry, the webhook payload (`payload`) and the write's answer (`StoredEntry`).

Changes that alter how many conversations look (a contact, tag, admin or SLA policy
renamed or deleted, through the ORM) are seen by `collect`, before each flush, and clear
the affected entries at commit; a page renders a cleared entry from the rows (always
correct, only slower), and `refill` (the server's background job, and after a seed)
stores it again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

import orjson
from sqlalchemy import ColumnElement, Table, and_, bindparam, inspect, or_, select, update
from sqlalchemy.orm import Session

from parlour.conversations import schemas
from parlour.conversations.rows import Related, load_related, rows_by_id
from parlour.db.models import (
    Admin,
    Contact,
    Conversation,
    ConversationContact,
    ConversationRecord,
    ConversationTag,
    SlaPolicy,
    Tag,
)
from parlour.db.prepared import PreparedWrite
from parlour.db.unit_of_work import Announcement, StoredEntry, UnitOfWork
from parlour.webhooks import topics

REFILL_BATCH = 500
# What an entry shows of other rows, by the columns of a conversation that say which: an
# entry re-rendered from the previous one carries these over, so a write of these columns
# renders the entry whole.
SHOWN_FROM_ELSEWHERE = frozenset({"sla_policy_id", "source_author_type", "source_author_id"})
# The columns of each related kind that a list entry shows.
_SHOWN = {
    Contact: ("name", "email", "external_id"),
    Admin: ("name", "email"),
    Tag: ("name",),
    SlaPolicy: ("name",),
}
_CONTACT_AUTHORS = ("user", "lead", "contact")
_ADMIN_AUTHORS = ("admin", "bot")

_TABLE = cast(Table, Conversation.__table__)
_C = _TABLE.c
_STORE_STATEMENT = (
    update(_TABLE)
    .where(_C.id == bindparam("conversation_id"))
    .values(summary=bindparam("rendered"))
)
_STORE = PreparedWrite(_STORE_STATEMENT)
# A refill must not overwrite an entry a write stored meanwhile (from newer data).
_FILL = PreparedWrite(_STORE_STATEMENT.where(_C.summary.is_(None)))


def render(row: ConversationRecord, related: Related) -> bytes:
    """A conversation's list entry: the `conversation` object a list page shows, encoded."""
    return orjson.dumps(schemas.conversation(row, related))


def collect(work: UnitOfWork) -> None:
    """Before a flush: the entries that show a contact, admin, tag or SLA policy whose
    shown fields change, or that goes, are stale (found now, while its links exist)."""
    session = work.session
    for obj in (*session.dirty, *session.deleted):
        if type(obj) in _SHOWN and (obj in session.deleted or _shown_changed(obj)):
            work.stale.update(session.scalars(select(_C.id).where(affected_by(obj))))


def _shown_changed(obj: Any) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in _SHOWN[type(obj)])


def affected_by(obj: Contact | Admin | Tag | SlaPolicy) -> ColumnElement[bool]:
    """The conversations whose list entries show this contact, admin, tag or policy."""
    if isinstance(obj, Contact):
        linked = select(ConversationContact.conversation_id).where(
            ConversationContact.contact_id == obj.id
        )
        return and_(
            _C.workspace_id == obj.workspace_id,
            or_(
                _C.id.in_(linked),
                and_(_C.source_author_type.in_(_CONTACT_AUTHORS), _C.source_author_id == obj.id),
            ),
        )
    if isinstance(obj, Admin):
        return and_(
            _C.workspace_id == obj.workspace_id,
            _C.source_author_type.in_(_ADMIN_AUTHORS),
            _C.source_author_id == str(obj.id),
        )
    if isinstance(obj, Tag):
        return _C.id.in_(
            select(ConversationTag.conversation_id).where(ConversationTag.tag_id == obj.id)
        )
    return and_(_C.workspace_id == obj.workspace_id, _C.sla_policy_id == obj.id)


def store(work: UnitOfWork) -> None:
    """Commit step: clear the stale entries, render and store every written one, once.

    A conversation whose own columns alone changed is rendered from its previous entry
    (`rerender`); one whose links changed, that is new, or whose entry showed something
    that changed elsewhere is read and rendered whole. The entries stored are kept on the
    unit of work (`stored`) for the webhook payloads and the write's answer.
    """
    session = work.session
    if work.stale:
        stale = sorted(work.stale)
        for start in range(0, len(stale), 500):
            chunk = stale[start : start + 500]
            session.execute(update(_TABLE).where(_C.id.in_(chunk)).values(summary=None))
    whole = set(work.rerender)
    rendered = []
    for conversation_id, written in work.conversations.items():
        entry = None
        if not (work.stale or conversation_id in whole or written.columns & SHOWN_FROM_ELSEWHERE):
            entry = rerender(written.after)
        if entry is None:
            whole.add(conversation_id)
        else:
            rendered.append((written.after, entry))
    if rendered:
        _keep(work, rendered)
    if whole:
        _keep(work, _render_whole(session, sorted(whole), lock=True))


def _render_whole(
    session: Session, ids: Sequence[int], *, lock: bool
) -> list[tuple[ConversationRecord, bytes]]:
    """Read these conversations (those that still exist) and render their entries."""
    # Locked before rendering: a rename that clears these entries waits for this commit,
    # or this waits for the rename's and renders the new name (PostgreSQL, read committed).
    rows = rows_by_id(session, ids, lock=lock)
    by_workspace: dict[int, list[ConversationRecord]] = {}
    for row in rows:
        by_workspace.setdefault(row.workspace_id, []).append(row)
    rendered = []
    for workspace_id, group in by_workspace.items():
        related = load_related(session, workspace_id, group)
        rendered += [(r, render(r, related)) for r in group]
    return rendered


def _keep(work: UnitOfWork, rendered: list[tuple[ConversationRecord, bytes]]) -> None:
    """Store rendered entries, noting them for the payloads and the write's answer."""
    params = [{"conversation_id": row.id, "rendered": entry} for row, entry in rendered]
    _STORE.execute_many(work.session, params)
    for row, entry in rendered:
        work.stored[row.id] = StoredEntry(entry, row.part_count)


def rerender(row: ConversationRecord) -> bytes | None:
    """`row`'s entry from its previous one (`row.summary`) and its current columns.

    The conversation's own fields are rendered from the row as any entry is; what the entry
    shows of other rows (contacts, tags, the source's author, the SLA policy's name) is
    carried over from the previous entry as it stands. None when there is none, or when it
    lacks something the row now needs (an SLA status appearing needs the policy's name).
    """
    previous = row.summary
    if previous is None:
        return None
    shown = orjson.loads(previous)
    entry = schemas.conversation(row, Related())
    entry["contacts"] = shown["contacts"]
    entry["tags"] = shown["tags"]
    entry["source"]["author"] = shown["source"]["author"]
    if row.sla_policy_id is not None and row.sla_status is not None:
        policy = shown["sla_applied"]
        if policy is None:
            return None
        entry["sla_applied"] = {**policy, "sla_status": row.sla_status}
    return orjson.dumps(entry)


def payload(work: UnitOfWork, announcement: Announcement) -> dict[str, Any]:
    """The conversation an announcement is about, as the API renders it, with its part.

    The stored entry this commit rendered (`store` ran first), with the part that raised
    the topic; `*.deleted` topics carry only the identifying fields (Intercom sends no
    full object).
    """
    if announcement.topic == topics.DELETED:
        return {"type": "conversation", "id": str(announcement.conversation_id)}
    session = work.session
    workspace_id, conversation_id = announcement.workspace_id, announcement.conversation_id
    stored = work.stored.get(conversation_id)
    if stored is None:  # (every announced conversation was written: kept for safety)
        ((row, rendered),) = _render_whole(session, [conversation_id], lock=False)
        stored = StoredEntry(rendered, row.part_count)
    entry: dict[str, Any] = orjson.loads(stored.entry)
    parts = [announcement.part] if announcement.part is not None else []
    related = load_related(session, workspace_id, [], parts)
    entry["conversation_parts"] = schemas.parts(stored.part_count, related, False, parts)
    return entry


def missing(session: Session) -> bool:
    """Whether any conversation lacks its stored entry (a lookup on a partial index)."""
    return session.scalar(select(_C.id).where(_C.summary.is_(None)).limit(1)) is not None


def refill(session: Session, *, limit: int = REFILL_BATCH) -> int:
    """Store up to `limit` missing entries; how many were stored (0: none is missing)."""
    ids = session.scalars(
        select(_C.id)
        .where(_C.summary.is_(None))
        .order_by(_C.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    return fill(session, ids)


def fill(session: Session, ids: Iterable[int]) -> int:
    """Render and store the entries of these conversations where they are missing."""
    wanted = sorted(set(ids))
    if not wanted:
        return 0
    rendered = _render_whole(session, wanted, lock=True)
    params = [{"conversation_id": row.id, "rendered": entry} for row, entry in rendered]
    _FILL.execute_many(session, params)
    return len(params)
