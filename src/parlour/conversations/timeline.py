"""The pure view of a conversation's timeline that every rule module reads."""

from __future__ import annotations

from dataclasses import dataclass

CONTACT_AUTHORS = frozenset({"user", "lead", "contact"})
TEAMMATE_AUTHORS = frozenset({"admin", "bot"})

COMMENT = "comment"
NOTE = "note"
QUICK_REPLY = "quick_reply"
ASSIGNMENT = "assignment"
DEFAULT_ASSIGNMENT = "default_assignment"
AWAY_MODE_ASSIGNMENT = "away_mode_assignment"
ASSIGN_AND_REOPEN = "assign_and_reopen"
ASSIGN_AND_UNSNOOZE = "assign_and_unsnooze"
OPEN = "open"
CLOSE = "close"
SNOOZED = "snoozed"
TIMER_UNSNOOZE = "timer_unsnooze"
UNSNOOZED = "unsnoozed"

REPLY_TYPES = frozenset({COMMENT, QUICK_REPLY})
ASSIGNMENT_TYPES = frozenset(
    {ASSIGNMENT, DEFAULT_ASSIGNMENT, AWAY_MODE_ASSIGNMENT, ASSIGN_AND_REOPEN, ASSIGN_AND_UNSNOOZE}
)
WAKE_TYPES = frozenset({TIMER_UNSNOOZE, UNSNOOZED, ASSIGN_AND_UNSNOOZE})


@dataclass(frozen=True, slots=True)
class Source:
    """The message that opened the conversation (Intercom's `source`)."""

    author_type: str
    author_id: str
    created_at: int
    delivered_as: str


@dataclass(frozen=True, slots=True)
class Part:
    """One conversation part, as stored, in timeline order."""

    part_type: str
    author_type: str
    author_id: str
    created_at: int
    assigned_to_type: str | None = None
    assigned_to_id: str | None = None
    snoozed_until: int | None = None


def is_contact(author_type: str) -> bool:
    """True when a contact (user or lead) wrote it."""
    return author_type in CONTACT_AUTHORS


def is_teammate(author_type: str) -> bool:
    """True when an admin or a bot wrote it."""
    return author_type in TEAMMATE_AUTHORS
