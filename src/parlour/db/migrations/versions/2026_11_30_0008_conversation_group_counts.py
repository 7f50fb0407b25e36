"""conversation group counts and PostgreSQL's narrow text copy: cheaper exact search counts

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 19:00:00

`conversation_group` holds, per workspace, how many conversations have each combination
of `open`, `state`, `priority`, admin and team assignee (0 for none) and tag set (`,3,17,`,
ascending; empty without tags). A search that reads only these fields is counted by
summing the matching rows (a few thousand) instead of visiting every matching
conversation (`tag_ids IN [...]`, `open AND (priority OR tag OR team)`: 100,000+ rows).

The table is filled from the existing rows here, then kept exact by triggers in the
writing transaction, whatever the code path: a conversation's insert adds it to its group,
an update of one of the columns moves it, a tag link's insert, delete or update moves its
conversation from the group of its previous tag set to the current one. A conversation's
delete first deletes its tag links (moving it to the empty tag set), then removes it, so
the result does not depend on when a cascade deletes the links. Rows whose count reaches
zero are deleted.

On PostgreSQL every trigger first locks the workspace row (`FOR NO KEY UPDATE`, as the
version bumps of 0007 do; foreign key checks are not blocked), then reads the tag sets in
statements of its own: under read committed each statement sees every transaction that
committed before the lock was granted, so two transactions tagging or reassigning the same
conversation at once see each other's change, and group rows are only ever locked after
the workspace row (no deadlock between them). Inserts and link changes run once per
statement (a seed's COPY), conversation updates and deletes once per row. SQLite runs one
writer at a time and has only row triggers.

`conversation_hour` counts the conversations created in each hour (`created_at / 3600`),
kept by the same insert and delete triggers and one for an update of `created_at`: a
`created_at` range is counted as the whole hours inside it plus the rows of the two partial
hours at its ends (a 7-day range: 168 rows and at most two hours of conversations, instead
of 60,000 index entries).

PostgreSQL also gets `conversation_text`: the folded subject and body again, ~110 bytes a
row, with the trigram indexes and an exact GIN index of the body's words, kept by an insert
trigger (per statement), an update trigger and a cascading foreign key. Counting a common
word visits every matching row's page; on `conversation` (~2 KB rows) that was most of the
table. SQLite's FTS5 index already counts without reading rows.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

KEY = (
    "workspace_id", "open", "state", "priority", "admin_assignee_id", "team_assignee_id",
    "tag_ids",
)  # fmt: skip
COLUMNS = ", ".join(KEY)
# The conversation columns a group is keyed on (an update of any other column moves nothing).
WATCHED = ("workspace_id", "open", "state", "priority", "admin_assignee_id", "team_assignee_id")


def _values(row: str, named: bool = True) -> str:
    """A conversation row's key columns, without the tag set (`named` as the key's)."""
    admin, team = (" AS admin_assignee_id", " AS team_assignee_id") if named else ("", "")
    return (
        f"{row}.workspace_id, {row}.open, {row}.state, {row}.priority, "
        f"coalesce({row}.admin_assignee_id, 0){admin}, coalesce({row}.team_assignee_id, 0){team}"
    )


# SQLite ------------------------------------------------------------------------------------

UPSERT_SQLITE = (
    f"ON CONFLICT ({COLUMNS}) DO UPDATE SET conversations = conversations + excluded.conversations"
)


def _tags_sqlite(conversation: str, without: str = "", plus: str = "") -> str:
    """The tag-set key of `conversation` now, less the links `without` matches, plus `plus`.

    An ordered subquery that is not flattened into the aggregate (SQLite's rule for an
    aggregate over an ORDER BY subquery), so the ids are concatenated in ascending order.
    """
    rows = f"SELECT tag_id FROM conversation_tag WHERE conversation_id = {conversation}"
    if without:
        rows += f" AND NOT ({without})"
    if plus:
        rows += f" UNION SELECT {plus}"
    return (
        f"(SELECT coalesce(',' || group_concat(tag_id, ',') || ',', '') FROM ({rows} ORDER BY 1))"
    )


def _add_row_sqlite(row: str, tags: str, change: int) -> str:
    return (
        f"INSERT INTO conversation_group ({COLUMNS}, conversations) "
        f"VALUES ({_values(row, named=False)}, {tags}, {change}) {UPSERT_SQLITE}"
    )


def _add_conversation_sqlite(conversation: str, tags: str, change: int, when: str = "") -> str:
    """Add `change` to the group of `conversation` (read from its row) with tag set `tags`."""
    return (
        f"INSERT INTO conversation_group ({COLUMNS}, conversations) "
        f"SELECT {_values('c')}, {tags}, {change} FROM conversation AS c "
        f"WHERE c.id = {conversation}{when} {UPSERT_SQLITE}"
    )


def _prune(workspace: str) -> str:
    return f"DELETE FROM conversation_group WHERE conversations = 0 AND workspace_id = {workspace}"


def _move_sqlite(conversation: str, before: str, when: str = "") -> list[str]:
    """Move `conversation` from the group of tag set `before` to that of its current set."""
    return [
        _add_conversation_sqlite(conversation, before, -1, when),
        _add_conversation_sqlite(conversation, _tags_sqlite(conversation), 1, when),
    ]


# Conversations per (workspace, hour created): `created_at / 3600`, the same integer division
# on both databases (it truncates; `repository._range_count` only sums hours >= 1).
HOUR = "{row}.created_at / 3600"
UPSERT_HOUR = (
    "ON CONFLICT (workspace_id, hour) DO UPDATE SET conversations = {table}conversations "
    "+ excluded.conversations"
)


def _hour(row: str, change: int, table: str = "") -> str:
    """Add `change` to the hour of conversation row `row` (`table`: PostgreSQL's alias)."""
    into = "conversation_hour AS h" if table else "conversation_hour"
    return (
        f"INSERT INTO {into} (workspace_id, hour, conversations) "
        f"VALUES ({row}.workspace_id, {HOUR.format(row=row)}, {change}) "
        + UPSERT_HOUR.format(table=table)
    )


def _prune_hour(row: str) -> str:
    return (
        f"DELETE FROM conversation_hour WHERE workspace_id = {row}.workspace_id "
        f"AND hour = {HOUR.format(row=row)} AND conversations = 0"
    )


HOUR_WATCHED = ("workspace_id", "created_at")


def _sqlite_up() -> list[str]:
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in WATCHED)
    update_old = [
        # A link now belonging elsewhere (or to another tag) was OLD's before the update.
        *_move_sqlite(
            "OLD.conversation_id",
            _tags_sqlite(
                "OLD.conversation_id",
                without="OLD.conversation_id = NEW.conversation_id AND tag_id = NEW.tag_id",
                plus="OLD.tag_id",
            ),
        ),
        *_move_sqlite(
            "NEW.conversation_id",
            _tags_sqlite("NEW.conversation_id", without="tag_id = NEW.tag_id"),
            when=" AND NEW.conversation_id <> OLD.conversation_id",
        ),
        _prune("OLD.workspace_id"),
        _prune("NEW.workspace_id"),
    ]
    bodies = {
        "conversation_group_insert AFTER INSERT ON conversation": [
            _add_row_sqlite("NEW", _tags_sqlite("NEW.id"), 1),
            _hour("NEW", 1),
        ],
        "conversation_group_delete BEFORE DELETE ON conversation": [
            "DELETE FROM conversation_tag WHERE conversation_id = OLD.id",
            _add_row_sqlite("OLD", _tags_sqlite("OLD.id"), -1),
            _prune("OLD.workspace_id"),
            _hour("OLD", -1),
            _prune_hour("OLD"),
        ],
        f"conversation_hour_update AFTER UPDATE OF {', '.join(HOUR_WATCHED)} ON conversation "
        f"WHEN {' OR '.join(f'OLD.{c} IS NOT NEW.{c}' for c in HOUR_WATCHED)}": [
            _hour("OLD", -1),
            _hour("NEW", 1),
            _prune_hour("OLD"),
        ],
        f"conversation_group_update AFTER UPDATE OF {', '.join(WATCHED)} ON conversation "
        f"WHEN {changed}": [
            _add_row_sqlite("OLD", _tags_sqlite("NEW.id"), -1),
            _add_row_sqlite("NEW", _tags_sqlite("NEW.id"), 1),
            _prune("OLD.workspace_id"),
        ],
        "conversation_tag_group_insert AFTER INSERT ON conversation_tag": [
            *_move_sqlite(
                "NEW.conversation_id",
                _tags_sqlite("NEW.conversation_id", without="tag_id = NEW.tag_id"),
            ),
            _prune("NEW.workspace_id"),
        ],
        "conversation_tag_group_delete AFTER DELETE ON conversation_tag": [
            *_move_sqlite(
                "OLD.conversation_id", _tags_sqlite("OLD.conversation_id", plus="OLD.tag_id")
            ),
            _prune("OLD.workspace_id"),
        ],
        "conversation_tag_group_update AFTER UPDATE OF conversation_id, tag_id "
        "ON conversation_tag": update_old,
    }
    return [f"CREATE TRIGGER {head} BEGIN {'; '.join(body)}; END" for head, body in bodies.items()]


