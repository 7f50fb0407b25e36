"""Conversation writes: create, reply, manage, tag, participants, update, delete, redact.

Each command runs inside the request's one write transaction (the router's `WriteCall`
owns it), locks the conversation row first so writers to one conversation queue, appends
at most one part at position `part_count`, recomputes every derived column from the
whole timeline (`service.derived_values`) and bumps the workspace's data version so cached
counts are never stale. A command that raises has written nothing the caller will keep:
the transaction is rolled back.

Appending a part (reply, close, snooze, open, assign, wake) is the hot write: it runs
prepared Core statements on plain rows (`repository.lock_row`, `insert_part`,
`update_row`), not the ORM's unit of work, to keep SQLite's write lock short. The other
commands change ORM objects. Either way the stored list entry is re-rendered at commit
(`summaries`), and the answer is read after the commit (`written_detail`).
"""

from __future__ import annotations

import base64
import binascii
import html
import mimetypes
import posixpath
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeAlias, cast
from urllib.parse import urlparse

from sqlalchemy import Row
from sqlalchemy.orm import Session

from parlour.admins import repository as admins_repo
from parlour.conversations import repository
from parlour.conversations.repository import Written
from parlour.conversations.routing import Candidate, choose_assignee
from parlour.conversations.service import (
    ConversationDetail,
    apply_derived,
    derived_values,
    retrieve_conversation,
    sla_targets,
)
from parlour.conversations.sla import CANCELLED, SlaTargets
from parlour.conversations.timeline import (
    ASSIGNMENT,
    ASSIGNMENT_TYPES,
    CLOSE,
    COMMENT,
    DEFAULT_ASSIGNMENT,
    NOTE,
    OPEN,
    QUICK_REPLY,
    SNOOZED,
    TIMER_UNSNOOZE,
    Part,
)
from parlour.core.events import Announcement, announce
from parlour.core.ids import fetch_by_id, is_contact_id, parse_numeric_id
from parlour.db.models import (
    Contact,
    Conversation,
    ConversationContact,
    ConversationPart,
    ConversationTag,
    Tag,
)
from parlour.db.session import Reads
from parlour.errors import (
    AdminNotFound,
    LastCustomer,
    NotFound,
    ParameterInvalid,
    PartNotFound,
    SlaRuleNotFound,
    TagNotFound,
    UserNotFound,
)
from parlour.sla_rules import repository as sla_repo
from parlour.webhooks import topics
from parlour.workspaces import repository as workspace_repo

# A conversation as `repository.lock_row` reads it: a plain row of every column.
LockedRow: TypeAlias = Any
# A conversation as a command saw or left it: an ORM object, a locked plain row, or the
# columns a Core write left (`repository.Written`).
ConversationView: TypeAlias = Conversation | LockedRow | Written

# Intercom ids for sources live in a range of their own (see demo.generator).
SOURCE_ID_OFFSET = 400_000_000
# A client-supplied created_at may run this far ahead of our clock (skew), no further.
CLOCK_SKEW = 300


@dataclass(frozen=True, slots=True)
class ContactRef:
    """How a request names a contact: Intercom id, external id (`user_id`) or email."""

    intercom_user_id: str | None = None
    user_id: str | None = None
    email: str | None = None


@dataclass(frozen=True, slots=True)
class Attachment:
    """An attachment as given: a URL, or inline base64 data with a name and type."""

    url: str | None = None
    name: str | None = None
    content_type: str | None = None
    data: str | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    """A reply: by an admin (`admin_id`) or a contact (`contact`)."""

    message_type: str
    body: str | None
    admin_id: str | None = None
    contact: ContactRef | None = None
    created_at: int | None = None
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True, slots=True)
class Action:
    """A `POST /conversations/{id}/parts` action."""

    message_type: str
    admin_id: str
    body: str | None = None
    snoozed_until: int | None = None
    assignee_type: str | None = None
    assignee_id: str | None = None


@dataclass(frozen=True, slots=True)
class Update:
    """`PUT /conversations/{id}`: only the fields present are changed."""

    read: bool | None = None
    title: str | None = None
    title_given: bool = False
    custom_attributes: dict[str, Any] | None = None
    company_id: str | None = None
    company_given: bool = False


@dataclass(frozen=True, slots=True)
class TagChange:
    """The tag a tag endpoint applied or removed, and when and by whom it was applied."""

    tag: Tag
    applied_at: int
    applied_by_id: int | None


