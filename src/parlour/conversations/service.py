"""Conversation use cases: decide what to fetch for a list page or a single conversation."""

from __future__ import annotations

from dataclasses import dataclass
from operator import attrgetter
from typing import Any, NamedTuple

from sqlalchemy import Row
from sqlalchemy.orm import Session

from parlour.admins import repository as admins_repo
from parlour.conversations import repository
from parlour.conversations.repository import CountCache, ListFilter, Related
from parlour.conversations.sla import CANCELLED, SlaTargets, evaluate
from parlour.conversations.state import DerivedState, derive_state
from parlour.conversations.statistics import compute_statistics
from parlour.conversations.timeline import Part, Source
from parlour.core.cursor import Cursor, CursorCodec
from parlour.core.ids import parse_numeric_id
from parlour.core.office_hours import OfficeHours
from parlour.db.models import Conversation, ConversationPart, SlaPolicy
from parlour.db.session import Reads
from parlour.errors import AdminNotFound, NotFound, ParameterInvalid
from parlour.search.query import Node, digest


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

    rows: list[Row[Any]]
    related: Related
    query: ListQuery
    page: int
    per_page: int
    total: int
    next_cursor: str | None


def _filter_for(session: Reads, workspace_id: int, query: ListQuery) -> ListFilter:
    admin_id: int | None = None
    unassigned = False
    if query.admin_id is not None:
        if query.admin_id == "nobody":
            unassigned = True
        else:
            admin_id = parse_numeric_id(query.admin_id)
            if admin_id is None or not admins_repo.admin_exists(session, workspace_id, admin_id):
                raise AdminNotFound(field="admin_id")
    contact_ids: tuple[str, ...] | None = None
    if query.user_id is not None or query.intercom_user_id is not None or query.email is not None:
        contact_ids = repository.contacts_matching(
            session,
            workspace_id,
            contact_id=query.intercom_user_id,
            external_id=query.user_id,
            email=query.email,
        )
        if not contact_ids:
            raise NotFound("User Not Found")
    return ListFilter(
        admin_id=admin_id,
        unassigned=unassigned,
        open=query.open,
        contact_ids=contact_ids,
        waiting_only=query.sort == "waiting_since",
    )


def _to_render(rows: list[Row[Any]], plaintext: bool) -> list[Row[Any]]:
    return rows if plaintext else [row for row in rows if row.summary is None]


def _sort_value(row: Row[Any], sort: str) -> int:
    value = getattr(row, sort)
    assert value is not None  # waiting_since lists only rows that have one
    return int(value)


def _ties(
    rows: list[Row[Any]], sort: str, last_value: int, following_value: int, before: int
) -> int:
    """The next cursor's ties: how many rows up to the position have its value, if the next
    row has it too. `before`: the same count for the page's own cursor, at its value."""
    if following_value != last_value:
        return 0
    if getattr(rows[0], sort) == last_value:  # the whole page is one run
        return len(rows) + before
    values = list(map(attrgetter(sort), rows))
    # The page is in sort order, so it ends with its run of `last_value`: from the first.
    return len(values) - values.index(last_value)


