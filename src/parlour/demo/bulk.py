"""A chunk into the database fast: one transaction each, triggers replaced per chunk.

On SQLite a staged chunk (`chunks.Chunk.staged`) is attached and copied with one
INSERT ... SELECT per table; the FTS5 index is filled with one INSERT ... SELECT per chunk
instead of a trigger per row (8x cheaper), the trigger being dropped and re-created inside
the chunk's transaction so a crash rolls both back; the count-version triggers of the link
tables (migration 0007, one workspace update per inserted link) are likewise replaced by
one bump per chunk, and the group and hour count triggers (migration 0008) by an
INSERT ... SELECT into each table per chunk. Each replacement happens only while the
trigger's SQL is exactly what it replaces. On PostgreSQL a chunk is COPYed (whose
statement-level triggers run once).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from parlour.demo.chunks import CHUNK_TABLES, STAGE, Chunk

# The FTS5 trigger of migration 0004 that a seed replaces by one statement per chunk. A
# trigger with other SQL (a later migration changed it) is left to run row by row.
FTS_TRIGGER = "conversation_search_insert"
FTS_TRIGGER_SQL = (
    "CREATE TRIGGER conversation_search_insert AFTER INSERT ON conversation BEGIN "
    "INSERT INTO conversation_search(rowid, search_subject, search_body) "
    "VALUES (new.id, new.search_subject, new.search_body); END"
)
FTS_FILL_SQL = (
    "INSERT INTO conversation_search(rowid, search_subject, search_body) "
    "SELECT id, search_subject, search_body FROM conversation "
    "WHERE id BETWEEN ? AND ? ORDER BY id"
)
# The seeding connection's SQLite settings, restored afterwards. A 256 MB page cache for
# the indexes being filled. No foreign key lookups per row: the generator refers only to
# rows it read or inserted (tests run `foreign_key_check`). `synchronous` stays as the
# server has it (NORMAL in WAL): OFF saved a few percent, at the price of a file that an
# OS crash or power cut mid-seed could corrupt, and a seed may run into a live database.
BULK_PRAGMAS = {"cache_size": "-262144", "foreign_keys": "OFF"}


class Inserter:
    """Inserts chunks on one connection, one transaction each, bypassing SQLAlchemy."""

    def __init__(self, conn: Connection, first_part_id: int) -> None:
        self.conn = conn
        self.next_part = first_part_id
        self.sqlite = conn.dialect.name == "sqlite"
        self.fts_trigger = self.sqlite and _fts_trigger_sql(conn) == FTS_TRIGGER_SQL
        self.link_triggers = _link_triggers(conn) if self.sqlite else {}
        self.group_triggers = _group_triggers(conn) if self.sqlite else {}
        quote = conn.dialect.identifier_preparer.quote
        self.statements = []
        for table, columns in CHUNK_TABLES:
            names = ", ".join(quote(n) for n in columns)
            if self.sqlite:
                # Parts are numbered from 0 in a chunk: the offset is the first free id.
                values = ", ".join(
                    "id + ?" if table == "conversation_part" and n == "id" else f'"{n}"'
                    for n in columns
                )
                self.statements.append(
                    f"INSERT INTO main.{quote(table)} ({names}) "
                    f"SELECT {values} FROM {STAGE}.{table} ORDER BY rowid"
                )
            else:
                self.statements.append(f"COPY {quote(table)} ({names}) FROM STDIN")

    def insert(self, chunk: Chunk) -> None:
        """Insert a chunk's rows (numbering its parts) and commit."""
        offset = self.next_part
        self.next_part += chunk.part_count
        driver: Any = self.conn.connection.dbapi_connection
        if chunk.staged is not None:
            # Outside the transaction: an attached database cannot change inside one.
            driver.deserialize(chunk.staged, name=STAGE)
        with self.conn.begin():
            cursor = driver.cursor()
            try:
                if chunk.staged is not None:
                    self._copy_staged(cursor, chunk, offset)
                else:
                    # PostgreSQL: COPY, several times faster than executemany for bulk rows.
                    conversations, parts, contacts, tags = chunk.rows
                    parts = [(offset + p[0], *p[1:]) for p in parts]
                    for sql, rows in zip(
                        self.statements, (conversations, parts, contacts, tags), strict=True
                    ):
                        with cursor.copy(sql) as copy:
                            for row in rows:
                                copy.write_row(row)
            finally:
                cursor.close()

    def _copy_staged(self, cursor: Any, chunk: Chunk, offset: int) -> None:
        if self.fts_trigger:
            # Dropped and re-created in this transaction: a crash rolls both back.
            cursor.execute(f"DROP TRIGGER {FTS_TRIGGER}")
        for name in (*self.link_triggers, *self.group_triggers):
            cursor.execute(f"DROP TRIGGER {name}")
        for (table, _columns), sql in zip(CHUNK_TABLES, self.statements, strict=True):
            cursor.execute(sql, (offset,) if table == "conversation_part" else ())
        if self.fts_trigger:
            cursor.execute(FTS_FILL_SQL, (chunk.first_id, chunk.first_id + chunk.count - 1))
            cursor.execute(FTS_TRIGGER_SQL)
        for name, create in self.link_triggers.items():
            table, version = LINK_TRIGGERS[name]
            cursor.execute(
                f"UPDATE workspace SET {version} = {version} + 1 "
                f"WHERE id IN (SELECT DISTINCT workspace_id FROM {STAGE}.{table})"
            )
            cursor.execute(create)
        if self.group_triggers:
            last = chunk.first_id + chunk.count - 1
            cursor.execute(GROUP_FILL_SQL, (chunk.first_id, last))
            cursor.execute(HOUR_FILL_SQL, (chunk.first_id, last))
            for create in self.group_triggers.values():
                cursor.execute(create)


