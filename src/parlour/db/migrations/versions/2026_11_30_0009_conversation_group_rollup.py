"""PostgreSQL: conversation groups summed over admin assignees, for cheaper group counts

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 22:00:00

`conversation_group_rollup` holds, per workspace, how many conversations have each
combination of `open`, `state`, `priority`, team assignee (0 for none) and tag set: the
rows of `conversation_group` (0008) summed over the admin assignee, which multiplies the
groups (1M seeded conversations: 21,269 groups, 5,276 rollup rows). A search count that
reads none of the admin assignee reads these instead (`tag_ids IN [...]`, `open AND
(priority OR tag OR team)`: 6-9 ms over the groups, ~1 ms here).

A row trigger on `conversation_group` adds each change of a group's size to its rollup
row, so the rollup is exact wherever the groups are. Every write to `conversation_group`
comes from 0008's triggers, which lock the workspace row first, so rollup rows are
changed one transaction at a time per workspace, always after that lock. A rollup row
whose count reaches zero is deleted by its key in the same trigger: no index covers
`conversations` (0008's partial index on `conversation_group` does, so every update of a
group's size there is a non-HOT update, new index entries included; here they stay on
their page, with the free space the fill factor leaves).

SQLite has no rollup: its group counts meet the targets, and it would cost every
conversation write there a row trigger more.
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

KEY = ("workspace_id", "open", "state", "priority", "team_assignee_id", "tag_ids")
COLUMNS = ", ".join(KEY)


def _add(row: str, change: str) -> str:
    """Add `change` to the rollup row of group row `row` (OLD or NEW), then drop it at zero."""
    values = ", ".join(f"{row}.{c}" for c in KEY)
    same = " AND ".join(f"{c} = {row}.{c}" for c in KEY)
    return (
        f"INSERT INTO conversation_group_rollup AS r ({COLUMNS}, conversations) "
        f"VALUES ({values}, {change}) ON CONFLICT ({COLUMNS}) "
        "DO UPDATE SET conversations = r.conversations + excluded.conversations; "
        f"DELETE FROM conversation_group_rollup WHERE {same} AND conversations = 0"
    )


SAME_KEY = " AND ".join(f"OLD.{c} = NEW.{c}" for c in KEY)

STATEMENTS = (
    "CREATE TABLE conversation_group_rollup (workspace_id BIGINT NOT NULL, "
    "open BOOLEAN NOT NULL, state VARCHAR(16) NOT NULL, priority VARCHAR(16) NOT NULL, "
    "team_assignee_id BIGINT NOT NULL, tag_ids TEXT NOT NULL, conversations BIGINT NOT NULL, "
    f"CONSTRAINT pk_conversation_group_rollup PRIMARY KEY ({COLUMNS})) "
    # Room on each page for the next versions of its rows (HOT updates).
    "WITH (fillfactor = 50)",
    # Filled before the trigger exists: nothing else writes during a migration.
    f"INSERT INTO conversation_group_rollup ({COLUMNS}, conversations) "
    f"SELECT {COLUMNS}, sum(conversations) FROM conversation_group "
    f"GROUP BY {COLUMNS} HAVING sum(conversations) <> 0",
    f"""CREATE FUNCTION parlour_conversation_group_rollup() RETURNS trigger
        LANGUAGE plpgsql AS $$ BEGIN
    -- (Nested: OLD is null in an insert, NEW in a delete.)
    IF TG_OP = 'UPDATE' THEN
        IF {SAME_KEY} THEN
            IF NEW.conversations <> OLD.conversations THEN
                {_add("NEW", "NEW.conversations - OLD.conversations")};
            END IF;
            RETURN NULL;
        END IF;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        IF OLD.conversations <> 0 THEN
            {_add("OLD", "-OLD.conversations")};
        END IF;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        IF NEW.conversations <> 0 THEN
            {_add("NEW", "NEW.conversations")};
        END IF;
    END IF;
    RETURN NULL;
END $$""",
    "CREATE TRIGGER conversation_group_rollup AFTER INSERT OR UPDATE OR DELETE "
    "ON conversation_group FOR EACH ROW EXECUTE FUNCTION parlour_conversation_group_rollup()",
    "ANALYZE conversation_group_rollup",
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    for statement in STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute("DROP TRIGGER IF EXISTS conversation_group_rollup ON conversation_group")
    op.execute("DROP FUNCTION IF EXISTS parlour_conversation_group_rollup()")
    op.execute("DROP TABLE IF EXISTS conversation_group_rollup")
