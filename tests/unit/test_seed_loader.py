"""The seed's fast paths store exactly what the slow ones would: entries, FTS index, rows."""

from __future__ import annotations

import multiprocessing
import signal
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import Table, select

from parlour.conversations import entries as stored_entries
from parlour.conversations import rows as conversation_rows
from parlour.db.migrate import upgrade
from parlour.db.models import (
    Conversation,
    ConversationContact,
    ConversationPart,
    ConversationTag,
)
from parlour.db.session import Database
from parlour.demo import bulk, chunks, entries
from parlour.demo.generator import (
    CONVERSATION_COLUMNS,
    CONVERSATION_CONTACT_COLUMNS,
    CONVERSATION_TAG_COLUMNS,
    PART_COLUMNS,
)
from parlour.demo.loader import seed_conversations
from parlour.wiring import open_database
from parlour.workspaces import service as workspaces
from tests.conftest import TEST_NOW
from tests.factories import ConversationSpec, make_contact, make_conversation, make_workspace
from tests.factories import Workspace as WorkspaceRef

_TABLES: dict[str, Table] = {
    "conversation": Conversation.__table__,  # type: ignore[dict-item]
    "conversation_part": ConversationPart.__table__,  # type: ignore[dict-item]
    "conversation_contact": ConversationContact.__table__,  # type: ignore[dict-item]
    "conversation_tag": ConversationTag.__table__,  # type: ignore[dict-item]
}


def test_generated_tuples_name_every_column() -> None:
    """The generator's column lists cover each table (a new column must be generated too)."""
    assert {*CONVERSATION_COLUMNS, "summary"} == set(_TABLES["conversation"].columns.keys())
    assert len(CONVERSATION_COLUMNS) == len(set(CONVERSATION_COLUMNS))
    assert set(PART_COLUMNS) == set(_TABLES["conversation_part"].columns.keys())
    contact_columns = set(_TABLES["conversation_contact"].columns.keys())
    assert set(CONVERSATION_CONTACT_COLUMNS) == contact_columns
    assert set(CONVERSATION_TAG_COLUMNS) == set(_TABLES["conversation_tag"].columns.keys())


def test_seeded_entries_equal_fresh_renderings(db: Database, workspace: WorkspaceRef) -> None:
    """Entries rendered from the generated rows are byte for byte what `entries` renders."""
    seed_conversations(db, workspace.id, 300, now=TEST_NOW, seed=11)
    with db.read_session() as session:
        stored: dict[int, bytes | None] = {
            row.id: row.summary
            for row in session.execute(
                select(Conversation.id, Conversation.summary).where(
                    Conversation.workspace_id == workspace.id
                )
            )
        }
        rows = conversation_rows.rows_by_id(session, sorted(stored))
        related = conversation_rows.load_related(session, workspace.id, rows)
        fresh = {row.id: stored_entries.render(row, related) for row in rows}
    assert len(stored) == 300 and None not in stored.values()
    shown = [orjson.loads(e) for e in stored.values() if e is not None]
    # The sample shows what matters: tags, second contacts, named admin authors, ratings.
    assert any(e["tags"]["tags"] for e in shown)
    assert any(len(e["contacts"]["contacts"]) > 1 for e in shown)
    assert any(e["source"]["author"]["type"] == "admin" for e in shown)
    assert any(e["conversation_rating"] for e in shown)
    assert any(e["custom_attributes"] for e in shown)
    for conversation_id, entry in stored.items():
        assert entry == fresh[conversation_id], conversation_id


def test_jsonb_order_is_postgresql_order(db: Database) -> None:
    """`jsonb_order` sorts object keys as PostgreSQL's jsonb stores them."""
    value = {"zz": 1, "a": {"ccc": [{"bb": 1, "b": 2}], "é": 0, "ab": 2}, "aaa": None, "b": 3}
    expected = {"a": {"ab": 2, "é": 0, "ccc": [{"b": 2, "bb": 1}]}, "b": 3, "zz": 1, "aaa": None}
    assert list(entries.jsonb_order(value)) == list(expected)
    assert orjson.dumps(entries.jsonb_order(value)) == orjson.dumps(expected)
    if db.is_sqlite:
        return
    with db.read_session() as session:
        text = session.connection().exec_driver_sql(
            "SELECT CAST(%(v)s AS jsonb)::text", {"v": orjson.dumps(value).decode()}
        ).scalar_one()
    assert orjson.dumps(orjson.loads(text)) == orjson.dumps(expected)


