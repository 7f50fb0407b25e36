"""The packaged migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from parlour.db.base import Base
from parlour.db.migrate import current_revision, upgrade
from parlour.db.session import Database


@pytest.mark.filterwarnings(
    # SQLite cannot reflect expression indexes (lower(email)); PostgreSQL compares them.
    "ignore:autogenerate skipping metadata-specified expression-based index",
    "ignore:Skipped unsupported reflection of expression-based index",
)
def test_migrated_schema_matches_models(db: Database) -> None:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_upgrade_is_idempotent(db: Database) -> None:
    upgrade(db.engine)
    assert current_revision(db.engine) == "0003"
