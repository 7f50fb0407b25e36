"""The one source of "now": injectable so tests can move time."""

from __future__ import annotations

import time
from collections.abc import Callable

Clock = Callable[[], int]


def system_clock() -> int:
    """Current time as epoch seconds."""
    return int(time.time())


class FrozenClock:
    """A clock tests can set and advance."""

    def __init__(self, now: int) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now

    def advance(self, seconds: int) -> None:
        """Move time forward."""
        self.now += seconds
