"""List pages of conversations: keyset seeks on composite indexes, numbered pages, counts.

A page reads each row's list entry (`ListEntry`: id, sort value, the stored entry) by index
seek on `(workspace_id, sort column, id)`; rows without a stored entry are read whole
afterwards (`complete`). Counts come from a cache keyed on the workspace's versions.
"""

from __future__ import annotations

from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import BindParameter, ColumnElement, bindparam, func, select, tuple_

from parlour.conversations.rows import rows_by_id
from parlour.core.count_cache import CountCache
from parlour.db.models import Conversation, ConversationContact, ConversationRecord
from parlour.db.prepared import Prepared
from parlour.db.session import Reads, dialect_name

CONVERSATION = Conversation.__table__


class ListFilter(NamedTuple):
    """Which conversations a list shows (all scoped to one workspace).

    A named tuple: made on every list request, and a frozen dataclass costs 3x to make.
    """

    admin_id: int | None = None
    unassigned: bool = False
    open: bool | None = None
    contact_ids: tuple[str, ...] | None = None
    waiting_only: bool = False

    def cache_key(self) -> tuple[Any, ...]:
        """A hashable identity for count caching."""
        return (self.admin_id, self.unassigned, self.open, self.contact_ids, self.waiting_only)


UNFILTERED = ListFilter()
"""Every conversation of the workspace."""


class ListEntry(NamedTuple):
    """What a page reads of a row: its position (`id`, the sort column's value) and the
    stored list entry. Only the page's own sort column: every other column read costs each
    row (~10% of the statement at 21 rows, measured); rows whose entry is missing are read
    whole (`complete`)."""

    id: int
    sort_value: int | None
    summary: bytes | None


Row = ListEntry | ConversationRecord
"""A row of a page: its entry, or (for rows without one) the whole conversation."""


def _shape(flt: ListFilter) -> tuple[bool, ...]:
    """Which conditions a filter needs: the cache key of its statements."""
    return (
        flt.unassigned,
        flt.admin_id is not None,
        flt.open is not None,
        flt.contact_ids is not None,
        flt.waiting_only,
    )


def _params(workspace_id: int, flt: ListFilter, **more: Any) -> dict[str, Any]:
    """The bound values of a filter's conditions (those a statement lacks are ignored)."""
    return {
        "workspace_id": workspace_id,
        "admin_id": flt.admin_id,
        "open": flt.open,
        "contact_ids": list(flt.contact_ids or ()),
        **more,
    }


@cache
def _filtered(shape: tuple[bool, ...]) -> tuple[ColumnElement[bool], ...]:
    """A list filter's conditions, with bound parameters (see `_params`)."""
    unassigned, by_admin, by_open, by_contacts, waiting_only = shape
    c = CONVERSATION.c
    conditions: list[ColumnElement[bool]] = [c.workspace_id == bindparam("workspace_id")]
    if unassigned:
        conditions.append(c.admin_assignee_id.is_(None))
    elif by_admin:
        conditions.append(c.admin_assignee_id == bindparam("admin_id"))
    if by_open:
        conditions.append(c.open == bindparam("open"))
    if by_contacts:
        links = ConversationContact.__table__.c
        conditions.append(
            c.id.in_(
                select(links.conversation_id).where(
                    links.workspace_id == bindparam("workspace_id"),
                    links.contact_id.in_(bindparam("contact_ids", expanding=True)),
                )
            )
        )
    if waiting_only:
        # Seed rule: with sort=waiting_since, conversations a teammate answered last or that
        # are closed are not listed; both have a null waiting_since by derivation
        # (`state.derive_state`), so the partial waiting index alone answers, rows unread:
        # testing `state` too made the count read 188,000 rows at 1M (1-5 s on SQLite).
        conditions.append(c.waiting_since.is_not(None))
    return tuple(conditions)


def _order(sort: str, descending: bool, *keys: Any) -> list[Any]:
    keys = keys or (CONVERSATION.c[sort], CONVERSATION.c.id)
    return [k.desc() if descending else k.asc() for k in keys]


def _entries(sort: str) -> tuple[ColumnElement[Any], ...]:
    c = CONVERSATION.c
    return c.id, c[sort].label("sort_value"), c.summary


@cache
def _keyset_statement(
    sort: str, descending: bool, shape: tuple[bool, ...], part: str
) -> Prepared[ListEntry]:
    """One of a page's statements: `first` (no position), `after` (a row-value seek, for
    PostgreSQL), `from` (one seek at the position's value) or `ties` and `later` (two seeks),
    for SQLite; see `keyset_page`."""
    c = CONVERSATION.c
    conditions = list(_filtered(shape))
    column = c[sort]
    value: BindParameter[int] = bindparam("after_value")
    after_id: BindParameter[int] = bindparam("after_id")
    order = _order(sort, descending)
    if part == "after":
        position = tuple_(value, after_id)
        key = tuple_(column, c.id)
        conditions.append(key < position if descending else key > position)
    elif part == "ties":
        conditions += [column == value, c.id < after_id if descending else c.id > after_id]
        order = _order(sort, descending, c.id)
    elif part == "later":
        conditions.append(column < value if descending else column > value)
    elif part == "from":
        conditions.append(column <= value if descending else column >= value)
    statement = select(*_entries(sort)).where(*conditions).order_by(*order)
    return Prepared(statement.limit(bindparam("limit")), ListEntry)


