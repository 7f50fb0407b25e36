"""Deterministic generation of a support workspace's conversations and their timelines.

Everything here is pure: a `random.Random` and `now` in, rows out. Conversations, parts
and their links, a million times more than the people (`people`), are tuples in the order
of `CONVERSATION_COLUMNS` / `PART_COLUMNS` / ... with JSON columns already encoded, ready
for a driver's executemany (`as_dicts` names them). A conversation's events come from its
`story.Story`; each part's state and every derived column come from the rules every write
follows (`state.Replay`, `derived.derived_columns`), so seeded data can never disagree
with data written through the API.
"""

from __future__ import annotations

import copy
import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from typing import cast as cast_type

import orjson

from parlour.conversations.derived import derived_columns
from parlour.conversations.state import Replay
from parlour.conversations.timeline import (
    COMMENT,
    SNOOZED,
    TIMER_UNSNOOZE,
    Part,
    Source,
)
from parlour.conversations.writes import SOURCE_ID_OFFSET
from parlour.core.text import fold, html_to_text, indexed_words, words
from parlour.demo.corpus import (
    CUSTOM_ATTRIBUTES_JSON,
    DAY,
    OUTBOUND,
    PLANS,
    REMARKS,
    SNOOZE_SECONDS,
    TOPICS,
    Topic,
)
from parlour.demo.people import HISTORY_DAYS, Cast, Row
from parlour.demo.story import Event, Story

Record = tuple[Any, ...]
"""A generated conversation, part or link row, in its table's column order."""

# Column order of the generated tuples. `conversation.summary` is not here: list entries
# are rendered from these rows afterwards (`demo.entries`).
CONVERSATION_COLUMNS = (
    "id", "workspace_id", "created_at", "updated_at", "title", "read", "priority",
    "company_id", "custom_attributes", "source_id", "source_type", "source_delivered_as",
    "source_subject", "source_body", "source_author_type", "source_author_id", "source_url",
    "source_attachments", "source_redacted", "search_subject", "search_body",
    "sla_policy_id", "sla_applied_at", "sla_status", "sla_deadline", "rating",
    "rating_remark", "rating_created_at", "rating_updated_at", "rating_contact_id",
    "rating_teammate_id", "state", "open", "waiting_since", "snoozed_until",
    "admin_assignee_id", "team_assignee_id", "teammate_ids", "first_contact_reply_at",
    "statistics", "part_count",
)  # fmt: skip


class PartRow(NamedTuple):
    """A generated `conversation_part` row. It has every attribute of `timeline.Part`, so
    `derive_state` and `compute_statistics` read the rows themselves (no second object)."""

    id: int
    workspace_id: int
    conversation_id: int
    position: int
    part_type: str
    body: str | None
    created_at: int
    updated_at: int
    notified_at: int
    author_type: str
    author_id: str
    assigned_to_type: str | None
    assigned_to_id: str | None
    snoozed_until: int | None
    state: str
    attachments: str  # encoded JSON
    external_id: str | None
    redacted: bool


PART_COLUMNS = PartRow._fields
CONVERSATION_CONTACT_COLUMNS = ("conversation_id", "contact_id", "workspace_id", "added_at")
CONVERSATION_TAG_COLUMNS = (
    "conversation_id", "tag_id", "workspace_id", "applied_at", "applied_by_id",
)  # fmt: skip
# Encoded once: JSON columns travel to the driver as text.
_EMPTY_LIST_JSON = "[]"
_EMPTY_OBJECT_JSON = "{}"


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


@dataclass(slots=True)
class ConversationRows:
    """Rows of generated conversations, per table, as tuples in each table's column order."""

    conversations: list[Record] = field(default_factory=list)
    parts: list[Record] = field(default_factory=list)
    contacts: list[Record] = field(default_factory=list)
    tags: list[Record] = field(default_factory=list)


def as_dicts(columns: Sequence[str], rows: Iterable[Record]) -> list[Row]:
    """Tuples as dicts keyed by column name (for reading them, not for loading)."""
    return [dict(zip(columns, row, strict=True)) for row in rows]


