"""Commands that add a part to the timeline: reply, close/open/snooze/assign, rules, wake.

Each locks the conversation and appends at most one part through the write model
(`writes.append_part`), which re-derives every derived column and announces the part's
webhook topic; the commit renders and stores the rest. A command that raises has written
nothing the caller keeps: the transaction is rolled back.
"""

from __future__ import annotations

from parlour.admins.service import admin_id_of
from parlour.contacts.service import named_contact
from parlour.conversations import write_repository as repo
from parlour.conversations import writes
from parlour.conversations.inputs import Action, Reply, attachment_rows, html_body
from parlour.conversations.routing import Candidate, choose_assignee
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
)
from parlour.conversations.writes import Writer
from parlour.core.ids import parse_numeric_id
from parlour.db.models import ConversationRecord
from parlour.db.unit_of_work import UnitOfWork
from parlour.errors import AdminNotFound, NotFound, ParameterInvalid
from parlour.teams import repository as teams_repo
from parlour.workspaces import repository as workspace_repo

_ADMIN_PARTS = {"comment": COMMENT, "note": NOTE, "quick_reply": QUICK_REPLY}


def reply(w: Writer, conversation_id: str, *, message: Reply) -> ConversationRecord:
    """An admin comment, note or quick reply, or a contact's comment."""
    work, workspace_id, now = w
    session = work.session
    if message.contact is not None:
        contact = named_contact(session, workspace_id, message.contact)
        if conversation_id == "last":
            latest = repo.latest_conversation_of(session, workspace_id, contact.id)
            if latest is None:
                raise NotFound()
            conversation_id = str(latest)
        row = writes.lock(work, workspace_id, conversation_id)
        linked = {p.contact_id for p in repo.participants(session, workspace_id, row.id)}
        if contact.id not in linked:
            raise ParameterInvalid(
                "The contact is not a participant in this conversation", field="intercom_user_id"
            )
        new = writes.NewPart(
            COMMENT,
            author_type=contact.role,
            author_id=contact.id,
            body=html_body(message.body or ""),
            attachments=attachment_rows(message.attachments),
            at=message.created_at,
        )
        part, after = writes.append_part(work, row, now, new)
        contact.last_replied_at = max(contact.last_replied_at or 0, part.created_at)
        return after

    if conversation_id == "last":
        raise ParameterInvalid(
            "last can only be used when replying as a contact", field="conversation_id"
        )
    assert message.admin_id is not None
    row = writes.lock(work, workspace_id, conversation_id)
    admin_id = admin_id_of(session, workspace_id, message.admin_id)
    new = writes.NewPart(
        _ADMIN_PARTS[message.message_type],
        author_type="admin",
        author_id=str(admin_id),
        body=None if message.body is None else html_body(message.body),
        attachments=attachment_rows(message.attachments),
        at=message.created_at,
    )
    part, after = writes.append_part(work, row, now, new)
    if message.message_type != "note":
        repo.mark_contacted(session, workspace_id, row.id, part.created_at)
    return after


def manage(w: Writer, conversation_id: str, *, action: Action) -> ConversationRecord:
    """Close, snooze, open or assign (Intercom's `POST /conversations/{id}/parts`).

    Closing a closed or opening an open conversation changes nothing.
    """
    work, workspace_id, now = w
    row = writes.lock(work, workspace_id, conversation_id)
    admin = str(admin_id_of(work.session, workspace_id, action.admin_id))
    kind = action.message_type
    body = None if action.body is None else html_body(action.body)
    if kind == "close":
        if row.state == "closed":
            return row
        new = writes.NewPart(CLOSE, "admin", admin, body=body)
    elif kind == "open":
        if row.state == "open":
            return row
        new = writes.NewPart(OPEN, "admin", admin)
    elif kind == "snoozed":
        assert action.snoozed_until is not None
        if action.snoozed_until <= now:
            raise ParameterInvalid("snoozed_until must be in the future", field="snoozed_until")
        new = writes.NewPart(SNOOZED, "admin", admin, snoozed_until=action.snoozed_until)
    elif kind == "assignment":
        assert action.assignee_type is not None and action.assignee_id is not None
        target = _assignee(work, workspace_id, action.assignee_type, action.assignee_id)
        new = writes.NewPart(
            ASSIGNMENT,
            "admin",
            admin,
            body=body,
            assigned_to_type=action.assignee_type,
            assigned_to_id=target,
        )
    else:
        # The router only lets the four message types through.
        raise ParameterInvalid("message_type is not supported", field="message_type")
    return writes.append_part(work, row, now, new)[1]