# Ties a page may read again to seek its position's value once (SQLite): a run of ties
# within a page; longer runs take the two seeks.
MAX_SKIPPED_TIES = 64


def keyset_page(
    reads: Reads,
    workspace_id: int,
    flt: ListFilter,
    *,
    sort: str,
    descending: bool,
    after: tuple[int, int] | None,
    limit: int,
    ties: int = 1,
) -> list[ListEntry]:
    """Up to `limit` list entries after the (sort value, id) position, by index seek.

    `ties`: how many rows with the position's value its page ended with (`Cursor.ties`); 0
    when the row that followed the position had a later value, so the rest of the
    position's value is not looked for (SQLite: one seek). A row given exactly that value
    since is then left out, like any row that moved behind the position while the client
    paged.

    SQLite seeks a row-value comparison `(value, id) > (?, ?)` on `value` alone and reads
    every tie before the position (3.3 ms instead of 0.1 at 17,000 equal `waiting_since`
    values), so inside a run of ties it seeks the value and skips the `ties` rows it knows
    of, in one statement; where more precede the position (a run longer than a page, or
    rows given the value since), two seeks: the rest of the value's ties by id, then the
    later values. PostgreSQL seeks on (value, id) itself, in one statement (a second would
    cost it a round trip: -26%).
    """
    shape = _shape(flt)
    params = _params(workspace_id, flt, limit=limit)
    if after is None:
        return _keyset_statement(sort, descending, shape, "first").all(reads, params)
    params["after_value"], params["after_id"] = after
    if dialect_name(reads) == "postgresql":
        return _keyset_statement(sort, descending, shape, "after").all(reads, params)
    if 0 < ties <= MAX_SKIPPED_TIES:
        params["limit"] = limit + ties
        found = _keyset_statement(sort, descending, shape, "from").all(reads, params)
        value, last_id = after
        rows = [
            row
            for row in found
            if row.sort_value != value or (row.id < last_id if descending else row.id > last_id)
        ]
        if len(rows) >= limit or len(found) < limit + ties:  # a full page, or all there is
            return rows[:limit]
        params["limit"] = limit
    rows = _keyset_statement(sort, descending, shape, "ties").all(reads, params) if ties else []
    if len(rows) < limit:
        params["limit"] = limit - len(rows)
        rows += _keyset_statement(sort, descending, shape, "later").all(reads, params)
    return rows


@cache
def _offset_statement(sort: str, descending: bool, shape: tuple[bool, ...]) -> Prepared[ListEntry]:
    statement = select(*_entries(sort)).where(*_filtered(shape)).order_by(*_order(sort, descending))
    return Prepared(statement.offset(bindparam("offset")).limit(bindparam("limit")), ListEntry)


def offset_page(
    reads: Reads,
    workspace_id: int,
    flt: ListFilter,
    *,
    sort: str,
    descending: bool,
    offset: int,
    limit: int,
) -> list[ListEntry]:
    """A numbered page for 1.x clients that jump straight to page N.

    Following `pages.next` never lands here (its URL carries a keyset cursor); only a
    client that types a page number pays for skipping the rows before it.
    """
    params = _params(workspace_id, flt, offset=offset, limit=limit)
    return _offset_statement(sort, descending, _shape(flt)).all(reads, params)


def complete(
    reads: Reads, entries: list[ListEntry], *, all_rows: bool
) -> tuple[list[Row], list[ConversationRecord]]:
    """The entries, with those lacking a stored entry (or all) read as whole rows; and
    those whole rows (what the page renders itself)."""
    wanted = {e.id for e in entries if all_rows or e.summary is None}
    if not wanted:
        return list(entries), []
    whole = {row.id: row for row in rows_by_id(reads, sorted(wanted))}
    # A row deleted since the page was read (PostgreSQL reads each statement afresh) is
    # left out rather than rendered from its entry's few columns.
    rows: list[Row] = [
        whole[e.id] if e.id in wanted else e
        for e in entries
        if e.id not in wanted or e.id in whole
    ]
    return rows, list(whole.values())


class Count(NamedTuple):
    """A counting statement's one row."""

    n: int


@cache
def _count_statement(shape: tuple[bool, ...]) -> Prepared[Count]:
    counted = select(func.count().label("n")).select_from(CONVERSATION).where(*_filtered(shape))
    return Prepared(counted, Count)


def count(
    reads: Reads,
    workspace_id: int,
    flt: ListFilter,
    *,
    data_version: int,
    population_version: int,
    cache: CountCache,
) -> int:
    """How many conversations match, from the cache while the workspace is unchanged.

    The unfiltered count changes only when conversations are created or deleted, so it is
    keyed on `population_version`: replies and state changes (most writes) keep it cached.
    On a busy inbox every list page would otherwise recount (86 ms at 1M on PostgreSQL).
    """
    if flt == UNFILTERED:
        key: tuple[Any, ...] = (workspace_id, "population", population_version)
    else:
        key = (workspace_id, data_version, flt.cache_key())
    cached = cache.get(key)
    if cached is not None:
        return cached
    found = _count_statement(_shape(flt)).first(reads, _params(workspace_id, flt))
    total = found.n if found is not None else 0
    cache.put(key, total)
    return total
