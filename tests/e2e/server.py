"""Start a real `parlour serve` process for end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx
import psycopg
import pytest

from parlour.db.migrate import upgrade
from parlour.db.session import Database
from parlour.wiring import open_database
from tests.conftest import POSTGRES_ADMIN_URL


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def parlour(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run a `parlour` command to completion."""
    return subprocess.run(
        [sys.executable, "-m", "parlour", *args],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )


@contextmanager
def fresh_database(
    database_url: str, directory: Path, prefix: str = "hooks"
) -> Iterator[tuple[str, Database]]:
    """A new, migrated database on the backend of `database_url`; dropped afterwards.

    For tests that run a server's background jobs (they serve every workspace of their
    database) or crash it: they must own the whole database.
    """
    if database_url.startswith("sqlite"):
        url, name = f"sqlite:///{directory / f'{prefix}-{uuid.uuid4().hex[:8]}.db'}", None
    else:
        name = f"parlour_{prefix}_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = f"{database_url.rsplit('/', 1)[0]}/{name}"
    db = open_database(url)
    try:
        upgrade(db.engine)
        yield url, db
    finally:
        db.dispose()
        if name is not None:
            with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def running_server(database_url: str, log_dir: Path, *, workers: int = 1) -> Iterator[str]:
    """`parlour serve` on a free port against `database_url`; yields its base URL."""
    with server_process(database_url, log_dir, workers=workers) as (base, _process):
        yield base


@contextmanager
def server_process(
    database_url: str,
    log_dir: Path,
    *,
    workers: int = 1,
    log_name: str = "serve.log",
    own_group: bool = False,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`parlour serve` as `running_server` starts it; yields its base URL and its process.

    `own_group` starts it in a process group of its own (led by the yielded process), so a
    test can crash the server and its workers at once: `os.killpg(process.pid, SIGKILL)`.
    """
    env = {**os.environ, "PARLOUR_DATABASE_URL": database_url}
    port = free_port()
    log = log_dir / log_name
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "parlour", "serve", "--port", str(port),
                "--workers", str(workers), "--log-level", "warning",
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=own_group,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/me", timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"parlour serve did not start:\n{log.read_text()}")
                time.sleep(0.2)
        yield base, process
    finally:
        if process.poll() is None:
            process.terminate()
        process.wait(timeout=20)
        if own_group:
            # Workers outliving a crashed leader would keep serving (and sending webhooks).
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
