"""The conversation fields `POST /conversations/search` accepts, and what each holds.

Every field of the table in Intercom 2.14's `searchConversations` description, plus
`custom_attributes.<name>`. Where a field lives in SQL is `conversations.search_columns`;
`tests/unit/test_search_query.py` checks both list the same names.

Decisions where Intercom's table is loose:
- ids (`id`, `source.id`, `contact_ids`, `tag_ids`, ...) compare exactly and take `=`,
  `!=`, `IN`, `NIN` (Intercom documents the same for contacts' `tag_id`);
- `admin_assignee_id` / `team_assignee_id` are integers as 2.14's table says (a string of
  digits is accepted, as the SDKs' docstrings call them strings);
- `source.body` is matched word by word, as the description says of it: `=` a whole word,
  `~` part of a word, `^`/`$` a word's start/end;
- `channel_initiated` is the channel the conversation came in by (`source.type`);
- `conversation_rating.admin_d` (sic) is also accepted as `conversation_rating.admin_id`;
- fields Parlour has no data for (`conversation_rating.requested_at`, `ai_agent.*`) are
  accepted and always empty; `ai_agent_participated` is always false.
"""

from __future__ import annotations

from parlour.search.query import Fields, Kind

STATISTICS_DURATIONS = (
    "time_to_assignment",
    "time_to_admin_reply",
    "time_to_first_close",
    "time_to_last_close",
    "median_time_to_reply",
)
STATISTICS_TIMES = (
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
STATISTICS_COUNTS = ("count_reopens", "count_assignments", "count_conversation_parts")

KINDS: dict[str, Kind] = {
    "id": Kind.IDENTIFIER,
    "created_at": Kind.DATE,
    "updated_at": Kind.DATE,
    "source.type": Kind.KEYWORD,
    "source.id": Kind.IDENTIFIER,
    "source.delivered_as": Kind.KEYWORD,
    "source.subject": Kind.TEXT,
    "source.body": Kind.WORDS,
    "source.author.id": Kind.IDENTIFIER,
    "source.author.type": Kind.KEYWORD,
    "source.author.name": Kind.TEXT,
    "source.author.email": Kind.TEXT,
    "source.url": Kind.TEXT,
    "contact_ids": Kind.IDENTIFIER,
    "teammate_ids": Kind.IDENTIFIER,
    "admin_assignee_id": Kind.INTEGER,
    "team_assignee_id": Kind.INTEGER,
    "channel_initiated": Kind.KEYWORD,
    "open": Kind.BOOLEAN,
    "read": Kind.BOOLEAN,
    "state": Kind.KEYWORD,
    "waiting_since": Kind.DATE,
    "snoozed_until": Kind.DATE,
    "tag_ids": Kind.IDENTIFIER,
    "priority": Kind.KEYWORD,
    **{f"statistics.{name}": Kind.INTEGER for name in STATISTICS_DURATIONS},
    **{f"statistics.{name}": Kind.DATE for name in STATISTICS_TIMES},
    "statistics.last_closed_by_id": Kind.IDENTIFIER,
    **{f"statistics.{name}": Kind.INTEGER for name in STATISTICS_COUNTS},
    "conversation_rating.requested_at": Kind.DATE,
    "conversation_rating.replied_at": Kind.DATE,
    "conversation_rating.score": Kind.INTEGER,
    "conversation_rating.remark": Kind.TEXT,
    "conversation_rating.contact_id": Kind.IDENTIFIER,
    "conversation_rating.admin_d": Kind.IDENTIFIER,
    "conversation_rating.admin_id": Kind.IDENTIFIER,
    "ai_agent_participated": Kind.BOOLEAN,
    "ai_agent.resolution_state": Kind.KEYWORD,
    "ai_agent.last_answer_type": Kind.KEYWORD,
    "ai_agent.rating": Kind.INTEGER,
    "ai_agent.rating_remark": Kind.TEXT,
    "ai_agent.source_type": Kind.KEYWORD,
    "ai_agent.source_title": Kind.TEXT,
}

FIELDS = Fields(resource="conversation", kinds=KINDS, custom_prefix="custom_attributes.")
