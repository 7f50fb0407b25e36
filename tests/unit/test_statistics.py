"""Conversation statistics as a pure function of the timeline (`compute_statistics`)."""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parlour.conversations.state import derive_state
from parlour.conversations.statistics import Statistics, compute_statistics
from parlour.conversations.timeline import (
    ASSIGN_AND_REOPEN,
    ASSIGN_AND_UNSNOOZE,
    ASSIGNMENT,
    ASSIGNMENT_TYPES,
    AWAY_MODE_ASSIGNMENT,
    CLOSE,
    COMMENT,
    DEFAULT_ASSIGNMENT,
    NOTE,
    OPEN,
    QUICK_REPLY,
    SNOOZED,
    TIMER_UNSNOOZE,
    UNSNOOZED,
    Part,
    Source,
)
from tests.unit.timelines import PROPERTY, timelines

T = 1_000_000
NOW = T + 1_000_000
INBOUND = Source(
    author_type="user", author_id="c1", created_at=T, delivered_as="customer_initiated"
)
OUTBOUND = Source(author_type="admin", author_id="7", created_at=T, delivered_as="admin_initiated")

DURATIONS = (
    "time_to_assignment",
    "time_to_admin_reply",
    "time_to_first_close",
    "time_to_last_close",
    "median_time_to_reply",
    "handling_time",
)
TIMESTAMPS = (
    "first_contact_reply_at",
    "first_assignment_at",
    "first_admin_reply_at",
    "first_close_at",
    "last_assignment_at",
    "last_assignment_admin_reply_at",
    "last_contact_reply_at",
    "last_admin_reply_at",
    "last_close_at",
)


def contact(at: int, kind: str = COMMENT) -> Part:
    return Part(kind, "user", "c1", T + at)


def reply(at: int, admin: str = "7", kind: str = COMMENT) -> Part:
    return Part(kind, "admin", admin, T + at)


def bot(at: int, kind: str = COMMENT) -> Part:
    return Part(kind, "bot", "b1", T + at)


def note(at: int) -> Part:
    return Part(NOTE, "admin", "7", T + at)


def close(at: int, admin: str = "7", author: str = "admin") -> Part:
    return Part(CLOSE, author, admin, T + at)


def open_(at: int) -> Part:
    return Part(OPEN, "admin", "7", T + at)


def snooze(at: int, until: int) -> Part:
    return Part(SNOOZED, "admin", "7", T + at, snoozed_until=T + until)


def assign(
    at: int, to_id: str | None = "8", to_type: str = "admin", kind: str = ASSIGNMENT
) -> Part:
    return Part(kind, "admin", "7", T + at, assigned_to_type=to_type, assigned_to_id=to_id)


def pick(stats: Statistics, expected: dict[str, Any]) -> dict[str, Any]:
    """The fields of `stats` named in `expected`."""
    return {name: getattr(stats, name) for name in expected}


def test_full_story() -> None:
    """A two-round inbound conversation yields every statistic exactly."""
    parts = [
        assign(100, "7"),
        reply(300),
        contact(400),
        contact(450),
        note(460),
        reply(500),
        close(600),
        contact(1000),
        assign(1100, "8"),
        reply(1300, admin="8"),
        close(1400, admin="8"),
    ]
    assert compute_statistics(INBOUND, parts, NOW) == Statistics(
        time_to_assignment=100,
        time_to_admin_reply=300,
        time_to_first_close=600,
        time_to_last_close=1400,
        median_time_to_reply=300,  # waits 300, 100, 300
        first_contact_reply_at=T,
        first_assignment_at=T + 100,
        first_admin_reply_at=T + 300,
        first_close_at=T + 600,
        last_assignment_at=T + 1100,
        last_assignment_admin_reply_at=T + 1300,
        last_contact_reply_at=T + 1000,
        last_admin_reply_at=T + 1300,
        last_close_at=T + 1400,
        last_closed_by_id="8",
        count_reopens=1,
        count_assignments=2,
        count_conversation_parts=11,
        handling_time=1300,
    )


