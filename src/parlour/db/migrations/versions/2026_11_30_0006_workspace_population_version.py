"""workspace population version: the unfiltered conversation count's cache key

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 12:15:00

`workspace.population_version` is bumped only when conversations are created or deleted,
so the count every unfiltered list page shows stays cached across other writes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "workspace",
        sa.Column("population_version", sa.BigInteger(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_column("workspace", "population_version")