SQLITE_TRIGGERS = (
    "conversation_group_insert", "conversation_group_delete", "conversation_group_update",
    "conversation_tag_group_insert", "conversation_tag_group_delete",
    "conversation_tag_group_update", "conversation_hour_update",
)  # fmt: skip

# Each conversation's key by the triggers' own ordered subquery (the primary key's order).
SQLITE_FILL = (
    f"INSERT INTO conversation_group ({COLUMNS}, conversations) "
    f"SELECT {_values('c')}, {_tags_sqlite('c.id')}, count(*) FROM conversation AS c "
    "GROUP BY 1, 2, 3, 4, 5, 6, 7"
)
HOUR_FILL = (
    "INSERT INTO conversation_hour (workspace_id, hour, conversations) "
    "SELECT workspace_id, created_at / 3600, count(*) FROM conversation GROUP BY 1, 2"
)

# PostgreSQL --------------------------------------------------------------------------------

UPSERT_POSTGRESQL = (
    f"ON CONFLICT ({COLUMNS}) "
    "DO UPDATE SET conversations = g.conversations + excluded.conversations"
)


def _tag_keys_postgresql(links: str) -> str:
    """(conversation_id, tag-set key) per conversation of `links` (conversation_id, tag_id)."""
    return (
        "SELECT conversation_id, ',' || string_agg(tag_id::text, ',' ORDER BY tag_id) || ',' "
        f"AS tag_ids FROM ({links}) AS l GROUP BY conversation_id"
    )


