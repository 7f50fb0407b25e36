"""Conversation state as a pure function of the timeline (`derive_state`)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parlour.conversations.state import DerivedState, Replay, derive_state, snooze_expired
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
    REPLY_TYPES,
    SNOOZED,
    TIMER_UNSNOOZE,
    UNSNOOZED,
    WAKE_TYPES,
    Part,
    Source,
    is_contact,
)
from tests.unit.timelines import PROPERTY, timelines

T = 1_000_000
INBOUND = Source(
    author_type="user", author_id="c1", created_at=T, delivered_as="customer_initiated"
)
LEAD_INBOUND = Source(
    author_type="lead", author_id="l1", created_at=T, delivered_as="customer_initiated"
)
OUTBOUND = Source(author_type="admin", author_id="7", created_at=T, delivered_as="admin_initiated")
BOT_OUTBOUND = Source(author_type="bot", author_id="b1", created_at=T, delivered_as="automated")


def contact(at: int, kind: str = COMMENT, author: str = "user") -> Part:
    return Part(kind, author, "c1", T + at)


def reply(at: int, admin: str = "7", kind: str = COMMENT) -> Part:
    return Part(kind, "admin", admin, T + at)


def bot(at: int, kind: str = COMMENT) -> Part:
    return Part(kind, "bot", "b1", T + at)


def note(at: int, admin: str = "7") -> Part:
    return Part(NOTE, "admin", admin, T + at)


def close(at: int, admin: str = "7") -> Part:
    return Part(CLOSE, "admin", admin, T + at)


def open_(at: int, admin: str = "7") -> Part:
    return Part(OPEN, "admin", admin, T + at)


def snooze(at: int, until: int, admin: str = "7") -> Part:
    return Part(SNOOZED, "admin", admin, T + at, snoozed_until=T + until)


def wake(at: int, kind: str = TIMER_UNSNOOZE) -> Part:
    author = ("bot", "b1") if kind == TIMER_UNSNOOZE else ("admin", "7")
    return Part(kind, author[0], author[1], T + at)


def assign(
    at: int, to_type: str | None, to_id: str | None, kind: str = ASSIGNMENT, admin: str = "7"
) -> Part:
    return Part(kind, "admin", admin, T + at, assigned_to_type=to_type, assigned_to_id=to_id)


# --- state, open, snoozed_until -------------------------------------------------------------

STATE_CASES = [
    ("inbound-starts-open", INBOUND, [], "open", None),
    ("lead-inbound-starts-open", LEAD_INBOUND, [], "open", None),
    ("outbound-starts-closed", OUTBOUND, [], "closed", None),
    ("bot-outbound-starts-closed", BOT_OUTBOUND, [], "closed", None),
    ("outbound-admin-reply-stays-closed", OUTBOUND, [reply(10)], "closed", None),
    ("outbound-contact-reply-opens", OUTBOUND, [contact(10)], "open", None),
    ("outbound-quick-reply-opens", OUTBOUND, [contact(10, QUICK_REPLY)], "open", None),
    ("outbound-lead-reply-opens", OUTBOUND, [contact(10, author="lead")], "open", None),
    ("close", INBOUND, [close(10)], "closed", None),
    ("admin-reply-does-not-reopen", INBOUND, [close(10), reply(20)], "closed", None),
    ("bot-reply-does-not-reopen", INBOUND, [close(10), bot(20)], "closed", None),
    ("note-does-not-reopen", INBOUND, [close(10), note(20)], "closed", None),
    ("assignment-does-not-reopen", INBOUND, [close(10), assign(20, "admin", "8")], "closed", None),
    ("contact-reply-reopens-closed", INBOUND, [close(10), contact(20)], "open", None),
    ("open-part-reopens", INBOUND, [close(10), open_(20)], "open", None),
    ("assign-and-reopen-reopens", INBOUND,
     [close(10), assign(20, "admin", "8", ASSIGN_AND_REOPEN)], "open", None),
    ("snooze", INBOUND, [snooze(10, 500)], "snoozed", T + 500),
    ("re-snooze-takes-latest-until", INBOUND, [snooze(10, 500), snooze(20, 900)], "snoozed",
     T + 900),
    ("contact-reply-unsnoozes", INBOUND, [snooze(10, 500), contact(20)], "open", None),
    ("admin-reply-keeps-snooze", INBOUND, [snooze(10, 500), reply(20)], "snoozed", T + 500),
    ("note-keeps-snooze", INBOUND, [snooze(10, 500), note(20)], "snoozed", T + 500),
    ("timer-unsnooze", INBOUND, [snooze(10, 500), wake(500)], "open", None),
    ("manual-unsnooze", INBOUND, [snooze(10, 500), wake(20, UNSNOOZED)], "open", None),
    ("assign-and-unsnooze", INBOUND,
     [snooze(10, 500), assign(20, "admin", "8", ASSIGN_AND_UNSNOOZE)], "open", None),
    ("open-part-unsnoozes", INBOUND, [snooze(10, 500), open_(20)], "open", None),
    ("close-clears-snooze", INBOUND, [snooze(10, 500), close(20)], "closed", None),
    ("snooze-a-closed-one", INBOUND, [close(10), snooze(20, 500)], "snoozed", T + 500),
    ("close-reopen-close", INBOUND, [close(10), contact(20), close(30)], "closed", None),
]


@pytest.mark.parametrize(
    ("source", "parts", "state", "snoozed_until"),
    [case[1:] for case in STATE_CASES],
    ids=[case[0] for case in STATE_CASES],
)
def test_state_transitions(
    source: Source, parts: list[Part], state: str, snoozed_until: int | None
) -> None:
    """State, `open` and `snoozed_until` follow the documented transition table."""
    derived = derive_state(source, parts)
    assert (derived.state, derived.snoozed_until) == (state, snoozed_until)
    assert derived.open is (state != "closed")


# --- waiting_since --------------------------------------------------------------------------

WAITING_CASES = [
    ("inbound-waits-since-source", INBOUND, [], T),
    ("outbound-nobody-waits", OUTBOUND, [], None),
    ("outbound-admin-follow-up-nobody-waits", OUTBOUND, [reply(10)], None),
    ("outbound-contact-reply-starts-wait", OUTBOUND, [reply(5), contact(10)], T + 10),
    ("admin-reply-ends-wait", INBOUND, [reply(10)], None),
    ("admin-quick-reply-ends-wait", INBOUND, [reply(10, kind=QUICK_REPLY)], None),
    ("bot-reply-ends-wait", INBOUND, [bot(10)], None),
    ("keeps-first-unanswered-message", INBOUND, [contact(10), contact(20)], T),
    ("first-message-after-reply", INBOUND, [reply(10), contact(20), contact(30)], T + 20),
    ("note-does-not-end-wait", INBOUND, [note(10)], T),
    ("note-after-reply-does-not-start-wait", INBOUND, [reply(10), note(20)], None),
    ("assignment-does-not-end-wait", INBOUND, [assign(10, "admin", "8")], T),
    ("default-assignment-does-not-end-wait", INBOUND,
     [assign(10, "team", "3", DEFAULT_ASSIGNMENT)], T),
    ("snooze-keeps-wait", INBOUND, [snooze(10, 500)], T),
    ("snooze-after-reply-no-wait", INBOUND, [reply(5), snooze(10, 500)], None),
    ("unsnooze-keeps-wait", INBOUND, [snooze(10, 500), wake(500)], T),
    ("contact-unsnoozes-keeps-first-wait", INBOUND, [snooze(10, 500), contact(20)], T),
    ("closed-has-no-wait", INBOUND, [close(10)], None),
    ("admin-reopen-has-no-wait", INBOUND, [close(10), open_(20)], None),
    ("assign-and-reopen-has-no-wait", INBOUND,
     [close(10), assign(20, "admin", "8", ASSIGN_AND_REOPEN)], None),
    ("contact-reopen-starts-new-wait", INBOUND, [close(10), contact(20)], T + 20),
    ("reopen-then-more-messages", INBOUND, [close(10), open_(15), contact(20), contact(30)],
     T + 20),
    ("reply-then-close-then-reopen", INBOUND, [contact(5), reply(10), close(20), open_(30)],
     None),
]


@pytest.mark.parametrize(
    ("source", "parts", "waiting_since"),
    [case[1:] for case in WAITING_CASES],
    ids=[case[0] for case in WAITING_CASES],
)
def test_waiting_since(source: Source, parts: list[Part], waiting_since: int | None) -> None:
    """`waiting_since` is the first unanswered contact message, None when answered or closed."""
    assert derive_state(source, parts).waiting_since == waiting_since


# --- assignees ------------------------------------------------------------------------------

ASSIGNEE_CASES = [
    ("unassigned", [], None, None),
    ("admin", [assign(10, "admin", "8")], "8", None),
    ("team", [assign(10, "team", "3")], None, "3"),
    ("admin-then-team-keeps-both", [assign(10, "admin", "8"), assign(20, "team", "3")], "8", "3"),
    ("reassign-admin", [assign(10, "admin", "8"), assign(20, "admin", "9")], "9", None),
    ("unassign-admin-with-zero", [assign(10, "admin", "8"), assign(20, "admin", "0")], None,
     None),
    ("unassign-admin-with-none", [assign(10, "admin", "8"), assign(20, "admin", None)], None,
     None),
    ("unassign-admin-with-empty", [assign(10, "admin", "8"), assign(20, "admin", "")], None,
     None),
    ("unassign-admin-keeps-team",
     [assign(10, "admin", "8"), assign(15, "team", "3"), assign(20, "admin", "0")], None, "3"),
    ("unassign-team-keeps-admin",
     [assign(10, "admin", "8"), assign(15, "team", "3"), assign(20, "team", "0")], "8", None),
    ("default-assignment", [assign(10, "team", "3", DEFAULT_ASSIGNMENT)], None, "3"),
    ("away-mode-assignment", [assign(10, "admin", "9", AWAY_MODE_ASSIGNMENT)], "9", None),
    ("assign-and-reopen", [close(5), assign(10, "admin", "8", ASSIGN_AND_REOPEN)], "8", None),
    ("assign-and-unsnooze",
     [snooze(5, 500), assign(10, "team", "3", ASSIGN_AND_UNSNOOZE)], None, "3"),
    ("no-target-type-changes-nothing", [assign(10, "admin", "8"), assign(20, None, "9")], "8",
     None),
    ("replies-do-not-assign", [reply(10, admin="8"), close(20, admin="9")], None, None),
]


@pytest.mark.parametrize(
    ("parts", "admin_id", "team_id"),
    [case[1:] for case in ASSIGNEE_CASES],
    ids=[case[0] for case in ASSIGNEE_CASES],
)
def test_assignees(parts: list[Part], admin_id: str | None, team_id: str | None) -> None:
    """Assignment parts set the admin or team side; None, "" and "0" unassign that side."""
    derived = derive_state(INBOUND, parts)
    assert (derived.admin_assignee_id, derived.team_assignee_id) == (admin_id, team_id)


# --- teammates ------------------------------------------------------------------------------

TEAMMATE_CASES = [
    ("none-on-inbound", INBOUND, [], ()),
    ("outbound-author", OUTBOUND, [], ("7",)),
    ("bot-source-is-not-a-teammate", BOT_OUTBOUND, [], ()),
    ("reply-authors-in-first-seen-order", INBOUND,
     [reply(10, admin="9"), reply(20, admin="7"), reply(30, admin="9")], ("9", "7")),
    ("source-author-not-repeated", OUTBOUND, [reply(10, admin="7"), note(20, admin="8")],
     ("7", "8")),
    ("any-admin-part-counts", INBOUND,
     [note(10, admin="8"), close(20, admin="9"), assign(30, "admin", "5", admin="6")],
     ("8", "9", "6")),
    ("assignee-alone-is-not-a-teammate", INBOUND, [assign(10, "admin", "5", admin="6")], ("6",)),
    ("bots-and-contacts-are-not-teammates", INBOUND, [bot(10), contact(20)], ()),
]


@pytest.mark.parametrize(
    ("source", "parts", "teammates"),
    [case[1:] for case in TEAMMATE_CASES],
    ids=[case[0] for case in TEAMMATE_CASES],
)
def test_teammate_ids(source: Source, parts: list[Part], teammates: tuple[str, ...]) -> None:
    """Teammates are the admins who wrote the source or any part, once each, in order."""
    assert derive_state(source, parts).teammate_ids == teammates


# --- first_contact_reply_at, last_part_at ---------------------------------------------------

TIMES_CASES = [
    ("inbound-empty", INBOUND, [], T, T),
    ("inbound-source-is-first-contact", INBOUND, [contact(10), reply(20)], T, T + 20),
    ("outbound-empty", OUTBOUND, [], None, T),
    ("outbound-admin-only", OUTBOUND, [reply(10), note(20)], None, T + 20),
    ("outbound-first-contact-comment", OUTBOUND, [reply(10), contact(30), contact(40)], T + 30,
     T + 40),
    ("outbound-quick-reply-counts", OUTBOUND, [contact(15, QUICK_REPLY)], T + 15, T + 15),
    ("bot-message-is-not-contact", BOT_OUTBOUND, [bot(10)], None, T + 10),
    ("last-part-is-any-part", INBOUND, [contact(10), note(50)], T, T + 50),
]


@pytest.mark.parametrize(
    ("source", "parts", "first_contact", "last_part"),
    [case[1:] for case in TIMES_CASES],
    ids=[case[0] for case in TIMES_CASES],
)
def test_first_contact_and_last_part(
    source: Source, parts: list[Part], first_contact: int | None, last_part: int
) -> None:
    """`first_contact_reply_at` is the first contact message; `last_part_at` the latest part."""
    derived = derive_state(source, parts)
    assert (derived.first_contact_reply_at, derived.last_part_at) == (first_contact, last_part)


def test_full_derived_state() -> None:
    """A longer inbound story derives every field at once."""
    parts = [
        assign(5, "team", "3", DEFAULT_ASSIGNMENT, admin="1"),
        assign(10, "admin", "8"),
        reply(20, admin="8"),
        contact(30),
        snooze(40, 1000, admin="8"),
        contact(50, QUICK_REPLY),
        contact(60),
    ]
    assert derive_state(INBOUND, parts) == DerivedState(
        state="open",
        open=True,
        snoozed_until=None,
        waiting_since=T + 30,
        admin_assignee_id="8",
        team_assignee_id="3",
        teammate_ids=("1", "7", "8"),
        first_contact_reply_at=T,
        last_part_at=T + 60,
    )


@pytest.mark.parametrize(
    ("parts", "now", "expected"),
    [
        ([snooze(10, 500)], T + 499, False),
        ([snooze(10, 500)], T + 500, True),
        ([snooze(10, 500)], T + 900, True),
        ([snooze(10, 500), contact(20)], T + 900, False),
        ([close(10)], T + 900, False),
        ([], T + 900, False),
    ],
    ids=["before", "at-deadline", "after", "contact-woke-it", "closed", "open"],
)
def test_snooze_expired(parts: list[Part], now: int, expected: bool) -> None:
    """A snoozed conversation is due to wake once `now` reaches `snoozed_until`."""
    assert snooze_expired(derive_state(INBOUND, parts), now) is expected


# --- properties -----------------------------------------------------------------------------



def _expected_state(source: Source, parts: list[Part]) -> tuple[str, int | None]:
    """Oracle: the state is decided by the last state-changing part alone."""
    for part in reversed(parts):
        if part.part_type in REPLY_TYPES and is_contact(part.author_type):
            return "open", None
        if part.part_type == CLOSE:
            return "closed", None
        if part.part_type == SNOOZED:
            return "snoozed", part.snoozed_until
        if part.part_type in {OPEN, ASSIGN_AND_REOPEN} | WAKE_TYPES:
            return "open", None
    initially_open = source.delivered_as == "customer_initiated" or is_contact(source.author_type)
    return ("open" if initially_open else "closed"), None


def _expected_waiting(source: Source, parts: list[Part], state: str) -> int | None:
    """Oracle: first contact message after the last teammate reply or close, unless closed."""
    if state == "closed":
        return None
    reset = -1
    for i, part in enumerate(parts):
        teammate_reply = part.part_type in REPLY_TYPES and part.author_type in {"admin", "bot"}
        if teammate_reply or part.part_type == CLOSE:
            reset = i
    if reset == -1 and is_contact(source.author_type):
        return source.created_at
    later = [
        p.created_at
        for p in parts[reset + 1 :]
        if p.part_type in REPLY_TYPES and is_contact(p.author_type)
    ]
    return later[0] if later else None


@PROPERTY
@given(timeline=timelines())
def test_property_state_follows_last_state_change(timeline: tuple[Source, list[Part]]) -> None:
    """State and snoozed_until depend only on the last state-changing part; open mirrors it."""
    source, parts = timeline
    derived = derive_state(source, parts)
    assert (derived.state, derived.snoozed_until) == _expected_state(source, parts)
    assert derived.open is (derived.state != "closed")


@PROPERTY
@given(timeline=timelines())
def test_property_snoozed_until_iff_snoozed(timeline: tuple[Source, list[Part]]) -> None:
    """`snoozed_until` is set exactly when snoozed, and is the latest snooze's wake-up time."""
    source, parts = timeline
    derived = derive_state(source, parts)
    assert (derived.snoozed_until is not None) is (derived.state == "snoozed")
    if derived.snoozed_until is not None:
        snoozes = [p for p in parts if p.part_type == SNOOZED]
        assert derived.snoozed_until == snoozes[-1].snoozed_until
        assert derived.snoozed_until > snoozes[-1].created_at


