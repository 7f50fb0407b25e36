"""Start a real `parlour serve` process for end-to-end tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest


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
def running_server(database_url: str, log_dir: Path, *, workers: int = 1) -> Iterator[str]:
    """`parlour serve` on a free port against `database_url`; yields its base URL."""
    env = {**os.environ, "PARLOUR_DATABASE_URL": database_url}
    port = free_port()
    log = log_dir / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "parlour", "serve", "--port", str(port),
                "--workers", str(workers), "--log-level", "warning",
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
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
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)
