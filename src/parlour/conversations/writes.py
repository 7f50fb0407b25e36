"""The conversation write model: the one way a conversation and its timeline change.

A command locks its conversation (`lock`): the row as a frozen `ConversationRecord`, with
its stored list entry. It then changes it only through this module:

- `append_part`: one part at the end of the timeline, every derived column re-derived
  from the whole timeline (`derived.derived_columns`);
- `change`: the conversation's own fields (read, title, custom attributes, rating,
  source), typed by name (`db.models.ConversationColumns`); `apply_sla` re-derives too;
- `relinked`: its contacts or tags changed (its entry is then rendered from its rows);
- `insert` and `delete`: a conversation starts or goes.

Each writes the row with one statement (`write_repository.update_row`), moves
`updated_at`, bumps the workspace's data version (so cached counts never go stale) and
records the change on the unit of work. `announce` records what happened (a webhook
topic). The commit then renders the conversation once (`entries`): that rendering is the
stored list entry, the webhook payload and the write's answer. Nothing else is needed of
a command: no session state to remember, no entry to clear, no second render.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple, Unpack

from parlour.conversations import write_repository as repo
from parlour.conversations.derived import AppliedSla, derived_columns
from parlour.conversations.sla import CANCELLED, SlaTargets
from parlour.conversations.timeline import Part, Source
from parlour.core.ids import parse_numeric_id
from parlour.core.office_hours import OfficeHours
from parlour.core.text import fold, indexed_words
from parlour.db.models import ConversationColumns, ConversationRecord, PartRecord, SlaPolicy
from parlour.db.unit_of_work import Announcement, UnitOfWork
from parlour.errors import ApiError, NotFound, ParameterInvalid
from parlour.sla_rules import repository as sla_repo
from parlour.webhooks import topics
from parlour.workspaces import repository as workspace_repo


class Writer(NamedTuple):
    """A command's first argument: its unit of work, the caller's workspace, and when."""

    work: UnitOfWork
    workspace_id: int
    now: int


SOURCE_ID_OFFSET = 400_000_000
"""Intercom ids for sources live in a range of their own (see `demo.generator`)."""

CLOCK_SKEW = 300
"""How far (seconds) a client-supplied created_at may run ahead of our clock."""


def lock(
    work: UnitOfWork, workspace_id: int, raw_id: str, missing: ApiError | None = None
) -> ConversationRecord:
    """The client's conversation, row-locked for this transaction; else `missing` (404)."""
    numeric = parse_numeric_id(raw_id)
    row = lock_id(work, workspace_id, numeric) if numeric is not None else None
    if row is None:
        raise missing or NotFound()
    return row


def lock_id(work: UnitOfWork, workspace_id: int, conversation_id: int) -> ConversationRecord | None:
    """A conversation by id, row-locked for this transaction (None if it is not there)."""
    return repo.lock_row(work.session, workspace_id, conversation_id)


@dataclass(frozen=True, slots=True)
class NewPart:
    """A part to append: who did what, and when if the client says (`at`).

    A `trusted_at` time comes from Parlour itself (a timer's due time): it is kept in order
    instead of being refused.
    """

    part_type: str
    author_type: str
    author_id: str
    body: str | None = None
    assigned_to_type: str | None = None
    assigned_to_id: str | None = None
    snoozed_until: int | None = None
    attachments: tuple[dict[str, Any], ...] = ()
    at: int | None = None
    trusted_at: bool = False


def append_part(
    work: UnitOfWork, row: ConversationRecord, now: int, new: NewPart
) -> tuple[PartRecord, ConversationRecord]:
    """Add one part at the end of the timeline and re-derive the conversation.

    Returns the stored part and the conversation after the change; announces the topic
    the part raises (`webhooks.topics.topic_for_part`), if any.
    """
    session = work.session
    timeline = repo.timeline(session, row.workspace_id, row.id)
    when = _at(new, now, timeline[-1].created_at if timeline else row.created_at)
    position = len(timeline)
    timeline.append(
        Part(
            part_type=new.part_type,
            author_type=new.author_type,
            author_id=new.author_id,
            created_at=when,
            assigned_to_type=new.assigned_to_type,
            assigned_to_id=new.assigned_to_id,
            snoozed_until=new.snoozed_until,
        )
    )
    derived, columns = derived_columns(source_of(row), timeline, now, applied_sla(work, row))
    part = repo.insert_part(
        session,
        {
            "workspace_id": row.workspace_id,
            "conversation_id": row.id,
            "position": position,
            "part_type": new.part_type,
            "body": new.body,
            "created_at": when,
            "updated_at": when,
            "notified_at": when,
            "author_type": new.author_type,
            "author_id": new.author_id,
            "assigned_to_type": new.assigned_to_type,
            "assigned_to_id": new.assigned_to_id,
            "snoozed_until": new.snoozed_until,
            "state": derived.state,
            "attachments": list(new.attachments),
            "external_id": None,
            "redacted": False,
        },
    )
    after = _write(work, row, **columns, updated_at=max(row.updated_at, when))
    topic = topics.topic_for_part(new.part_type, new.author_type)
    if topic is not None:
        announce(work, after, topic, part)
    return part, after


