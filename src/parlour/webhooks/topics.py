"""The webhook topics Parlour sends, as Intercom names them, and which part raises which."""

from __future__ import annotations

from parlour.conversations.timeline import (
    ASSIGN_AND_REOPEN,
    ASSIGN_AND_UNSNOOZE,
    ASSIGNMENT,
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
    is_contact,
)

USER_CREATED = "conversation.user.created"
USER_REPLIED = "conversation.user.replied"
ADMIN_REPLIED = "conversation.admin.replied"
ADMIN_SINGLE_CREATED = "conversation.admin.single.created"
ADMIN_ASSIGNED = "conversation.admin.assigned"
ADMIN_NOTED = "conversation.admin.noted"
ADMIN_CLOSED = "conversation.admin.closed"
ADMIN_OPENED = "conversation.admin.opened"
ADMIN_SNOOZED = "conversation.admin.snoozed"
ADMIN_UNSNOOZED = "conversation.admin.unsnoozed"
READ = "conversation.read"
RATING_ADDED = "conversation.rating.added"
CONTACT_ATTACHED = "conversation.contact.attached"
CONTACT_DETACHED = "conversation.contact.detached"
PRIORITY_UPDATED = "conversation.priority.updated"
DELETED = "conversation.deleted"
PART_TAG_CREATED = "conversation_part.tag.created"
PART_REDACTED = "conversation_part.redacted"

# Every topic a subscription may name. `conversation.admin.single.created` (admin-initiated
# messages) and `conversation.priority.updated` are accepted, but Parlour has no endpoint
# yet that starts an outbound conversation or sets a priority, so they never fire.
TOPICS = (
    USER_CREATED,
    USER_REPLIED,
    ADMIN_REPLIED,
    ADMIN_SINGLE_CREATED,
    ADMIN_ASSIGNED,
    ADMIN_NOTED,
    ADMIN_CLOSED,
    ADMIN_OPENED,
    ADMIN_SNOOZED,
    ADMIN_UNSNOOZED,
    READ,
    RATING_ADDED,
    CONTACT_ATTACHED,
    CONTACT_DETACHED,
    PRIORITY_UPDATED,
    DELETED,
    PART_TAG_CREATED,
    PART_REDACTED,
)

_BY_PART_TYPE = {
    NOTE: ADMIN_NOTED,
    CLOSE: ADMIN_CLOSED,
    OPEN: ADMIN_OPENED,
    ASSIGN_AND_REOPEN: ADMIN_OPENED,
    SNOOZED: ADMIN_SNOOZED,
    TIMER_UNSNOOZE: ADMIN_UNSNOOZED,
    UNSNOOZED: ADMIN_UNSNOOZED,
    ASSIGN_AND_UNSNOOZE: ADMIN_UNSNOOZED,
    ASSIGNMENT: ADMIN_ASSIGNED,
    DEFAULT_ASSIGNMENT: ADMIN_ASSIGNED,
    AWAY_MODE_ASSIGNMENT: ADMIN_ASSIGNED,
}


def topic_for_part(part_type: str, author_type: str) -> str | None:
    """The topic a newly added part raises (None for parts no topic covers)."""
    if part_type in (COMMENT, QUICK_REPLY):
        return USER_REPLIED if is_contact(author_type) else ADMIN_REPLIED
    return _BY_PART_TYPE.get(part_type)
