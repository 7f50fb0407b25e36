"""Conversation reads: a list page, one conversation, and a write's answer.

Decide what to fetch (the list's filter, the page's position, whole rows only where no
stored entry will do) and hand the router records to render.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, NamedTuple

from parlour.admins.service import admin_id_of
from parlour.contacts.service import ContactRef, find_contact
from parlour.conversations import repository
from parlour.conversations.repository import ListEntry, ListFilter, Row
from parlour.conversations.rows import Related, load_related, read_parts, read_row
from parlour.core import paging
from parlour.core.count_cache import CountCache
from parlour.core.cursor import CursorCodec
from parlour.core.ids import parse_numeric_id
from parlour.db.models import ConversationRecord, PartRecord
from parlour.db.session import Reads
from parlour.db.unit_of_work import StoredEntry
from parlour.errors import NotFound, ParameterInvalid


class ListQuery(NamedTuple):
    """What a list request asks for, in canonical form (a cursor carries it).

    A named tuple: made on every list request, and a frozen dataclass costs 3x to make.
    """

    sort: str = "updated_at"
    order: str = "desc"
    admin_id: str | None = None  # an admin id, or "nobody"
    open: bool | None = None
    user_id: str | None = None
    intercom_user_id: str | None = None
    email: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Canonical JSON-able form; defaults and absent filters are left out."""
        out: dict[str, Any] = {"sort": self.sort, "order": self.order}
        for name in ("admin_id", "open", "user_id", "intercom_user_id", "email"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return out

    @classmethod
    def from_cursor(cls, data: dict[str, Any]) -> ListQuery | None:
        """The list query a cursor carries (validated when it was issued), or None for a
        cursor of another kind: a search's or another resource's list."""
        if "sort" not in data or not data.keys() <= _LIST_QUERY_FIELDS:
            return None
        # The keys are fields (`as_dict` made them): a keyword call is the cheapest way to
        # the named tuple (0.5 µs; through `_make`, 0.75).
        return cls(**data)


_LIST_QUERY_FIELDS = frozenset(ListQuery._fields)


class ListPage(NamedTuple):
    """One page of conversations and everything needed to render it (a named tuple: made
    on every list request)."""

    rows: list[Row]
    related: Related
    query: ListQuery
    page: int
    per_page: int
    total: int
    next_cursor: str | None


def _filter_for(reads: Reads, workspace_id: int, query: ListQuery) -> ListFilter:
    admin_id: int | None = None
    unassigned = False
    if query.admin_id is not None:
        if query.admin_id == "nobody":
            unassigned = True
        else:
            admin_id = admin_id_of(reads, workspace_id, query.admin_id)
    contact_ids: tuple[str, ...] | None = None
    if query.user_id is not None or query.intercom_user_id is not None or query.email is not None:
        ref = ContactRef(
            intercom_user_id=query.intercom_user_id, user_id=query.user_id, email=query.email
        )
        contact = find_contact(reads, workspace_id, ref)
        if contact is None:
            raise NotFound("User Not Found")
        contact_ids = (contact.id,)
    return ListFilter(
        admin_id=admin_id,
        unassigned=unassigned,
        open=query.open,
        contact_ids=contact_ids,
        waiting_only=query.sort == "waiting_since",
    )


# A row's position: its sort value (never null on a page: waiting_since lists only rows
# that have one) and id, read in C (a Python function called per row cost ~0.4 µs each).
_POSITION: Callable[[ListEntry], paging.Key] = attrgetter("sort_value", "id")


def list_conversations(
    reads: Reads,
    *,
    workspace_id: int,
    data_version: int,
    population_version: int,
    query: ListQuery,
    query_given: bool,
    per_page: int,
    starting_after: str | None,
    page: int | None,
    codec: CursorCodec,
    counts: CountCache,
    plaintext: bool = False,
) -> ListPage:
    """A page of the workspace's conversations, by cursor (2.x) or page number (1.x).

    `related` covers only the rows a page must render itself: those without a stored list
    entry, or every row for a plaintext page (entries are stored as HTML).
    """

    def read(cursor_query: dict[str, Any]) -> ListQuery:
        found = ListQuery.from_cursor(cursor_query)
        if found is None:
            raise ParameterInvalid(
                "starting_after belongs to another list or a search, not to this list",
                field="starting_after",
            )
        if query_given and found != query:
            raise ParameterInvalid(
                "starting_after belongs to a list with other sort, order or filters",
                field="starting_after",
            )
        return found

    begun = paging.start(codec, starting_after, workspace_id=workspace_id, read=read)
    after = begun.after
    if begun.query is not None:
        query = begun.query
    elif page is not None and page > 1:
        begun = begun._replace(page=page)
    flt = _filter_for(reads, workspace_id, query)
    descending = query.order == "desc"
    limit = paging.fetch_size(per_page)
    if after is None and begun.page > 1:
        entries = repository.offset_page(
            reads,
            workspace_id,
            flt,
            sort=query.sort,
            descending=descending,
            offset=(begun.page - 1) * per_page,
            limit=limit,
        )
    else:
        entries = repository.keyset_page(
            reads,
            workspace_id,
            flt,
            sort=query.sort,
            descending=descending,
            after=None if after is None else (after.value, int(after.row_id)),
            ties=1 if after is None else after.ties,
            limit=limit,
        )
    shown = paging.finish(
        codec,
        entries,
        workspace_id=workspace_id,
        per_page=per_page,
        start=begun,
        query=query.as_dict(),
        key=_POSITION,
        count_ties=True,
    )
    rows, whole = repository.complete(reads, shown.rows, all_rows=plaintext)
    total = repository.count(
        reads,
        workspace_id,
        flt,
        data_version=data_version,
        population_version=population_version,
        cache=counts,
    )
    # Rendered here, from the rows: those read whole (no stored entry, or a plaintext page).
    related = load_related(reads, workspace_id, whole)
    return ListPage(
        rows=rows,
        related=related,
        query=query,
        page=shown.page,
        per_page=per_page,
        total=total,
        next_cursor=shown.next_cursor,
    )


@dataclass(slots=True)
class ConversationDetail:
    """A conversation (or the entry a write stored) with its newest parts, oldest first,
    and the related rows rendering needs."""

    row: ConversationRecord | StoredEntry
    parts: list[PartRecord]
    related: Related


def retrieve_conversation(
    reads: Reads, *, workspace_id: int, conversation_id: str, use_stored: bool = False
) -> ConversationDetail:
    """One conversation of the caller's workspace with its parts, or 404.

    With `use_stored`, `related` leaves out what the conversation's stored list entry
    already shows, if it has one (a read's HTML answer splices it). Without, it covers
    everything (a plaintext answer renders it all).
    """
    numeric = parse_numeric_id(conversation_id)
    row = read_row(reads, workspace_id, numeric) if numeric is not None else None
    if row is None:
        raise NotFound()
    part_rows = read_parts(reads, workspace_id, row.id)
    rendered = [] if use_stored and row.summary is not None else [row]
    return ConversationDetail(
        row, part_rows, load_related(reads, workspace_id, rendered, part_rows)
    )


def written_detail(
    reads: Reads, *, workspace_id: int, conversation_id: int, stored: StoredEntry | None
) -> ConversationDetail:
    """What a write answers with, read after its commit (outside the write lock).

    `stored` is the list entry the write stored and the part count it left: the answer is
    that entry with the parts up to then, not parts a later write added since. A write that
    stored no entry changed nothing: the answer is the conversation as it is now.
    """
    if stored is None:
        return retrieve_conversation(
            reads, workspace_id=workspace_id, conversation_id=str(conversation_id), use_stored=True
        )
    parts = read_parts(reads, workspace_id, conversation_id, before=stored.part_count)
    return ConversationDetail(stored, parts, load_related(reads, workspace_id, [], parts))
