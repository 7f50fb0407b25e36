"""SLA status as a pure function of the rule's targets and the timeline (table-driven)."""

from __future__ import annotations

import pytest

from parlour.conversations.sla import SlaOutcome, SlaTargets, evaluate
from parlour.conversations.timeline import Part, Source
from parlour.core.office_hours import OfficeHours

T = 1_000_000
SOURCE = Source(author_type="user", author_id="c1", created_at=T, delivered_as="customer_initiated")
OUTBOUND = Source(author_type="admin", author_id="7", created_at=T, delivered_as="admin_initiated")


def reply(at: int) -> Part:
    return Part("comment", "admin", "7", at)


def bot(at: int) -> Part:
    return Part("comment", "bot", "9", at)


def contact(at: int) -> Part:
    return Part("comment", "user", "c1", at)


def close(at: int) -> Part:
    return Part("close", "admin", "7", at)


def note(at: int) -> Part:
    return Part("note", "admin", "7", at)


def snooze(at: int) -> Part:
    return Part("snoozed", "admin", "7", at, snoozed_until=at + 10_000)


FIRST_60 = SlaTargets(first_reply_seconds=60)
NEXT_30 = SlaTargets(first_reply_seconds=60, next_reply_seconds=30)
CLOSE_100 = SlaTargets(time_to_close_seconds=100)
ALL = SlaTargets(first_reply_seconds=60, next_reply_seconds=30, time_to_close_seconds=1000)


@pytest.mark.parametrize(
    ("targets", "parts", "expected"),
    [
        (FIRST_60, [], SlaOutcome("active", T + 60)),
        (FIRST_60, [reply(T + 60)], SlaOutcome("hit", None)),
        (FIRST_60, [reply(T + 61)], SlaOutcome("missed", None)),
        (FIRST_60, [note(T + 5)], SlaOutcome("active", T + 60)),
        (FIRST_60, [bot(T + 5)], SlaOutcome("active", T + 60)),
        (FIRST_60, [snooze(T + 5)], SlaOutcome("active", T + 60)),
        (FIRST_60, [close(T + 5)], SlaOutcome("active", None)),
        (FIRST_60, [close(T + 61)], SlaOutcome("missed", None)),
        (FIRST_60, [close(T + 5), contact(T + 100)], SlaOutcome("active", T + 160)),
        (FIRST_60, [close(T + 5), contact(T + 100), reply(T + 150)], SlaOutcome("hit", None)),
        # The first reply was a hit: the status is hit while the next reply is pending.
        (NEXT_30, [reply(T + 10), contact(T + 100)], SlaOutcome("hit", T + 130)),
        (NEXT_30, [reply(T + 10), contact(T + 100), reply(T + 129)], SlaOutcome("hit", None)),
        (NEXT_30, [reply(T + 10), contact(T + 100), reply(T + 131)], SlaOutcome("missed", None)),
        (NEXT_30, [reply(T + 10), contact(T + 100), contact(T + 110)],
         SlaOutcome("hit", T + 130)),
        (NEXT_30, [reply(T + 99), contact(T + 100), reply(T + 110)], SlaOutcome("missed", None)),
        (NEXT_30, [reply(T + 10), contact(T + 100), close(T + 105)], SlaOutcome("hit", None)),
        (CLOSE_100, [close(T + 99)], SlaOutcome("hit", None)),
        (CLOSE_100, [close(T + 101)], SlaOutcome("missed", None)),
        (CLOSE_100, [close(T + 99), contact(T + 120), close(T + 500)], SlaOutcome("hit", None)),
        (ALL, [reply(T + 10), contact(T + 20), reply(T + 40), close(T + 900)],
         SlaOutcome("hit", None)),
        (ALL, [reply(T + 10)], SlaOutcome("hit", T + 1000)),
        (SlaTargets(), [], SlaOutcome("active", None)),
    ],
    ids=["pending", "hit-on-deadline", "late-reply", "note-is-not-a-reply",
         "bot-is-not-a-teammate", "snooze-keeps-the-clock", "closed-in-time-withdraws",
         "closed-late-misses", "reopened-first-reply-restarts", "reopened-then-hit",
         "next-pending", "next-hit", "next-missed", "second-message-keeps-the-deadline",
         "one-miss-wins", "close-withdraws-next", "close-hit", "close-late",
         "only-first-close-counts", "all-hit", "hit-while-close-pending", "no-targets"],
)
def test_evaluate_applied_at_start(
    targets: SlaTargets, parts: list[Part], expected: SlaOutcome
) -> None:
    assert evaluate(targets, SOURCE, parts, applied_at=T) == expected


def test_a_deadline_passing_is_not_a_miss_until_a_teammate_acts() -> None:
    """Intercom: 'A missed status is not applied when the SLA expires'."""
    assert evaluate(FIRST_60, SOURCE, [note(T + 10_000)], T).status == "active"
    assert evaluate(FIRST_60, SOURCE, [reply(T + 10_000)], T).status == "missed"


def test_applied_later_starts_the_clock_when_applied() -> None:
    parts = [contact(T + 50)]
    # The contact is still waiting when the rule is applied at T+500: clock from T+500.
    assert evaluate(FIRST_60, SOURCE, parts, applied_at=T + 500) == SlaOutcome("active", T + 560)
    # Answered before the rule applied: first reply no longer applies; next reply does.
    answered = [reply(T + 10), contact(T + 50)]
    assert evaluate(NEXT_30, SOURCE, answered, applied_at=T + 500) == SlaOutcome(
        "active", T + 530
    )
    # Nothing waiting when applied: nothing pending until the contact writes.
    quiet = [reply(T + 10)]
    assert evaluate(NEXT_30, SOURCE, quiet, applied_at=T + 500) == SlaOutcome("active", None)
    assert evaluate(CLOSE_100, SOURCE, [close(T + 50)], applied_at=T + 500) == SlaOutcome(
        "active", T + 600
    )
    # Events before the rule applied do not count either way.
    assert evaluate(FIRST_60, SOURCE, [reply(T + 400)], applied_at=T + 500).status == "active"


def test_outbound_conversation_starts_first_reply_at_the_contacts_first_message() -> None:
    assert evaluate(FIRST_60, OUTBOUND, [], T) == SlaOutcome("active", None)
    assert evaluate(FIRST_60, OUTBOUND, [contact(T + 300)], T) == SlaOutcome("active", T + 360)


NINE_TO_FIVE = OfficeHours.from_json(
    {"timezone": "UTC", "hours": {d: [["09:00", "17:00"]] for d in
                                  ("monday", "tuesday", "wednesday", "thursday", "friday")}}
)


def test_office_hours_move_deadlines() -> None:
    friday_1655 = 1_795_193_700  # 2026-11-20 16:55 UTC, a Friday
    source = Source("user", "c1", friday_1655, "customer_initiated")
    targets = SlaTargets(first_reply_seconds=3600, office_hours=NINE_TO_FIVE)
    monday_0955 = friday_1655 + 3 * 86_400 - 7 * 3600
    assert evaluate(targets, source, [], friday_1655) == SlaOutcome("active", monday_0955)
    assert evaluate(targets, source, [reply(monday_0955)], friday_1655).status == "hit"
    assert evaluate(targets, source, [reply(monday_0955 + 1)], friday_1655).status == "missed"
