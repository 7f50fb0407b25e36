"""SLA rules applied to conversations, the snooze queue index, case-insensitive email index

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("conversation", sa.Column("sla_applied_at", sa.BigInteger(), nullable=True))
    op.create_index(
        "ix_conversation_snooze_due",
        "conversation",
        ["snoozed_until"],
        unique=False,
        sqlite_where=sa.text("state = 'snoozed'"),
        postgresql_where=sa.text("state = 'snoozed'"),
    )
    with op.batch_alter_table("sla_policy") as batch:
        batch.add_column(
            sa.Column("apply_to_new", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(
            sa.Column("updated_at", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("archived_at", sa.BigInteger(), nullable=True))
    op.execute("UPDATE sla_policy SET updated_at = created_at")
    with op.batch_alter_table("sla_policy") as batch:
        batch.alter_column("apply_to_new", server_default=None)
        batch.alter_column("updated_at", server_default=None)
    op.create_index(
        "ix_contact_workspace_id_lower_email",
        "contact",
        ["workspace_id", sa.text("lower(email)")],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_contact_workspace_id_lower_email", table_name="contact")
    with op.batch_alter_table("sla_policy") as batch:
        batch.drop_column("archived_at")
        batch.drop_column("updated_at")
        batch.drop_column("apply_to_new")
    op.drop_index("ix_conversation_snooze_due", table_name="conversation")
    op.drop_column("conversation", "sla_applied_at")
