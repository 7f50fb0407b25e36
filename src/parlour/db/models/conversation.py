"""Conversations, their ordered parts (the timeline), and their contact and tag links.

Columns under "derived" are never set by hand: the write model (`conversations.writes`)
writes them from `conversations.derived.derived_columns` over the stored timeline, in the
same transaction as the part that changed it, so they are an index-friendly cache of the
timeline and cannot drift from it. `ConversationRecord` and `PartRecord` are the rows as
typed, immutable records: what prepared reads return and the write model works on.
"""

from __future__ import annotations

from typing import Any, NamedTuple, TypedDict

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, validates

from parlour.core.text import fold, indexed_words
from parlour.db.base import Base
from parlour.db.types import IdInt, Json


class Conversation(Base):
    """A conversation between contacts and teammates."""

    __tablename__ = "conversation"
    __table_args__ = (
        # One composite index per sort, matching the keyset `(sort column, id)`.
        Index("ix_conversation_ws_updated", "workspace_id", "updated_at", "id"),
        # Also covers the small columns search filters on most, so a search can walk it
        # newest first and test rows (or count over it) without reading the wide rows.
        Index(
            "ix_conversation_ws_created",
            "workspace_id",
            "created_at",
            "id",
            "open",
            "state",
            "priority",
            "read",
            "admin_assignee_id",
            "team_assignee_id",
        ),
        # Search by state (the inbox's open / snoozed / closed), newest first.
        Index("ix_conversation_ws_state", "workspace_id", "state", "created_at", "id"),
        # Search counts over id lists (a tag's conversations, a word's): checks the
        # workspace without reading the wide rows.
        Index("ix_conversation_id_ws", "id", "workspace_id"),
        Index(
            "ix_conversation_ws_waiting",
            "workspace_id",
            "waiting_since",
            "id",
            sqlite_where=text("waiting_since IS NOT NULL"),
            postgresql_where=text("waiting_since IS NOT NULL"),
        ),
        # List entries still to render (`conversations.entries.refill`): empty when current.
        Index(
            "ix_conversation_unrendered",
            "id",
            sqlite_where=text("summary IS NULL"),
            postgresql_where=text("summary IS NULL"),
        ),
        # The snooze scheduler's queue: only snoozed rows, in wake-up order.
        Index(
            "ix_conversation_snooze_due",
            "snoozed_until",
            sqlite_where=text("state = 'snoozed'"),
            postgresql_where=text("state = 'snoozed'"),
        ),
        Index(
            "ix_conversation_ws_admin_updated",
            "workspace_id",
            "admin_assignee_id",
            "open",
            "updated_at",
            "id",
        ),
    )

    id: Mapped[int] = mapped_column(IdInt, primary_key=True, autoincrement=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    created_at: Mapped[int]
    updated_at: Mapped[int]
    title: Mapped[str | None] = mapped_column(String(1024))
    read: Mapped[bool] = mapped_column(default=False)
    priority: Mapped[str] = mapped_column(String(16), default="not_priority")
    company_id: Mapped[str | None] = mapped_column(String(64))
    custom_attributes: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)

    # The opening message (Intercom's `source`).
    source_id: Mapped[str] = mapped_column(String(32))
    source_type: Mapped[str] = mapped_column(String(32), default="conversation")
    source_delivered_as: Mapped[str] = mapped_column(String(32))
    source_subject: Mapped[str] = mapped_column(Text, default="")
    source_body: Mapped[str] = mapped_column(Text, default="")
    source_author_type: Mapped[str] = mapped_column(String(16))
    source_author_id: Mapped[str] = mapped_column(String(32))
    source_url: Mapped[str | None] = mapped_column(String(2048))
    source_attachments: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    source_redacted: Mapped[bool] = mapped_column(default=False)
    # What text search compares (`core.text`): the folded subject and the folded words of
    # the body. Set whenever the source's subject or body is (see `_fold_for_search`), and
    # indexed outside the models (SQLite FTS5, PostgreSQL pg_trgm: `db/text_search.py`).
    search_subject: Mapped[str] = mapped_column(Text, default="")
    search_body: Mapped[str] = mapped_column(Text, default="")

    # The SLA rule applied to the conversation and when; a removed rule keeps its id with
    # status "cancelled" (Intercom reports removed SLAs as cancelled).
    sla_policy_id: Mapped[int | None] = mapped_column(
        ForeignKey("sla_policy.id", ondelete="SET NULL")
    )
    sla_applied_at: Mapped[int | None]
    # Derived by `conversations.sla.evaluate` at each write: the status, and the earliest
    # deadline of a target still pending (when it would breach).
    sla_status: Mapped[str | None] = mapped_column(String(16))
    sla_deadline: Mapped[int | None]

    # Rating given by the contact (recorded by `conversations.edits.rate`).
    rating: Mapped[int | None]
    rating_remark: Mapped[str | None] = mapped_column(Text)
    rating_created_at: Mapped[int | None]
    rating_updated_at: Mapped[int | None]
    rating_contact_id: Mapped[str | None] = mapped_column(String(24))
    rating_teammate_id: Mapped[int | None]

    # Derived from the timeline (see module docstring).
    state: Mapped[str] = mapped_column(String(16))
    open: Mapped[bool]
    waiting_since: Mapped[int | None]
    snoozed_until: Mapped[int | None]
    admin_assignee_id: Mapped[int | None]
    team_assignee_id: Mapped[int | None]
    teammate_ids: Mapped[list[str]] = mapped_column(Json, default=list)
    first_contact_reply_at: Mapped[int | None]
    statistics: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    part_count: Mapped[int] = mapped_column(default=0)
    # The list entry as pages show it, rendered when the conversation or what it shows
    # changes (`conversations.entries`); null until rendered. Not loaded with the object.
    summary: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)

    @validates("source_subject", "source_body")
    def _fold_for_search(self, key: str, value: str | None) -> str | None:
        """Keep the search columns in step with the source (ORM writes; bulk loads set both)."""
        if key == "source_subject":
            self.search_subject = fold(value or "")
        else:
            self.search_body = indexed_words(value or "")
        return value


