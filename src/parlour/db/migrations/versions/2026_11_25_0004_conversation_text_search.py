"""conversation text search: folded subject/body columns, SQLite FTS5, PostgreSQL pg_trgm

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 16:00:00

Adds `conversation.search_subject` and `search_body` (the caseless forms search compares,
see `parlour.core.text`), fills them for existing rows, and indexes them for substring
search: an FTS5 trigram table kept by triggers on SQLite, GIN pg_trgm indexes on
PostgreSQL when the extension can be created (else a warning; search stays correct).
Also indexes for search's common filters: state, tags, and the created_at index widened
to cover the small filter columns.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

from parlour.core.text import fold, indexed_words

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

log = logging.getLogger("parlour.migrations")
BATCH = 2_000

_conversation = sa.table(
    "conversation",
    sa.column("id", sa.BigInteger),
    sa.column("source_subject", sa.Text),
    sa.column("source_body", sa.Text),
    sa.column("search_subject", sa.Text),
    sa.column("search_body", sa.Text),
)

SQLITE_UP = (
    # External content: the index reads the columns from `conversation` (rowid = id) and
    # stores only trigrams. The text is already folded, so the tokenizer must not fold.
    "CREATE VIRTUAL TABLE conversation_search USING fts5("
    "search_subject, search_body, content='conversation', content_rowid='id', "
    "tokenize='trigram case_sensitive 1')",
    "CREATE TRIGGER conversation_search_insert AFTER INSERT ON conversation BEGIN "
    "INSERT INTO conversation_search(rowid, search_subject, search_body) "
    "VALUES (new.id, new.search_subject, new.search_body); END",
    "CREATE TRIGGER conversation_search_delete AFTER DELETE ON conversation BEGIN "
    "INSERT INTO conversation_search(conversation_search, rowid, search_subject, search_body) "
    "VALUES ('delete', old.id, old.search_subject, old.search_body); END",
    "CREATE TRIGGER conversation_search_update "
    "AFTER UPDATE OF search_subject, search_body ON conversation BEGIN "
    "INSERT INTO conversation_search(conversation_search, rowid, search_subject, search_body) "
    "VALUES ('delete', old.id, old.search_subject, old.search_body); "
    "INSERT INTO conversation_search(rowid, search_subject, search_body) "
    "VALUES (new.id, new.search_subject, new.search_body); END",
    "INSERT INTO conversation_search(conversation_search) VALUES ('rebuild')",
)
SQLITE_DOWN = (
    "DROP TRIGGER IF EXISTS conversation_search_update",
    "DROP TRIGGER IF EXISTS conversation_search_delete",
    "DROP TRIGGER IF EXISTS conversation_search_insert",
    "DROP TABLE IF EXISTS conversation_search",
)
POSTGRESQL_INDEXES = (
    "CREATE INDEX ix_conversation_search_subject_trgm "
    "ON conversation USING gin (search_subject gin_trgm_ops)",
    "CREATE INDEX ix_conversation_search_body_trgm "
    "ON conversation USING gin (search_body gin_trgm_ops)",
)


def _backfill(connection: sa.Connection) -> None:
    """Fold the subject and body of every existing conversation, in id order, by batches."""
    after = 0
    while True:
        rows = connection.execute(
            sa.select(
                _conversation.c.id, _conversation.c.source_subject, _conversation.c.source_body
            )
            .where(_conversation.c.id > after)
            .order_by(_conversation.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        connection.execute(
            _conversation.update()
            .where(_conversation.c.id == sa.bindparam("row_id"))
            .values(search_subject=sa.bindparam("subject"), search_body=sa.bindparam("body")),
            [
                {
                    "row_id": r.id,
                    "subject": fold(r.source_subject or ""),
                    "body": indexed_words(r.source_body or ""),
                }
                for r in rows
            ],
        )
        after = rows[-1].id


def _sqlite_fts(connection: sa.Connection) -> None:
    # FTS5's trigram tokenizer needs SQLite 3.34+; without it search scans (and says so).
    try:
        with connection.begin_nested():
            for statement in SQLITE_UP:
                connection.execute(sa.text(statement))
    except sa.exc.OperationalError as exc:
        log.warning(
            "SQLite has no FTS5 trigram tokenizer (%s); conversation search works without "
            "it but scans for substring filters.",
            exc.orig,
        )


def _postgresql_trigram(connection: sa.Connection) -> None:
    try:
        with connection.begin_nested():
            connection.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError as exc:
        log.warning(
            "pg_trgm is not available (%s); conversation search works without it but "
            "scans for substring filters. See parlour.db.text_search.TRIGRAM_DDL.",
            str(exc.orig).strip().splitlines()[0] if exc.orig else exc,
        )
        return
    for statement in POSTGRESQL_INDEXES:
        connection.execute(sa.text(statement))


def upgrade() -> None:
    op.add_column(
        "conversation", sa.Column("search_subject", sa.Text(), nullable=False, server_default="")
    )
    op.add_column(
        "conversation", sa.Column("search_body", sa.Text(), nullable=False, server_default="")
    )
    # Indexes for search: the created_at index also covers the columns filtered on most.
    op.drop_index("ix_conversation_ws_created", table_name="conversation")
    op.create_index(
        "ix_conversation_ws_created",
        "conversation",
        [
            "workspace_id", "created_at", "id", "open", "state", "priority", "read",
            "admin_assignee_id", "team_assignee_id",
        ],
    )  # fmt: skip
    op.create_index(
        "ix_conversation_ws_state", "conversation", ["workspace_id", "state", "created_at", "id"]
    )
    op.create_index("ix_conversation_id_ws", "conversation", ["id", "workspace_id"])
    op.create_index(
        "ix_conversation_tag_workspace_id_tag_id_conversation_id",
        "conversation_tag",
        ["workspace_id", "tag_id", "conversation_id"],
    )
    connection = op.get_bind()
    _backfill(connection)
    if connection.dialect.name == "sqlite":
        _sqlite_fts(connection)
    elif connection.dialect.name == "postgresql":
        _postgresql_trigram(connection)


def downgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "sqlite":
        for statement in SQLITE_DOWN:
            connection.execute(sa.text(statement))
    else:
        op.execute("DROP INDEX IF EXISTS ix_conversation_search_body_trgm")
        op.execute("DROP INDEX IF EXISTS ix_conversation_search_subject_trgm")
    op.drop_index(
        "ix_conversation_tag_workspace_id_tag_id_conversation_id", table_name="conversation_tag"
    )
    op.drop_index("ix_conversation_id_ws", table_name="conversation")
    op.drop_index("ix_conversation_ws_state", table_name="conversation")
    op.drop_index("ix_conversation_ws_created", table_name="conversation")
    op.create_index(
        "ix_conversation_ws_created", "conversation", ["workspace_id", "created_at", "id"]
    )
    with op.batch_alter_table("conversation") as batch:
        batch.drop_column("search_body")
        batch.drop_column("search_subject")