@PROPERTY
@given(timeline=timelines())
def test_property_waiting_since(timeline: tuple[Source, list[Part]]) -> None:
    """`waiting_since` matches the oracle, is None when closed, and lies within the timeline."""
    source, parts = timeline
    derived = derive_state(source, parts)
    assert derived.waiting_since == _expected_waiting(source, parts, derived.state)
    if derived.state == "closed":
        assert derived.waiting_since is None
    if derived.waiting_since is not None:
        assert source.created_at <= derived.waiting_since <= derived.last_part_at
        assert derived.first_contact_reply_at is not None
        assert derived.first_contact_reply_at <= derived.waiting_since


@PROPERTY
@given(timeline=timelines())
def test_property_assignees_teammates_and_times(timeline: tuple[Source, list[Part]]) -> None:
    """Assignees come from the last assignment per side; teammates and times match the parts."""
    source, parts = timeline
    derived = derive_state(source, parts)
    for side, got in (("admin", derived.admin_assignee_id), ("team", derived.team_assignee_id)):
        last = [p for p in parts if p.part_type in ASSIGNMENT_TYPES and p.assigned_to_type == side]
        expected = last[-1].assigned_to_id if last else None
        assert got == (None if expected in (None, "", "0") else expected)
    admins = [source.author_id] if source.author_type == "admin" else []
    admins += [p.author_id for p in parts if p.author_type == "admin"]
    assert derived.teammate_ids == tuple(dict.fromkeys(admins))
    contacts = [
        p.created_at for p in parts if p.part_type in REPLY_TYPES and is_contact(p.author_type)
    ]
    if is_contact(source.author_type):
        contacts.insert(0, source.created_at)
    assert derived.first_contact_reply_at == (contacts[0] if contacts else None)
    assert derived.last_part_at == max([source.created_at] + [p.created_at for p in parts])


