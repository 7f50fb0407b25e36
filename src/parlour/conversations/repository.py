"""Conversation queries: keyset pages on composite indexes, cached counts, batch loads."""

from __future__ import annotations

from collections import OrderedDict, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, NamedTuple, cast

from sqlalchemy import (
    JSON,
    BindParameter,
    ColumnElement,
    FromClause,
    Row,
    Select,
    Table,
    bindparam,
    case,
    delete,
    distinct,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.orm import Session

from parlour.conversations import search_columns
from parlour.conversations.timeline import Part
from parlour.db import text_search
from parlour.db.models import (
    GROUP_ROLLUP,
    Admin,
    Contact,
    Conversation,
    ConversationContact,
    ConversationGroup,
    ConversationHour,
    ConversationPart,
    ConversationTag,
    SlaPolicy,
    Tag,
    Team,
    TeamMember,
    Workspace,
)
from parlour.db.prepared import Prepared, Record
from parlour.db.session import Reads, dialect_name, orm_session
from parlour.search.compile import Context, Target, Through, compile_query
from parlour.search.query import Condition, Group, Node, conditions

SORT_COLUMNS = {
    "created_at": Conversation.created_at,
    "updated_at": Conversation.updated_at,
    "waiting_since": Conversation.waiting_since,
}
MAX_PARTS_RETURNED = 500


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


# Hot-path statements are built once per shape and executed with bound parameters on the
# Core connection: building a statement and running it through the ORM cost 4x the query.
CONVERSATION = Conversation.__table__


def _entry(sort: str) -> tuple[ColumnElement[Any], ...]:
    """What a page needs of a row that has a stored list entry: its cursor key (`id` and
    the sort column) and the entry; the other rows are read whole (`complete`) and rendered.

    Only the page's own sort column: every other column read costs each row (~10% of the
    statement at 21 rows, measured)."""
    c = CONVERSATION.c
    return c.id, c[sort], c.summary


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


@cache
def _keyset_statement(sort: str, descending: bool, shape: tuple[bool, ...], part: str) -> Prepared:
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
    return Prepared(
        select(*_entry(sort)).where(*conditions).order_by(*order).limit(bindparam("limit"))
    )


def keyset_page(
    session: Reads,
    workspace_id: int,
    flt: ListFilter,
    *,
    sort: str,
    descending: bool,
    after: tuple[int, int] | None,
    limit: int,
    ties: int = 1,
) -> list[Record]:
    """Up to `limit` list entries after the (sort value, id) position, by index seek.

    `ties`: how many rows with the position's value its page ended with (`Cursor.ties`); 0
    when the row that followed the position had a later value, so the rest of the
    position's value is not looked for (SQLite: one seek). A row given exactly that value
    since is then left out, like any row that moved behind the position while the client
    paged.

    Each is `id`, the sort column and `summary` only; see `complete`. SQLite seeks a
    row-value comparison `(value, id) > (?, ?)` on `value` alone and reads every tie
    before the position (3.3 ms instead of 0.1 at 17,000 equal `waiting_since` values), so
    inside a run of ties it seeks the value and skips the `ties` rows it knows of, in one
    statement; where more precede the position (a run longer than a page, or rows given
    the value since), two seeks: the rest of the value's ties by id, then the later
    values. PostgreSQL seeks on (value, id) itself, in one statement (a second would cost
    it a round trip: -26%).
    """
    shape = _shape(flt)
    params = _params(workspace_id, flt, limit=limit)
    if after is None:
        return _keyset_statement(sort, descending, shape, "first").all(session, params)
    params["after_value"], params["after_id"] = after
    if dialect_name(session) == "postgresql":
        return _keyset_statement(sort, descending, shape, "after").all(session, params)
    if 0 < ties <= MAX_SKIPPED_TIES:
        params["limit"] = limit + ties
        found = _keyset_statement(sort, descending, shape, "from").all(session, params)
        value, last_id = after
        rows = [
            row
            for row in found
            if getattr(row, sort) != value or (row.id < last_id if descending else row.id > last_id)
        ]
        if len(rows) >= limit or len(found) < limit + ties:  # a full page, or all there is
            return rows[:limit]
        params["limit"] = limit
    rows = _keyset_statement(sort, descending, shape, "ties").all(session, params) if ties else []
    if len(rows) < limit:
        params["limit"] = limit - len(rows)
        rows += _keyset_statement(sort, descending, shape, "later").all(session, params)
    return rows


# Ties a page may read again to seek its position's value once (SQLite): a run of ties
# within a page; longer runs take the two seeks.
MAX_SKIPPED_TIES = 64


def offset_page(
    session: Reads,
    workspace_id: int,
    flt: ListFilter,
    *,
    sort: str,
    descending: bool,
    offset: int,
    limit: int,
) -> list[Row[Any]]:
    """A numbered page for 1.x clients that jump straight to page N.

    Following `pages.next` never lands here (its URL carries a keyset cursor); only a
    client that types a page number pays for skipping the rows before it.
    """
    ids = (
        select(CONVERSATION.c.id)
        .where(*_filtered(_shape(flt)))
        .order_by(*_order(sort, descending))
        .offset(offset)
        .limit(limit)
    )
    found = orm_session(session).connection().execute(ids, _params(workspace_id, flt)).scalars()
    return _rows_in_order(session, list(found))


class CountCache:
    """Counts per (workspace, data version, filter): exact, because every conversation write
    bumps the workspace's data version, and cheap, because unchanged data is never recounted."""

    def __init__(self, max_entries: int = 4096) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[Any, ...], int] = OrderedDict()

    def get(self, key: tuple[Any, ...]) -> int | None:
        """A cached count, refreshed as most recently used."""
        value = self._entries.get(key)
        if value is not None:
            self._entries.move_to_end(key)
        return value

    def put(self, key: tuple[Any, ...], value: int) -> None:
        """Remember a count, evicting the least recently used beyond the bound."""
        self._entries[key] = value
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)


