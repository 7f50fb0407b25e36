"""Conversation search: a page of the conversations matching a query, and how many do."""

from __future__ import annotations

from typing import Any, NamedTuple

from sqlalchemy.orm import Session

from parlour.conversations import search_counts, search_pages
from parlour.conversations.rows import Related, load_related
from parlour.core import paging
from parlour.core.count_cache import CountCache
from parlour.core.cursor import CursorCodec
from parlour.db.models import ConversationRecord
from parlour.errors import ParameterInvalid
from parlour.search.query import Node, digest


class SearchPage(NamedTuple):
    """One page of search results and everything needed to render it."""

    rows: list[ConversationRecord]
    related: Related
    page: int
    per_page: int
    total: int
    next_cursor: str | None


def search_conversations(
    session: Session,
    *,
    workspace_id: int,
    query: Node,
    per_page: int,
    starting_after: str | None,
    codec: CursorCodec,
    counts: CountCache,
) -> SearchPage:
    """A page of the conversations matching `query`, newest created first.

    The cursor carries the query's digest, not the query: a client sends its query with
    every page (as Intercom requires), and a cursor offered with another query is a 400.
    The count comes first: it picks the page's plan (`search_pages.search_page`).
    """
    key = digest(query)
    cursor_query = {"search": key}

    def read(given: dict[str, Any]) -> None:
        if given != cursor_query:
            raise ParameterInvalid(
                "starting_after belongs to another query; send the query it came with",
                field="starting_after",
            )

    begun = paging.start(codec, starting_after, workspace_id=workspace_id, read=read)
    search_pages.plan_with_values(session)
    total = search_counts.search_count(session, workspace_id, query, key=key, cache=counts)
    after = begun.after
    rows = search_pages.search_page(
        session,
        workspace_id,
        query,
        after=None if after is None else (after.value, int(after.row_id)),
        limit=paging.fetch_size(per_page),
        total=total,
    )
    shown = paging.finish(
        codec,
        rows,
        workspace_id=workspace_id,
        per_page=per_page,
        start=begun,
        query=cursor_query,
        key=lambda row: (row.created_at, row.id),
    )
    rendered = [row for row in shown.rows if row.summary is None]
    return SearchPage(
        rows=shown.rows,
        related=load_related(session, workspace_id, rendered),
        page=shown.page,
        per_page=per_page,
        total=total,
        next_cursor=shown.next_cursor,
    )
