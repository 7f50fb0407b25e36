"""What every request of one app shares: settings, storage, the clock, caches, limiters.

Built by the composition (`app.build_state`); read by the HTTP plumbing (`api.deps`) and
the routers through each request's `Call`.
"""

from __future__ import annotations

from dataclasses import dataclass

from parlour.config import Settings
from parlour.core.clock import Clock
from parlour.core.count_cache import CountCache
from parlour.core.cursor import CursorCodec
from parlour.core.ratelimit import RateLimiter
from parlour.db.session import Database
from parlour.scheduler import Scheduler


@dataclass(slots=True)
class AppState:
    """The app's shared state (one per process)."""

    settings: Settings
    db: Database
    clock: Clock
    cursor_codec: CursorCodec
    count_cache: CountCache
    rate_limiter: RateLimiter
    scheduler: Scheduler  # the background jobs' (started by the app's lifespan, if at all)
