"""Count tables for search: conversations per combination of few-valued fields, per hour.

Kept exact by triggers (migration 0008) in the transaction that writes a conversation or
its tags; a search whose filters read only these fields (or only `created_at`) counts by
summing rows here (`conversations.repository.search_count`) instead of visiting every
matching conversation. PostgreSQL also sums the groups over admins (migration 0009), for
the queries that do not read the admin assignee.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Index, MetaData, String, Table, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from parlour.db.base import Base


class ConversationGroup(Base):
    """The conversations of a workspace with exactly these values: state, assignees, tag set.

    Assignees are 0 when there is none (a key column cannot hold a NULL that equals
    another); `tag_ids` is the conversation's tag ids in ascending order between commas
    (`,3,17,`), empty without tags. No foreign key: a workspace's rows reach zero, and so
    are deleted, as its conversations are deleted, in whatever order a cascade runs.
    """

    __tablename__ = "conversation_group"
    __table_args__ = (
        # Rows whose count reached zero, found at once by the trigger that deletes them.
        Index(
            "ix_conversation_group_empty",
            "workspace_id",
            sqlite_where=text("conversations = 0"),
            postgresql_where=text("conversations = 0"),
        ),
        {"sqlite_with_rowid": False},
    )

    workspace_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    open: Mapped[bool] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(String(16), primary_key=True)
    priority: Mapped[str] = mapped_column(String(16), primary_key=True)
    admin_assignee_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    team_assignee_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    tag_ids: Mapped[str] = mapped_column(Text, primary_key=True)
    conversations: Mapped[int] = mapped_column(BigInteger)


class ConversationHour(Base):
    """How many conversations of a workspace were created in each hour (`created_at // 3600`).

    A `created_at` range counts the whole hours inside it here and only the rows of its two
    partial hours. No foreign key, as for `ConversationGroup`.
    """

    __tablename__ = "conversation_hour"
    __table_args__ = ({"sqlite_with_rowid": False},)

    workspace_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    hour: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    conversations: Mapped[int] = mapped_column(BigInteger)


# PostgreSQL only (migration 0009): `conversation_group` summed over the admin assignee,
# kept by a row trigger on it. Outside `Base.metadata`, like `db.text_search`'s copy: it
# exists on one backend, so `text_search.include_object` keeps it out of the comparison.
GROUP_ROLLUP = Table(
    "conversation_group_rollup",
    MetaData(),
    Column("workspace_id", BigInteger, primary_key=True),
    Column("open", Boolean, primary_key=True),
    Column("state", String(16), primary_key=True),
    Column("priority", String(16), primary_key=True),
    Column("team_assignee_id", BigInteger, primary_key=True),
    Column("tag_ids", Text, primary_key=True),
    Column("conversations", BigInteger, nullable=False),
)
