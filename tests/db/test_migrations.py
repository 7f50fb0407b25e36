"""The packaged migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from parlour.db.base import Base
from parlour.db.migrate import current_revision, upgrade
from parlour.db.session import Database
from parlour.db.text_search import FTS_TABLE, TRIGRAM_INDEXES, include_object


@pytest.mark.filterwarnings(
    # SQLite cannot reflect expression indexes (lower(email)); PostgreSQL compares them.
    "ignore:autogenerate skipping metadata-specified expression-based index",
    "ignore:Skipped unsupported reflection of expression-based index",
)
def test_migrated_schema_matches_models(db: Database) -> None:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": include_object}
        )
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_upgrade_is_idempotent(db: Database) -> None:
    upgrade(db.engine)
    assert current_revision(db.engine) == "0009"


def test_text_search_objects_exist(db: Database) -> None:
    """Migration 0004 built the text index the comparison above leaves out."""
    with db.engine.connect() as connection:
        if db.is_sqlite:
            names = set(
                connection.exec_driver_sql(
                    "SELECT name FROM sqlite_master WHERE name LIKE 'conversation_search%'"
                ).scalars()
            )
            assert {
                FTS_TABLE,
                "conversation_search_insert",
                "conversation_search_update",
                "conversation_search_delete",
            } <= names
        else:
            names = set(
                connection.exec_driver_sql(
                    "SELECT indexname FROM pg_indexes WHERE tablename = 'conversation'"
                ).scalars()
            )
            has_trgm = connection.exec_driver_sql(
                "SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'"
            ).first()
            assert (names >= TRIGRAM_INDEXES) == (has_trgm is not None)