def _assignee(work: UnitOfWork, workspace_id: int, kind: str, raw: str) -> str:
    """The id to assign to ("0" unassigns), checked against this workspace."""
    numeric = parse_numeric_id(raw) if raw != "0" else 0
    if numeric == 0:
        return "0"
    if kind == "admin":
        if numeric is None:
            raise AdminNotFound(field="assignee_id")
        return str(admin_id_of(work.session, workspace_id, raw, field="assignee_id"))
    if numeric is None or teams_repo.get_team(work.session, workspace_id, numeric) is None:
        raise NotFound("Team not found", field="assignee_id")
    return str(numeric)


def run_assignment_rules(w: Writer, conversation_id: str) -> ConversationRecord:
    """Assign the conversation to a member of its team by the team's rule (`routing`).

    Adds a `default_assignment` part by the workspace's first admin acting as the rules'
    bot; a conversation with no team, or a team with nobody available, is left as it is.
    """
    work, workspace_id, now = w
    session = work.session
    row = writes.lock(work, workspace_id, conversation_id)
    if row.team_assignee_id is None:
        return row
    team = teams_repo.get_team(session, workspace_id, row.team_assignee_id)
    if team is None:
        return row
    members = teams_repo.members(session, workspace_id, team.id)
    ids = [admin_id for admin_id, _away in members]
    counts = repo.open_assigned_counts(session, workspace_id, ids)
    if row.open and row.admin_assignee_id in counts:
        # This conversation is not load on its current assignee: re-running the rules
        # must not move it just because it counts against them.
        counts[row.admin_assignee_id] -= 1
    recent = repo.last_assigned_at(session, workspace_id, ids, sorted(ASSIGNMENT_TYPES))
    chosen = choose_assignee(
        team.distribution_method,
        [
            Candidate(admin_id=a, away=away, open_assigned=counts.get(a, 0),
                      last_assigned_at=recent.get(a))
            for a, away in members
        ],
        team.assignment_limit,
    )  # fmt: skip
    if chosen is None or chosen == row.admin_assignee_id:
        return row
    new = writes.NewPart(
        DEFAULT_ASSIGNMENT,
        author_type="bot",
        author_id=_system_author(work, workspace_id, fallback=str(chosen)),
        assigned_to_type="admin",
        assigned_to_id=str(chosen),
    )
    return writes.append_part(work, row, now, new)[1]


def _system_author(work: UnitOfWork, workspace_id: int, *, fallback: str) -> str:
    """Who signs Parlour's own actions (rules, timers): the workspace's first admin as bot."""
    bot = workspace_repo.first_admin(work.session, workspace_id)
    return str(bot.id) if bot is not None else fallback


def wake_snoozed(w: Writer, conversation_id: int) -> bool:
    """Wake one conversation whose snooze has run out; False if there is nothing to wake.

    The `timer_unsnooze` part is dated when the timer was due, not when the scheduler got
    to it, so statistics and waiting times don't depend on the scheduler's lag. The state is
    checked again under the row lock: another worker, or a reply, may have woken it first.
    """
    work, workspace_id, now = w
    row = writes.lock_id(work, workspace_id, conversation_id)
    if row is None or row.state != "snoozed" or row.snoozed_until is None:
        return False
    if row.snoozed_until > now:
        return False
    new = writes.NewPart(
        TIMER_UNSNOOZE,
        author_type="bot",
        author_id=_system_author(work, workspace_id, fallback=row.source_author_id),
        at=row.snoozed_until,
        trusted_at=True,
    )
    writes.append_part(work, row, now, new)
    return True