def _lock(workspaces: str) -> str:
    return f"PERFORM 1 FROM workspace WHERE id IN ({workspaces}) ORDER BY id FOR NO KEY UPDATE"


def _links_function(name: str, added: str, removed: str, workspaces: str) -> str:
    """A statement trigger moving each conversation whose links changed to its new group."""
    return f"""CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
    {_lock(workspaces)};
    WITH added AS ({added}), removed AS ({removed}),
    affected AS (SELECT conversation_id FROM added UNION SELECT conversation_id FROM removed),
    now_links AS (
        SELECT t.conversation_id, t.tag_id FROM conversation_tag AS t
        WHERE t.conversation_id IN (SELECT conversation_id FROM affected)
    ),
    before_links AS (
        SELECT conversation_id, tag_id FROM now_links
        EXCEPT SELECT conversation_id, tag_id FROM added
        UNION SELECT conversation_id, tag_id FROM removed
    ),
    now_keys AS ({_tag_keys_postgresql("SELECT * FROM now_links")}),
    before_keys AS ({_tag_keys_postgresql("SELECT * FROM before_links")}),
    moves AS (
        SELECT {_values("c")}, coalesce(b.tag_ids, '') AS tag_ids, -1 AS change
        FROM conversation AS c LEFT JOIN before_keys AS b ON b.conversation_id = c.id
        WHERE c.id IN (SELECT conversation_id FROM affected)
        UNION ALL
        SELECT {_values("c")}, coalesce(n.tag_ids, ''), 1
        FROM conversation AS c LEFT JOIN now_keys AS n ON n.conversation_id = c.id
        WHERE c.id IN (SELECT conversation_id FROM affected)
    )
    INSERT INTO conversation_group AS g ({COLUMNS}, conversations)
    SELECT {COLUMNS}, sum(change) FROM moves
    GROUP BY 1, 2, 3, 4, 5, 6, 7 HAVING sum(change) <> 0
    {UPSERT_POSTGRESQL};
    DELETE FROM conversation_group WHERE conversations = 0 AND workspace_id IN ({workspaces});
    RETURN NULL;
END $$"""