CASES: list[tuple[str, Source, list[Part], dict[str, Any]]] = [
    # assignments
    ("time-to-assignment-is-last-one-before-first-reply", INBOUND,
     [assign(10, "7"), assign(50, "8"), reply(100), assign(200, "9")],
     {"time_to_assignment": 50, "first_assignment_at": T + 10, "last_assignment_at": T + 200,
      "count_assignments": 3, "last_assignment_admin_reply_at": None}),
    ("no-assignment-before-reply", INBOUND, [reply(100), assign(200)],
     {"time_to_assignment": None, "first_assignment_at": T + 200, "count_assignments": 1}),
    ("unassign-zero-not-counted", INBOUND, [assign(10, "0")],
     {"time_to_assignment": None, "first_assignment_at": None, "count_assignments": 0}),
    ("unassign-none-not-counted", INBOUND, [assign(10, None), assign(20, "")],
     {"first_assignment_at": None, "count_assignments": 0}),
    ("team-assignment-counts", INBOUND, [assign(10, "3", "team")],
     {"time_to_assignment": 10, "first_assignment_at": T + 10, "count_assignments": 1}),
    ("every-assignment-kind-counts", INBOUND,
     [assign(10, "8", kind=DEFAULT_ASSIGNMENT), assign(20, "9", kind=AWAY_MODE_ASSIGNMENT),
      snooze(25, 900), assign(30, "3", "team", ASSIGN_AND_UNSNOOZE)],
     {"count_assignments": 3, "last_assignment_at": T + 30, "time_to_assignment": 30}),
    ("reply-after-latest-assignment", INBOUND,
     [assign(10), reply(20), reply(30), assign(40), note(45), reply(50, admin="8"), reply(60)],
     {"last_assignment_admin_reply_at": T + 50, "last_admin_reply_at": T + 60,
      "first_admin_reply_at": T + 20}),
    ("reply-before-any-assignment-is-not-assignment-reply", INBOUND, [reply(20)],
     {"last_assignment_admin_reply_at": None, "last_admin_reply_at": T + 20}),
    # replies
    ("empty-inbound", INBOUND, [],
     {"first_contact_reply_at": T, "last_contact_reply_at": T, "time_to_admin_reply": None,
      "median_time_to_reply": None, "count_conversation_parts": 0}),
    ("note-is-not-a-reply", INBOUND, [note(10)],
     {"time_to_admin_reply": None, "first_admin_reply_at": None, "last_admin_reply_at": None,
      "median_time_to_reply": None, "count_conversation_parts": 1}),
    ("quick-reply-is-a-reply", INBOUND, [reply(40, kind=QUICK_REPLY)],
     {"time_to_admin_reply": 40, "first_admin_reply_at": T + 40, "median_time_to_reply": 40}),
    ("contact-quick-reply-is-a-contact-reply", INBOUND, [contact(40, QUICK_REPLY)],
     {"last_contact_reply_at": T + 40}),
    ("wait-counts-from-first-unanswered", INBOUND, [contact(50), reply(100)],
     {"median_time_to_reply": 100, "last_contact_reply_at": T + 50}),
    ("second-reply-is-not-a-new-wait", INBOUND, [reply(100), reply(150)],
     {"median_time_to_reply": 100, "last_admin_reply_at": T + 150}),
    ("median-odd", INBOUND,
     [reply(10), contact(100), reply(130), contact(200), reply(290)],
     {"median_time_to_reply": 30}),
    ("median-even-floors-the-mean", INBOUND, [reply(100), contact(200), reply(401)],
     {"median_time_to_reply": 150}),
    ("close-drops-the-pending-wait", INBOUND, [close(10), contact(20), reply(50)],
     {"median_time_to_reply": 30, "time_to_admin_reply": 50}),
    ("snooze-keeps-the-pending-wait", INBOUND, [snooze(10, 500), reply(70)],
     {"median_time_to_reply": 70}),
    # closes
    ("close-times-and-closer", INBOUND, [close(100, "8"), contact(150), close(400, "9")],
     {"time_to_first_close": 100, "time_to_last_close": 400, "first_close_at": T + 100,
      "last_close_at": T + 400, "last_closed_by_id": "9"}),
    ("bot-close-has-no-closer", INBOUND, [close(100, "b1", "bot")],
     {"last_close_at": T + 100, "last_closed_by_id": None}),
    ("closer-is-last-admin-to-close", INBOUND,
     [close(100, "8"), contact(150), close(200, "b1", "bot")],
     {"last_close_at": T + 200, "last_closed_by_id": "8"}),
    ("never-closed", INBOUND, [reply(10)],
     {"time_to_first_close": None, "time_to_last_close": None, "first_close_at": None,
      "last_closed_by_id": None}),
    # reopens
    ("contact-reopens", INBOUND, [close(10), contact(20)], {"count_reopens": 1}),
    ("open-part-reopens", INBOUND, [close(10), open_(20)], {"count_reopens": 1}),
    ("assign-and-reopen-reopens-and-assigns", INBOUND,
     [close(10), assign(20, "8", kind=ASSIGN_AND_REOPEN)],
     {"count_reopens": 1, "count_assignments": 1}),
    ("open-while-open-is-not-a-reopen", INBOUND, [open_(10)], {"count_reopens": 0}),
    ("contact-after-reopen-is-not-another", INBOUND, [close(10), open_(20), contact(30)],
     {"count_reopens": 1}),
    ("unsnooze-is-not-a-reopen", INBOUND,
     [snooze(10, 500), Part(TIMER_UNSNOOZE, "bot", "b1", T + 500), contact(600)],
     {"count_reopens": 0}),
    ("manual-unsnooze-is-not-a-reopen", INBOUND,
     [snooze(10, 500), Part(UNSNOOZED, "admin", "7", T + 20)], {"count_reopens": 0}),
    ("three-rounds", INBOUND,
     [close(10), contact(20), close(30), open_(40), close(50), contact(60)],
     {"count_reopens": 3, "first_close_at": T + 10, "last_close_at": T + 50}),
    # handling time
    ("handling-from-first-assignment-to-last-close", INBOUND,
     [assign(10), close(100), contact(150), assign(160, "9"), close(300)],
     {"handling_time": 290}),
    ("no-handling-without-assignment", INBOUND, [close(100)], {"handling_time": None}),
    ("no-handling-when-closed-before-assignment", INBOUND, [close(100), assign(150)],
     {"handling_time": None}),
    # outbound conversations: the clock starts at the contact's first message
    ("outbound-untouched", OUTBOUND, [],
     {"first_contact_reply_at": None, "last_contact_reply_at": None, "count_reopens": 0}),
    ("outbound-starts-at-first-contact-message", OUTBOUND,
     [reply(10), contact(100), reply(160), contact(200)],
     {"first_contact_reply_at": T + 100, "last_contact_reply_at": T + 200,
      "first_admin_reply_at": T + 160, "time_to_admin_reply": 60, "median_time_to_reply": 60,
      "last_admin_reply_at": T + 160}),
    ("outbound-follow-up-before-contact-is-last-admin-reply", OUTBOUND, [reply(10)],
     {"first_admin_reply_at": None, "time_to_admin_reply": None, "last_admin_reply_at": T + 10,
      "median_time_to_reply": None}),
    ("outbound-assignment-before-contact-ignored", OUTBOUND,
     [assign(5), contact(100), reply(130)],
     {"count_assignments": 0, "first_assignment_at": None, "time_to_assignment": None}),
    ("outbound-assignment-after-contact", OUTBOUND, [contact(100), assign(110), reply(130)],
     {"count_assignments": 1, "first_assignment_at": T + 110, "time_to_assignment": 10,
      "last_assignment_admin_reply_at": T + 130}),
    ("outbound-admin-open-before-contact-not-a-reopen", OUTBOUND, [open_(5), contact(100)],
     {"count_reopens": 0}),
    ("outbound-without-contact-close-from-source", OUTBOUND, [open_(5), close(50)],
     {"first_close_at": T + 50, "time_to_first_close": 50, "time_to_last_close": 50,
      "last_closed_by_id": "7"}),
    ("bot-reply-counts-as-teammate-reply", INBOUND, [bot(30)],
     {"first_admin_reply_at": T + 30, "time_to_admin_reply": 30}),
]


