"""Pre-rendered list entries: each conversation's list JSON, stored and kept current.

A list or search page is twenty conversation objects. Rendering them (five related-row
queries, building and encoding the dicts) was most of a page's cost, so each conversation
keeps its rendered list entry in `conversation.summary` and pages splice the stored bytes.

The entry is rewritten in the transaction that changes what it shows, so it can never be
newer or older than the data: a session hook collects every conversation whose row or
links a flush touched, and re-renders them just before the commit. Conversations changed
by Core statements (`repository.update_row`: the hot write, a part appended) are
re-rendered from their previous entry and their new columns, without reading related rows:
what an entry shows of other rows cannot have changed, or it would have been cleared.
Changes that alter how many conversations look (a contact, tag, admin or SLA policy
renamed or deleted) clear the affected entries instead; a page renders a cleared entry
from the rows (always correct, only slower), and `refill` (the server's background job,
and after a seed) stores it again.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

import orjson
from sqlalchemy import (
    ColumnElement,
    Table,
    and_,
    bindparam,
    event,
    inspect,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session, sessionmaker

from parlour.conversations import repository, schemas
from parlour.db.models import (
    Admin,
    Contact,
    Conversation,
    ConversationContact,
    ConversationPart,
    ConversationTag,
    SlaPolicy,
    Tag,
)
from parlour.db.prepared import Prepared

_TOUCHED = "parlour.summaries.touched"  # conversations (objects or ids) to re-render
_STALE = "parlour.summaries.stale"  # conditions: conversations whose entries to clear
_LINKS = (ConversationContact, ConversationTag, ConversationPart)
# The columns of each related kind that a list entry shows.
_SHOWN = {Contact: ("name", "email", "external_id"), Admin: ("name", "email"), Tag: ("name",),
          SlaPolicy: ("name",)}
_CONTACT_AUTHORS = ("user", "lead", "contact")
_ADMIN_AUTHORS = ("admin", "bot")
REFILL_BATCH = 500

_TABLE = cast(Table, Conversation.__table__)
_C = _TABLE.c
_STORE_STATEMENT = (
    update(_TABLE)
    .where(_C.id == bindparam("conversation_id"))
    .values(summary=bindparam("rendered"))
)
_STORE = Prepared(_STORE_STATEMENT)
# A refill must not overwrite an entry a write stored meanwhile (from newer data).
_FILL = Prepared(_STORE_STATEMENT.where(_C.summary.is_(None)))


def render(row: Any, related: repository.Related) -> bytes:
    """A conversation's list entry: the `conversation` object a list page shows, encoded."""
    return orjson.dumps(schemas.conversation(row, related))


def install(factory: sessionmaker[Session]) -> None:
    """Keep list entries current for every session this factory makes."""
    event.listen(factory, "before_flush", _collect)
    event.listen(factory, "before_commit", _refresh)
    event.listen(factory, "after_rollback", _forget)


def _forget(session: Session) -> None:
    session.info.pop(_TOUCHED, None)
    session.info.pop(_STALE, None)
    repository.forget_written(session)


def _shown_changed(obj: Any) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in _SHOWN[type(obj)])


def _collect(session: Session, _context: Any, _instances: Any) -> None:
    touched: list[Any] = session.info.setdefault(_TOUCHED, [])
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Conversation):
            touched.append(obj)
        elif isinstance(obj, _LINKS):
            touched.append(obj.conversation_id)
        elif (
            type(obj) in _SHOWN
            and obj not in session.new
            and (obj in session.deleted or _shown_changed(obj))
        ):
            mark_stale(session, affected_by(obj))


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


def mark_stale(session: Session, condition: ColumnElement[bool]) -> None:
    """Clear these conversations' entries when this transaction commits.

    For changes made with bulk statements, which the session hook cannot see: call it
    before the statement, while the rows it affects can still be found.
    """
    ids = list(session.scalars(select(_C.id).where(condition)))
    if ids:
        session.info.setdefault(_STALE, []).append(_C.id.in_(ids))


def _refresh(session: Session) -> None:
    session.flush()  # new conversations get their ids; the last changes are collected
    written = repository.forget_written(session)
    if not session.info.get(_TOUCHED) and not session.info.get(_STALE) and not written:
        return
    touched = session.info.pop(_TOUCHED, [])
    stale = session.info.pop(_STALE, [])
    connection = session.connection()
    for condition in stale:
        connection.execute(update(_TABLE).where(condition).values(summary=None))
    ids = {item.id if isinstance(item, Conversation) else item for item in touched}
    # A conversation whose links changed too, or whose entries a rename clears, is read
    # and rendered whole; one whose row alone changed is rendered from its old entry.
    rendered = []
    for conversation_id, row in written.items():
        entry = None if stale or conversation_id in ids else rerender(row)
        if entry is None:
            ids.add(conversation_id)
        else:
            rendered.append((row, entry))
    if rendered:
        _keep(session, rendered, only_missing=False)
    store(session, ids)


def store(session: Session, ids: Iterable[int | None], *, only_missing: bool = False) -> int:
    """Render and store the entries of these conversations (those that still exist)."""
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return 0
    # Locked before rendering: a rename that clears these entries waits for this commit,
    # or this waits for the rename's and renders the new name (PostgreSQL, read committed).
    rows = repository.rows_by_id(session, wanted, lock=True)
    if not rows:
        return 0
    by_workspace: dict[int, list[Any]] = {}
    for row in rows:
        by_workspace.setdefault(row.workspace_id, []).append(row)
    rendered = []
    for workspace_id, group in by_workspace.items():
        related = repository.load_related(session, workspace_id, group)
        rendered += [(r, render(r, related)) for r in group]
    return _keep(session, rendered, only_missing=only_missing)


def _keep(session: Session, rendered: list[tuple[Any, bytes]], *, only_missing: bool) -> int:
    """Store rendered entries, noting them for the write's answer (`stored_entries`)."""
    params = [{"conversation_id": row.id, "rendered": entry} for row, entry in rendered]
    (_FILL if only_missing else _STORE).execute_many(session, params)
    if not only_missing:
        stored = repository.stored_entries(session)
        for row, entry in rendered:
            stored[row.id] = (entry, row.part_count)
    return len(params)


def rerender(row: Any) -> bytes | None:
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
    entry = schemas.conversation(row, repository.Related())
    entry["contacts"] = shown["contacts"]
    entry["tags"] = shown["tags"]
    entry["source"]["author"] = shown["source"]["author"]
    if row.sla_policy_id is not None and row.sla_status is not None:
        policy = shown["sla_applied"]
        if policy is None:
            return None
        entry["sla_applied"] = {**policy, "sla_status": row.sla_status}
    return orjson.dumps(entry)


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
    return store(session, ids, only_missing=True)