def _fts_instances(db: Database) -> list[tuple[Any, ...]]:
    with db.engine.connect() as conn:
        conn.exec_driver_sql(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_vocab "
            "USING fts5vocab(main, conversation_search, 'instance')"
        )
        rows = conn.exec_driver_sql("SELECT * FROM temp.search_vocab ORDER BY 1, 2, 3, 4").all()
        conn.exec_driver_sql("DROP TABLE temp.search_vocab")
        conn.commit()
    return [tuple(r) for r in rows]


def _fresh_sqlite(tmp_path: Path, name: str) -> tuple[Database, int]:
    """A migrated SQLite file and a workspace (the same owner in every file)."""
    db = open_database(f"sqlite:///{tmp_path / name}")
    upgrade(db.engine)
    with db.write_session() as session:
        ws, _owner = workspaces.create_workspace(session, name="Seeded", now=TEST_NOW)
        session.commit()
        return db, ws.id


def test_fts_index_holds_what_the_trigger_would_have_put_in(tmp_path: Path) -> None:
    """The per-chunk FTS fill equals a rebuild from the rows; the trigger is back after."""
    db, workspace_id = _fresh_sqlite(tmp_path, "fts.db")
    try:
        seed_conversations(db, workspace_id, 400, now=TEST_NOW, seed=2)
        seeded = _fts_instances(db)
        with db.engine.connect() as conn:
            trigger = conn.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE name = 'conversation_search_insert'"
            ).scalar_one()
            conn.exec_driver_sql(
                "INSERT INTO conversation_search(conversation_search) VALUES ('integrity-check')"
            )
            # What the trigger puts in, row by row, is what a rebuild reads from the rows.
            conn.exec_driver_sql(
                "INSERT INTO conversation_search(conversation_search) VALUES ('rebuild')"
            )
            conn.commit()
        assert trigger == bulk.FTS_TRIGGER_SQL
        assert len({row[1] for row in seeded}) == 400  # every conversation is indexed
        assert seeded == _fts_instances(db)
        # Rows written afterwards are indexed by the trigger again.
        workspace = make_workspace(db, now=TEST_NOW)
        contact = make_contact(db, workspace, now=TEST_NOW)
        spec = ConversationSpec(created_at=TEST_NOW, contact_id=contact, body="<p>Zebrafish</p>")
        created = make_conversation(db, workspace, spec, now=TEST_NOW)
        with db.engine.connect() as conn:
            found = conn.exec_driver_sql(
                "SELECT rowid FROM conversation_search WHERE conversation_search MATCH 'zebrafish'"
            ).scalars().all()
        assert found == [created]
    finally:
        db.dispose()