def list_conversations(
    session: Reads,
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
    after: tuple[int, int] | None = None
    ties = 1
    page_number = page or 1
    if starting_after:
        cursor = codec.decode(starting_after, workspace_id=workspace_id)
        cursor_query = ListQuery.from_cursor(cursor.query)
        if cursor_query is None:
            raise ParameterInvalid(
                "starting_after belongs to another list or a search, not to this list",
                field="starting_after",
            )
        if query_given and cursor_query != query:
            raise ParameterInvalid(
                "starting_after belongs to a list with other sort, order or filters",
                field="starting_after",
            )
        query = cursor_query
        after = (cursor.sort_value, cursor.last_id)
        ties = cursor.ties
        page_number = cursor.page
    flt = _filter_for(session, workspace_id, query)
    descending = query.order == "desc"
    if after is None and page_number > 1:
        rows = repository.offset_page(
            session,
            workspace_id,
            flt,
            sort=query.sort,
            descending=descending,
            offset=(page_number - 1) * per_page,
            limit=per_page + 1,
        )
    else:
        rows = repository.keyset_page(
            session,
            workspace_id,
            flt,
            sort=query.sort,
            descending=descending,
            after=after,
            ties=ties,
            limit=per_page + 1,
        )
    following = rows[per_page] if len(rows) > per_page else None
    rows = repository.complete(session, rows[:per_page], all_rows=plaintext)
    next_cursor = None
    if following is not None:
        last = rows[-1]
        last_value = _sort_value(last, query.sort)
        next_cursor = codec.encode(
            Cursor(
                workspace_id=workspace_id,
                query=query.as_dict(),
                sort_value=last_value,
                last_id=last.id,
                page=page_number + 1,
                ties=_ties(
                    rows,
                    query.sort,
                    last_value,
                    _sort_value(following, query.sort),
                    before=ties if after is not None and after[0] == last_value else 0,
                ),
            )
        )
    total = repository.count(
        session,
        workspace_id,
        flt,
        data_version=data_version,
        population_version=population_version,
        cache=counts,
    )
    related = repository.load_related(session, workspace_id, _to_render(rows, plaintext))
    return ListPage(
        rows=rows,
        related=related,
        query=query,
        page=page_number,
        per_page=per_page,
        total=total,
        next_cursor=next_cursor,
    )


@dataclass(slots=True)
class SearchPage:
    """One page of search results and everything needed to render it."""

    rows: list[Row[Any]]
    related: Related
    page: int
    per_page: int
    total: int
    next_cursor: str | None


def search_conversations(
    session: Session,
    *,
    workspace_id: int,
    data_version: int,
    query: Node,
    per_page: int,
    starting_after: str | None,
    codec: CursorCodec,
    counts: CountCache,
) -> SearchPage:
    """A page of the conversations matching `query`, newest created first.

    The cursor carries the query's digest, not the query: a client sends its query with
    every page (as Intercom requires), and a cursor offered with another query is a 400.
    """
    key = digest(query)
    after: tuple[int, int] | None = None
    page_number = 1
    if starting_after:
        cursor = codec.decode(starting_after, workspace_id=workspace_id)
        if cursor.query != {"search": key}:
            raise ParameterInvalid(
                "starting_after belongs to another query; send the query it came with",
                field="starting_after",
            )
        after = (cursor.sort_value, cursor.last_id)
        page_number = cursor.page
    # (`data_version` is not needed: the count keys on the versions of what it reads.)
    total = repository.search_count(session, workspace_id, query, key=key, cache=counts)
    rows = repository.search_page(
        session, workspace_id, query, after=after, limit=per_page + 1, total=total
    )
    next_cursor = None
    if len(rows) > per_page:
        rows = rows[:per_page]
        last = rows[-1]
        next_cursor = codec.encode(
            Cursor(
                workspace_id=workspace_id,
                query={"search": key},
                sort_value=last.created_at,
                last_id=last.id,
                page=page_number + 1,
            )
        )
    return SearchPage(
        rows=rows,
        related=repository.load_related(session, workspace_id, _to_render(rows, False)),
        page=page_number,
        per_page=per_page,
        total=total,
        next_cursor=next_cursor,
    )


@dataclass(slots=True)
class ConversationDetail:
    """A conversation with its newest parts (oldest first) and related rows."""

    row: Row[Any]
    parts: list[Row[Any]]
    related: Related


def retrieve_conversation(
    session: Reads, *, workspace_id: int, conversation_id: str, use_stored: bool = False
) -> ConversationDetail:
    """One conversation of the caller's workspace with its parts, or 404.

    With `use_stored`, `related` leaves out what the conversation's stored list entry
    already shows, if it has one (a read's HTML answer splices it). Without, it covers
    everything: a write renders what it changed, before its entry is stored at commit.
    """
    if isinstance(session, Session):
        session.flush()  # a write's changes, before they are read back as plain rows
    numeric = parse_numeric_id(conversation_id)
    row = repository.read_row(session, workspace_id, numeric) if numeric is not None else None
    if row is None:
        raise NotFound()
    part_rows = repository.read_parts(session, workspace_id, row.id)
    rendered = _to_render([row], plaintext=not use_stored)
    related = repository.load_related(session, workspace_id, rendered, part_rows)
    return ConversationDetail(row=row, parts=part_rows, related=related)


def timeline_source(row: Any) -> Source:
    """The pure-rules view of a conversation's opening message."""
    return Source(
        author_type=row.source_author_type,
        author_id=row.source_author_id,
        created_at=row.created_at,
        delivered_as=row.source_delivered_as,
    )


def timeline_part(part: ConversationPart) -> Part:
    """The pure-rules view of a stored part."""
    return Part(
        part_type=part.part_type,
        author_type=part.author_type,
        author_id=part.author_id,
        created_at=part.created_at,
        assigned_to_type=part.assigned_to_type,
        assigned_to_id=part.assigned_to_id,
        snoozed_until=part.snoozed_until,
    )


def refresh_derived(
    row: Conversation,
    part_rows: list[ConversationPart],
    now: int,
    sla: SlaTargets | None = None,
) -> None:
    """Recompute every derived column of `row` from its stored timeline.

    The only writer of those columns: whatever changes a conversation's timeline calls this
    (or `apply_derived`) in the same transaction, so the list indexes always agree with
    the parts.
    """
    apply_derived(row, [timeline_part(p) for p in part_rows], now, sla)


def sla_targets(rule: SlaPolicy) -> SlaTargets:
    """The pure-rules view of a stored SLA rule."""
    return SlaTargets(
        first_reply_seconds=rule.first_reply_seconds,
        next_reply_seconds=rule.next_reply_seconds,
        time_to_close_seconds=rule.time_to_close_seconds,
        office_hours=(
            OfficeHours.from_json(rule.office_hours) if rule.office_hours is not None else None
        ),
    )


def apply_derived(
    row: Conversation, timeline: list[Part], now: int, sla: SlaTargets | None = None
) -> DerivedState:
    """Set `row`'s derived columns from its whole timeline; returns the derived state.

    `sla` is the conversation's applied rule (None when it has none or it was removed):
    its status is re-evaluated with everything else.
    """
    derived, values = derived_values(row, timeline, now, sla)
    for name, value in values.items():
        setattr(row, name, value)
    return derived


def derived_values(
    row: Any, timeline: list[Part], now: int, sla: SlaTargets | None = None
) -> tuple[DerivedState, dict[str, Any]]:
    """The derived columns of a conversation (by name) from its whole timeline.

    `row` (an ORM object, a plain row or `repository.Written`) gives the source and the
    SLA columns; it is not changed (see `apply_derived`).
    """
    source = timeline_source(row)
    derived = derive_state(source, timeline)
    values: dict[str, Any] = {
        "state": derived.state,
        "open": derived.open,
        "snoozed_until": derived.snoozed_until,
        "waiting_since": derived.waiting_since,
        "admin_assignee_id": assignee_column(derived.admin_assignee_id),
        "team_assignee_id": assignee_column(derived.team_assignee_id),
        "teammate_ids": list(derived.teammate_ids),
        "first_contact_reply_at": derived.first_contact_reply_at,
        "statistics": compute_statistics(source, timeline, now).to_dict(),
        "part_count": len(timeline),
    }
    if sla is not None and row.sla_applied_at is not None and row.sla_status != CANCELLED:
        outcome = evaluate(sla, source, timeline, row.sla_applied_at)
        values["sla_status"], values["sla_deadline"] = outcome.status, outcome.deadline
    return derived, values


def assignee_column(value: str | None) -> int | None:
    """A derived assignee id as its integer column (None for nobody or "0")."""
    return int(value) if value is not None and value.isdigit() and value != "0" else None
