"""Conversation statistics computed from the timeline, as Intercom 2.14 defines each field.

Durations are whole seconds from the conversation's start: the first contact message when
there is one (`first_contact_reply_at`), else the source's time. Business hours are not
modelled (no office hours yet), so nothing is subtracted for them. Fields with no value
yet are left out of `to_dict()`: the spec declares them non-nullable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

from parlour.conversations.timeline import (
    ASSIGN_AND_REOPEN,
    ASSIGNMENT_TYPES,
    CLOSE,
    OPEN,
    REPLY_TYPES,
    Part,
    Source,
    is_contact,
    is_teammate,
)


@dataclass(frozen=True, slots=True)
class Statistics:
    """Intercom's `conversation_statistics` fields that Parlour computes."""

    time_to_assignment: int | None = None
    time_to_admin_reply: int | None = None
    time_to_first_close: int | None = None
    time_to_last_close: int | None = None
    median_time_to_reply: int | None = None
    first_contact_reply_at: int | None = None
    first_assignment_at: int | None = None
    first_admin_reply_at: int | None = None
    first_close_at: int | None = None
    last_assignment_at: int | None = None
    last_assignment_admin_reply_at: int | None = None
    last_contact_reply_at: int | None = None
    last_admin_reply_at: int | None = None
    last_close_at: int | None = None
    last_closed_by_id: str | None = None
    count_reopens: int = 0
    count_assignments: int = 0
    count_conversation_parts: int = 0
    handling_time: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON object, `type` first, unknown values omitted."""
        # Every field is a scalar, so `asdict`'s deep copy is only cost (9x, measured by
        # the demo seed, which builds this for every generated conversation).
        out: dict[str, Any] = {"type": "conversation_statistics"}
        for name in _FIELD_NAMES:
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return out


_FIELD_NAMES = tuple(f.name for f in fields(Statistics))


def _since(start: int, moment: int | None) -> int | None:
    return None if moment is None else max(0, moment - start)


def _median(values: list[int]) -> int | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    # Even count: the mean of the middle two, rounded down to whole seconds.
    return (ordered[middle - 1] + ordered[middle]) // 2


def compute_statistics(source: Source, parts: Sequence[Part], now: int) -> Statistics:
    """Every statistic of a conversation, from its source and parts, as of `now`."""
    contact_source = is_contact(source.author_type)
    first_contact = source.created_at if contact_source else None
    last_contact = source.created_at if contact_source else None
    start = source.created_at
    first_assignment = last_assignment = None
    assignments = 0
    first_admin_reply = last_admin_reply = None
    last_assignment_reply: int | None = None
    first_close = last_close = None
    early_first_close: int | None = None
    early_last_close: int | None = None
    early_closed_by: str | None = None
    last_closed_by: str | None = None
    reopens = 0
    reply_waits: list[int] = []
    waiting: int | None = first_contact
    assignment_before_reply: int | None = None
    closed = not contact_source and source.delivered_as != "customer_initiated"

    for part in parts:
        at = part.created_at
        kind = part.part_type
        after_first_contact = first_contact is not None and at >= first_contact
        if kind in REPLY_TYPES and is_contact(part.author_type):
            # Intercom counts reopens after first_contact_reply_at: a contact's first
            # answer to an outbound message opens the conversation, it does not reopen it.
            replied_before = first_contact is not None
            if first_contact is None:
                first_contact = at
                start = at
                after_first_contact = True
            last_contact = at
            if waiting is None:
                waiting = at
            if closed:
                closed = False
                if replied_before:
                    reopens += 1
        elif kind in REPLY_TYPES and is_teammate(part.author_type):
            last_admin_reply = at
            if after_first_contact and first_admin_reply is None:
                first_admin_reply = at
            if last_assignment is not None and last_assignment_reply is None:
                last_assignment_reply = at
            if waiting is not None:
                reply_waits.append(at - waiting)
                waiting = None
        assigns = kind in ASSIGNMENT_TYPES and part.assigned_to_id not in (None, "", "0")
        if assigns and after_first_contact:
            assignments += 1
            if first_assignment is None:
                first_assignment = at
            last_assignment = at
            last_assignment_reply = None
            if first_admin_reply is None:
                assignment_before_reply = at
        if kind == CLOSE:
            # Closes count from the first contact reply. Until a contact has written,
            # an outbound message's closes are measured from the source instead; the
            # first contact reply discards them (Intercom: "first close after
            # first_contact_reply_at").
            closer = part.author_id if part.author_type == "admin" else None
            if after_first_contact:
                if first_close is None:
                    first_close = at
                last_close = at
                last_closed_by = closer or last_closed_by
            elif first_contact is None:
                if early_first_close is None:
                    early_first_close = at
                early_last_close = at
                early_closed_by = closer or early_closed_by
            closed = True
            waiting = None
        elif kind in (OPEN, ASSIGN_AND_REOPEN) and closed:
            closed = False
            if after_first_contact:
                reopens += 1

    if first_contact is None:
        first_close, last_close = early_first_close, early_last_close
        last_closed_by = early_closed_by
    handling = None
    if first_assignment is not None and last_close is not None and last_close > first_assignment:
        handling = last_close - first_assignment
    return Statistics(
        time_to_assignment=_since(start, assignment_before_reply),
        time_to_admin_reply=_since(start, first_admin_reply),
        time_to_first_close=_since(start, first_close),
        time_to_last_close=_since(start, last_close),
        median_time_to_reply=_median(reply_waits),
        first_contact_reply_at=first_contact,
        first_assignment_at=first_assignment,
        first_admin_reply_at=first_admin_reply,
        first_close_at=first_close,
        last_assignment_at=last_assignment,
        last_assignment_admin_reply_at=last_assignment_reply,
        last_contact_reply_at=last_contact,
        last_admin_reply_at=last_admin_reply,
        last_close_at=last_close,
        last_closed_by_id=last_closed_by,
        count_reopens=reopens,
        count_assignments=assignments,
        count_conversation_parts=len(parts),
        handling_time=handling,
    )