# Opening bodies repeat: parsing their HTML was a tenth of generating a conversation.
_WORDS: dict[str, str] = {}  # formatted body (no conversation number) -> indexed words
_TEXTS: dict[str, str] = {}  # template -> its visible text, placeholders left in


def search_body(template: str, values: dict[str, Any]) -> str:
    """`indexed_words(template.format(**values))`, parsing each template's HTML once.

    When every value is a word (a number, a plan, a first name), HTML parsing leaves it as
    it is, so formatting the template's text gives the formatted template's text.
    """
    if "{n}" not in template:  # few distinct bodies: cache them whole
        body = template.format(**values)
        found = _WORDS.get(body)
        if found is None:
            found = _WORDS[body] = indexed_words(body)
        return found
    if not all(str(v).isalnum() for v in values.values()):
        return indexed_words(template.format(**values))
    text = _TEXTS.get(template)
    if text is None:
        text = _TEXTS[template] = html_to_text(template)
    unique = dict.fromkeys(words(fold(text.format(**values))))
    return f" {' '.join(unique)} " if unique else ""


class ConversationGenerator:
    """Generates conversations batch after batch from one `random.Random` stream.

    The stream is consumed conversation by conversation, so the output for a seed does not
    depend on how the caller splits it into batches.
    """

    def __init__(
        self,
        rng: random.Random,
        workspace_id: int,
        now: int,
        cast: Cast,
        *,
        mean_parts: int = 10,
        history_days: int = HISTORY_DAYS,
    ) -> None:
        if not cast.admin_ids or not cast.contacts:
            raise ValueError("conversations need at least one admin and one contact")
        self.rng = rng
        self.workspace_id = workspace_id
        self.now = now
        self.cast = cast
        self.mean_parts = mean_parts
        self.history = history_days * DAY
        # Some teammates carry more of the queue than others, as in any real inbox.
        weights = [rng.choice((1, 2, 3, 5)) for _ in cast.admin_ids]
        self._admin_pool = [
            a for a, w in zip(cast.admin_ids, weights, strict=True) for _ in range(w)
        ]
        self._tag_ids = {name: tag_id for tag_id, name in cast.tags}

    def with_stream(self, rng: random.Random) -> ConversationGenerator:
        """The same workspace and busy teammates, drawing conversations from another stream."""
        clone = copy.copy(self)
        clone.rng = rng
        return clone

    def pick_admin(self) -> int:
        """A teammate, weighted by how busy they are."""
        return self.rng.choice(self._admin_pool)

    def gap(self, mu: float, sigma: float) -> int:
        """Seconds until the next event: log-normal, as human response times are."""
        return max(1, int(math.exp(self.rng.gauss(mu, sigma))))

    def _outcome(self, age: int) -> str:
        r = self.rng.random()
        if age < 3 * DAY:
            table = (("waiting", 0.45), ("replied", 0.2), ("snoozed", 0.1))
        else:
            table = (("waiting", 0.15), ("replied", 0.1), ("snoozed", 0.08))
        for outcome, share in table:
            if r < share:
                return outcome
            r -= share
        return "closed"

    def batch(
        self, count: int, *, first_conversation_id: int, first_part_id: int
    ) -> ConversationRows:
        """`count` conversations with consecutive ids, their parts, contact and tag links."""
        out = ConversationRows()
        part_id = first_part_id
        for i in range(count):
            part_id = self._conversation(out, first_conversation_id + i, part_id)
        return out

    def _conversation(self, out: ConversationRows, conversation_id: int, part_id: int) -> int:
        rng = self.rng
        cast = self.cast
        now = self.now
        # Skewed towards recent days, like an inbox that grows.
        age = 60 + int(self.history * rng.random() ** 1.5)
        created = now - age
        contacts = [rng.choice(cast.contacts)]
        if len(cast.contacts) > 1 and rng.random() < 0.1:
            second = rng.choice(cast.contacts)
            if second.id != contacts[0].id:
                contacts.append(second)
        primary = contacts[0]
        topic = rng.choice(TOPICS)
        values = {
            "n": rng.randint(1_000, 99_999),
            "plan": rng.choice(PLANS),
            "first": primary.first_name or "there",
        }
        admin_initiated = rng.random() < 0.1
        target = round(rng.gammavariate(2.0, self.mean_parts / 2.0))
        # A conversation a few minutes old cannot have a long history yet.
        target = min(target, 2 + age // 1_800, 8 * self.mean_parts)

        if admin_initiated:
            sender = self.pick_admin()
            subject, body = rng.choice(OUTBOUND)
            source_type, delivered = "email", "admin_initiated"
            author_type, author_id = "admin", str(sender)
            source_url = None
            story = Story(
                self, topic, values, contacts, Source(author_type, author_id, 0, delivered)
            )
            story.helper = sender
            answered = rng.random() < 0.55 and target > 0
            if answered:
                story.contact_reply(self.gap(9.5, 1.5))
                outcome = self._outcome(age)
            else:
                outcome = "untouched"
        else:
            subject = topic.subject if rng.random() < 0.3 else ""
            body = rng.choice(topic.openers)
            source_type = "email" if subject and rng.random() < 0.5 else "conversation"
            delivered = "customer_initiated"
            author_type, author_id = primary.role, primary.id
            source_url = topic.url.format(**values) if source_type == "conversation" else None
            story = Story(
                self, topic, values, contacts, Source(author_type, author_id, 0, delivered)
            )
            outcome = self._outcome(age)
            if target > 0:
                story.routing()
        if outcome != "untouched":
            while len(story.events) < target - 1:
                story.step()
            story.finish(outcome)

        # Absolute times: squeeze the timeline into the conversation's age if it overruns.
        events = story.events
        total = sum(e.gap for e in events)
        span = min(total, age)
        times: list[int] = []
        elapsed = 0
        for event in events:
            elapsed += event.gap
            times.append(created + (elapsed * span // total if total else 0))
        snooze_wakes: dict[int, int] = {}
        for index, event in enumerate(events):
            if event.kind != SNOOZED:
                continue
            if index + 1 < len(events) and events[index + 1].kind == TIMER_UNSNOOZE:
                snooze_wakes[index] = times[index + 1]
            else:
                snooze_wakes[index] = times[index] + event.snooze_for
        if events and events[-1].kind == SNOOZED:
            last = len(events) - 1
            if snooze_wakes[last] <= now:
                # A snooze never outlives its timer: either it was long enough to still
                # be running (a recent one), or the timer woke the conversation.
                if age < 7 * DAY and rng.random() < 0.6:
                    snooze_wakes[last] = now + rng.choice(SNOOZE_SECONDS)
                else:
                    events.append(Event(TIMER_UNSNOOZE, "bot", str(cast.bot_id), 0))
                    times.append(snooze_wakes[last])

        source = Source(
            author_type=author_type, author_id=author_id, created_at=created, delivered_as=delivered
        )
        workspace_id = self.workspace_id
        parts: list[PartRow] = []
        add_part = parts.append
        # Each part's `state` is the conversation's after it: the rules' replay, stepped as
        # the parts are made, gives it, and then everything derived.
        replay = Replay(source)
        step = replay.step
        for position, event in enumerate(events):
            at = times[position]
            kind = event.kind
            who, by = event.author_type, event.author_id
            to_type, to_id = event.assigned_to_type, event.assigned_to_id
            snoozed = snooze_wakes.get(position) if kind == SNOOZED else None
            add_part(
                PartRow(
                    part_id, workspace_id, conversation_id, position, kind, event.body,
                    at, at, at, who, by, to_type, to_id, snoozed,
                    step(kind, who, by, at, to_type, to_id, snoozed),
                    event.attachments or _EMPTY_LIST_JSON, None, False,
                )
            )  # fmt: skip
            part_id += 1
        out.parts += parts

        timeline = cast_type(Sequence[Part], parts)  # see PartRow
        derived, columns = derived_columns(source, timeline, now, derived=replay.result())
        closed = derived.state == "closed"

        rating: Record = (None, None, None, None, None, None)
        last_admin_reply = next(
            (p for p in reversed(parts) if p.part_type == COMMENT and p.author_type == "admin"),
            None,
        )
        if closed and last_admin_reply is not None and rng.random() < 0.3:
            rated_at = min(now, derived.last_part_at + self.gap(7.0, 1.5))
            rating = (
                rng.choice((1, 2, 3, 4, 4, 5, 5, 5, 5, 5)),
                rng.choice(REMARKS) if rng.random() < 0.4 else None,
                rated_at,
                rated_at,
                primary.id,
                int(last_admin_reply.author_id),
            )

        source_subject, source_body = subject.format(**values), body.format(**values)
        # Drawn in this order: title, read, priority, custom attributes.
        title = (subject or topic.subject).format(**values) if rng.random() < 0.2 else None
        # Closed ones were mostly read by someone; fresh waiting ones mostly not.
        read = rng.random() < (0.9 if closed else 0.3)
        priority = "priority" if rng.random() < 0.08 else "not_priority"
        custom = (
            rng.choice(CUSTOM_ATTRIBUTES_JSON) if rng.random() < 0.3 else _EMPTY_OBJECT_JSON
        )
        # In CONVERSATION_COLUMNS order.
        out.conversations.append(
            (
                conversation_id, workspace_id, created, derived.last_part_at, title, read,
                priority, None, custom, str(SOURCE_ID_OFFSET + conversation_id), source_type,
                delivered, source_subject, source_body, author_type, author_id, source_url,
                _EMPTY_LIST_JSON, False, fold(source_subject),
                search_body(body, values),
                None, None, None, None, *rating,
                columns["state"], columns["open"], columns["waiting_since"],
                columns["snoozed_until"], columns["admin_assignee_id"],
                columns["team_assignee_id"], _json(columns["teammate_ids"]),
                columns["first_contact_reply_at"], _json(columns["statistics"]),
                columns["part_count"],
            )
        )  # fmt: skip

        for contact in contacts:
            out.contacts.append((conversation_id, contact.id, workspace_id, created))
        self._tag(out, conversation_id, topic, created, parts)
        return part_id

    def _tag(
        self,
        out: ConversationRows,
        conversation_id: int,
        topic: Topic,
        created: int,
        parts: list[PartRow],
    ) -> None:
        rng = self.rng
        if not self.cast.tags:
            return
        roll = rng.random()
        if roll < 0.4:
            return
        how_many = 1 if roll < 0.8 else 2 if roll < 0.95 else 3
        chosen: list[int] = []
        for name in topic.tags:
            if name in self._tag_ids and len(chosen) < how_many and rng.random() < 0.7:
                chosen.append(self._tag_ids[name])
        while len(chosen) < min(how_many, len(self.cast.tags)):
            tag_id = rng.choice(self.cast.tags)[0]
            if tag_id not in chosen:
                chosen.append(tag_id)
        by_admins = [p for p in parts if p.author_type == "admin"]
        for tag_id in chosen:
            if by_admins:
                moment = rng.choice(by_admins)
                applied_at, applied_by = moment.created_at, int(moment.author_id)
            else:
                applied_at, applied_by = created, self.pick_admin()
            out.tags.append((conversation_id, tag_id, self.workspace_id, applied_at, applied_by))


def generate_conversations(
    rng: random.Random,
    workspace_id: int,
    now: int,
    cast: Cast,
    count: int,
    *,
    first_conversation_id: int = 1,
    first_part_id: int = 1,
    mean_parts: int = 10,
) -> ConversationRows:
    """`count` conversations with realistic timelines and derived columns, as table rows."""
    generator = ConversationGenerator(rng, workspace_id, now, cast, mean_parts=mean_parts)
    return generator.batch(
        count, first_conversation_id=first_conversation_id, first_part_id=first_part_id
    )