def html_body(text: str) -> str:
    """Intercom stores bodies as HTML: plain text becomes one escaped paragraph."""
    stripped = text.strip()
    if stripped.startswith("<") and stripped.endswith(">"):
        return text
    return "".join(f"<p>{html.escape(line)}</p>" for line in text.split("\n") if line) or ""


def _attachment_rows(attachments: tuple[Attachment, ...]) -> list[dict[str, Any]]:
    rows = []
    for item in attachments:
        if item.url is not None:
            name = posixpath.basename(urlparse(item.url).path) or "attachment"
            guessed = mimetypes.guess_type(name)[0]
            rows.append(
                {
                    "type": "upload",
                    "name": name,
                    "url": item.url,
                    "content_type": guessed or "application/octet-stream",
                    "filesize": 0,
                    "width": None,
                    "height": None,
                }
            )
            continue
        try:
            size = len(base64.b64decode(item.data or "", validate=True))
        except (binascii.Error, ValueError):
            raise ParameterInvalid(
                "attachment_files data must be base64", field="attachment_files"
            ) from None
        content_type = item.content_type or "application/octet-stream"
        rows.append(
            {
                "type": "upload",
                "name": item.name or "attachment",
                # Parlour hosts no files: inline data travels as a data: URL.
                "url": f"data:{content_type};base64,{item.data}",
                "content_type": content_type,
                "filesize": size,
                "width": None,
                "height": None,
            }
        )
    return rows


def _conversation(session: Session, workspace_id: int, raw_id: str) -> Conversation:
    row: Conversation = _lock(repository.lock, session, workspace_id, raw_id)
    return row


def _locked(session: Session, workspace_id: int, raw_id: str) -> LockedRow:
    """The conversation as a locked plain row, for the Core write path (`_append`)."""
    return _lock(repository.lock_row, session, workspace_id, raw_id)


def _lock(
    lock: Callable[[Session, int, int], Any], session: Session, workspace_id: int, raw_id: str
) -> Any:
    """`lock`'s row for a client's conversation id, or NotFound."""
    numeric = parse_numeric_id(raw_id)
    row = lock(session, workspace_id, numeric) if numeric is not None else None
    if row is None:
        raise NotFound()
    return row


def _admin_id(session: Session, workspace_id: int, raw: str) -> int:
    numeric = parse_numeric_id(raw)
    if numeric is None or not admins_repo.admin_exists(session, workspace_id, numeric):
        raise AdminNotFound(field="admin_id")
    return numeric


def _contact(session: Session, workspace_id: int, ref: ContactRef) -> Contact:
    if ref.intercom_user_id is not None and not is_contact_id(ref.intercom_user_id):
        raise UserNotFound()
    contact = repository.find_contact(
        session,
        workspace_id,
        contact_id=ref.intercom_user_id,
        external_id=ref.user_id,
        email=ref.email,
    )
    if contact is None:
        raise UserNotFound()
    return contact


def _at(given: int | None, now: int, last_at: int, *, trusted: bool = False) -> int:
    """When a new part happens: now, or a client's created_at that keeps the timeline ordered.

    A `trusted` time comes from Parlour itself (a timer's due time): it is kept in order
    instead of being refused.
    """
    if given is None:
        return max(now, last_at)
    if trusted:
        return max(given, last_at)
    if given > now + CLOCK_SKEW:
        raise ParameterInvalid("created_at must not be in the future", field="created_at")
    if given < last_at:
        raise ParameterInvalid(
            "created_at must not be before the conversation's latest part", field="created_at"
        )
    return given


def _last_at(row: ConversationView, timeline: list[Any]) -> int:
    return timeline[-1].created_at if timeline else row.created_at