def _postgresql_up() -> list[str]:
    no_links = "SELECT NULL::bigint AS conversation_id, NULL::bigint AS tag_id WHERE false"
    new_links = "SELECT conversation_id, tag_id FROM new_links"
    old_links = "SELECT conversation_id, tag_id FROM old_links"
    statements = [
        _links_function(
            "parlour_conversation_tag_group_insert", new_links, no_links,
            "SELECT workspace_id FROM new_links",
        ),
        _links_function(
            "parlour_conversation_tag_group_delete", no_links, old_links,
            "SELECT workspace_id FROM old_links",
        ),
        _links_function(
            "parlour_conversation_tag_group_update", new_links, old_links,
            "SELECT workspace_id FROM new_links UNION SELECT workspace_id FROM old_links",
        ),
    ]  # fmt: skip
    for event, tables in (
        ("insert", "NEW TABLE AS new_links"),
        ("delete", "OLD TABLE AS old_links"),
        ("update", "OLD TABLE AS old_links NEW TABLE AS new_links"),
    ):
        statements.append(
            f"CREATE TRIGGER conversation_tag_group_{event} AFTER {event.upper()} "
            f"ON conversation_tag REFERENCING {tables} FOR EACH STATEMENT "
            f"EXECUTE FUNCTION parlour_conversation_tag_group_{event}()"
        )
    tags_of = (
        "SELECT coalesce(',' || string_agg(tag_id::text, ',' ORDER BY tag_id) || ',', '') "
        "INTO tags FROM conversation_tag WHERE conversation_id = {}"
    )
    new_keys = _tag_keys_postgresql(
        "SELECT conversation_id, tag_id FROM conversation_tag "
        "WHERE conversation_id IN (SELECT id FROM new_conversations)"
    )
    statements += [
        f"""CREATE FUNCTION parlour_conversation_group_insert() RETURNS trigger
        LANGUAGE plpgsql AS $$ BEGIN
    {_lock("SELECT workspace_id FROM new_conversations")};
    INSERT INTO conversation_group AS g ({COLUMNS}, conversations)
    SELECT {_values("c")}, coalesce(k.tag_ids, ''), count(*) FROM new_conversations AS c
    LEFT JOIN ({new_keys}) AS k ON k.conversation_id = c.id
    GROUP BY 1, 2, 3, 4, 5, 6, 7
    {UPSERT_POSTGRESQL};
    INSERT INTO conversation_hour AS h (workspace_id, hour, conversations)
    SELECT workspace_id, {HOUR.format(row="c")}, count(*) FROM new_conversations AS c
    GROUP BY 1, 2 {UPSERT_HOUR.format(table="h.")};
    RETURN NULL;
END $$""",
        "CREATE TRIGGER conversation_group_insert AFTER INSERT ON conversation "
        "REFERENCING NEW TABLE AS new_conversations FOR EACH STATEMENT "
        "EXECUTE FUNCTION parlour_conversation_group_insert()",
        f"""CREATE FUNCTION parlour_conversation_group_update() RETURNS trigger
        LANGUAGE plpgsql AS $$ DECLARE tags text; BEGIN
    {_lock("OLD.workspace_id, NEW.workspace_id")};
    {tags_of.format("NEW.id")};
    INSERT INTO conversation_group AS g ({COLUMNS}, conversations)
    VALUES ({_values("OLD", named=False)}, tags, -1) {UPSERT_POSTGRESQL};
    INSERT INTO conversation_group AS g ({COLUMNS}, conversations)
    VALUES ({_values("NEW", named=False)}, tags, 1) {UPSERT_POSTGRESQL};
    DELETE FROM conversation_group WHERE conversations = 0 AND workspace_id = OLD.workspace_id;
    RETURN NULL;
END $$""",
        f"CREATE TRIGGER conversation_group_update "
        f"AFTER UPDATE OF {', '.join(WATCHED)} ON conversation FOR EACH ROW "
        f"WHEN ({' OR '.join(f'OLD.{c} IS DISTINCT FROM NEW.{c}' for c in WATCHED)}) "
        "EXECUTE FUNCTION parlour_conversation_group_update()",
        # Before the row goes: its links first (their trigger moves it to the empty tag set).
        f"""CREATE FUNCTION parlour_conversation_group_delete() RETURNS trigger
        LANGUAGE plpgsql AS $$ DECLARE tags text; BEGIN
    {_lock("OLD.workspace_id")};
    DELETE FROM conversation_tag WHERE conversation_id = OLD.id;
    {tags_of.format("OLD.id")};
    INSERT INTO conversation_group AS g ({COLUMNS}, conversations)
    VALUES ({_values("OLD", named=False)}, tags, -1) {UPSERT_POSTGRESQL};
    DELETE FROM conversation_group WHERE conversations = 0 AND workspace_id = OLD.workspace_id;
    {_hour("OLD", -1, table="h.")};
    {_prune_hour("OLD")};
    RETURN OLD;
END $$""",
        "CREATE TRIGGER conversation_group_delete BEFORE DELETE ON conversation "
        "FOR EACH ROW EXECUTE FUNCTION parlour_conversation_group_delete()",
        f"""CREATE FUNCTION parlour_conversation_hour_update() RETURNS trigger
        LANGUAGE plpgsql AS $$ BEGIN
    {_lock("OLD.workspace_id, NEW.workspace_id")};
    {_hour("OLD", -1, table="h.")};
    {_hour("NEW", 1, table="h.")};
    {_prune_hour("OLD")};
    RETURN NULL;
END $$""",
        f"CREATE TRIGGER conversation_hour_update "
        f"AFTER UPDATE OF {', '.join(HOUR_WATCHED)} ON conversation FOR EACH ROW "
        f"WHEN ({' OR '.join(f'OLD.{c} IS DISTINCT FROM NEW.{c}' for c in HOUR_WATCHED)}) "
        "EXECUTE FUNCTION parlour_conversation_hour_update()",
    ]
    return statements


