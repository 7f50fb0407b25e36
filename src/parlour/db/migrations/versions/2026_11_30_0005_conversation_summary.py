"""conversation list entries: the rendered `conversation` object a list page splices

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 11:00:00

Adds `conversation.summary` (null until rendered) and a partial index of the rows still
to render. Existing rows start null: pages render them from the rows until `parlour serve`
(its background job) or `parlour conversations render-summaries` stores them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("conversation", sa.Column("summary", sa.LargeBinary(), nullable=True))
    op.create_index(
        "ix_conversation_unrendered",
        "conversation",
        ["id"],
        sqlite_where=sa.text("summary IS NULL"),
        postgresql_where=sa.text("summary IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_conversation_unrendered", table_name="conversation")
    op.drop_column("conversation", "summary")