class ConversationRecord(NamedTuple):
    """A `conversation` row as a plain, immutable record: every column, in table order.

    What prepared reads return (`db.prepared`) and what the write model works on: a write
    locks the row as one of these and makes the next with `_replace` (see
    `conversations.writes`). `tests/db/test_records.py` holds it to the table.
    """

    id: int
    workspace_id: int
    created_at: int
    updated_at: int
    title: str | None
    read: bool
    priority: str
    company_id: str | None
    custom_attributes: dict[str, Any]
    source_id: str
    source_type: str
    source_delivered_as: str
    source_subject: str
    source_body: str
    source_author_type: str
    source_author_id: str
    source_url: str | None
    source_attachments: list[dict[str, Any]]
    source_redacted: bool
    search_subject: str
    search_body: str
    sla_policy_id: int | None
    sla_applied_at: int | None
    sla_status: str | None
    sla_deadline: int | None
    rating: int | None
    rating_remark: str | None
    rating_created_at: int | None
    rating_updated_at: int | None
    rating_contact_id: str | None
    rating_teammate_id: int | None
    state: str
    open: bool
    waiting_since: int | None
    snoozed_until: int | None
    admin_assignee_id: int | None
    team_assignee_id: int | None
    teammate_ids: list[str]
    first_contact_reply_at: int | None
    statistics: dict[str, Any]
    part_count: int
    summary: bytes | None


class ConversationColumns(TypedDict, total=False):
    """Columns a write sets on a conversation, by name and type (all but `id`, `summary`).

    What the write model passes to `write_repository.update_row` and `insert_conversation`;
    the stored list entry (`summary`) is the commit's to write.
    """

    workspace_id: int
    created_at: int
    updated_at: int
    title: str | None
    read: bool
    priority: str
    company_id: str | None
    custom_attributes: dict[str, Any]
    source_id: str
    source_type: str
    source_delivered_as: str
    source_subject: str
    source_body: str
    source_author_type: str
    source_author_id: str
    source_url: str | None
    source_attachments: list[dict[str, Any]]
    source_redacted: bool
    search_subject: str
    search_body: str
    sla_policy_id: int | None
    sla_applied_at: int | None
    sla_status: str | None
    sla_deadline: int | None
    rating: int | None
    rating_remark: str | None
    rating_created_at: int | None
    rating_updated_at: int | None
    rating_contact_id: str | None
    rating_teammate_id: int | None
    state: str
    open: bool
    waiting_since: int | None
    snoozed_until: int | None
    admin_assignee_id: int | None
    team_assignee_id: int | None
    teammate_ids: list[str]
    first_contact_reply_at: int | None
    statistics: dict[str, Any]
    part_count: int


class ConversationPart(Base):
    """One event of a conversation's timeline, ordered by `position`."""

    __tablename__ = "conversation_part"
    __table_args__ = (UniqueConstraint("conversation_id", "position"),)

    id: Mapped[int] = mapped_column(IdInt, primary_key=True, autoincrement=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversation.id", ondelete="CASCADE"))
    position: Mapped[int]
    part_type: Mapped[str] = mapped_column(String(48))
    body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[int]
    updated_at: Mapped[int]
    notified_at: Mapped[int]
    author_type: Mapped[str] = mapped_column(String(16))
    author_id: Mapped[str] = mapped_column(String(32))
    assigned_to_type: Mapped[str | None] = mapped_column(String(16))
    assigned_to_id: Mapped[str | None] = mapped_column(String(32))
    snoozed_until: Mapped[int | None]
    # The conversation's state once this part applied (Intercom's part `state`).
    state: Mapped[str] = mapped_column(String(16))
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    external_id: Mapped[str | None] = mapped_column(String(255))
    redacted: Mapped[bool] = mapped_column(default=False)


class PartRecord(NamedTuple):
    """A `conversation_part` row as a plain, immutable record: every column, in table order."""

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
    attachments: list[dict[str, Any]]
    external_id: str | None
    redacted: bool


class ConversationContact(Base):
    """A contact taking part in a conversation."""

    __tablename__ = "conversation_contact"
    __table_args__ = (Index(None, "contact_id", "conversation_id"),)

    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversation.id", ondelete="CASCADE"), primary_key=True
    )
    contact_id: Mapped[str] = mapped_column(
        ForeignKey("contact.id", ondelete="CASCADE"), primary_key=True
    )
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    added_at: Mapped[int]


class ConversationTag(Base):
    """A tag applied to a conversation, and who applied it when."""

    __tablename__ = "conversation_tag"
    __table_args__ = (
        Index(None, "tag_id"),
        # Search's `tag_ids IN [...]`: the conversation ids straight from the index.
        Index(None, "workspace_id", "tag_id", "conversation_id"),
    )

    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversation.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    applied_at: Mapped[int]
    applied_by_id: Mapped[int | None]
