"""search count versions: per-field-group versions on the workspace, bumped by triggers

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 17:00:00

A cached search count is keyed on the versions of what its fields read, not on the
workspace's `data_version` (which every conversation write bumps), so a reply does not
invalidate the count of `tag_ids IN [...]` or of a body word. Each group of searchable
columns gets a version column on `workspace`, and triggers bump it in the writing
transaction whenever a row's value in the group changes, whichever code path wrote it:

- `tags_version` / `contacts_version`: a `conversation_tag` / `conversation_contact` link
  was inserted, deleted or updated (cascades included);
- `state_version` (open, state, snoozed_until), `assignee_version` (admin and team
  assignee), `priority_version`, and `source_version` (the opening message's columns and
  created_at, which only a redaction changes): an UPDATE changed one of their values.

On PostgreSQL the link triggers run once per statement (a seed's COPY bumps the row once,
not once per link), the conversation triggers once per changed row (a `WHEN` clause keeps
the other updates, the hot write's included, free of them). SQLite has only row triggers.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

LINK_VERSIONS = {"conversation_tag": "tags_version", "conversation_contact": "contacts_version"}
# Conversation columns whose changed value bumps the version.
ROW_VERSIONS = {
    "state_version": ("open", "state", "snoozed_until"),
    "assignee_version": ("admin_assignee_id", "team_assignee_id"),
    "priority_version": ("priority",),
    "source_version": (
        "created_at", "source_type", "source_id", "source_delivered_as", "source_author_type",
        "source_author_id", "source_url", "search_subject", "search_body",
    ),
}  # fmt: skip
VERSIONS = (*LINK_VERSIONS.values(), *ROW_VERSIONS)


def _bump(version: str, workspace: str) -> str:
    return f"UPDATE workspace SET {version} = {version} + 1 WHERE id = {workspace}"


def _sqlite_up() -> list[str]:
    statements = []
    for table, version in LINK_VERSIONS.items():
        for event, row in (("INSERT", "NEW"), ("DELETE", "OLD"), ("UPDATE", "NEW")):
            also = f"; {_bump(version, 'OLD.workspace_id')}" if event == "UPDATE" else ""
            statements.append(
                f"CREATE TRIGGER {table}_count_{event.lower()} AFTER {event} ON {table} "
                f"BEGIN {_bump(version, f'{row}.workspace_id')}{also}; END"
            )
    for version, columns in ROW_VERSIONS.items():
        changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns)
        statements.append(
            f"CREATE TRIGGER conversation_count_{version} "
            f"AFTER UPDATE OF {', '.join(columns)} ON conversation WHEN {changed} "
            f"BEGIN {_bump(version, 'NEW.workspace_id')}; END"
        )
    return statements


def _sqlite_down() -> list[str]:
    names = [f"{t}_count_{e}" for t in LINK_VERSIONS for e in ("insert", "delete", "update")]
    names += [f"conversation_count_{v}" for v in ROW_VERSIONS]
    return [f"DROP TRIGGER IF EXISTS {name}" for name in names]


def _postgresql_up() -> list[str]:
    statements = []
    for table, version in LINK_VERSIONS.items():
        function = f"parlour_{table}_count_version"
        statements.append(
            f"CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"UPDATE workspace SET {version} = {version} + 1 "
            f"WHERE id IN (SELECT DISTINCT workspace_id FROM changed); RETURN NULL; END $$"
        )
        for event, rows in (("INSERT", "NEW"), ("DELETE", "OLD"), ("UPDATE", "NEW")):
            statements.append(
                f"CREATE TRIGGER {table}_count_{event.lower()} AFTER {event} ON {table} "
                f"REFERENCING {rows} TABLE AS changed FOR EACH STATEMENT "
                f"EXECUTE FUNCTION {function}()"
            )
    for version, columns in ROW_VERSIONS.items():
        function = f"parlour_conversation_{version}"
        changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in columns)
        statements.append(
            f"CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"{_bump(version, 'NEW.workspace_id')}; RETURN NULL; END $$"
        )
        statements.append(
            f"CREATE TRIGGER conversation_count_{version} "
            f"AFTER UPDATE OF {', '.join(columns)} ON conversation FOR EACH ROW "
            f"WHEN ({changed}) EXECUTE FUNCTION {function}()"
        )
    return statements


def _postgresql_down() -> list[str]:
    statements = [
        f"DROP TRIGGER IF EXISTS {t}_count_{e} ON {t}"
        for t in LINK_VERSIONS
        for e in ("insert", "delete", "update")
    ]
    statements += [f"DROP FUNCTION IF EXISTS parlour_{t}_count_version()" for t in LINK_VERSIONS]
    for version in ROW_VERSIONS:
        statements.append(f"DROP TRIGGER IF EXISTS conversation_count_{version} ON conversation")
        statements.append(f"DROP FUNCTION IF EXISTS parlour_conversation_{version}()")
    return statements


def upgrade() -> None:
    for version in VERSIONS:
        op.add_column(
            "workspace", sa.Column(version, sa.BigInteger(), nullable=False, server_default="0")
        )
    dialect = op.get_bind().dialect.name
    for statement in _sqlite_up() if dialect == "sqlite" else _postgresql_up():
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in _sqlite_down() if dialect == "sqlite" else _postgresql_down():
        op.execute(statement)
    with op.batch_alter_table("workspace") as batch:
        for version in reversed(VERSIONS):
            batch.drop_column(version)
