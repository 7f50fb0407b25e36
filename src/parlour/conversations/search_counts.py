"""Search counts (`total_count`): exact, cached by what they read, cheapest table first.

A count keys the cache on the query's digest and the workspace versions of the fields it
reads (`search_columns.FIELD_VERSIONS`, bumped by triggers), and when it must count, picks
the narrowest source that answers it exactly: the maintained groups (`conversation_group`
and its rollup), a link table, the hours (`conversation_hour`), the narrow text copy, and
only then the conversations themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, FromClause, Select, case, distinct, func, select
from sqlalchemy.orm import Session

from parlour.conversations import search_columns
from parlour.conversations.search_pages import search_context
from parlour.core.count_cache import CountCache
from parlour.db import text_search
from parlour.db.models import (
    GROUP_ROLLUP,
    Conversation,
    ConversationGroup,
    ConversationHour,
    Workspace,
)
from parlour.search.compile import Context, Target, Through, compile_query
from parlour.search.query import Condition, Group, Node, conditions


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
    ctx = search_context(session, workspace_id)
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
