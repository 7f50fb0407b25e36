"""Search pages (`POST /conversations/search`): the plan that finds a page of matches.

The query tree is compiled against the whitelist of `search_columns`, newest created
first. `created_at` never changes, so a keyset on `(created_at, id)` neither repeats nor
skips a row that still matches between pages. How a page is found depends on how many
match (`search_page`), which the count (`search_counts`) has told first.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, literal, select, text, tuple_
from sqlalchemy.orm import Session

from parlour.conversations import search_columns
from parlour.conversations.rows import rows_in_order
from parlour.db import text_search
from parlour.db.models import Conversation, ConversationRecord
from parlour.search.compile import Context, compile_query
from parlour.search.query import Condition, Group, Node

CONVERSATION = Conversation.__table__
# At most this many matches: find them all through the filters' own indexes and order them
# here. More: walk the newest conversations in `created_at` order and test each.
FEW_MATCHES = 2_000
# How many of the newest conversations (after the cursor) a page of many matches tests
# (SQLite) before it lets the database plan the ordered query (the matches are old, or few).
PROBE_WINDOWS = (1_024, 16_384)


def search_context(session: Session, workspace_id: int, *, probe: bool = False) -> Context:
    """How the query compiles here: dialect, workspace, text index, probes or id lists."""
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
    ctx = search_context(session, workspace_id, probe=probe)
    return compile_query(query, search_columns.TARGETS, ctx, search_columns.CUSTOM)


def _after(after: tuple[int, int] | None) -> list[ColumnElement[bool]]:
    """The keyset condition: strictly after (created_at, id) in newest-first order."""
    if after is None:
        return []
    key = tuple_(Conversation.created_at, Conversation.id)
    return [key < tuple_(literal(after[0]), literal(after[1]))]


def _newest_first(stmt: Select[Any]) -> Select[Any]:
    return stmt.order_by(Conversation.created_at.desc(), Conversation.id.desc())


def plan_with_values(session: Session) -> None:
    """PostgreSQL: plan this transaction's search statements with their values, without JIT.

    psycopg prepares a statement a connection runs five times, and PostgreSQL may then
    reuse a generic plan, blind to the tag or word a search names; the page plans below
    rely on the values (warm, a page of `open AND (priority OR tag OR team)` took 17.5 ms
    with the generic plan, 4.3 with custom ones; `tag_ids IN [2 tags]` 35-45 against 5).
    JIT compiles any plan costed above `jit_above_cost`, as a count over `conversation` of
    a word and another field is at a million rows: 11 ms of compiling (measured) for a
    statement that runs once. Both settings are local to the transaction: the server's
    stay as set. A search runs it once, before its count and its page.
    """
    if session.connection().dialect.name != "postgresql":
        return
    session.execute(
        text(
            "SELECT set_config('plan_cache_mode', 'force_custom_plan', true), "
            "set_config('jit', 'off', true)"
        )
    )


def search_page(
    session: Session,
    workspace_id: int,
    query: Node,
    *,
    after: tuple[int, int] | None,
    limit: int,
    total: int,
) -> list[ConversationRecord]:
    """Up to `limit` matching conversations after (created_at, id), newest first.

    `total` (how many match in all) picks the plan: the database cannot know how many rows
    a tag list or a word matches, and guessing wrong costs seconds at a million rows.
    """
    if total == 0:
        return []
    in_workspace = Conversation.workspace_id == workspace_id
    if total <= FEW_MATCHES:
        condition = _search_condition(session, workspace_id, query)
        keys = session.execute(
            select(Conversation.created_at, Conversation.id)
            .where(in_workspace, condition, *_after(after))
            .limit(FEW_MATCHES * 2 + 1)
        ).all()
        if len(keys) <= FEW_MATCHES * 2:  # (else the count was stale: plan as for many)
            return rows_in_order(session, [i for _, i in sorted(keys, reverse=True)[:limit]])
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
        return rows_in_order(session, list(session.scalars(_newest_first(found).limit(limit))))
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
            return rows_in_order(session, ids)
    stmt = _newest_first(select(CONVERSATION).where(in_workspace, probing, *_after(after)))
    return [ConversationRecord(*row) for row in session.execute(stmt.limit(limit))]


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

