"""Commands that start, change or end a conversation without adding a part.

Create, update (read, title, custom attributes, company), delete, redact, apply or remove
an SLA, rate. Each locks its conversation and changes it through the write model
(`writes`); what follows the commit (the entry, webhooks, the answer) is not theirs to do.
"""

from __future__ import annotations

from parlour.contacts.service import ContactRef, named_contact
from parlour.conversations import write_repository as repo
from parlour.conversations import writes
from parlour.conversations.derived import AppliedSla
from parlour.conversations.inputs import NewConversation, Update, attachment_rows, html_body
from parlour.conversations.sla import CANCELLED
from parlour.conversations.writes import Writer
from parlour.core.ids import fetch_by_id, is_contact_id, parse_numeric_id
from parlour.db.models import ConversationColumns, ConversationRecord, PartRecord
from parlour.errors import (
    NotFound,
    ParameterInvalid,
    PartNotFound,
    SlaRuleNotFound,
    UserNotFound,
)
from parlour.sla_rules import repository as sla_repo
from parlour.webhooks import topics


def create_conversation(w: Writer, new: NewConversation) -> ConversationRecord:
    """A contact starts a conversation (Intercom's `POST /conversations`)."""
    work, workspace_id, now = w
    from_type, from_id, created_at = new.from_type, new.from_id, new.created_at
    session = work.session
    if not is_contact_id(from_id):
        raise UserNotFound()
    contact = named_contact(session, workspace_id, ContactRef(intercom_user_id=from_id))
    if from_type in ("user", "lead") and contact.role != from_type:
        raise UserNotFound(f"No {from_type} with id {from_id}")
    if created_at is not None and created_at > now + writes.CLOCK_SKEW:
        raise ParameterInvalid("created_at must not be in the future", field="created_at")
    at = now if created_at is None else created_at
    values: ConversationColumns = {
        "workspace_id": workspace_id,
        "created_at": at,
        "updated_at": at,
        "read": False,
        "priority": "not_priority",
        "custom_attributes": {},
        "source_id": "0",
        "source_type": "conversation",
        "source_delivered_as": "customer_initiated",
        "source_subject": new.subject or "",
        "source_body": html_body(new.body),
        "source_author_type": contact.role,
        "source_author_id": contact.id,
        "source_attachments": list(attachment_rows(new.attachments)),
        "source_redacted": False,
    }
    sla = None
    rule = sla_repo.rule_for_new_conversations(session, workspace_id)
    if rule is not None:
        # Intercom applies such rules by a workflow when the conversation starts.
        values["sla_policy_id"], values["sla_applied_at"] = rule.id, at
        sla = AppliedSla(writes.sla_targets(rule), at)
    row = writes.insert(work, now, sla, **values)
    repo.add_participant(session, workspace_id, row.id, contact.id, at)
    contact.last_replied_at = max(contact.last_replied_at or 0, at)
    writes.announce(work, row, topics.USER_CREATED)
    return row


def update(w: Writer, conversation_id: str, *, change: Update) -> ConversationRecord:
    """Mark read, retitle, set custom attributes or the company (`PUT`)."""
    work, workspace_id, now = w
    row = writes.lock(work, workspace_id, conversation_id)
    changes: ConversationColumns = {}
    if change.read is not None and change.read != row.read:
        changes["read"] = change.read
    if change.title_given and change.title != row.title:
        changes["title"] = change.title
    if change.custom_attributes:
        merged = dict(row.custom_attributes or {})
        for key, value in change.custom_attributes.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        if merged != row.custom_attributes:
            changes["custom_attributes"] = merged
    if change.company_given and change.company_id != row.company_id:
        changes["company_id"] = change.company_id
    if not changes:
        return row
    after = writes.change(work, row, now, **changes)
    if changes.get("read"):
        writes.announce(work, after, topics.READ)
    return after


def delete(w: Writer, conversation_id: str) -> int:
    """Delete a conversation and everything in it; returns its id."""
    work, workspace_id, _now = w
    row = writes.lock(work, workspace_id, conversation_id)
    writes.announce(work, row, topics.DELETED)
    writes.delete(work, row)
    return row.id


