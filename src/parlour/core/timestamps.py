"""Epoch-second helpers; datetimes become integers only at the edge."""

from __future__ import annotations

from datetime import UTC, datetime

MAX_TIMESTAMP = 253_402_300_799  # 9999-12-31T23:59:59Z


def to_iso(epoch: int) -> str:
    """ISO-8601 UTC text for logs and the CLI."""
    return datetime.fromtimestamp(epoch, tz=UTC).isoformat()


def is_valid_timestamp(value: int) -> bool:
    """True for an epoch second that fits every database we support."""
    return 0 <= value <= MAX_TIMESTAMP
