"""Identifiers shaped like Intercom's: numeric strings, and 24-hex contact ids."""

from __future__ import annotations

import os
import secrets
import string
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

_APP_ID_ALPHABET = string.ascii_lowercase + string.digits
MAX_NUMERIC_ID = 2**63 - 1


def new_contact_id(now: int | None = None) -> str:
    """A 24-hex id like Intercom's contact ids (4-byte time prefix, 8 random bytes)."""
    stamp = int(time.time() if now is None else now) & 0xFFFFFFFF
    return f"{stamp:08x}{os.urandom(8).hex()}"


def new_app_id() -> str:
    """An 8-character workspace id code like Intercom's app ids."""
    return "".join(secrets.choice(_APP_ID_ALPHABET) for _ in range(8))


def parse_numeric_id(raw: str) -> int | None:
    """The integer behind a numeric-string id, or None if it cannot be one of ours."""
    if not raw or len(raw) > 19 or not raw.isascii() or not raw.isdigit():
        return None
    value = int(raw)
    return value if 0 < value <= MAX_NUMERIC_ID else None


def fetch_by_id(raw: str, fetch: Callable[[int], T | None]) -> T | None:
    """`fetch(id)` for a well-formed numeric id; None for a malformed one (never a query)."""
    numeric = parse_numeric_id(raw)
    return fetch(numeric) if numeric is not None else None


def is_contact_id(raw: str) -> bool:
    """True for a 24-character lowercase hex string."""
    return len(raw) == 24 and all(c in "0123456789abcdef" for c in raw)
