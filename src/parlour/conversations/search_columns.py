"""Where each searchable conversation field lives in SQL: the whitelist the compiler uses.

One `search.compile.Target` per name of `conversations.search_fields.KINDS`; a name missing
here cannot reach SQL (the query parser refuses names outside the whitelist first).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    SQLColumnExpression,
    String,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
)

from parlour.conversations.search_fields import (
    STATISTICS_COUNTS,
    STATISTICS_DURATIONS,
    STATISTICS_TIMES,
)
from parlour.db.models import (
    GROUP_ROLLUP,
    Admin,
    Contact,
    Conversation,
    ConversationContact,
    ConversationGroup,
    ConversationTag,
)
from parlour.db.text_search import CONVERSATION_TEXT, FTS_TABLE, body_words
from parlour.search.compile import (
    Constant,
    Context,
    CustomAttributes,
    IdList,
    JsonField,
    Match,
    Scalar,
    Target,
    TextIndex,
    Through,
    Words,
)

ADMIN_AUTHORS = ("admin", "bot")
CONTACT_AUTHORS = ("user", "lead", "contact")


def _probe(stmt: Select[Any], ctx: Context) -> ColumnElement[bool]:
    """EXISTS, probed once per row walked.

    On PostgreSQL an `OFFSET 0` keeps the planner from turning it into a hashed list of
    every matching id (a semi-join or hashed subplan: 20-50 ms for a tag's 50,000 ids) when
    a page walks a few thousand rows.
    """
    return exists(stmt.offset(literal_column("0")) if ctx.dialect == "postgresql" else stmt)


def _tags(ctx: Context, match: Match) -> ColumnElement[bool]:
    if ctx.probe:  # one primary-key probe per row walked
        return _probe(
            select(literal(1)).where(
                ConversationTag.conversation_id == Conversation.id, match(ConversationTag.tag_id)
            ),
            ctx,
        )
    return Conversation.id.in_(  # the matching ids first, from the tag index
        select(ConversationTag.conversation_id).where(
            ConversationTag.workspace_id == ctx.workspace_id, match(ConversationTag.tag_id)
        )
    )


def _contacts(ctx: Context, match: Match) -> ColumnElement[bool]:
    if ctx.probe:
        return _probe(
            select(literal(1)).where(
                ConversationContact.conversation_id == Conversation.id,
                match(ConversationContact.contact_id),
            ),
            ctx,
        )
    return Conversation.id.in_(
        select(ConversationContact.conversation_id).where(
            ConversationContact.workspace_id == ctx.workspace_id,
            match(ConversationContact.contact_id),
        )
    )


def _teammates(ctx: Context, match: Match) -> ColumnElement[bool]:
    function = func.jsonb_array_elements_text if ctx.dialect == "postgresql" else func.json_each
    elements = function(Conversation.teammate_ids).table_valued("value")
    return exists(select(literal(1)).select_from(elements).where(match(elements.c.value)))


def _author(attribute: str) -> Any:
    """The source author's `name` or `email`, from the admin or contact who wrote it.

    As rendered: unknown authors have neither, and an empty email counts as none.
    """

    def value(row: type[Admin] | type[Contact]) -> SQLColumnExpression[Any]:
        column = row.name if attribute == "name" else row.email
        return column if attribute == "name" else func.nullif(column, "")

    def through(ctx: Context, match: Match) -> ColumnElement[bool]:
        admins = select(cast(Admin.id, String)).where(
            Admin.workspace_id == ctx.workspace_id, match(value(Admin))
        )
        contacts = select(Contact.id).where(
            Contact.workspace_id == ctx.workspace_id, match(value(Contact))
        )
        return or_(
            and_(
                Conversation.source_author_type.in_(ADMIN_AUTHORS),
                Conversation.source_author_id.in_(admins),
            ),
            and_(
                Conversation.source_author_type.in_(CONTACT_AUTHORS),
                Conversation.source_author_id.in_(contacts),
            ),
        )

    return through


def _rated(column: SQLColumnExpression[Any]) -> SQLColumnExpression[Any]:
    """A rating detail, only while there is a rating (`conversation_rating` is null without)."""
    return case((Conversation.rating.is_not(None), column))


def _text_index(column: str) -> TextIndex:
    return TextIndex(table=FTS_TABLE, column=column, key=Conversation.id)


TARGETS: dict[str, Target] = {
    "id": Scalar(Conversation.id, numeric_id=True),
    "created_at": Scalar(Conversation.created_at),
    "updated_at": Scalar(Conversation.updated_at),
    "source.type": Scalar(Conversation.source_type),
    "source.id": Scalar(Conversation.source_id),
    "source.delivered_as": Scalar(Conversation.source_delivered_as),
    "source.subject": Scalar(
        Conversation.search_subject, folded=True, index=_text_index("search_subject")
    ),
    "source.body": Words(Conversation.search_body, index=_text_index("search_body")),
    "source.author.id": Scalar(Conversation.source_author_id),
    "source.author.type": Scalar(Conversation.source_author_type),
    "source.author.name": Through(_author("name")),
    "source.author.email": Through(_author("email")),
    "source.url": Scalar(Conversation.source_url),
    "contact_ids": Through(_contacts),
    "teammate_ids": Through(_teammates),
    "admin_assignee_id": Scalar(Conversation.admin_assignee_id),
    "team_assignee_id": Scalar(Conversation.team_assignee_id),
    "channel_initiated": Scalar(Conversation.source_type),
    "open": Scalar(Conversation.open),
    "read": Scalar(Conversation.read),
    "state": Scalar(Conversation.state),
    "waiting_since": Scalar(Conversation.waiting_since),
    "snoozed_until": Scalar(Conversation.snoozed_until),
    "tag_ids": Through(_tags, numeric_id=True),
    "priority": Scalar(Conversation.priority),
    **{
        f"statistics.{name}": JsonField(Conversation.statistics, name)
        for name in (*STATISTICS_DURATIONS, *STATISTICS_TIMES, *STATISTICS_COUNTS)
    },
    "statistics.last_closed_by_id": JsonField(Conversation.statistics, "last_closed_by_id"),
    "conversation_rating.requested_at": Constant(None),
    "conversation_rating.replied_at": Scalar(_rated(Conversation.rating_created_at)),
    "conversation_rating.score": Scalar(Conversation.rating),
    "conversation_rating.remark": Scalar(_rated(Conversation.rating_remark)),
    "conversation_rating.contact_id": Scalar(_rated(Conversation.rating_contact_id)),
    "conversation_rating.admin_d": Scalar(_rated(Conversation.rating_teammate_id), numeric_id=True),
    "conversation_rating.admin_id": Scalar(
        _rated(Conversation.rating_teammate_id), numeric_id=True
    ),
    "ai_agent_participated": Constant(False),
    "ai_agent.resolution_state": Constant(None),
    "ai_agent.last_answer_type": Constant(None),
    "ai_agent.rating": Constant(None),
    "ai_agent.rating_remark": Constant(None),
    "ai_agent.source_type": Constant(None),
    "ai_agent.source_title": Constant(None),
}

CUSTOM = CustomAttributes(Conversation.custom_attributes)

# Which of the workspace's versions move when a field's value can change, besides
# `population_version` (creates and deletes), which every count depends on. Triggers of
# migration 0007 bump each version when a write changes one of its columns or links; a
# field not listed can change with any conversation write (`data_version`), as can fields
# read through other rows (author names) or JSON (statistics, custom attributes).
_SOURCE = ("source_version",)
FIELD_VERSIONS: dict[str, tuple[str, ...]] = {
    "id": (),
    "created_at": _SOURCE,
    "source.type": _SOURCE,
    "source.id": _SOURCE,
    "source.delivered_as": _SOURCE,
    "source.subject": _SOURCE,
    "source.body": _SOURCE,
    "source.author.id": _SOURCE,
    "source.author.type": _SOURCE,
    "source.url": _SOURCE,
    "channel_initiated": _SOURCE,
    "contact_ids": ("contacts_version",),
    "tag_ids": ("tags_version",),
    "open": ("state_version",),
    "state": ("state_version",),
    "snoozed_until": ("state_version",),
    "admin_assignee_id": ("assignee_version",),
    "team_assignee_id": ("assignee_version",),
    "priority": ("priority_version",),
    **{name: () for name, target in TARGETS.items() if isinstance(target, Constant)},
}
ANY_WRITE = ("data_version",)

# List fields whose link table alone can count a query of one positive filter on them:
# each link row belongs to one conversation of the same workspace (foreign keys, and the
# writes copy the conversation's workspace), so distinct conversation ids are the count.
LINKS: dict[str, tuple[Any, SQLColumnExpression[Any]]] = {
    "tag_ids": (ConversationTag, ConversationTag.tag_id),
    "contact_ids": (ConversationContact, ConversationContact.contact_id),
}

# Fields whose every filter a count can answer from `conversation_group` (migration 0008):
# each group row holds one value of each, so a query reading only these (and constant
# fields) matches whole groups, and summing their sizes counts it. Assignees are 0 there
# for none: NULL again here, so every operator sees what it sees on `conversation`.
_GROUP = ConversationGroup
GROUP_TARGETS: dict[str, Target] = {
    "open": Scalar(_GROUP.open),
    "state": Scalar(_GROUP.state),
    "priority": Scalar(_GROUP.priority),
    "admin_assignee_id": Scalar(func.nullif(_GROUP.admin_assignee_id, 0, type_=BigInteger)),
    "team_assignee_id": Scalar(func.nullif(_GROUP.team_assignee_id, 0, type_=BigInteger)),
    "tag_ids": IdList(_GROUP.tag_ids),
    **{name: target for name, target in TARGETS.items() if isinstance(target, Constant)},
}

# PostgreSQL counts a query of those fields but the admin assignee over
# `conversation_group_rollup` (migration 0009): the groups summed over admins, a quarter of
# the rows to read at a million seeded conversations.
_ROLLUP = GROUP_ROLLUP.c
ROLLUP_TARGETS: dict[str, Target] = {
    "open": Scalar(_ROLLUP.open),
    "state": Scalar(_ROLLUP.state),
    "priority": Scalar(_ROLLUP.priority),
    "team_assignee_id": Scalar(func.nullif(_ROLLUP.team_assignee_id, 0, type_=BigInteger)),
    "tag_ids": IdList(_ROLLUP.tag_ids),
    **{name: target for name, target in TARGETS.items() if isinstance(target, Constant)},
}

# PostgreSQL counts a query reading only the opening message's folded text (and constant
# fields) over `conversation_text`, its narrow copy (`db.text_search`): the same tests on
# the same values, on rows a twentieth the size, and whole body words on an exact index.
_TEXT = CONVERSATION_TEXT.c
TEXT_TARGETS: dict[str, Target] = {
    "source.subject": Scalar(_TEXT.search_subject, folded=True),
    "source.body": Words(_TEXT.search_body, word_list=body_words(_TEXT.search_body)),
    **{name: target for name, target in TARGETS.items() if isinstance(target, Constant)},
}
