"""Per-token fixed-window rate limits with Intercom's X-RateLimit-* headers (pure: `now` given)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple


@dataclass(slots=True)
class _Window:
    start: int
    count: int


class RateDecision(NamedTuple):
    """Whether a request may proceed, and the headers that tell the client so.

    A named tuple: made on every request, and a frozen dataclass costs 3x to make.
    """

    allowed: bool
    limit: int
    remaining: int
    reset: int

    def headers(self) -> list[tuple[bytes, bytes]]:
        """Intercom's rate-limit headers, as ASGI sends them (lower-case names, bytes)."""
        return [
            (b"x-ratelimit-limit", b"%d" % self.limit),
            (b"x-ratelimit-remaining", b"%d" % self.remaining),
            (b"x-ratelimit-reset", b"%d" % self.reset),
        ]


class RateLimiter:
    """Counts requests per key in windows of `window` seconds, in this process.

    Each worker process keeps its own counts (like Intercom, the limit is spread over short
    windows); with N workers the effective ceiling is at most N times the limit.
    """

    def __init__(self, limit: int, window: int, max_keys: int = 100_000) -> None:
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self._windows: dict[str, _Window] = {}

    def hit(self, key: str, now: int) -> RateDecision:
        """Record one request for `key` at `now` and decide whether it is allowed."""
        start = now - now % self.window
        window = self._windows.get(key)
        if window is None or window.start != start:
            if len(self._windows) >= self.max_keys:
                self._windows.clear()
            window = self._windows[key] = _Window(start, 0)
        window.count += 1
        allowed = window.count <= self.limit
        remaining = max(0, self.limit - window.count)
        return RateDecision(allowed, self.limit, remaining, start + self.window)