def _append(
    session: Session,
    row: LockedRow | Written,
    now: int,
    *,
    part_type: str,
    author_type: str,
    author_id: str,
    at: int | None = None,
    trusted_at: bool = False,
    body: str | None = None,
    assigned_to_type: str | None = None,
    assigned_to_id: str | None = None,
    snoozed_until: int | None = None,
    attachments: list[dict[str, Any]] | None = None,
) -> tuple[Row[Any], Written]:
    """Add one part at the end of the timeline and re-derive the conversation.

    Returns the stored part and the conversation's columns after the change. `row` is
    the conversation as locked (`_locked`): plain rows and Core statements, no ORM.
    """
    timeline = repository.timeline(session, row.workspace_id, row.id)
    when = _at(at, now, _last_at(row, timeline), trusted=trusted_at)
    position = len(timeline)
    timeline.append(
        Part(
            part_type=part_type,
            author_type=author_type,
            author_id=author_id,
            created_at=when,
            assigned_to_type=assigned_to_type,
            assigned_to_id=assigned_to_id,
            snoozed_until=snoozed_until,
        )
    )
    derived, changes = derived_values(row, timeline, now, _sla_of(session, row))
    part = repository.insert_part(
        session,
        {
            "workspace_id": row.workspace_id,
            "conversation_id": row.id,
            "position": position,
            "part_type": part_type,
            "body": body,
            "created_at": when,
            "updated_at": when,
            "notified_at": when,
            "author_type": author_type,
            "author_id": author_id,
            "assigned_to_type": assigned_to_type,
            "assigned_to_id": assigned_to_id,
            "snoozed_until": snoozed_until,
            "state": derived.state,
            "attachments": attachments or [],
            "external_id": None,
            "redacted": False,
        },
    )
    changes["updated_at"] = max(row.updated_at, when)
    after = repository.update_row(session, row, changes)
    workspace_repo.bump_data_version(session, row.workspace_id)
    topic = topics.topic_for_part(part_type, author_type)
    if topic is not None:
        _announce(session, after, topic, part)
    return part, after


def _announce(session: Session, row: ConversationView, topic: str, part: Any = None) -> None:
    """Tell the transaction owner what happened (it records webhook deliveries)."""
    announce(session.info, Announcement(topic, row.workspace_id, row.id, part))


def _sla_of(session: Session, row: ConversationView) -> SlaTargets | None:
    """The targets of the SLA rule applied to `row`, unless none is or it was removed."""
    if row.sla_policy_id is None or row.sla_status == CANCELLED:
        return None
    rule = sla_repo.get(session, row.workspace_id, row.sla_policy_id)
    return sla_targets(rule) if rule is not None else None


def _changed(
    session: Session, row: Conversation, now: int, *, touch: bool = True, created: bool = False
) -> None:
    """Record a change: updated_at moves (for non-part changes) and counts are invalidated."""
    if touch:
        row.updated_at = max(row.updated_at, now)
    workspace_repo.bump_data_version(session, row.workspace_id, population=created)
    session.flush()


def create_conversation(
    session: Session,
    *,
    workspace_id: int,
    now: int,
    from_type: str,
    from_id: str,
    body: str,
    subject: str | None,
    attachments: tuple[Attachment, ...],
    created_at: int | None,
) -> Conversation:
    """A contact starts a conversation (Intercom's `POST /conversations`)."""
    if not is_contact_id(from_id):
        raise UserNotFound()
    contact = _contact(session, workspace_id, ContactRef(intercom_user_id=from_id))
    if from_type in ("user", "lead") and contact.role != from_type:
        raise UserNotFound(f"No {from_type} with id {from_id}")
    if created_at is not None and created_at > now + CLOCK_SKEW:
        raise ParameterInvalid("created_at must not be in the future", field="created_at")
    at = now if created_at is None else created_at
    row = Conversation(
        workspace_id=workspace_id,
        created_at=at,
        updated_at=at,
        title=None,
        read=False,
        priority="not_priority",
        company_id=None,
        custom_attributes={},
        source_id="0",
        source_type="conversation",
        source_delivered_as="customer_initiated",
        source_subject=subject or "",
        source_body=html_body(body),
        source_author_type=contact.role,
        source_author_id=contact.id,
        source_url=None,
        source_attachments=_attachment_rows(attachments),
        source_redacted=False,
        state="open",
        open=True,
        teammate_ids=[],
        statistics={},
        part_count=0,
    )
    rule = sla_repo.rule_for_new_conversations(session, workspace_id)
    if rule is not None:
        # Intercom applies such rules by a workflow when the conversation starts.
        row.sla_policy_id, row.sla_applied_at = rule.id, at
    session.add(row)
    session.flush()
    row.source_id = str(SOURCE_ID_OFFSET + row.id)
    apply_derived(row, [], now, sla_targets(rule) if rule is not None else None)
    session.add(
        ConversationContact(
            conversation_id=row.id, contact_id=contact.id, workspace_id=workspace_id, added_at=at
        )
    )
    contact.last_replied_at = max(contact.last_replied_at or 0, at)
    _changed(session, row, now, touch=False, created=True)
    _announce(session, row, topics.USER_CREATED)
    return row