@cache
def _count_statement(shape: tuple[bool, ...]) -> Prepared:
    return Prepared(select(func.count()).select_from(CONVERSATION).where(*_filtered(shape)))


def count(
    session: Reads,
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
    total = _count_statement(_shape(flt)).scalar(session, _params(workspace_id, flt))
    cache.put(key, int(total or 0))
    return int(total or 0)


# Search (`POST /conversations/search`): the query tree compiled against the whitelist of
# `search_columns`, newest created first. `created_at` never changes, so a keyset on
# `(created_at, id)` neither repeats nor skips a row that still matches between pages.

# At most this many matches: find them all through the filters' own indexes and order them
# here. More: walk the newest conversations in `created_at` order and test each.
FEW_MATCHES = 2_000
# How many of the newest conversations (after the cursor) a page of many matches tests
# (SQLite) before it lets the database plan the ordered query (the matches are old, or few).
PROBE_WINDOWS = (1_024, 16_384)


def _search_context(session: Session, workspace_id: int, *, probe: bool = False) -> Context:
    connection = session.connection()
    dialect = connection.dialect.name
    return Context(
        dialect=dialect,
        workspace_id=workspace_id,
        text_index=dialect != "sqlite" or text_search.has_fts(connection),
        probe=probe,
    )


def _search_condition(
    session: Session, workspace_id: int, query: Node, *, probe: bool = False
) -> ColumnElement[bool]:
    ctx = _search_context(session, workspace_id, probe=probe)
    return compile_query(query, search_columns.TARGETS, ctx, search_columns.CUSTOM)


def _after(after: tuple[int, int] | None) -> list[ColumnElement[bool]]:
    """The keyset condition: strictly after (created_at, id) in newest-first order."""
    if after is None:
        return []
    key = tuple_(Conversation.created_at, Conversation.id)
    return [key < tuple_(literal(after[0]), literal(after[1]))]


def _newest_first(stmt: Select[Any]) -> Select[Any]:
    return stmt.order_by(Conversation.created_at.desc(), Conversation.id.desc())


_PLANNED = "parlour.search.custom_plans"  # session.info: the transaction already set it


def _plan_with_values(session: Session) -> None:
    """PostgreSQL: plan this transaction's search statements with their values, without JIT.

    psycopg prepares a statement a connection runs five times, and PostgreSQL may then
    reuse a generic plan, blind to the tag or word a search names; the page plans above
    rely on the values (warm, a page of `open AND (priority OR tag OR team)` took 17.5 ms
    with the generic plan, 4.3 with custom ones; `tag_ids IN [2 tags]` 35-45 against 5).
    JIT compiles any plan costed above `jit_above_cost`, as a count over `conversation` of
    a word and another field is at a million rows: 11 ms of compiling (measured) for a
    statement that runs once. Both settings are local to the transaction: the server's stay as set.
    """
    if session.connection().dialect.name != "postgresql":
        return
    transaction = session.get_transaction()
    if session.info.get(_PLANNED) is not transaction:
        session.execute(
            text(
                "SELECT set_config('plan_cache_mode', 'force_custom_plan', true), "
                "set_config('jit', 'off', true)"
            )
        )
        session.info[_PLANNED] = transaction


def search_page(
    session: Session,
    workspace_id: int,
    query: Node,
    *,
    after: tuple[int, int] | None,
    limit: int,
    total: int,
) -> list[Row[Any]]:
    """Up to `limit` matching conversations after (created_at, id), newest first.

    `total` (how many match in all) picks the plan: the database cannot know how many rows
    a tag list or a word matches, and guessing wrong costs seconds at a million rows.
    """
    if total == 0:
        return []
    _plan_with_values(session)
    in_workspace = Conversation.workspace_id == workspace_id
    if total <= FEW_MATCHES:
        condition = _search_condition(session, workspace_id, query)
        keys = session.execute(
            select(Conversation.created_at, Conversation.id)
            .where(in_workspace, condition, *_after(after))
            .limit(FEW_MATCHES * 2 + 1)
        ).all()
        if len(keys) <= FEW_MATCHES * 2:  # (else the count was stale: plan as for many)
            return _rows_in_order(session, [i for _, i in sorted(keys, reverse=True)[:limit]])
    if session.connection().dialect.name == "postgresql":
        # PostgreSQL's statistics let it choose between walking the created_at index and
        # collecting the matches itself; it chooses well (measured at a million rows). But
        # a list field under an OR or a negation cannot become a semi-join: given `id IN
        # (a tag's ids)` there it hashed all 50,000 ids for a 20-row page (17 ms); probes
        # (`search_columns._probe`) test the rows it walks one by one (3 ms).
        probe = _list_in_or_negation(query)
        condition = _search_condition(session, workspace_id, query, probe=probe)
        # Ids first, then the page's rows: a walk that passes thousands of rows reads each
        # from the covering index, not the ~2 KB row (a tag page passing 5,000 unmatched
        # new conversations: 8-10 ms of row reads).
        found = select(Conversation.id).where(in_workspace, condition, *_after(after))
        return _rows_in_order(session, list(session.scalars(_newest_first(found).limit(limit))))
    probing = _search_condition(session, workspace_id, query, probe=True)
    # SQLite would collect every match of an id list (a tag, a word) and sort them: seconds.
    # Walk the newest rows on the created_at index instead (it covers the common filter
    # columns, so most tests never read the table), within a bounded range: the newest
    # `size` rows after the cursor (and before any created_at bound the query sets), a
    # small range first, then a larger one.
    start = [*_after(after), *_created_before(query)]
    for size in PROBE_WINDOWS:
        bound = session.execute(
            _newest_first(
                select(Conversation.created_at, Conversation.id).where(in_workspace, *start)
            )
            .offset(size - 1)
            .limit(1)
        ).first()
        walked = [in_workspace, probing, *start]
        if bound is not None:
            key = tuple_(Conversation.created_at, Conversation.id)
            walked.append(key >= tuple_(literal(bound[0]), literal(bound[1])))
        ids = list(
            session.scalars(
                _newest_first(select(Conversation.id).where(*walked))
                .with_hint(Conversation, "INDEXED BY ix_conversation_ws_created", "sqlite")
                .limit(limit)
            )
        )
        if len(ids) == limit or bound is None:  # a full page, or the range held every row
            return _rows_in_order(session, ids)
    stmt = _newest_first(select(CONVERSATION).where(in_workspace, probing, *_after(after)))
    return list(session.connection().execute(stmt.limit(limit)))


def _list_in_or_negation(query: Node, within: bool = False) -> bool:
    """Whether a list field (tags, contacts) is tested under an OR or negated."""
    if isinstance(query, Group):
        inner = within or query.operator == "OR"
        return any(_list_in_or_negation(item, inner) for item in query.items)
    return query.field in search_columns.LINKS and (within or query.negated)


def _created_before(query: Node) -> list[ColumnElement[bool]]:
    """`created_at` upper bounds every match obeys (top-level `<` or `=` filters).

    Implied by the query, so adding them changes no result; a page walking the newest rows
    then starts at the bound instead of walking rows that cannot match.
    """
    items = query.items if isinstance(query, Group) and query.operator == "AND" else (query,)
    bounds = []
    for item in items:
        if not isinstance(item, Condition) or item.field != "created_at":
            continue
        if item.operator == "<" and isinstance(item.value, int):
            bounds.append(Conversation.created_at < item.value)
        elif item.operator == "=" and isinstance(item.value, int):
            bounds.append(Conversation.created_at <= item.value)
    return bounds


_BY_IDS = select(CONVERSATION).where(CONVERSATION.c.id.in_(bindparam("ids", expanding=True)))
_READ_BY_IDS = Prepared(_BY_IDS)


_BY_IDS_LOCKED = _BY_IDS.order_by(CONVERSATION.c.id).with_for_update()


def rows_by_id(session: Reads, ids: Sequence[int], *, lock: bool = False) -> list[Row[Any]]:
    """The conversations with these ids (any workspace), as plain rows, in no order.

    `lock` takes their row locks first (PostgreSQL; in id order), so what is read next
    cannot change before the transaction ends.
    """
    found: list[Record] = []
    for start in range(0, len(ids), 500):
        params = {"ids": list(ids[start : start + 500])}
        if lock:
            found += orm_session(session).connection().execute(_BY_IDS_LOCKED, params).all()
        else:
            found += _READ_BY_IDS.all(session, params)
    return found


def complete(session: Reads, entries: list[Row[Any]], *, all_rows: bool) -> list[Row[Any]]:
    """The entries, with those lacking a stored summary (or all) read as whole rows."""
    wanted = {e.id for e in entries if all_rows or e.summary is None}
    if not wanted:
        return entries
    whole = {row.id: row for row in rows_by_id(session, sorted(wanted))}
    # A row deleted since the page was read (PostgreSQL reads each statement afresh) is
    # left out rather than rendered from its entry's few columns.
    return [
        whole[e.id] if e.id in wanted else e
        for e in entries
        if e.id not in wanted or e.id in whole
    ]


def _rows_in_order(session: Reads, ids: list[int]) -> list[Row[Any]]:
    """The conversations with these ids, in this order."""
    found = {row.id: row for row in rows_by_id(session, ids)}
    return [found[i] for i in ids if i in found]


def _count_versions(query: Node) -> tuple[str, ...]:
    """The workspace versions a count of `query` depends on (`search_columns.FIELD_VERSIONS`)."""
    names = {"population_version"}
    for condition in conditions(query):
        if condition.attribute is not None:
            names.update(search_columns.ANY_WRITE)
        else:
            names.update(
                search_columns.FIELD_VERSIONS.get(condition.field, search_columns.ANY_WRITE)
            )
    return tuple(sorted(names))


def _link_count(ctx: Context, query: Node) -> Select[Any] | None:
    """The count of a query that is one positive filter on a list field, from its link table.

    Distinct conversation ids over the link index: the conversation rows are never read
    (`tag_ids IN [2 tags]` at 1M: SQLite 77 -> 33 ms, PostgreSQL 185 -> 40 ms). None for
    any other query.
    """
    if not isinstance(query, Condition) or query.negated or query.attribute is not None:
        return None
    link = search_columns.LINKS.get(query.field)
    target = search_columns.TARGETS.get(query.field)
    if link is None or not isinstance(target, Through) or query.value is None:
        return None
    table, column = link
    # A link's key is (conversation, value): one value's links are distinct conversations.
    # (Counting DISTINCT sorts inside the aggregate: on PostgreSQL half the time of a
    # DISTINCT subquery, whose hash table spilled to disk at the default work_mem.)
    single = not isinstance(query.value, tuple) or len(set(query.value)) == 1
    counted = func.count() if single else func.count(distinct(table.conversation_id))
    return select(counted).where(
        table.workspace_id == ctx.workspace_id, target.value_test(query, ctx)(column)
    )


# A count over `conversation_group` reads every group row of the workspace; past this many
# (a workspace with many assignees and tag sets) counting the conversations may be cheaper.
MAX_GROUPS = 50_000


def _group_count(ctx: Context, query: Node) -> Select[Any] | None:
    """(count, group rows read) of a query that reads only the fields groups are keyed on.

    Sums the sizes of the matching `conversation_group` rows (21,000 at a million seeded
    conversations), whatever the query's shape (`tag_ids IN [...]`, nested ORs of state,
    priority, assignees and tags). None for a query reading any other field.
    """
    return _sum_groups(ctx, query, search_columns.GROUP_TARGETS, ConversationGroup.__table__)


def _rollup_count(ctx: Context, query: Node) -> Select[Any] | None:
    """(count, rollup rows read) of a group-field query that does not read the admin assignee.

    PostgreSQL only: sums `conversation_group_rollup` (migration 0009), the groups summed
    over admins (5,300 rows at a million seeded conversations against 21,000 groups:
    `tag_ids IN [2 tags]` 6-9 ms -> ~1 ms). None for other queries and on SQLite.
    """
    if ctx.dialect != "postgresql":
        return None
    return _sum_groups(ctx, query, search_columns.ROLLUP_TARGETS, GROUP_ROLLUP)


def _sum_groups(
    ctx: Context, query: Node, targets: dict[str, Target], table: FromClause
) -> Select[Any] | None:
    if any(c.attribute is not None or c.field not in targets for c in conditions(query)):
        return None
    matched = compile_query(query, targets, ctx, None)
    return select(
        func.coalesce(func.sum(case((matched, table.c.conversations), else_=0)), 0),
        func.count(),
    ).where(table.c.workspace_id == ctx.workspace_id)


HOUR = 3_600  # seconds: `conversation_hour.hour` is `created_at / HOUR`


def _range_count(ctx: Context, query: Node) -> Select[Any] | None:
    """The count of a query of `created_at` bounds only (`>`, `<`, `=`, ANDed), by the hour.

    Whole hours inside the range come from `conversation_hour` (168 rows for a week); only
    the conversations of the two partial hours at its ends are counted on the created_at
    index. None for any other query.
    """
    found = list(conditions(query))
    if isinstance(query, Group) and (query.operator != "AND" or len(found) != len(query.items)):
        return None  # (an OR, or nested groups)
    low, high = None, None  # inclusive
    for item in found:
        if item.field != "created_at" or item.attribute is not None:
            return None
        value = item.value
        if not isinstance(value, int) or item.operator not in ("<", ">", "="):
            return None
        if item.operator in (">", "="):
            start = value + 1 if item.operator == ">" else value
            low = start if low is None else max(low, start)
        if item.operator in ("<", "="):
            end = value - 1 if item.operator == "<" else value
            high = end if high is None else min(high, end)
    # Whole hours: at least 1 (integer division truncates, so hour 0 also holds negative
    # times), from the first starting at or after `low` to the last ending at or before
    # `high`.
    first = max(1, -(-low // HOUR) if low is not None else 1)
    last = (high + 1) // HOUR - 1 if high is not None else None
    ws = Conversation.workspace_id == ctx.workspace_id
    created = Conversation.created_at

    def rows(*bounds: ColumnElement[bool]) -> Any:
        return select(func.count()).where(ws, *bounds).scalar_subquery()

    lower = [created >= low] if low is not None else []
    upper = [created <= high] if high is not None else []
    if last is not None and first > last:  # no whole hour inside
        return select(rows(*lower, *upper))
    hours = [ConversationHour.workspace_id == ctx.workspace_id, ConversationHour.hour >= first]
    if last is not None:
        hours.append(ConversationHour.hour <= last)
    whole = select(func.coalesce(func.sum(ConversationHour.conversations), 0)).where(*hours)
    total = whole.scalar_subquery() + rows(*lower, created < first * HOUR)
    if last is not None:
        total = total + rows(created >= (last + 1) * HOUR, *upper)
    return select(total)


def _text_count(ctx: Context, query: Node) -> Select[Any] | None:
    """The count of a query that reads only the opening message's text, from its narrow copy.

    PostgreSQL only (`db.text_search.CONVERSATION_TEXT`): a common word matches 100,000
    rows, each on its own page of `conversation`, but a few thousand pages of the copy.
    None for other queries and on SQLite (its FTS5 index answers without reading rows).
    """
    targets = search_columns.TEXT_TARGETS
    if ctx.dialect != "postgresql" or any(
        c.attribute is not None or c.field not in targets for c in conditions(query)
    ):
        return None
    copy = text_search.CONVERSATION_TEXT
    return (
        select(func.count())
        .select_from(copy)
        .where(copy.c.workspace_id == ctx.workspace_id, compile_query(query, targets, ctx, None))
    )


def search_count_key(session: Session, workspace_id: int, query: Node, key: str) -> tuple[Any, ...]:
    """The count cache's key for `query` now: its digest and the versions its fields read."""
    names = _count_versions(query)
    versions = session.execute(
        select(*(getattr(Workspace, n) for n in names)).where(Workspace.id == workspace_id)
    ).one()
    return _count_key(workspace_id, key, names, versions)


def _count_key(
    workspace_id: int, key: str, names: tuple[str, ...], versions: Sequence[int]
) -> tuple[Any, ...]:
    return (workspace_id, "search", key, *zip(names, versions, strict=True))


def search_count(
    session: Session, workspace_id: int, query: Node, *, key: str, cache: CountCache
) -> int:
    """How many conversations match, cached until a write changes what the query reads.

    `key` is the query's digest. The cache key holds the workspace versions of the fields
    the query reads (`search_columns.FIELD_VERSIONS`), bumped by triggers in the writing
    transaction, so a reply keeps the count of `tag_ids IN [...]` while attaching a tag
    does not. The count is taken in one statement with the versions it is stored under:
    even where each statement sees the latest commit (PostgreSQL's read committed), the
    count and its key describe the same data.
    """
    cached = cache.get(search_count_key(session, workspace_id, query, key))
    if cached is not None:
        return cached
    _plan_with_values(session)
    ctx = _search_context(session, workspace_id)
    # A group table while the workspace's last count from it read few rows (a plan choice:
    # any path gives the same, exact count).
    groups_key: tuple[Any, ...] | None = None
    counting = None
    for name, build in (("rollup", _rollup_count), ("groups", _group_count)):
        key_of_table = (workspace_id, name)
        if (cache.get(key_of_table) or 0) <= MAX_GROUPS:
            counting = build(ctx, query)
            if counting is not None:
                groups_key = key_of_table
                break
    if counting is None:
        counting = _link_count(ctx, query)
    if counting is None:
        counting = _text_count(ctx, query)
    if counting is None:
        counting = _range_count(ctx, query)
    if counting is None:
        counting = (
            select(func.count())
            .select_from(Conversation)
            .where(
                Conversation.workspace_id == workspace_id,
                compile_query(query, search_columns.TARGETS, ctx, search_columns.CUSTOM),
            )
        )
    names = _count_versions(query)
    counted = counting.subquery()  # one row: the count (and the group rows read)
    total, *rest = session.execute(
        select(*counted.c, *(getattr(Workspace, n) for n in names))
        .select_from(counted)
        .join(Workspace, Workspace.id == workspace_id)
    ).one()
    if groups_key is not None:
        cache.put(groups_key, int(rest.pop(0)))
    cache.put(_count_key(workspace_id, key, names, rest), int(total or 0))
    return int(total or 0)


def get(session: Session, workspace_id: int, conversation_id: int) -> Conversation | None:
    """One conversation of this workspace."""
    return session.scalars(
        select(Conversation).where(
            Conversation.id == conversation_id, Conversation.workspace_id == workspace_id
        )
    ).first()


_ONE = Prepared(
    select(CONVERSATION).where(
        CONVERSATION.c.id == bindparam("conversation_id"),
        CONVERSATION.c.workspace_id == bindparam("workspace_id"),
    )
)
_PART = ConversationPart.__table__
_NEWEST_PARTS = Prepared(
    select(_PART)
    .where(
        _PART.c.conversation_id == bindparam("conversation_id"),
        _PART.c.workspace_id == bindparam("workspace_id"),
    )
    .order_by(_PART.c.position.desc())
    .limit(bindparam("limit"))
)


def read_row(session: Reads, workspace_id: int, conversation_id: int) -> Row[Any] | None:
    """One conversation of this workspace as a plain row (for reading, not changing)."""
    params = {"conversation_id": conversation_id, "workspace_id": workspace_id}
    return _ONE.first(session, params)


_PARTS_BEFORE = Prepared(
    select(_PART)
    .where(
        _PART.c.conversation_id == bindparam("conversation_id"),
        _PART.c.workspace_id == bindparam("workspace_id"),
        _PART.c.position < bindparam("end"),
    )
    .order_by(_PART.c.position.desc())
    .limit(bindparam("limit"))
)


def read_parts(
    session: Reads,
    workspace_id: int,
    conversation_id: int,
    *,
    before: int | None = None,
    limit: int = MAX_PARTS_RETURNED,
) -> list[Row[Any]]:
    """The most recent `limit` parts, oldest first (Intercom returns at most 500).

    `before`: only parts at positions below it, the parts a write left (it answers after
    its commit, when later parts may exist).
    """
    params = {"conversation_id": conversation_id, "workspace_id": workspace_id, "limit": limit}
    if before is None:
        newest = _NEWEST_PARTS.all(session, params)
    else:
        newest = _PARTS_BEFORE.all(session, {**params, "end": before})
    newest.reverse()
    return newest


@dataclass(slots=True)
class Related:
    """What a page of conversations refers to, loaded in one query per kind.

    Each value is a plain row of only the columns rendering needs: building ORM objects
    (and decoding their JSON columns) for these was most of a list page's cost.
    """

    contacts: dict[int, list[Row[Any]]] = field(default_factory=dict)  # id, external_id
    tags: dict[int, list[Row[Any]]] = field(default_factory=dict)  # id, name, applied_*
    admins: dict[str, Row[Any]] = field(default_factory=dict)  # id, name, email
    people: dict[str, Row[Any]] = field(default_factory=dict)  # id, name, email
    sla_policies: dict[int, Row[Any]] = field(default_factory=dict)  # id, name


_IDS: BindParameter[Any] = bindparam("ids", expanding=True)
_WORKSPACE: BindParameter[int] = bindparam("workspace_id")
_RELATED_CONTACTS = Prepared(
    select(ConversationContact.conversation_id, Contact.id, Contact.external_id)
    .join(Contact, Contact.id == ConversationContact.contact_id)
    .where(
        ConversationContact.workspace_id == _WORKSPACE,
        ConversationContact.conversation_id.in_(_IDS),
    )
    .order_by(ConversationContact.added_at, Contact.id)
)
_RELATED_TAGS = Prepared(
    select(
        ConversationTag.conversation_id,
        Tag.id,
        Tag.name,
        ConversationTag.applied_at,
        ConversationTag.applied_by_id,
    )
    .join(Tag, Tag.id == ConversationTag.tag_id)
    .where(ConversationTag.workspace_id == _WORKSPACE, ConversationTag.conversation_id.in_(_IDS))
    .order_by(ConversationTag.applied_at, Tag.id)
)
_RELATED_ADMINS = Prepared(
    select(Admin.id, Admin.name, Admin.email).where(
        Admin.workspace_id == _WORKSPACE, Admin.id.in_(_IDS)
    )
)
_RELATED_PEOPLE = Prepared(
    select(Contact.id, Contact.name, Contact.email).where(
        Contact.workspace_id == _WORKSPACE, Contact.id.in_(_IDS)
    )
)
_RELATED_POLICIES = Prepared(
    select(SlaPolicy.id, SlaPolicy.name).where(
        SlaPolicy.workspace_id == _WORKSPACE, SlaPolicy.id.in_(_IDS)
    )
)


def load_related(
    session: Reads,
    workspace_id: int,
    conversations: Sequence[Any],
    part_rows: Sequence[Any] = (),
) -> Related:
    """Contacts, tags, authors and SLA policies for these conversations and parts."""
    related = Related()
    ids = [c.id for c in conversations]
    if not ids and not part_rows:
        return related

    def rows(statement: Prepared, keys: Any) -> list[Record]:
        return statement.all(session, {"workspace_id": workspace_id, "ids": list(keys)})

    if ids:
        by_conversation: dict[int, list[Row[Any]]] = defaultdict(list)
        for contact in rows(_RELATED_CONTACTS, ids):
            by_conversation[contact.conversation_id].append(contact)
        related.contacts = dict(by_conversation)
        tags: dict[int, list[Row[Any]]] = defaultdict(list)
        for tag in rows(_RELATED_TAGS, ids):
            tags[tag.conversation_id].append(tag)
        related.tags = dict(tags)

    admin_ids: set[int] = set()
    contact_ids: set[str] = set()
    authors = [(c.source_author_type, c.source_author_id) for c in conversations]
    authors += [(p.author_type, p.author_id) for p in part_rows]
    for author_type, author_id in authors:
        if author_type in ("admin", "bot"):
            if author_id.isdigit():
                admin_ids.add(int(author_id))
        elif author_type in ("user", "lead", "contact"):
            contact_ids.add(author_id)
    if admin_ids:
        related.admins = {str(a.id): a for a in rows(_RELATED_ADMINS, admin_ids)}
    if contact_ids:
        related.people = {c.id: c for c in rows(_RELATED_PEOPLE, contact_ids)}
    policy_ids = {c.sla_policy_id for c in conversations if c.sla_policy_id is not None}
    if policy_ids:
        related.sla_policies = {p.id: p for p in rows(_RELATED_POLICIES, policy_ids)}
    return related


def contacts_matching(
    session: Reads,
    workspace_id: int,
    *,
    contact_id: str | None = None,
    external_id: str | None = None,
    email: str | None = None,
) -> tuple[str, ...]:
    """Ids of this workspace's contacts matching every given identifier."""
    stmt = select(Contact.id).where(Contact.workspace_id == workspace_id)
    if contact_id is not None:
        stmt = stmt.where(Contact.id == contact_id)
    if external_id is not None:
        stmt = stmt.where(Contact.external_id == external_id)
    if email is not None:
        stmt = stmt.where(func.lower(Contact.email) == email.lower())
    return tuple(sorted(orm_session(session).scalars(stmt)))


# Writes. Every write loads its conversation with `lock`, so concurrent writers to one
# conversation queue on its row (PostgreSQL) or on the database (SQLite's BEGIN IMMEDIATE).


def lock(session: Session, workspace_id: int, conversation_id: int) -> Conversation | None:
    """The conversation, row-locked until the transaction ends (SELECT ... FOR UPDATE)."""
    return session.scalars(
        select(Conversation)
        .where(Conversation.id == conversation_id, Conversation.workspace_id == workspace_id)
        .with_for_update()
    ).first()


# The hot write (a part appended: reply, close, snooze, assign, wake) runs these prepared
# Core statements instead of the ORM's unit of work, which cost several times the SQL.
_LOCKED = Prepared(cast(Select[Any], _ONE.statement).with_for_update())
_TIMELINE = Prepared(
    select(
        _PART.c.part_type,
        _PART.c.author_type,
        _PART.c.author_id,
        _PART.c.created_at,
        _PART.c.assigned_to_type,
        _PART.c.assigned_to_id,
        _PART.c.snoozed_until,
    )
    .where(
        _PART.c.conversation_id == bindparam("conversation_id"),
        _PART.c.workspace_id == bindparam("workspace_id"),
    )
    .order_by(_PART.c.position)
)
_INSERT_PART = Prepared(
    insert(cast(Table, _PART))
    .values({c.name: bindparam(c.name) for c in _PART.c if c.name != "id"})
    .returning(*_PART.c)
)
_CONTACT = cast(Table, Contact.__table__)
_LINK = ConversationContact.__table__
_CONTACTED = Prepared(
    update(_CONTACT)
    .where(
        _CONTACT.c.workspace_id == bindparam("in_workspace"),
        _CONTACT.c.id.in_(
            select(_LINK.c.contact_id).where(
                _LINK.c.conversation_id == bindparam("of_conversation"),
                _LINK.c.workspace_id == bindparam("in_workspace"),
            )
        ),
        or_(
            _CONTACT.c.last_contacted_at.is_(None),
            _CONTACT.c.last_contacted_at < bindparam("contacted_at"),
        ),
    )
    .values(last_contacted_at=bindparam("contacted_at"))
)
WRITTEN = "parlour.conversations.written"  # session.info: conversations changed by Core
STORED = "parlour.conversations.stored"  # session.info: list entries stored at commit


class Written(dict[str, Any]):
    """A conversation's columns after a Core write, readable as attributes like a `Row`."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def lock_row(session: Session, workspace_id: int, conversation_id: int) -> Record | None:
    """The conversation as a plain row (with its stored entry), locked like `lock`."""
    params = {"conversation_id": conversation_id, "workspace_id": workspace_id}
    return _LOCKED.first(session, params)


def insert_part(session: Session, values: dict[str, Any]) -> Record:
    """Insert one part (every column but `id`); returns it as stored (with its id)."""
    return _INSERT_PART.first(session, values)


_SHOWN_FROM_ELSEWHERE = frozenset({"sla_policy_id", "source_author_type", "source_author_id"})


@cache
def _update_statement(columns: tuple[str, ...]) -> Prepared:
    # RETURNING the JSON columns: PostgreSQL's jsonb stores an object's keys in an order of
    # its own, and the entry must show them as a read of the row would.
    json = [CONVERSATION.c[name] for name in columns if name in _JSON_COLUMNS]
    statement = (
        update(cast(Table, CONVERSATION))
        .where(CONVERSATION.c.id == bindparam("conversation_id"))
        .values({name: bindparam(f"new_{name}") for name in columns})
    )
    return Prepared(statement.returning(*json) if json else statement)


_JSON_COLUMNS = frozenset(c.name for c in CONVERSATION.c if isinstance(c.type, JSON))


def update_row(session: Session, row: Record | Written, changes: dict[str, Any]) -> Written:
    """Write `changes` to a locked conversation; returns its columns after the change.

    The result is remembered on the session (`written`), so commit-time work (the stored
    list entry, `summaries`) knows what this statement wrote without reading it back.
    """
    # The entry is then re-rendered from the previous one (`summaries`), which is right
    # only while what it shows of other rows (its author, its SLA policy) stays the same.
    assert not _SHOWN_FROM_ELSEWHERE & changes.keys()
    columns = tuple(sorted(changes))
    params = {f"new_{name}": changes[name] for name in columns}
    params["conversation_id"] = row.id
    statement = _update_statement(columns)
    after = Written(row if isinstance(row, Written) else row._asdict())
    after.update(changes)
    if any(name in _JSON_COLUMNS for name in columns):
        returned = statement.first(session, params)
        assert returned is not None  # the row is locked: it exists
        after.update(returned._asdict())
    else:
        statement.execute(session, params)
    session.info.setdefault(WRITTEN, {})[after.id] = after
    return after


def stored_entries(session: Session) -> dict[int, tuple[bytes, int]]:
    """The list entries this transaction stored, with each conversation's part count then.

    Filled at commit (`summaries`); the same dict object all along, so a write's answer,
    rendered after the commit, can hold on to it before.
    """
    found: dict[int, tuple[bytes, int]] = session.info.setdefault(STORED, {})
    return found


def forget_written(session: Session) -> dict[int, Written]:
    """Take (and clear) what `written` remembers: at commit, or after a rollback."""
    found: dict[int, Written] = session.info.pop(WRITTEN, {})
    return found


def mark_contacted(session: Session, workspace_id: int, conversation_id: int, at: int) -> None:
    """Move the participants' `last_contacted_at` up to `at` (a teammate wrote to them)."""
    params = {"in_workspace": workspace_id, "of_conversation": conversation_id, "contacted_at": at}
    _CONTACTED.execute(session, params)


def snooze_due(session: Session, now: int, limit: int) -> list[tuple[int, int]]:
    """(workspace id, conversation id) of snoozed conversations whose wake-up time has come."""
    rows = session.execute(
        select(Conversation.workspace_id, Conversation.id)
        .where(Conversation.state == "snoozed", Conversation.snoozed_until <= now)
        .order_by(Conversation.snoozed_until, Conversation.id)
        .limit(limit)
    )
    return [(workspace_id, conversation_id) for workspace_id, conversation_id in rows]


def timeline(session: Session, workspace_id: int, conversation_id: int) -> list[Part]:
    """Every part of a conversation as the pure rules see it, in order (no ORM objects)."""
    params = {"conversation_id": conversation_id, "workspace_id": workspace_id}
    return [Part(*row) for row in _TIMELINE.all(session, params)]


def get_part(
    session: Session, workspace_id: int, conversation_id: int, part_id: int
) -> ConversationPart | None:
    """One part of one conversation of this workspace."""
    return session.scalars(
        select(ConversationPart).where(
            ConversationPart.id == part_id,
            ConversationPart.conversation_id == conversation_id,
            ConversationPart.workspace_id == workspace_id,
        )
    ).first()


def get_admin(session: Session, workspace_id: int, admin_id: int) -> Admin | None:
    """An admin of this workspace."""
    return session.scalars(
        select(Admin).where(Admin.id == admin_id, Admin.workspace_id == workspace_id)
    ).first()


def get_team(session: Session, workspace_id: int, team_id: int) -> Team | None:
    """A team of this workspace."""
    return session.scalars(
        select(Team).where(Team.id == team_id, Team.workspace_id == workspace_id)
    ).first()


def get_tag(session: Session, workspace_id: int, tag_id: int) -> Tag | None:
    """A tag of this workspace."""
    return session.scalars(
        select(Tag).where(Tag.id == tag_id, Tag.workspace_id == workspace_id)
    ).first()


def find_contact(
    session: Session,
    workspace_id: int,
    *,
    contact_id: str | None = None,
    external_id: str | None = None,
    email: str | None = None,
) -> Contact | None:
    """The contact with this id, external id or email (users before leads, oldest first)."""
    stmt = select(Contact).where(Contact.workspace_id == workspace_id)
    if contact_id is not None:
        stmt = stmt.where(Contact.id == contact_id)
    elif external_id is not None:
        stmt = stmt.where(Contact.external_id == external_id)
    elif email is not None:
        stmt = stmt.where(func.lower(Contact.email) == email.lower())
    else:
        return None
    stmt = stmt.order_by((Contact.role == "user").desc(), Contact.created_at, Contact.id)
    return session.scalars(stmt.limit(1)).first()


def participants(
    session: Session, workspace_id: int, conversation_id: int
) -> list[ConversationContact]:
    """The contact links of a conversation, oldest first."""
    return list(
        session.scalars(
            select(ConversationContact)
            .where(
                ConversationContact.conversation_id == conversation_id,
                ConversationContact.workspace_id == workspace_id,
            )
            .order_by(ConversationContact.added_at, ConversationContact.contact_id)
        )
    )


def tag_link(
    session: Session, workspace_id: int, conversation_id: int, tag_id: int
) -> ConversationTag | None:
    """The link tagging this conversation with this tag, if any."""
    return session.scalars(
        select(ConversationTag).where(
            ConversationTag.conversation_id == conversation_id,
            ConversationTag.tag_id == tag_id,
            ConversationTag.workspace_id == workspace_id,
        )
    ).first()


def latest_conversation_of(session: Session, workspace_id: int, contact_id: str) -> int | None:
    """The id of the contact's most recently updated conversation."""
    return session.scalar(
        select(Conversation.id)
        .join(ConversationContact, ConversationContact.conversation_id == Conversation.id)
        .where(
            ConversationContact.contact_id == contact_id,
            ConversationContact.workspace_id == workspace_id,
            Conversation.workspace_id == workspace_id,
        )
        .order_by(Conversation.updated_at.desc(), Conversation.id.desc())
        .limit(1)
    )


def delete_conversation(session: Session, workspace_id: int, conversation_id: int) -> None:
    """Delete a conversation with its parts and links (explicitly: no reliance on cascades)."""
    for table in (ConversationPart, ConversationContact, ConversationTag):
        session.execute(
            delete(table).where(
                table.conversation_id == conversation_id, table.workspace_id == workspace_id
            )
        )
    session.execute(
        delete(Conversation).where(
            Conversation.id == conversation_id, Conversation.workspace_id == workspace_id
        )
    )


def team_candidates(session: Session, workspace_id: int, team_id: int) -> list[tuple[int, bool]]:
    """(admin id, away mode) of each member of a team, by id."""
    rows = session.execute(
        select(Admin.id, Admin.away_mode_enabled)
        .join(TeamMember, TeamMember.admin_id == Admin.id)
        .where(
            TeamMember.team_id == team_id,
            TeamMember.workspace_id == workspace_id,
            Admin.workspace_id == workspace_id,
        )
        .order_by(Admin.id)
    )
    return [(int(admin_id), bool(away)) for admin_id, away in rows]


def open_assigned_counts(
    session: Session, workspace_id: int, admin_ids: Sequence[int]
) -> dict[int, int]:
    """How many open conversations each of these admins is assigned."""
    rows = session.execute(
        select(Conversation.admin_assignee_id, func.count())
        .where(
            Conversation.workspace_id == workspace_id,
            Conversation.open.is_(True),
            Conversation.admin_assignee_id.in_(admin_ids),
        )
        .group_by(Conversation.admin_assignee_id)
    )
    return {int(admin_id): int(n) for admin_id, n in rows}


def last_assigned_at(
    session: Session, workspace_id: int, admin_ids: Sequence[int], part_types: Sequence[str]
) -> dict[int, int]:
    """When each of these admins was last assigned a conversation."""
    rows = session.execute(
        select(ConversationPart.assigned_to_id, func.max(ConversationPart.created_at))
        .where(
            ConversationPart.workspace_id == workspace_id,
            ConversationPart.part_type.in_(part_types),
            ConversationPart.assigned_to_type == "admin",
            ConversationPart.assigned_to_id.in_([str(a) for a in admin_ids]),
        )
        .group_by(ConversationPart.assigned_to_id)
    )
    return {int(admin_id): int(at) for admin_id, at in rows}