def _at(new: NewPart, now: int, last_at: int) -> int:
    """When a new part happens: now, or a client's created_at that keeps the timeline ordered."""
    if new.at is None:
        return max(now, last_at)
    if new.trusted_at:
        return max(new.at, last_at)
    if new.at > now + CLOCK_SKEW:
        raise ParameterInvalid("created_at must not be in the future", field="created_at")
    if new.at < last_at:
        raise ParameterInvalid(
            "created_at must not be before the conversation's latest part", field="created_at"
        )
    return new.at


def change(
    work: UnitOfWork,
    row: ConversationRecord,
    now: int,
    *,
    touch: bool = True,
    **changes: Unpack[ConversationColumns],
) -> ConversationRecord:
    """Write the conversation's own fields; `updated_at` moves unless `touch` is False.

    Typed by name (`ConversationColumns`): `change(work, row, now, read=True)`. A new
    subject or body refolds the search columns with it.
    """
    if "source_subject" in changes:
        changes["search_subject"] = fold(changes["source_subject"] or "")
    if "source_body" in changes:
        changes["search_body"] = indexed_words(changes["source_body"] or "")
    if touch:
        changes["updated_at"] = max(row.updated_at, now)
    return _write(work, row, **changes)


def apply_sla(
    work: UnitOfWork, row: ConversationRecord, now: int, rule_id: int, targets: SlaTargets
) -> ConversationRecord:
    """Apply an SLA rule from `now` on, replacing any: its status is evaluated at once."""
    timeline = repo.timeline(work.session, row.workspace_id, row.id)
    _, derived = derived_columns(source_of(row), timeline, now, AppliedSla(targets, now))
    return change(work, row, now, sla_policy_id=rule_id, sla_applied_at=now, **derived)


def relinked(work: UnitOfWork, row: ConversationRecord, now: int) -> ConversationRecord:
    """The conversation's contacts or tags changed: `updated_at` moves, the entry is
    rendered from its rows at commit."""
    after = change(work, row, now)
    work.render_whole(row.id)
    return after


def insert(
    work: UnitOfWork, now: int, sla: AppliedSla | None, **values: Unpack[ConversationColumns]
) -> ConversationRecord:
    """A new conversation with no parts yet (its links are the caller's), derived columns
    and all: its source id is known once its id is."""
    session = work.session
    values.setdefault("state", "open")  # placeholders until the derivation below
    values.setdefault("open", True)
    values.setdefault("teammate_ids", [])
    values.setdefault("statistics", {})
    values.setdefault("part_count", 0)
    values["search_subject"] = fold(values.get("source_subject") or "")
    values["search_body"] = indexed_words(values.get("source_body") or "")
    row = repo.insert_conversation(session, values)
    _, derived = derived_columns(source_of(row), [], now, sla)
    after = repo.update_row(
        session, row, **derived, source_id=str(SOURCE_ID_OFFSET + row.id)
    )
    workspace_repo.bump_data_version(session, row.workspace_id, population=True)
    work.wrote(row, after, set(after._fields))
    work.render_whole(row.id)
    return after


def delete(work: UnitOfWork, row: ConversationRecord) -> None:
    """Delete the conversation with its parts and links (announce first, if at all)."""
    session = work.session
    repo.delete_conversation(session, row.workspace_id, row.id)
    workspace_repo.bump_data_version(session, row.workspace_id, population=True)
    work.conversations.pop(row.id, None)
    work.rerender.discard(row.id)


def announce(
    work: UnitOfWork, row: ConversationRecord, topic: str, part: PartRecord | None = None
) -> None:
    """Tell the commit what happened (`topic`): it writes the webhook deliveries."""
    work.announce(Announcement(topic, row.workspace_id, row.id, part))


def _write(
    work: UnitOfWork, row: ConversationRecord, **values: Unpack[ConversationColumns]
) -> ConversationRecord:
    session = work.session
    after = repo.update_row(session, row, **values)
    workspace_repo.bump_data_version(session, row.workspace_id)
    work.wrote(row, after, set(values))
    return after


def applied_sla(work: UnitOfWork, row: ConversationRecord) -> AppliedSla | None:
    """The SLA rule in force on `row`, unless none is, or it was removed (cancelled)."""
    if row.sla_policy_id is None or row.sla_applied_at is None or row.sla_status == CANCELLED:
        return None
    rule = sla_repo.get(work.session, row.workspace_id, row.sla_policy_id)
    return AppliedSla(sla_targets(rule), row.sla_applied_at) if rule is not None else None


def sla_targets(rule: SlaPolicy) -> SlaTargets:
    """The pure-rules view of a stored SLA rule."""
    return SlaTargets(
        first_reply_seconds=rule.first_reply_seconds,
        next_reply_seconds=rule.next_reply_seconds,
        time_to_close_seconds=rule.time_to_close_seconds,
        office_hours=(
            OfficeHours.from_json(rule.office_hours) if rule.office_hours is not None else None
        ),
    )


def source_of(row: ConversationRecord) -> Source:
    """The pure-rules view of a conversation's opening message."""
    return Source(
        author_type=row.source_author_type,
        author_id=row.source_author_id,
        created_at=row.created_at,
        delivered_as=row.source_delivered_as,
    )
