"""Shared fixtures: every HTTP test runs on SQLite and on PostgreSQL, schema built by migrations.

Each test gets a workspace of its own; since every query is scoped to a workspace, tests
never see each other's rows and need no truncation.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi import FastAPI
from hypothesis import settings
from starlette.testclient import TestClient

from parlour.app import create_app
from parlour.config import Settings
from parlour.core.clock import FrozenClock
from parlour.db.migrate import upgrade
from parlour.db.session import Database
from parlour.wiring import open_database
from tests.factories import Workspace, make_workspace

POSTGRES_ADMIN_URL = os.environ.get(
    "PARLOUR_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
TEST_NOW = 1_764_000_000  # 2025-11-24T16:00:00Z: tests run on a fixed clock

# CI replays the same examples every run (a red build is reproducible); laptops explore.
settings.register_profile("ci", derandomize=True)
if IN_CI:
    settings.load_profile("ci")


def _postgres_or_skip() -> None:
    try:
        psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        message = f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}: {exc}"
        if IN_CI:
            pytest.fail(f"{message} (CI=true requires PostgreSQL)", pytrace=False)
        pytest.skip(f"{message}; set PARLOUR_TEST_POSTGRES or start PostgreSQL to run these")


@pytest.fixture(scope="session")
def postgresql_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped at the end."""
    _postgres_or_skip()
    name = f"parlour_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    yield f"{base}/{name}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite file for this test session."""
    path: Path = tmp_path_factory.mktemp("sqlite") / "parlour.db"
    return f"sqlite:///{path}"


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each backend in turn, migrated to head."""
    url: str = request.getfixturevalue(f"{request.param}_url")
    db = Database(url)
    upgrade(db.engine)
    db.dispose()
    return url


@pytest.fixture(scope="session")
def db(database_url: str) -> Iterator[Database]:
    """The test session's database handle (for factories), writing as the app does."""
    database = open_database(database_url)
    yield database
    database.dispose()


@pytest.fixture(scope="session")
def clock() -> FrozenClock:
    """The app's clock (shared per session: tests must not move it; build your own app)."""
    return FrozenClock(TEST_NOW)


def make_settings(database_url: str, **overrides: object) -> Settings:
    """Settings for an app under test."""
    values: dict[str, object] = {
        "database_url": database_url,
        "secret_key": "test-secret-key",
        "rate_limit": 1_000_000,
        # Background jobs would change conversations behind a test's back; tests that
        # need the scheduler turn it on.
        "scheduler_interval": 0,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def app(database_url: str, clock: FrozenClock) -> FastAPI:
    """The real application on the backend under test."""
    return create_app(make_settings(database_url), clock=clock)


@pytest.fixture(scope="session")
def client(app: FastAPI) -> Iterator[TestClient]:
    """An HTTP client driving the app in-process."""
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def workspace(db: Database) -> Workspace:
    """A new workspace (owner admin + token) for this test alone."""
    return make_workspace(db, now=TEST_NOW)


@pytest.fixture
def other_workspace(db: Database) -> Workspace:
    """A second workspace, to prove isolation."""
    return make_workspace(db, now=TEST_NOW, name="Other")
