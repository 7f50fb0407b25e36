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


class Replay:
    """The timeline played part by part: the state after each part, then everything derived.

    `derive_state` replays a stored timeline; the demo generator steps one as it writes the
    parts (each part's `state` column is the state after it), so both follow these rules.
    """

    __slots__ = (
        "admin_id", "first_contact", "last_at", "snoozed_until", "state", "team_id",
        "teammates", "waiting",
    )  # fmt: skip

    def __init__(self, source: Source) -> None:
        contact_source = is_contact(source.author_type)
        customer = source.delivered_as == "customer_initiated" or contact_source
        self.state = "open" if customer else "closed"
        self.snoozed_until: int | None = None
        self.waiting: int | None = source.created_at if contact_source else None
        self.admin_id: str | None = None
        self.team_id: str | None = None
        self.teammates: list[str] = []
        self.first_contact = source.created_at if contact_source else None
        self.last_at = source.created_at
        if is_teammate(source.author_type) and source.author_type == "admin":
            self.teammates.append(source.author_id)

    def step(
        self,
        kind: str,
        author_type: str,
        author_id: str,
        created_at: int,
        assigned_to_type: str | None = None,
        assigned_to_id: str | None = None,
        snoozed_until: int | None = None,
    ) -> str:
        """Apply one part; the conversation's state after it."""
        self.last_at = max(self.last_at, created_at)
        if author_type == "admin" and author_id not in self.teammates:
            self.teammates.append(author_id)
        if kind in REPLY_TYPES and is_contact(author_type):
            if self.first_contact is None:
                self.first_contact = created_at
            if self.state != "open":
                self.state, self.snoozed_until = "open", None
            if self.waiting is None:
                self.waiting = created_at
        elif kind in REPLY_TYPES and is_teammate(author_type):
            self.waiting = None
        if kind in ASSIGNMENT_TYPES:
            target = _assignee(assigned_to_id)
            if assigned_to_type == "team":
                self.team_id = target
            elif assigned_to_type == "admin":
                self.admin_id = target
        if kind == CLOSE:
            # Closing ends the wait: a conversation reopened by a teammate is not a
            # customer waiting until the customer writes again.
            self.state, self.snoozed_until, self.waiting = "closed", None, None
        elif kind in (OPEN, ASSIGN_AND_REOPEN):
            self.state, self.snoozed_until = "open", None
        elif kind == SNOOZED:
            self.state, self.snoozed_until = "snoozed", snoozed_until
        elif kind in WAKE_TYPES:
            self.state, self.snoozed_until = "open", None
        return self.state

    def result(self) -> DerivedState:
        """Everything derived from the parts applied so far."""
        state = self.state
        return DerivedState(
            state=state,
            open=state != "closed",
            snoozed_until=self.snoozed_until,
            waiting_since=None if state == "closed" else self.waiting,
            admin_assignee_id=self.admin_id,
            team_assignee_id=self.team_id,
            teammate_ids=tuple(self.teammates),
            first_contact_reply_at=self.first_contact,
            last_part_at=self.last_at,
        )


def derive_state(source: Source, parts: Sequence[Part]) -> DerivedState:
    """Replay the timeline and return the conversation's current derived state."""
    replay = Replay(source)
    step = replay.step
    for part in parts:
        step(
            part.part_type, part.author_type, part.author_id, part.created_at,
            part.assigned_to_type, part.assigned_to_id, part.snoozed_until,
        )  # fmt: skip
    return replay.result()


def snooze_expired(state: DerivedState, now: int) -> bool:
    """True when a snoozed conversation's wake-up time has come."""
    return (
        state.state == "snoozed" and state.snoozed_until is not None and state.snoozed_until <= now
    )