def reply(
    session: Session, *, workspace_id: int, now: int, conversation_id: str, message: Reply
) -> Written:
    """An admin comment, note or quick reply, or a contact's comment."""
    if message.contact is not None:
        contact = _contact(session, workspace_id, message.contact)
        if conversation_id == "last":
            latest = repository.latest_conversation_of(session, workspace_id, contact.id)
            if latest is None:
                raise NotFound()
            conversation_id = str(latest)
        row = _locked(session, workspace_id, conversation_id)
        linked = {p.contact_id for p in repository.participants(session, workspace_id, row.id)}
        if contact.id not in linked:
            raise ParameterInvalid(
                "The contact is not a participant in this conversation", field="intercom_user_id"
            )
        part, after = _append(
            session,
            row,
            now,
            part_type=COMMENT,
            author_type=contact.role,
            author_id=contact.id,
            at=message.created_at,
            body=html_body(message.body or ""),
            attachments=_attachment_rows(message.attachments),
        )
        contact.last_replied_at = max(contact.last_replied_at or 0, part.created_at)
        return after

    if conversation_id == "last":
        raise ParameterInvalid(
            "last can only be used when replying as a contact", field="conversation_id"
        )
    assert message.admin_id is not None
    row = _locked(session, workspace_id, conversation_id)
    admin_id = _admin_id(session, workspace_id, message.admin_id)
    body = None if message.body is None else html_body(message.body)
    part, after = _append(
        session,
        row,
        now,
        part_type={"comment": COMMENT, "note": NOTE, "quick_reply": QUICK_REPLY}[
            message.message_type
        ],
        author_type="admin",
        author_id=str(admin_id),
        at=message.created_at,
        body=body,
        attachments=_attachment_rows(message.attachments),
    )
    if message.message_type != "note":
        repository.mark_contacted(session, workspace_id, row.id, part.created_at)
    return after


def manage(
    session: Session, *, workspace_id: int, now: int, conversation_id: str, action: Action
) -> ConversationView:
    """Close, snooze, open or assign (Intercom's `POST /conversations/{id}/parts`)."""
    row = _locked(session, workspace_id, conversation_id)
    admin = str(_admin_id(session, workspace_id, action.admin_id))
    kind = action.message_type
    body = None if action.body is None else html_body(action.body)
    by_admin: dict[str, Any] = {"author_type": "admin", "author_id": admin}
    if kind == "close":
        if row.state == "closed":
            return row
        return _append(session, row, now, part_type=CLOSE, body=body, **by_admin)[1]
    if kind == "open":
        if row.state == "open":
            return row
        return _append(session, row, now, part_type=OPEN, **by_admin)[1]
    if kind == "snoozed":
        assert action.snoozed_until is not None
        if action.snoozed_until <= now:
            raise ParameterInvalid("snoozed_until must be in the future", field="snoozed_until")
        return _append(
            session, row, now, part_type=SNOOZED, snoozed_until=action.snoozed_until, **by_admin
        )[1]
    if kind == "assignment":
        assert action.assignee_type is not None and action.assignee_id is not None
        target = _assignee(session, workspace_id, action.assignee_type, action.assignee_id)
        return _append(
            session,
            row,
            now,
            part_type=ASSIGNMENT,
            body=body,
            assigned_to_type=action.assignee_type,
            assigned_to_id=target,
            **by_admin,
        )[1]
    # The router only lets the four message types through.
    raise ParameterInvalid("message_type is not supported", field="message_type")


def _assignee(session: Session, workspace_id: int, kind: str, raw: str) -> str:
    """The id to assign to ("0" unassigns), checked against this workspace."""
    numeric = parse_numeric_id(raw) if raw != "0" else 0
    if numeric == 0:
        return "0"
    if kind == "admin":
        if numeric is None or repository.get_admin(session, workspace_id, numeric) is None:
            raise AdminNotFound(field="assignee_id")
    elif numeric is None or repository.get_team(session, workspace_id, numeric) is None:
        raise NotFound("Team not found", field="assignee_id")
    return str(numeric)


