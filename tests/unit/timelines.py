"""Hypothesis strategies for random but valid conversation timelines (shared by unit tests)."""

from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st

from parlour.conversations.timeline import (
    ASSIGNMENT_TYPES,
    CLOSE,
    NOTE,
    OPEN,
    REPLY_TYPES,
    SNOOZED,
    TIMER_UNSNOOZE,
    UNSNOOZED,
    Part,
    Source,
    is_contact,
)

PROPERTY = settings(max_examples=200, deadline=None, database=None)

AUTHORS = {"admin": ["1", "2", "3"], "user": ["c1"], "lead": ["l1"], "bot": ["b1"]}
TEAMMATE_KINDS = sorted(
    {NOTE, OPEN, CLOSE, SNOOZED, TIMER_UNSNOOZE, UNSNOOZED, "custom_event"} | ASSIGNMENT_TYPES
)


@st.composite
def sources(draw: st.DrawFn, contact_only: bool = False) -> Source:
    """A source by any author type (or only contacts), `delivered_as` matching the author."""
    author = draw(st.sampled_from(["user", "lead"] if contact_only else sorted(AUTHORS)))
    delivered = (
        "customer_initiated"
        if is_contact(author)
        else draw(st.sampled_from(["admin_initiated", "automated", "campaigns_initiated"]))
    )
    return Source(
        author_type=author,
        author_id=draw(st.sampled_from(AUTHORS[author])),
        created_at=draw(st.integers(1_000_000, 2_000_000)),
        delivered_as=delivered,
    )


@st.composite
def timelines(draw: st.DrawFn, contact_only: bool = False) -> tuple[Source, list[Part]]:
    """A source and parts in non-decreasing time; contacts only write replies."""
    source = draw(sources(contact_only))
    at = source.created_at
    parts: list[Part] = []
    for _ in range(draw(st.integers(0, 15))):
        at += draw(st.integers(0, 5_000))
        if draw(st.booleans()):
            kind = draw(st.sampled_from(sorted(REPLY_TYPES)))
            author = draw(st.sampled_from(sorted(AUTHORS)))
        else:
            kind = draw(st.sampled_from(TEAMMATE_KINDS))
            author = draw(st.sampled_from(["admin", "bot"]))
        to_type = to_id = None
        if kind in ASSIGNMENT_TYPES:
            to_type = draw(st.sampled_from(["admin", "team", None]))
            to_id = draw(st.sampled_from(["0", "", None, "1", "2", "9"]))
        until = at + draw(st.integers(1, 100_000)) if kind == SNOOZED else None
        parts.append(
            Part(kind, author, draw(st.sampled_from(AUTHORS[author])), at, to_type, to_id, until)
        )
    return source, parts