@PROPERTY
@given(timeline=timelines())
def test_property_deterministic(timeline: tuple[Source, list[Part]]) -> None:
    """Replaying the same timeline twice, as a list or a tuple, gives the same state."""
    source, parts = timeline
    snapshot = list(parts)
    first = derive_state(source, parts)
    assert derive_state(source, parts) == first
    assert derive_state(source, tuple(parts)) == first
    assert parts == snapshot


@PROPERTY
@given(timeline=timelines(), gap=st.integers(0, 1_000))
def test_property_notes_are_inert(timeline: tuple[Source, list[Part]], gap: int) -> None:
    """Appending an admin note changes nothing but teammates and `last_part_at`."""
    source, parts = timeline
    before = derive_state(source, parts)
    at = before.last_part_at + gap
    after = derive_state(source, [*parts, Part(NOTE, "admin", "2", at)])
    teammates = before.teammate_ids + (() if "2" in before.teammate_ids else ("2",))
    assert after == replace(before, teammate_ids=teammates, last_part_at=at)


@PROPERTY
@given(timeline=timelines())
def test_property_replay_steps_through_every_prefix(timeline: tuple[Source, list[Part]]) -> None:
    """`Replay` part by part: after each part, the state `derive_state` gives that prefix;
    at the end, everything it gives the whole (the demo generator relies on both)."""
    source, parts = timeline
    replay = Replay(source)
    for n, part in enumerate(parts, start=1):
        after = replay.step(
            part.part_type, part.author_type, part.author_id, part.created_at,
            part.assigned_to_type, part.assigned_to_id, part.snoozed_until,
        )  # fmt: skip
        assert after == derive_state(source, parts[:n]).state
    assert replay.result() == derive_state(source, parts)