def update(
    session: Session, *, workspace_id: int, now: int, conversation_id: str, change: Update
) -> Conversation:
    """Mark read, retitle, set custom attributes or the company (`PUT`)."""
    row = _conversation(session, workspace_id, conversation_id)
    changed = False
    if change.read is not None and change.read != row.read:
        row.read = change.read
        changed = True
        if row.read:
            _announce(session, row, topics.READ)
    if change.title_given and change.title != row.title:
        row.title = change.title
        changed = True
    if change.custom_attributes:
        merged = dict(row.custom_attributes or {})
        for key, value in change.custom_attributes.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        if merged != row.custom_attributes:
            row.custom_attributes = merged
            changed = True
    if change.company_given and change.company_id != row.company_id:
        row.company_id = change.company_id
        changed = True
    if changed:
        _changed(session, row, now)
    return row


def delete(session: Session, *, workspace_id: int, now: int, conversation_id: str) -> int:
    """Delete a conversation and everything in it; returns its id."""
    row = _conversation(session, workspace_id, conversation_id)
    deleted = row.id
    _announce(session, row, topics.DELETED)
    repository.delete_conversation(session, workspace_id, deleted)
    workspace_repo.bump_data_version(session, workspace_id, population=True)
    session.flush()
    return deleted


def attach_tag(
    session: Session,
    *,
    workspace_id: int,
    now: int,
    conversation_id: str,
    tag_id: str,
    admin_id: str,
) -> TagChange:
    """Tag a conversation (applying a tag twice keeps the first application)."""
    row = _conversation_for_tags(session, workspace_id, conversation_id)
    admin = _admin_id(session, workspace_id, admin_id)
    tag = _tag(session, workspace_id, tag_id)
    link = repository.tag_link(session, workspace_id, row.id, tag.id)
    if link is None:
        link = ConversationTag(
            conversation_id=row.id,
            tag_id=tag.id,
            workspace_id=workspace_id,
            applied_at=now,
            applied_by_id=admin,
        )
        session.add(link)
        _changed(session, row, now)
        _announce(session, row, topics.PART_TAG_CREATED)
    return TagChange(tag=tag, applied_at=link.applied_at, applied_by_id=link.applied_by_id)


def detach_tag(
    session: Session,
    *,
    workspace_id: int,
    now: int,
    conversation_id: str,
    tag_id: str,
    admin_id: str,
) -> TagChange:
    """Remove a tag from a conversation."""
    row = _conversation_for_tags(session, workspace_id, conversation_id)
    _admin_id(session, workspace_id, admin_id)
    tag = _tag(session, workspace_id, tag_id)
    link = repository.tag_link(session, workspace_id, row.id, tag.id)
    if link is None:
        raise TagNotFound()
    change = TagChange(tag=tag, applied_at=link.applied_at, applied_by_id=link.applied_by_id)
    session.delete(link)
    _changed(session, row, now)
    return change


def _conversation_for_tags(session: Session, workspace_id: int, raw: str) -> Conversation:
    try:
        return _conversation(session, workspace_id, raw)
    except NotFound:
        raise NotFound("Conversation not found") from None


def _tag(session: Session, workspace_id: int, raw: str) -> Tag:
    numeric = parse_numeric_id(raw)
    tag = repository.get_tag(session, workspace_id, numeric) if numeric is not None else None
    if tag is None:
        raise TagNotFound()
    return tag


def attach_contact(
    session: Session,
    *,
    workspace_id: int,
    now: int,
    conversation_id: str,
    admin_id: str,
    contact: ContactRef,
) -> Conversation:
    """Add a contact as a participant (adding one twice changes nothing)."""
    row = _conversation(session, workspace_id, conversation_id)
    _admin_id(session, workspace_id, admin_id)
    person = _contact(session, workspace_id, contact)
    linked = {p.contact_id for p in repository.participants(session, workspace_id, row.id)}
    if person.id not in linked:
        session.add(
            ConversationContact(
                conversation_id=row.id, contact_id=person.id, workspace_id=workspace_id,
                added_at=now,
            )
        )
        _changed(session, row, now)
        _announce(session, row, topics.CONTACT_ATTACHED)
    return row


