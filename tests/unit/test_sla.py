"""SLA status as a pure function of targets, timeline and now."""

from __future__ import annotations

import pytest

from parlour.conversations.sla import SlaOutcome, SlaTargets, effective_status, evaluate
from parlour.conversations.timeline import Part, Source

T = 1_000_000
SOURCE = Source(author_type="user", author_id="c1", created_at=T, delivered_as="customer_initiated")


def reply(at: int) -> Part:
    return Part("comment", "admin", "7", at)


def contact(at: int) -> Part:
    return Part("comment", "user", "c1", at)


def close(at: int) -> Part:
    return Part("close", "admin", "7", at)


def note(at: int) -> Part:
    return Part("note", "admin", "7", at)


FIRST_60 = SlaTargets(first_reply_seconds=60)
NEXT_30 = SlaTargets(first_reply_seconds=60, next_reply_seconds=30)
CLOSE_100 = SlaTargets(time_to_close_seconds=100)


@pytest.mark.parametrize(
    ("targets", "parts", "now", "expected"),
    [
        (FIRST_60, [], T + 10, SlaOutcome("active", T + 60)),
        (FIRST_60, [], T + 61, SlaOutcome("missed", None)),
        (FIRST_60, [reply(T + 60)], T + 500, SlaOutcome("hit", None)),
        (FIRST_60, [reply(T + 61)], T + 500, SlaOutcome("missed", None)),
        (FIRST_60, [note(T + 5)], T + 10, SlaOutcome("active", T + 60)),
        (FIRST_60, [note(T + 5)], T + 70, SlaOutcome("missed", None)),
        (FIRST_60, [close(T + 5)], T + 500, SlaOutcome("cancelled", None)),
        (NEXT_30, [reply(T + 10), contact(T + 100)], T + 120, SlaOutcome("active", T + 130)),
        (NEXT_30, [reply(T + 10), contact(T + 100), reply(T + 129)], T + 999,
         SlaOutcome("hit", None)),
        (NEXT_30, [reply(T + 10), contact(T + 100), reply(T + 131)], T + 999,
         SlaOutcome("missed", None)),
        (NEXT_30, [reply(T + 10), contact(T + 100), contact(T + 110)], T + 125,
         SlaOutcome("active", T + 130)),
        (CLOSE_100, [close(T + 99)], T + 500, SlaOutcome("hit", None)),
        (CLOSE_100, [close(T + 101)], T + 500, SlaOutcome("missed", None)),
        (SlaTargets(), [], T, SlaOutcome("hit", None)),
    ],
    ids=["pending", "late-no-reply", "hit-on-deadline", "late-reply", "note-is-not-reply",
         "note-then-late", "closed-before-reply", "next-pending", "next-hit", "next-missed",
         "second-contact-message-keeps-first-deadline", "close-hit", "close-late", "no-targets"],
)
def test_evaluate(targets: SlaTargets, parts: list[Part], now: int, expected: SlaOutcome) -> None:
    assert evaluate(targets, SOURCE, parts, now) == expected


@pytest.mark.parametrize(
    ("status", "deadline", "now", "expected"),
    [("active", T, T, "active"), ("active", T, T + 1, "missed"), ("hit", None, T, "hit"),
     ("cancelled", None, T + 5, "cancelled"), ("active", None, T, "active")],
)
def test_effective_status(status: str, deadline: int | None, now: int, expected: str) -> None:
    assert effective_status(status, deadline, now) == expected