# The narrow copy of the folded text that PostgreSQL counts over (`db.text_search`).
TEXT_COLUMNS = ("workspace_id", "search_subject", "search_body")
POSTGRESQL_TEXT = (
    "CREATE TABLE conversation_text (id BIGINT PRIMARY KEY "
    "REFERENCES conversation (id) ON DELETE CASCADE, workspace_id BIGINT NOT NULL, "
    "search_subject TEXT NOT NULL, search_body TEXT NOT NULL)",
    "INSERT INTO conversation_text (id, workspace_id, search_subject, search_body) "
    "SELECT id, workspace_id, search_subject, search_body FROM conversation",
    # Must stay `db.text_search.body_words`'s expression, or counts stop using it.
    "CREATE INDEX ix_conversation_text_words ON conversation_text "
    "USING gin (string_to_array(btrim(search_body), ' '))",
    """CREATE FUNCTION parlour_conversation_text_insert() RETURNS trigger
    LANGUAGE plpgsql AS $$ BEGIN
    INSERT INTO conversation_text (id, workspace_id, search_subject, search_body)
    SELECT id, workspace_id, search_subject, search_body FROM new_conversations;
    RETURN NULL;
END $$""",
    "CREATE TRIGGER conversation_text_insert AFTER INSERT ON conversation "
    "REFERENCING NEW TABLE AS new_conversations FOR EACH STATEMENT "
    "EXECUTE FUNCTION parlour_conversation_text_insert()",
    """CREATE FUNCTION parlour_conversation_text_update() RETURNS trigger
    LANGUAGE plpgsql AS $$ BEGIN
    UPDATE conversation_text SET workspace_id = NEW.workspace_id,
        search_subject = NEW.search_subject, search_body = NEW.search_body
    WHERE id = NEW.id;
    RETURN NULL;
END $$""",
    f"CREATE TRIGGER conversation_text_update "
    f"AFTER UPDATE OF {', '.join(TEXT_COLUMNS)} ON conversation FOR EACH ROW "
    f"WHEN ({' OR '.join(f'OLD.{c} IS DISTINCT FROM NEW.{c}' for c in TEXT_COLUMNS)}) "
    "EXECUTE FUNCTION parlour_conversation_text_update()",
)
# Only with pg_trgm (migration 0004 installs it when it may), like the indexes on conversation.
POSTGRESQL_TEXT_TRIGRAM = (
    "CREATE INDEX ix_conversation_text_subject_trgm ON conversation_text "
    "USING gin (search_subject gin_trgm_ops)",
    "CREATE INDEX ix_conversation_text_body_trgm ON conversation_text "
    "USING gin (search_body gin_trgm_ops)",
)