def redact(
    w: Writer, conversation_id: str, *, part_id: str | None, source_id: str | None
) -> ConversationRecord:
    """Blank a part's or the source's body and attachments, marking it redacted."""
    work, workspace_id, now = w
    row = writes.lock(work, workspace_id, conversation_id, PartNotFound())
    part: PartRecord | None = None
    if source_id is not None:
        if source_id != row.source_id:
            raise PartNotFound()
        after = writes.change(
            work, row, now, source_body="", source_attachments=[], source_redacted=True
        )
    else:
        numeric = parse_numeric_id(part_id or "")
        found = (
            repo.get_part(work.session, workspace_id, row.id, numeric)
            if numeric is not None
            else None
        )
        if found is None:
            raise PartNotFound()
        part = repo.update_part(
            work.session,
            found,
            {
                "body": "",
                "attachments": [],
                "redacted": True,
                "updated_at": max(found.updated_at, now),
            },
        )
        after = writes.change(work, row, now)
    writes.announce(work, after, topics.PART_REDACTED, part)
    return after


def apply_sla(w: Writer, conversation_id: str, *, rule_id: str) -> ConversationRecord:
    """Apply an SLA rule from now on (replacing any other); its clocks start now."""
    work, workspace_id, now = w
    row = writes.lock(work, workspace_id, conversation_id)
    rule = fetch_by_id(rule_id, lambda n: sla_repo.get(work.session, workspace_id, n))
    if rule is None:
        raise SlaRuleNotFound(field="sla_rule_id")
    if rule.archived_at is not None:
        raise ParameterInvalid("An archived SLA rule cannot be applied", field="sla_rule_id")
    return writes.apply_sla(work, row, now, rule.id, writes.sla_targets(rule))


def remove_sla(w: Writer, conversation_id: str) -> ConversationRecord:
    """Remove the conversation's SLA: Intercom then reports it as cancelled."""
    work, workspace_id, now = w
    row = writes.lock(work, workspace_id, conversation_id)
    if row.sla_policy_id is None:
        raise NotFound("No SLA is applied to this conversation")
    if row.sla_status == CANCELLED:
        return row
    return writes.change(work, row, now, sla_status=CANCELLED, sla_deadline=None)


MIN_RATING, MAX_RATING = 1, 5


def rate(
    w: Writer,
    conversation_id: str,
    *,
    rating: int | None,
    remark: str | None,
    contact_id: str | None,
) -> ConversationRecord:
    """Record (or change) the contact's rating of the conversation, with an optional remark.

    The rated teammate is the admin assignee when the rating is first given, else the last
    admin who took part; `created_at` stays the first rating's time, `updated_at` moves.
    """
    work, workspace_id, now = w
    row = writes.lock(work, workspace_id, conversation_id)
    if rating is None and row.rating is None:
        raise ParameterInvalid("rating is required for the first rating", field="rating")
    if rating is not None and not MIN_RATING <= rating <= MAX_RATING:
        raise ParameterInvalid(
            f"rating must be between {MIN_RATING} and {MAX_RATING}", field="rating"
        )
    linked = [p.contact_id for p in repo.participants(work.session, workspace_id, row.id)]
    if contact_id is None:
        contact_id = row.source_author_id if row.source_author_id in linked else None
        contact_id = contact_id or row.rating_contact_id or (linked[0] if linked else None)
        if contact_id is None:
            raise ParameterInvalid("The conversation has no contact to rate it", field="contact_id")
    elif contact_id not in linked:
        raise UserNotFound(field="contact_id")
    changes: ConversationColumns = {"rating_contact_id": contact_id, "rating_updated_at": now}
    if row.rating is None:
        teammates = [t for t in row.teammate_ids if t.isdigit()]
        changes["rating_created_at"] = now
        changes["rating_teammate_id"] = row.admin_assignee_id or (
            int(teammates[-1]) if teammates else None
        )
    if rating is not None:
        changes["rating"] = rating
    if remark is not None:
        changes["rating_remark"] = remark
    after = writes.change(work, row, now, **changes)
    if rating is not None:
        writes.announce(work, after, topics.RATING_ADDED)
    return after