def _dump(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    with db.read_session() as session:
        return {
            name: [tuple(r) for r in session.execute(select(table).order_by(*table.primary_key))]
            for name, table in _TABLES.items()
        }


def test_workers_do_not_change_the_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks generated by worker processes are the chunks generated in process."""
    monkeypatch.setattr(chunks, "CHUNK", 40)  # several chunks from a small seed
    # Like `benchmarks/run.py`: a parent's handler must not keep the workers from ending.
    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    dumps = []
    try:
        for workers in (0, 2):
            db, workspace_id = _fresh_sqlite(tmp_path, f"workers{workers}.db")
            try:
                loaded = seed_conversations(db, workspace_id, 150, now=TEST_NOW, workers=workers)
                assert loaded == 150
                assert multiprocessing.active_children() == []
                dumps.append(_dump(db))
            finally:
                db.dispose()
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert len(dumps[0]["conversation"]) == 150
    assert dumps[0] == dumps[1]
    part_ids = [row[0] for row in dumps[0]["conversation_part"]]
    assert part_ids == list(range(1, len(part_ids) + 1))


def test_a_failed_chunk_leaves_the_trigger_and_no_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chunk failing after its rows went in rolls back the rows and the trigger's removal."""
    monkeypatch.setattr(chunks, "CHUNK", 40)
    real = bulk.Inserter.insert
    calls = []

    def failing(self: Any, chunk: chunks.Chunk) -> None:
        calls.append(chunk.first_id)
        if len(calls) == 2:  # the index fill, after the trigger was dropped and rows copied
            monkeypatch.setattr(bulk, "FTS_FILL_SQL", "INSERT INTO no_such_table VALUES (?, ?)")
        real(self, chunk)

    monkeypatch.setattr(bulk.Inserter, "insert", failing)
    db, workspace_id = _fresh_sqlite(tmp_path, "fail.db")
    try:
        with pytest.raises(Exception, match="no_such_table"):
            seed_conversations(db, workspace_id, 120, now=TEST_NOW, workers=0)
        with db.engine.connect() as conn:
            trigger = conn.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE name = 'conversation_search_insert'"
            ).scalar()
            pragmas = [
                conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("synchronous", "foreign_keys")
            ]
            attached = [row[1] for row in conn.exec_driver_sql("PRAGMA database_list")]
        assert trigger == bulk.FTS_TRIGGER_SQL
        assert pragmas == [1, 1]  # NORMAL and ON again on the pooled connection
        assert chunks.STAGE not in attached
        dump = _dump(db)
        assert len(dump["conversation"]) == 40  # the first chunk only
        assert {row[2] for row in dump["conversation_part"]} <= {
            row[0] for row in dump["conversation"]
        }
    finally:
        db.dispose()


def test_seeded_rows_keep_every_foreign_key(db: Database, workspace: WorkspaceRef) -> None:
    """Seeding skips SQLite's per-row foreign key checks: the rows satisfy them all."""
    seed_conversations(db, workspace.id, 200, now=TEST_NOW, seed=4)
    with db.read_session() as session:
        connection = session.connection()
        if db.is_sqlite:
            assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []
            return
        for name, table in _TABLES.items():
            for key in table.foreign_keys:
                column, target = key.parent.name, key.column
                orphans = connection.exec_driver_sql(
                    f"SELECT count(*) FROM {name} t WHERE t.{column} IS NOT NULL AND NOT EXISTS "
                    f"(SELECT 1 FROM {target.table.name} r WHERE r.{target.name} = t.{column})"
                ).scalar_one()
                assert orphans == 0, (name, column)


def test_a_seed_bumps_the_link_count_versions_and_keeps_their_triggers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On SQLite the link triggers are replaced by one bump per chunk, and come back."""
    monkeypatch.setattr(chunks, "CHUNK", 40)
    db, workspace_id = _fresh_sqlite(tmp_path, "links.db")

    def state() -> tuple[dict[str, str], tuple[int, int]]:
        with db.engine.connect() as conn:
            triggers = dict(
                conn.exec_driver_sql(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                    "AND name LIKE 'conversation_%_count_%'"
                ).all()
            )
            versions = conn.exec_driver_sql(
                "SELECT tags_version, contacts_version FROM workspace WHERE id = ?",
                (workspace_id,),
            ).one()
        return triggers, (versions[0], versions[1])

    try:
        triggers_before, versions_before = state()
        assert set(bulk.LINK_TRIGGERS) <= set(triggers_before)
        seed_conversations(db, workspace_id, 120, now=TEST_NOW, workers=0)  # 3 chunks
        triggers_after, versions_after = state()
        assert triggers_after == triggers_before
        # Every chunk links tags and contacts: one bump each per chunk, not one per link.
        assert versions_after == (versions_before[0] + 3, versions_before[1] + 3)
        # The triggers work again for writes after the seed.
        with db.engine.begin() as conn:
            conn.exec_driver_sql(
                "DELETE FROM conversation_tag "
                "WHERE rowid = (SELECT min(rowid) FROM conversation_tag)"
            )
        assert state()[1][0] == versions_after[0] + 1
    finally:
        db.dispose()
