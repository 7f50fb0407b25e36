"""Conversation state derived from the timeline: state, waiting_since, assignees, teammates.

| event | effect |
|---|---|
| source by a contact (`customer_initiated`) | starts `open`, contact waiting since the source |
| source by an admin/bot (`admin_initiated`, ...) | starts `closed` until the contact writes |
| `close` | `closed`; ends any wait |
| `open`, `assign_and_reopen` | `open` |
| `snoozed` | `snoozed` until the part's `snoozed_until` |
| `timer_unsnooze`, `unsnoozed`, `assign_and_unsnooze` | `open` (snooze cleared) |
| contact `comment` / `quick_reply` | re-opens a closed or snoozed one; starts the wait |
| admin/bot `comment` / `quick_reply` | ends the wait (a reply); state unchanged |
| `note`, other events | no effect on state or waiting |
| assignment parts | `admin` side or `team` side set; id None/"0" unassigns that side |

`waiting_since` is the first contact message since the last teammate reply, and None
when a teammate replied last, nobody contact-side wrote, or the conversation is closed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from parlour.conversations.timeline import (
    ASSIGN_AND_REOPEN,
    ASSIGNMENT_TYPES,
    CLOSE,
    OPEN,
    REPLY_TYPES,
    SNOOZED,
    WAKE_TYPES,
    Part,
    Source,
    is_contact,
    is_teammate,
)


@dataclass(frozen=True, slots=True)
class DerivedState:
    """Everything about a conversation that follows from its timeline alone."""

    state: str
    open: bool
    snoozed_until: int | None
    waiting_since: int | None
    admin_assignee_id: str | None
    team_assignee_id: str | None
    teammate_ids: tuple[str, ...]
    first_contact_reply_at: int | None
    last_part_at: int


def _assignee(value: str | None) -> str | None:
    return None if value in (None, "", "0") else value


def derive_state(source: Source, parts: Sequence[Part]) -> DerivedState:
    """Replay the timeline and return the conversation's current derived state."""
    contact_source = is_contact(source.author_type)
    state = "open" if source.delivered_as == "customer_initiated" or contact_source else "closed"
    snoozed_until: int | None = None
    waiting: int | None = source.created_at if contact_source else None
    admin_id: str | None = None
    team_id: str | None = None
    teammates: list[str] = []
    first_contact = source.created_at if contact_source else None
    last_at = source.created_at
    if is_teammate(source.author_type) and source.author_type == "admin":
        teammates.append(source.author_id)

    for part in parts:
        last_at = max(last_at, part.created_at)
        kind = part.part_type
        if part.author_type == "admin" and part.author_id not in teammates:
            teammates.append(part.author_id)
        if kind in REPLY_TYPES and is_contact(part.author_type):
            if first_contact is None:
                first_contact = part.created_at
            if state != "open":
                state, snoozed_until = "open", None
            if waiting is None:
                waiting = part.created_at
        elif kind in REPLY_TYPES and is_teammate(part.author_type):
            waiting = None
        if kind in ASSIGNMENT_TYPES:
            target = _assignee(part.assigned_to_id)
            if part.assigned_to_type == "team":
                team_id = target
            elif part.assigned_to_type == "admin":
                admin_id = target
        if kind == CLOSE:
            # Closing ends the wait: a conversation reopened by a teammate is not a
            # customer waiting until the customer writes again.
            state, snoozed_until, waiting = "closed", None, None
        elif kind in (OPEN, ASSIGN_AND_REOPEN):
            state, snoozed_until = "open", None
        elif kind == SNOOZED:
            state, snoozed_until = "snoozed", part.snoozed_until
        elif kind in WAKE_TYPES:
            state, snoozed_until = "open", None

    return DerivedState(
        state=state,
        open=state != "closed",
        snoozed_until=snoozed_until,
        waiting_since=None if state == "closed" else waiting,
        admin_assignee_id=admin_id,
        team_assignee_id=team_id,
        teammate_ids=tuple(teammates),
        first_contact_reply_at=first_contact,
        last_part_at=last_at,
    )


def snooze_expired(state: DerivedState, now: int) -> bool:
    """True when a snoozed conversation's wake-up time has come."""
    return (
        state.state == "snoozed" and state.snoozed_until is not None and state.snoozed_until <= now
    )
