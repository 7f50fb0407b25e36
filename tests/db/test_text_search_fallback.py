"""Without pg_trgm, PostgreSQL still migrates (with a warning) and text search still answers."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from alembic.script import ScriptDirectory
from starlette.testclient import TestClient

from parlour.app import create_app
from parlour.db.migrate import alembic_config, current_revision, upgrade
from parlour.wiring import open_database
from tests.conftest import POSTGRES_ADMIN_URL, TEST_NOW, _postgres_or_skip, make_settings
from tests.factories import ConversationSpec, make_contact, make_conversation, make_workspace


@pytest.fixture
def unprivileged_url() -> Iterator[str]:
    """A fresh database whose owner may not create extensions (no CREATE on the database)."""
    _postgres_or_skip()
    suffix = uuid.uuid4().hex[:10]
    role, name = f"parlour_plain_{suffix}", f"parlour_test_plain_{suffix}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{role}" LOGIN')
        conn.execute(f'CREATE DATABASE "{name}"')
        conn.execute(f'REVOKE CREATE ON DATABASE "{name}" FROM PUBLIC')
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    with psycopg.connect(f"{base}/{name}", autocommit=True) as conn:
        conn.execute(f'GRANT ALL ON SCHEMA public TO "{role}"')
    host = base.split("@", 1)[1]
    yield f"postgresql+psycopg://{role}@{host}/{name}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'DROP ROLE IF EXISTS "{role}"')


def _head() -> str | None:
    config = alembic_config("sqlite://")
    return ScriptDirectory.from_config(config).get_current_head()


def test_search_works_without_pg_trgm(
    unprivileged_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    db = open_database(unprivileged_url)
    try:
        with caplog.at_level(logging.WARNING, logger="parlour.migrations"):
            upgrade(db.engine)
        assert current_revision(db.engine) == _head()
        assert any("pg_trgm is not available" in r.getMessage() for r in caplog.records)
        with db.engine.connect() as conn:
            indexes = set(
                conn.exec_driver_sql(
                    "SELECT indexname FROM pg_indexes WHERE tablename = 'conversation'"
                ).scalars()
            )
        assert not any(name.endswith("_trgm") for name in indexes)

        ws = make_workspace(db, now=TEST_NOW)
        contact = make_contact(db, ws, now=TEST_NOW)
        spec = ConversationSpec(
            created_at=TEST_NOW, contact_id=contact, body="<p>Die Straße</p>", subject="Ünïcode"
        )
        cid = str(make_conversation(db, ws, spec, now=TEST_NOW))
        app = create_app(make_settings(unprivileged_url))
        with TestClient(app) as client:
            for field, operator, value in (
                ("source.body", "~", "STRAS"),
                ("source.subject", "$", "NÏCODE"),
                ("source.body", "=", "strasse"),
            ):
                response = client.post(
                    "/conversations/search",
                    json={"query": {"field": field, "operator": operator, "value": value}},
                    headers=ws.headers,
                )
                assert response.status_code == 200, response.text
                assert [c["id"] for c in response.json()["conversations"]] == [cid]
    finally:
        db.dispose()


def test_sqlite_without_the_fts_table_still_searches(tmp_path: Path) -> None:
    """As on a SQLite older than 3.34 (no trigram tokenizer): migration 0004 skips the table."""
    url = f"sqlite:///{tmp_path / 'plain.db'}"
    db = open_database(url)
    try:
        upgrade(db.engine)
        with db.engine.begin() as conn:
            for trigger in ("insert", "update", "delete"):
                conn.exec_driver_sql(f"DROP TRIGGER conversation_search_{trigger}")
            conn.exec_driver_sql("DROP TABLE conversation_search")
        ws = make_workspace(db, now=TEST_NOW)
        contact = make_contact(db, ws, now=TEST_NOW)
        spec = ConversationSpec(created_at=TEST_NOW, contact_id=contact, body="<p>Die Straße</p>")
        cid = str(make_conversation(db, ws, spec, now=TEST_NOW))
        with TestClient(create_app(make_settings(url))) as client:
            response = client.post(
                "/conversations/search",
                json={"query": {"field": "source.body", "operator": "~", "value": "STRASSE"}},
                headers=ws.headers,
            )
        assert response.status_code == 200, response.text
        assert [c["id"] for c in response.json()["conversations"]] == [cid]
    finally:
        db.dispose()
