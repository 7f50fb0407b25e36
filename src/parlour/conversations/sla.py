"""SLA status of a conversation: a pure function of the rule's targets and the timeline.

An SLA rule applied to a conversation at `applied_at` sets up to three targets (seconds,
of office time when the rule has office hours, see `core.office_hours`):

- first reply: the clock starts at the first contact message after the rule applied (or
  when it applied, if the contact was already waiting and nobody had answered); the
  first teammate reply meets it.
- next reply: the clock starts at each contact message that starts a new wait once a
  teammate has replied (or when the rule applied, if the contact was then waiting); the
  next teammate reply meets it.
- time to close: the clock starts at the conversation's start, or when the rule applied
  if later; the first close after that meets it.

A teammate reply is an admin's `comment` or `quick_reply` (notes are not replies; bots are
not teammates). A target met by its deadline records a `hit` event, one met late a
`missed` event. Closing the conversation ends pending reply targets: late, that is a
`missed` event; in time, the target is withdrawn with no event. Snoozing does not stop
the clock.

The status follows Intercom's definitions (2.14 `sla_applied.sla_status`): `missed` if
any missed event, else `hit` if any hit event, else `active`. Intercom records a miss
"not when the SLA expires, only the next time a teammate replies", so the status depends
on the timeline alone: a target past its deadline stays `active` until a teammate acts.
The outcome also carries the earliest deadline still pending, so clients can see when a
breach would happen. `cancelled` is not computed here: it is what a conversation whose
SLA was removed reports (`edits.remove_sla`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from parlour.conversations.timeline import CLOSE, REPLY_TYPES, Part, Source, is_contact
from parlour.core.office_hours import OfficeHours

HIT = "hit"
MISSED = "missed"
ACTIVE = "active"
CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class SlaTargets:
    """A rule's targets in seconds (None: no such target) and its optional office hours."""

    first_reply_seconds: int | None = None
    next_reply_seconds: int | None = None
    time_to_close_seconds: int | None = None
    office_hours: OfficeHours | None = None

    def due(self, start: int, seconds: int) -> int:
        """The deadline of a target of `seconds` whose clock starts at `start`."""
        if self.office_hours is None:
            return start + seconds
        return self.office_hours.add(start, seconds)


@dataclass(frozen=True, slots=True)
class SlaOutcome:
    """The status and the earliest deadline of a target still pending (None if none)."""

    status: str
    deadline: int | None


class _Tracker:
    """Walks the timeline once, keeping pending deadlines and the events recorded."""

    def __init__(self, targets: SlaTargets) -> None:
        self.targets = targets
        self.events: list[str] = []
        self.first: int | None = None
        self.next: int | None = None
        self.close: int | None = None
        self.answered = False
        self.waiting = False

    def settle(self, deadline: int, at: int) -> None:
        self.events.append(HIT if at <= deadline else MISSED)

    def contact_message(self, at: int, counts: bool) -> None:
        starts_wait = not self.waiting
        self.waiting = True
        if counts and starts_wait:
            self.start_reply_clock(at)

    def start_reply_clock(self, at: int) -> None:
        targets = self.targets
        if not self.answered:
            if self.first is None and targets.first_reply_seconds is not None:
                self.first = targets.due(at, targets.first_reply_seconds)
        elif self.next is None and targets.next_reply_seconds is not None:
            self.next = targets.due(at, targets.next_reply_seconds)

    def teammate_reply(self, at: int) -> None:
        for deadline in (self.first, self.next):
            if deadline is not None:
                self.settle(deadline, at)
        self.first = self.next = None
        self.answered = True
        self.waiting = False

    def closed(self, at: int, counts: bool) -> None:
        if counts and self.close is not None:
            self.settle(self.close, at)
            self.close = None
        for deadline in (self.first, self.next):
            if deadline is not None and at > deadline:
                self.events.append(MISSED)
        self.first = self.next = None
        self.waiting = False


def evaluate(
    targets: SlaTargets, source: Source, parts: Sequence[Part], applied_at: int
) -> SlaOutcome:
    """The SLA status of a conversation whose rule was applied at `applied_at`."""
    track = _Tracker(targets)
    applied = False

    def apply() -> None:
        nonlocal applied
        applied = True
        if targets.time_to_close_seconds is not None:
            start = max(source.created_at, applied_at)
            track.close = targets.due(start, targets.time_to_close_seconds)
        if track.waiting:
            track.start_reply_clock(applied_at)

    stream: list[tuple[int, str]] = [
        (source.created_at, "contact" if is_contact(source.author_type) else "other")
    ]
    for part in parts:
        if part.part_type in REPLY_TYPES and is_contact(part.author_type):
            stream.append((part.created_at, "contact"))
        elif part.part_type in REPLY_TYPES and part.author_type == "admin":
            stream.append((part.created_at, "reply"))
        elif part.part_type == CLOSE:
            stream.append((part.created_at, "close"))
    for at, kind in stream:
        if not applied and at >= applied_at:
            apply()
        if kind == "contact":
            track.contact_message(at, counts=applied)
        elif kind == "reply":
            track.teammate_reply(at)
        elif kind == "close":
            track.closed(at, counts=applied)
    if not applied:
        apply()

    pending = [d for d in (track.first, track.next, track.close) if d is not None]
    if MISSED in track.events:
        status = MISSED
    elif HIT in track.events:
        status = HIT
    else:
        status = ACTIVE
    return SlaOutcome(status, min(pending) if pending else None)