@pytest.mark.parametrize(
    ("source", "parts", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_statistics(source: Source, parts: list[Part], expected: dict[str, Any]) -> None:
    """Each statistic takes the value Intercom's definition gives for a hand-built timeline."""
    stats = compute_statistics(source, parts, NOW)
    assert pick(stats, expected) == expected
    assert stats.count_conversation_parts == len(parts)


def test_first_reply_to_outbound_is_not_a_reopen() -> None:
    """The contact's first message on an outbound conversation starts it; it reopens nothing."""
    stats = compute_statistics(OUTBOUND, [contact(100), reply(130)], NOW)
    assert stats.count_reopens == 0


def test_close_before_first_contact_message_is_not_first_close() -> None:
    """`first_close_at` is the first close after `first_contact_reply_at`, per Intercom."""
    stats = compute_statistics(OUTBOUND, [open_(10), close(20), contact(100)], NOW)
    assert (stats.first_close_at, stats.time_to_first_close) == (None, None)
    # The closer goes with the close: no close counted, no closer either.
    assert (stats.last_close_at, stats.last_closed_by_id) == (None, None)


@pytest.mark.parametrize(
    ("parts", "now"),
    [
        ([reply(10), close(20)], T + 20),
        ([reply(10), close(20)], T + 10**9),
        ([assign(5), contact(8), reply(10), close(20)], T + 10**6),
    ],
    ids=["now-at-close", "now-far-later", "assigned"],
)
def test_now_does_not_change_closed_statistics(parts: list[Part], now: int) -> None:
    """A closed conversation's statistics are facts of its timeline, whenever they are read."""
    assert compute_statistics(INBOUND, parts, now) == compute_statistics(INBOUND, parts, NOW)


# --- to_dict --------------------------------------------------------------------------------


def test_to_dict_of_empty_statistics() -> None:
    """Unknown values are left out; counts (even zero) and `type` are always there."""
    assert Statistics().to_dict() == {
        "type": "conversation_statistics",
        "count_reopens": 0,
        "count_assignments": 0,
        "count_conversation_parts": 0,
    }


def test_to_dict_of_a_computed_conversation() -> None:
    """`type` comes first, then every field that has a value, with its value unchanged."""
    stats = compute_statistics(INBOUND, [reply(30), close(60)], NOW)
    out = stats.to_dict()
    assert next(iter(out)) == "type"
    assert out == {
        "type": "conversation_statistics",
        "time_to_admin_reply": 30,
        "time_to_first_close": 60,
        "time_to_last_close": 60,
        "median_time_to_reply": 30,
        "first_contact_reply_at": T,
        "first_admin_reply_at": T + 30,
        "first_close_at": T + 60,
        "last_contact_reply_at": T,
        "last_admin_reply_at": T + 30,
        "last_close_at": T + 60,
        "last_closed_by_id": "7",
        "count_reopens": 0,
        "count_assignments": 0,
        "count_conversation_parts": 2,
    }


# --- properties -----------------------------------------------------------------------------



@PROPERTY
@given(timeline=timelines(), later=st.integers(0, 10**6))
def test_property_no_negative_durations(timeline: tuple[Source, list[Part]], later: int) -> None:
    """No duration is negative, and the median lies within the span of the timeline."""
    source, parts = timeline
    end = max([source.created_at] + [p.created_at for p in parts])
    stats = compute_statistics(source, parts, end + later)
    for name in DURATIONS:
        value = getattr(stats, name)
        assert value is None or 0 <= value <= end - source.created_at, name
    assert stats.handling_time is None or stats.handling_time > 0


@PROPERTY
@given(timeline=timelines())
def test_property_timestamps_and_counts(timeline: tuple[Source, list[Part]]) -> None:
    """Every timestamp lies in the timeline, firsts precede lasts, counts bound the parts."""
    source, parts = timeline
    stats = compute_statistics(source, parts, NOW)
    end = max([source.created_at] + [p.created_at for p in parts])
    for name in TIMESTAMPS:
        value = getattr(stats, name)
        assert value is None or source.created_at <= value <= end, name
    for first, last in (
        ("first_contact_reply_at", "last_contact_reply_at"),
        ("first_assignment_at", "last_assignment_at"),
        ("first_admin_reply_at", "last_admin_reply_at"),
        ("first_close_at", "last_close_at"),
    ):
        a, b = getattr(stats, first), getattr(stats, last)
        if first != "first_admin_reply_at":  # an outbound follow-up is a last reply only
            assert (a is None) is (b is None), first
        assert a is None or (b is not None and a <= b), first
    assert stats.count_conversation_parts == len(parts)
    assignments = [p for p in parts if p.part_type in ASSIGNMENT_TYPES]
    targets = sum(p.assigned_to_id not in (None, "", "0") for p in assignments)
    assert stats.count_assignments <= targets
    first = stats.first_contact_reply_at
    # Closes before the first contact reply do not count once a contact has written.
    closes = sum(p.part_type == CLOSE and (first is None or p.created_at >= first) for p in parts)
    starts_closed = derive_state(source, []).state == "closed"
    assert stats.count_reopens <= closes + starts_closed
    assert (stats.last_close_at is None) is (closes == 0)
    assert stats.first_contact_reply_at == derive_state(source, parts).first_contact_reply_at


@PROPERTY
@given(timeline=timelines())
def test_property_durations_match_timestamps(timeline: tuple[Source, list[Part]]) -> None:
    """Each reply/assignment duration is its timestamp minus the first contact message."""
    source, parts = timeline
    stats = compute_statistics(source, parts, NOW)
    start = stats.first_contact_reply_at
    if stats.first_admin_reply_at is not None:
        assert start is not None
        assert stats.time_to_admin_reply == stats.first_admin_reply_at - start
    else:
        assert stats.time_to_admin_reply is None
    if stats.time_to_assignment is not None:
        assert start is not None and stats.first_assignment_at is not None
        assert stats.time_to_assignment >= stats.first_assignment_at - start
        if stats.first_admin_reply_at is not None:
            assert stats.time_to_assignment <= stats.time_to_admin_reply
    if stats.first_assignment_at is not None and stats.last_close_at is not None:
        span = stats.last_close_at - stats.first_assignment_at
        assert stats.handling_time == (span if span > 0 else None)


@PROPERTY
@given(timeline=timelines(contact_only=True))
def test_property_inbound_close_durations(timeline: tuple[Source, list[Part]]) -> None:
    """On an inbound conversation, close durations are measured from the source."""
    source, parts = timeline
    stats = compute_statistics(source, parts, NOW)
    assert stats.first_contact_reply_at == source.created_at
    for duration, moment in (
        ("time_to_first_close", "first_close_at"),
        ("time_to_last_close", "last_close_at"),
    ):
        at = getattr(stats, moment)
        assert getattr(stats, duration) == (None if at is None else at - source.created_at)


@PROPERTY
@given(timeline=timelines(), gap=st.integers(0, 1_000))
def test_property_notes_only_count_as_parts(timeline: tuple[Source, list[Part]], gap: int) -> None:
    """Appending an admin note changes nothing but `count_conversation_parts`."""
    source, parts = timeline
    before = compute_statistics(source, parts, NOW)
    at = max([source.created_at] + [p.created_at for p in parts]) + gap
    after = compute_statistics(source, [*parts, Part(NOTE, "admin", "2", at)], NOW)
    assert after == replace(before, count_conversation_parts=len(parts) + 1)


@PROPERTY
@given(timeline=timelines())
def test_property_to_dict_round_trips(timeline: tuple[Source, list[Part]]) -> None:
    """`to_dict()` holds `type` plus exactly the non-None fields, and rebuilds the same value."""
    source, parts = timeline
    stats = compute_statistics(source, parts, NOW)
    out = stats.to_dict()
    assert out.pop("type") == "conversation_statistics"
    assert set(out) == {f.name for f in fields(Statistics) if getattr(stats, f.name) is not None}
    assert Statistics(**out) == stats