POSTGRESQL_FUNCTIONS = (
    "parlour_conversation_tag_group_insert", "parlour_conversation_tag_group_delete",
    "parlour_conversation_tag_group_update", "parlour_conversation_group_insert",
    "parlour_conversation_group_update", "parlour_conversation_group_delete",
    "parlour_conversation_text_insert", "parlour_conversation_text_update",
    "parlour_conversation_hour_update",
)  # fmt: skip

POSTGRESQL_FILL = (
    f"INSERT INTO conversation_group ({COLUMNS}, conversations) "
    f"SELECT {_values('c')}, coalesce(k.tag_ids, ''), count(*) FROM conversation AS c "
    f"LEFT JOIN ({_tag_keys_postgresql('SELECT conversation_id, tag_id FROM conversation_tag')})"
    " AS k ON k.conversation_id = c.id GROUP BY 1, 2, 3, 4, 5, 6, 7"
)


def upgrade() -> None:
    op.create_table(
        "conversation_group",
        sa.Column("workspace_id", sa.BigInteger(), nullable=False),
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.String(length=16), nullable=False),
        sa.Column("admin_assignee_id", sa.BigInteger(), nullable=False),
        sa.Column("team_assignee_id", sa.BigInteger(), nullable=False),
        sa.Column("tag_ids", sa.Text(), nullable=False),
        sa.Column("conversations", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(*KEY, name=op.f("pk_conversation_group")),
        sqlite_with_rowid=False,
    )
    op.create_index(
        "ix_conversation_group_empty",
        "conversation_group",
        ["workspace_id"],
        sqlite_where=sa.text("conversations = 0"),
        postgresql_where=sa.text("conversations = 0"),
    )
    op.create_table(
        "conversation_hour",
        sa.Column("workspace_id", sa.BigInteger(), nullable=False),
        sa.Column("hour", sa.BigInteger(), nullable=False),
        sa.Column("conversations", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", "hour", name=op.f("pk_conversation_hour")),
        sqlite_with_rowid=False,
    )
    sqlite = op.get_bind().dialect.name == "sqlite"
    # Filled before the triggers exist: nothing else writes during a migration.
    op.execute(SQLITE_FILL if sqlite else POSTGRESQL_FILL)
    op.execute(HOUR_FILL)
    for statement in _sqlite_up() if sqlite else _postgresql_up():
        op.execute(statement)
    if not sqlite:
        for statement in POSTGRESQL_TEXT:
            op.execute(statement)
        trigram = (
            op.get_bind()
            .exec_driver_sql("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
            .first()
        )
        for statement in POSTGRESQL_TEXT_TRIGRAM if trigram is not None else ():
            op.execute(statement)
        op.execute("ANALYZE conversation_text")
        op.execute("ANALYZE conversation_group")
        op.execute("ANALYZE conversation_hour")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        for table, name in (
            *(
                ("conversation_tag", f"conversation_tag_group_{e}")
                for e in ("insert", "delete", "update")
            ),
            *(("conversation", f"conversation_group_{e}") for e in ("insert", "update", "delete")),
            ("conversation", "conversation_text_insert"),
            ("conversation", "conversation_text_update"),
            ("conversation", "conversation_hour_update"),
        ):
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        for function in POSTGRESQL_FUNCTIONS:
            op.execute(f"DROP FUNCTION IF EXISTS {function}()")
        op.execute("DROP TABLE IF EXISTS conversation_text")
    op.drop_table("conversation_hour")
    op.drop_index("ix_conversation_group_empty", table_name="conversation_group")
    op.drop_table("conversation_group")