def detach_contact(
    session: Session,
    *,
    workspace_id: int,
    now: int,
    conversation_id: str,
    admin_id: str,
    contact_id: str,
) -> Conversation:
    """Remove a participant; the last one stays (422)."""
    row = _conversation(session, workspace_id, conversation_id)
    _admin_id(session, workspace_id, admin_id)
    links = repository.participants(session, workspace_id, row.id)
    link = next((p for p in links if p.contact_id == contact_id), None)
    if link is None:
        raise UserNotFound()
    if len(links) == 1:
        raise LastCustomer()
    session.delete(link)
    _changed(session, row, now)
    _announce(session, row, topics.CONTACT_DETACHED)
    return row


def redact(
    session: Session,
    *,
    workspace_id: int,
    now: int,
    conversation_id: str,
    part_id: str | None,
    source_id: str | None,
) -> Conversation:
    """Blank a part's or the source's body and attachments, marking it redacted."""
    try:
        row = _conversation(session, workspace_id, conversation_id)
    except NotFound:
        raise PartNotFound() from None
    part: ConversationPart | None = None
    if source_id is not None:
        if source_id != row.source_id:
            raise PartNotFound()
        row.source_body = ""
        row.source_attachments = []
        row.source_redacted = True
    else:
        numeric = parse_numeric_id(part_id or "")
        part = (
            repository.get_part(session, workspace_id, row.id, numeric)
            if numeric is not None
            else None
        )
        if part is None:
            raise PartNotFound()
        part.body = ""
        part.attachments = []
        part.redacted = True
        part.updated_at = max(part.updated_at, now)
    _changed(session, row, now)
    _announce(session, row, topics.PART_REDACTED, part)
    return row


def run_assignment_rules(
    session: Session, *, workspace_id: int, now: int, conversation_id: str
) -> ConversationView:
    """Assign the conversation to a member of its team by the team's rule (`routing`).

    Adds a `default_assignment` part by the workspace's first admin acting as the rules'
    bot; a conversation with no team, or a team with nobody available, is left as it is.
    """
    row = _locked(session, workspace_id, conversation_id)
    if row.team_assignee_id is None:
        return row
    team = repository.get_team(session, workspace_id, row.team_assignee_id)
    if team is None:
        return row
    members = repository.team_candidates(session, workspace_id, team.id)
    ids = [admin_id for admin_id, _away in members]
    counts = repository.open_assigned_counts(session, workspace_id, ids)
    if row.open and row.admin_assignee_id in counts:
        # This conversation is not load on its current assignee: re-running the rules
        # must not move it just because it counts against them.
        counts[row.admin_assignee_id] -= 1
    recent = repository.last_assigned_at(session, workspace_id, ids, sorted(ASSIGNMENT_TYPES))
    chosen = choose_assignee(
        team.distribution_method,
        [
            Candidate(admin_id=a, away=away, open_assigned=counts.get(a, 0),
                      last_assigned_at=recent.get(a))
            for a, away in members
        ],
        team.assignment_limit,
    )
    if chosen is None or chosen == row.admin_assignee_id:
        return row
    _, after = _append(
        session,
        row,
        now,
        part_type=DEFAULT_ASSIGNMENT,
        author_type="bot",
        author_id=_system_author(session, workspace_id, fallback=str(chosen)),
        assigned_to_type="admin",
        assigned_to_id=str(chosen),
    )
    return after


def _system_author(session: Session, workspace_id: int, *, fallback: str) -> str:
    """Who signs Parlour's own actions (rules, timers): the workspace's first admin as bot."""
    bot = workspace_repo.first_admin(session, workspace_id)
    return str(bot.id) if bot is not None else fallback


def wake_snoozed(session: Session, *, workspace_id: int, now: int, conversation_id: int) -> bool:
    """Wake one conversation whose snooze has run out; False if there is nothing to wake.

    The `timer_unsnooze` part is dated when the timer was due, not when the scheduler got
    to it, so statistics and waiting times don't depend on the scheduler's lag. The state is
    checked again under the row lock: another worker, or a reply, may have woken it first.
    """
    row = repository.lock_row(session, workspace_id, conversation_id)
    if row is None or row.state != "snoozed" or row.snoozed_until is None:
        return False
    if row.snoozed_until > now:
        return False
    _append(
        session,
        row,
        now,
        part_type=TIMER_UNSNOOZE,
        author_type="bot",
        author_id=_system_author(session, workspace_id, fallback=row.source_author_id),
        at=row.snoozed_until,
        trusted_at=True,
    )
    return True