# The group-count triggers (migration 0008) of a conversation insert (its group and its
# hour) and a tag link insert: per row on SQLite (two upserts per conversation, two per
# link), replaced during a chunk by INSERT ... SELECTs of the chunk's new conversations,
# which carry all their links.
GROUP_TRIGGERS = ("conversation_group_insert", "conversation_tag_group_insert")
GROUP_FILL_SQL = (
    "INSERT INTO conversation_group (workspace_id, open, state, priority, admin_assignee_id, "
    "team_assignee_id, tag_ids, conversations) "
    "SELECT c.workspace_id, c.open, c.state, c.priority, coalesce(c.admin_assignee_id, 0), "
    "coalesce(c.team_assignee_id, 0), "
    # The triggers' key: the ids in the primary key's order, from a subquery SQLite cannot
    # flatten into the aggregate.
    "(SELECT coalesce(',' || group_concat(tag_id, ',') || ',', '') FROM (SELECT tag_id "
    "FROM conversation_tag WHERE conversation_id = c.id ORDER BY 1)), count(*) "
    "FROM conversation AS c WHERE c.id BETWEEN ? AND ? GROUP BY 1, 2, 3, 4, 5, 6, 7 "
    "ON CONFLICT (workspace_id, open, state, priority, admin_assignee_id, team_assignee_id, "
    "tag_ids) DO UPDATE SET conversations = conversations + excluded.conversations"
)


HOUR_FILL_SQL = (
    "INSERT INTO conversation_hour (workspace_id, hour, conversations) "
    "SELECT workspace_id, created_at / 3600, count(*) FROM conversation "
    "WHERE id BETWEEN ? AND ? GROUP BY 1, 2 "
    "ON CONFLICT (workspace_id, hour) DO UPDATE SET "
    "conversations = conversations + excluded.conversations"
)


def _group_triggers(conn: Connection) -> dict[str, str]:
    """The SQL of both group-count insert triggers (name -> CREATE TRIGGER), or none."""
    found = _trigger_sql(conn, GROUP_TRIGGERS)
    return found if len(found) == len(GROUP_TRIGGERS) else {}


# The link tables' count-version triggers (migration 0007): per inserted row on SQLite,
# replaced during a chunk by one bump of the same version for the chunk's workspaces.
LINK_TRIGGERS = {
    "conversation_contact_count_insert": ("conversation_contact", "contacts_version"),
    "conversation_tag_count_insert": ("conversation_tag", "tags_version"),
}


def _link_triggers(conn: Connection) -> dict[str, str]:
    """The SQL of the link tables' insert triggers that exist (name -> CREATE TRIGGER)."""
    return _trigger_sql(conn, tuple(LINK_TRIGGERS))


def _trigger_sql(conn: Connection, names: tuple[str, ...]) -> dict[str, str]:
    """The SQL of those of these SQLite triggers that exist (name -> CREATE TRIGGER)."""
    driver = conn.connection.dbapi_connection
    assert driver is not None
    marks = ", ".join("?" * len(names))
    found = driver.execute(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name IN ({marks})",
        names,
    ).fetchall()
    return {str(name): str(sql) for name, sql in found}


def _fts_trigger_sql(conn: Connection) -> str | None:
    # On the driver, outside any transaction: the pragmas after it need none open.
    driver = conn.connection.dbapi_connection
    assert driver is not None
    found = driver.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", (FTS_TRIGGER,)
    ).fetchone()
    return None if found is None else str(found[0])


def set_pragmas(conn: Connection, values: dict[str, str]) -> dict[str, str]:
    """Set SQLite pragmas on this connection; returns their previous values."""
    driver = conn.connection.dbapi_connection
    assert driver is not None
    previous = {name: str(driver.execute(f"PRAGMA {name}").fetchone()[0]) for name in values}
    for name, value in values.items():
        driver.execute(f"PRAGMA {name}={value}")
    return previous
