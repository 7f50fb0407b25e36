"""One conversation's plot: the events a plausible conversation goes through, untimed.

A `Story` plays a conversation forward event by event (replies, notes, assignments,
snoozes, closes), deciding each from where the conversation stands by the rules every
write follows (`conversations.state.Replay`). The generator gives the events their times
and makes them rows (`generator`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Protocol

from parlour.conversations.state import Replay
from parlour.conversations.timeline import (
    ASSIGNMENT,
    CLOSE,
    COMMENT,
    NOTE,
    OPEN,
    QUICK_REPLY,
    SNOOZED,
    TIMER_UNSNOOZE,
    Source,
)
from parlour.demo.corpus import (
    ADMIN_ANY,
    CONTACT_ANY,
    NOTE_ANY,
    QUICK_REPLIES,
    SCREENSHOT_JSON,
    SNOOZE_SECONDS,
    Topic,
)
from parlour.demo.people import Cast, ContactRef, TeamRef


class Plot(Protocol):
    """What a story draws on: the random stream, the cast, and their habits."""

    rng: random.Random
    cast: Cast

    def pick_admin(self) -> int:
        """A teammate, weighted by how busy they are."""

    def gap(self, mu: float, sigma: float) -> int:
        """Seconds until the next event."""


@dataclass(slots=True)
class Event:
    """One part before it has a time: `gap` seconds after the previous event."""

    kind: str
    author_type: str
    author_id: str
    gap: int
    body: str | None = None
    assigned_to_type: str | None = None
    assigned_to_id: str | None = None
    snooze_for: int = 0
    attachments: str | None = None  # encoded JSON


class Story:
    """Plays one conversation forward, event by event, keeping just enough state to be plausible."""

    def __init__(
        self,
        gen: Plot,
        topic: Topic,
        values: dict[str, Any],
        contacts: list[ContactRef],
        source: Source,
    ) -> None:
        self.gen = gen
        self.rng = gen.rng
        self.topic = topic
        self.values = values
        self.contacts = contacts
        self.events: list[Event] = []
        # Where the conversation stands, by the rules every write follows (`state.Replay`):
        # the story replays its events as it adds them (their times come later).
        self._replay = Replay(source)
        self.admin: int | None = None
        self.team: TeamRef | None = None
        self.helper = gen.pick_admin()

    @property
    def state(self) -> str:
        """The conversation's state after the events so far."""
        return self._replay.state

    @property
    def waiting(self) -> bool:
        """Whether a contact is waiting for a teammate's reply."""
        return self._replay.waiting is not None

    # Copy and authors.

    def _text(self, own: tuple[str, ...], generic: tuple[str, ...]) -> str:
        pool = own if own and self.rng.random() < 0.6 else generic
        text = self.rng.choice(pool)
        return text.format(**self.values) if "{" in text else text

    def _contact(self) -> ContactRef:
        if len(self.contacts) > 1 and self.rng.random() < 0.25:
            return self.contacts[1]
        return self.contacts[0]

    def _replier(self) -> int:
        # Whoever is assigned answers; now and then a colleague jumps in.
        if self.rng.random() < 0.1:
            return self.gen.pick_admin()
        return self.admin if self.admin is not None else self.helper

    def _add(self, event: Event) -> None:
        self.events.append(event)
        self._replay.step(
            event.kind, event.author_type, event.author_id, 0, event.assigned_to_type,
            event.assigned_to_id,
        )  # fmt: skip

    # Events.

    def contact_reply(self, gap: int) -> None:
        """The contact writes (re-opening a closed or snoozed conversation)."""
        who = self._contact()
        if self.rng.random() < 0.03:
            self._add(Event(QUICK_REPLY, who.role, who.id, gap, self.rng.choice(QUICK_REPLIES)))
            return
        follow_up = self.events or self.rng.random() < 0.5
        body = self._text(self.topic.follow_ups if follow_up else self.topic.openers, CONTACT_ANY)
        attachments = SCREENSHOT_JSON if self.rng.random() < 0.04 else None
        self._add(Event(COMMENT, who.role, who.id, gap, body, attachments=attachments))

    def admin_reply(self, gap: int) -> None:
        """A teammate answers."""
        body = self._text(self.topic.replies, ADMIN_ANY)
        self._add(Event(COMMENT, "admin", str(self._replier()), gap, body))

    def note(self, gap: int) -> None:
        """A teammate leaves an internal note."""
        body = self._text(self.topic.notes, NOTE_ANY)
        self._add(Event(NOTE, "admin", str(self._replier()), gap, body))

    def assign_admin(self, gap: int, *, by_bot: bool = False) -> None:
        """Assign to a team member (or anyone), by a teammate or the routing bot."""
        members = self.team.member_ids if self.team is not None else ()
        target = self.rng.choice(members) if members else self.gen.pick_admin()
        author = ("bot", str(self.gen.cast.bot_id)) if by_bot else ("admin", str(target))
        if not by_bot and self.admin is not None and self.rng.random() < 0.5:
            author = ("admin", str(self.admin))  # handed over by the current assignee
        self.admin = target
        self._add(Event(ASSIGNMENT, *author, gap, None, "admin", str(target)))

    def assign_team(self, gap: int) -> None:
        """The routing bot assigns a team."""
        self.team = self.rng.choice(self.gen.cast.teams)
        bot = str(self.gen.cast.bot_id)
        self._add(Event(ASSIGNMENT, "bot", bot, gap, None, "team", str(self.team.id)))

    def unassign(self, gap: int) -> None:
        """The assignee puts the conversation back in the unassigned queue."""
        author = str(self.admin if self.admin is not None else self.helper)
        self.admin = None
        self._add(Event(ASSIGNMENT, "admin", author, gap, None, "admin", "0"))

    def close(self, gap: int) -> None:
        """A teammate closes the conversation."""
        self._add(Event(CLOSE, "admin", str(self._replier()), gap))

    def reopen(self, gap: int) -> None:
        """A teammate re-opens a closed conversation."""
        self._add(Event(OPEN, "admin", str(self._replier()), gap))

    def snooze(self, gap: int) -> None:
        """A teammate snoozes the conversation for a while."""
        event = Event(SNOOZED, "admin", str(self._replier()), gap)
        event.snooze_for = self.rng.choice(SNOOZE_SECONDS)
        self._add(event)

    def wake(self) -> None:
        """The snooze timer fires."""
        snooze = self.events[-1]
        gap = snooze.snooze_for if snooze.kind == SNOOZED else 60
        self._add(Event(TIMER_UNSNOOZE, "bot", str(self.gen.cast.bot_id), gap))

    # Flow.

    def routing(self) -> None:
        """How the conversation reaches someone: via a team, straight to an admin, or not."""
        roll = self.rng.random()
        if roll < 0.55 and self.gen.cast.teams:
            self.assign_team(self.rng.randint(1, 30))
            if self.rng.random() < 0.7:
                self.assign_admin(self.gen.gap(7.0, 1.0))
        elif roll < 0.8:
            self.assign_admin(self.rng.randint(1, 30), by_bot=True)

    def step(self) -> None:
        """One plausible next event given where the conversation stands."""
        r = self.rng.random()
        gen = self.gen
        if self.state == "snoozed":
            snooze_for = self.events[-1].snooze_for if self.events[-1].kind == SNOOZED else 0
            if r < 0.6 or snooze_for == 0:
                self.wake()
            else:
                self.contact_reply(int(snooze_for * self.rng.uniform(0.05, 0.9)))
        elif self.state == "closed":
            if r < 0.75:
                self.contact_reply(gen.gap(10.5, 1.2))
            else:
                self.reopen(gen.gap(9.0, 1.2))
        elif self.waiting:
            if r < 0.7:
                self.admin_reply(gen.gap(7.5, 1.2))
            elif r < 0.8:
                self.note(gen.gap(6.0, 1.0))
            elif r < 0.87 and self.admin is not None and self.rng.random() < 0.2:
                self.unassign(gen.gap(6.0, 1.0))
            elif r < 0.87:
                self.assign_admin(gen.gap(6.5, 1.0))
            elif r < 0.91:
                self.snooze(gen.gap(6.5, 1.0))
            else:
                self.contact_reply(gen.gap(5.0, 1.0))
        elif r < 0.5:
            self.contact_reply(gen.gap(8.5, 1.5))
        elif r < 0.78:
            self.close(gen.gap(7.0, 1.5))
        elif r < 0.86:
            self.snooze(gen.gap(6.0, 1.0))
        elif r < 0.94:
            self.note(gen.gap(6.0, 1.0))
        else:
            self.admin_reply(gen.gap(8.0, 1.0))

    def finish(self, outcome: str) -> None:
        """Steer the last events to the outcome: waiting, replied, closed or snoozed."""
        gen = self.gen
        if outcome == "waiting":
            if self.state != "open" or not self.waiting:
                self.contact_reply(gen.gap(8.5, 1.5))
        elif outcome == "replied":
            if self.state == "closed":
                self.contact_reply(gen.gap(10.0, 1.2))
            elif self.state == "snoozed":
                self.wake()
            if self.waiting or not self.events:
                self.admin_reply(gen.gap(7.5, 1.2))
        elif outcome == "closed":
            if self.state != "closed":
                if self.waiting and self.rng.random() < 0.85:
                    self.admin_reply(gen.gap(7.5, 1.2))
                self.close(gen.gap(7.0, 1.5))
        elif self.state != "snoozed":
            if self.state == "closed":
                self.contact_reply(gen.gap(10.0, 1.2))
            if self.waiting and self.rng.random() < 0.7:
                self.admin_reply(gen.gap(7.5, 1.2))
            self.snooze(gen.gap(6.0, 1.0))
