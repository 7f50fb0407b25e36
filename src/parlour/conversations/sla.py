"""SLA status of a conversation: a pure function of its policy targets, timeline and `now`.

Targets (seconds): first reply (from the conversation's start to the first teammate
reply), next reply (from each time a contact starts waiting again to the next teammate
reply), time to close (from the start to the first close). Each target ends up `hit`
(met in time), `missed` (met late, or its deadline passed), `cancelled` (the conversation
was closed while the target was still pending and before its deadline) or stays pending.
The conversation's status is `missed` if any target missed, else `active` while one is
pending, else `hit` if any was hit, else `cancelled`. Office hours are not modelled: the
clock runs around the day.

Because a pending target turns into a miss merely by time passing, `evaluate` also
returns the earliest pending deadline; `effective_status` applies it at read time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from parlour.conversations.timeline import Part, Source, is_contact

REPLY_TYPES = frozenset({"comment", "quick_reply"})
TEAMMATE_TYPES = frozenset({"admin", "bot"})


@dataclass(frozen=True, slots=True)
class SlaTargets:
    """A policy's targets in seconds; None means the policy has no such target."""

    first_reply_seconds: int | None = None
    next_reply_seconds: int | None = None
    time_to_close_seconds: int | None = None


@dataclass(frozen=True, slots=True)
class SlaOutcome:
    """The status now, and when an `active` status would become `missed`."""

    status: str
    deadline: int | None


@dataclass(slots=True)
class _Target:
    deadline: int
    met_at: int | None = None
    cancelled_at: int | None = None

    def status(self, now: int) -> str:
        if self.met_at is not None:
            return "hit" if self.met_at <= self.deadline else "missed"
        if self.cancelled_at is not None:
            return "cancelled" if self.cancelled_at <= self.deadline else "missed"
        return "active" if now <= self.deadline else "missed"


def evaluate(targets: SlaTargets, source: Source, parts: Sequence[Part], now: int) -> SlaOutcome:
    """The SLA status of a conversation at `now`."""
    start = source.created_at
    results: list[_Target] = []
    first_reply = (
        _Target(start + targets.first_reply_seconds)
        if targets.first_reply_seconds is not None
        else None
    )
    to_close = (
        _Target(start + targets.time_to_close_seconds)
        if targets.time_to_close_seconds is not None
        else None
    )
    next_reply: _Target | None = None
    answered_once = False
    for part in parts:
        if part.part_type in REPLY_TYPES and is_contact(part.author_type):
            if answered_once and next_reply is None and targets.next_reply_seconds is not None:
                next_reply = _Target(part.created_at + targets.next_reply_seconds)
                results.append(next_reply)
        elif part.part_type in REPLY_TYPES and part.author_type in TEAMMATE_TYPES:
            answered_once = True
            if first_reply is not None and first_reply.met_at is None:
                first_reply.met_at = part.created_at
            if next_reply is not None:
                next_reply.met_at = part.created_at
                next_reply = None
        elif part.part_type == "close":
            if to_close is not None and to_close.met_at is None:
                to_close.met_at = part.created_at
            for pending in (first_reply, next_reply):
                if pending is not None and pending.met_at is None and pending.cancelled_at is None:
                    pending.cancelled_at = part.created_at
            next_reply = None
    results.extend(t for t in (first_reply, to_close) if t is not None)
    if not results:
        return SlaOutcome("hit", None)
    statuses = [t.status(now) for t in results]
    if "missed" in statuses:
        return SlaOutcome("missed", None)
    deadlines = [t.deadline for t, s in zip(results, statuses, strict=True) if s == "active"]
    if deadlines:
        return SlaOutcome("active", min(deadlines))
    return SlaOutcome("hit" if "hit" in statuses else "cancelled", None)


def effective_status(status: str, deadline: int | None, now: int) -> str:
    """A stored status as of `now`: an `active` SLA whose deadline has passed is `missed`."""
    if status == "active" and deadline is not None and now > deadline:
        return "missed"
    return status