def apply_sla(
    session: Session, *, workspace_id: int, now: int, conversation_id: str, rule_id: str
) -> Conversation:
    """Apply an SLA rule from now on (replacing any other); its clocks start now."""
    row = _conversation(session, workspace_id, conversation_id)
    rule = fetch_by_id(rule_id, lambda n: sla_repo.get(session, workspace_id, n))
    if rule is None:
        raise SlaRuleNotFound(field="sla_rule_id")
    if rule.archived_at is not None:
        raise ParameterInvalid("An archived SLA rule cannot be applied", field="sla_rule_id")
    row.sla_policy_id, row.sla_applied_at, row.sla_status = rule.id, now, None
    apply_derived(row, repository.timeline(session, workspace_id, row.id), now, sla_targets(rule))
    _changed(session, row, now)
    return row


def remove_sla(
    session: Session, *, workspace_id: int, now: int, conversation_id: str
) -> Conversation:
    """Remove the conversation's SLA: Intercom then reports it as cancelled."""
    row = _conversation(session, workspace_id, conversation_id)
    if row.sla_policy_id is None:
        raise NotFound("No SLA is applied to this conversation")
    if row.sla_status != CANCELLED:
        row.sla_status, row.sla_deadline = CANCELLED, None
        _changed(session, row, now)
    return row


MIN_RATING, MAX_RATING = 1, 5


def rate(
    session: Session,
    *,
    workspace_id: int,
    now: int,
    conversation_id: str,
    rating: int | None,
    remark: str | None,
    contact_id: str | None,
) -> Conversation:
    """Record (or change) the contact's rating of the conversation, with an optional remark.

    The rated teammate is the admin assignee when the rating is first given, else the last
    admin who took part; `created_at` stays the first rating's time, `updated_at` moves.
    """
    row = _conversation(session, workspace_id, conversation_id)
    if rating is None and row.rating is None:
        raise ParameterInvalid("rating is required for the first rating", field="rating")
    if rating is not None and not MIN_RATING <= rating <= MAX_RATING:
        raise ParameterInvalid(
            f"rating must be between {MIN_RATING} and {MAX_RATING}", field="rating"
        )
    linked = [p.contact_id for p in repository.participants(session, workspace_id, row.id)]
    if contact_id is None:
        contact_id = row.source_author_id if row.source_author_id in linked else None
        contact_id = contact_id or row.rating_contact_id or (linked[0] if linked else None)
        if contact_id is None:
            raise ParameterInvalid("The conversation has no contact to rate it", field="contact_id")
    elif contact_id not in linked:
        raise UserNotFound(field="contact_id")
    if row.rating is None:
        row.rating_created_at = now
        teammates = [t for t in row.teammate_ids if t.isdigit()]
        row.rating_teammate_id = row.admin_assignee_id or (
            int(teammates[-1]) if teammates else None
        )
    if rating is not None:
        row.rating = rating
    if remark is not None:
        row.rating_remark = remark
    row.rating_contact_id = contact_id
    row.rating_updated_at = now
    _changed(session, row, now)
    if rating is not None:
        _announce(session, row, topics.RATING_ADDED)
    return row


def stored_entries(session: Session) -> dict[int, tuple[bytes, int]]:
    """The list entries this write stores at commit (filled then; see `written_detail`)."""
    return repository.stored_entries(session)


def written_detail(
    session: Reads,
    *,
    workspace_id: int,
    conversation_id: int,
    stored: tuple[bytes, int] | None,
) -> ConversationDetail:
    """What a write answers with, read after its commit (outside the write lock).

    `stored` is the list entry the write stored and the part count it left: the answer is
    that entry with the parts up to then, not parts a later write added since. A write that
    stored no entry changed nothing: the answer is the conversation as it is now.
    """
    if stored is None:
        return retrieve_conversation(
            session,
            workspace_id=workspace_id,
            conversation_id=str(conversation_id),
            use_stored=True,
        )
    entry, part_count = stored
    parts = repository.read_parts(session, workspace_id, conversation_id, before=part_count)
    row = Written(id=conversation_id, summary=entry, part_count=part_count)
    related = repository.load_related(session, workspace_id, [], parts)
    return ConversationDetail(row=cast(Row[Any], row), parts=parts, related=related)
