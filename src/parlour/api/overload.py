"""Load shedding: a worker refuses work it cannot start soon, with a 503, at once.

Handlers run on the event loop and call the database synchronously, so a worker serves one
request at a time and the others wait in its loop. Under a load several times its capacity
that wait grows without bound until clients time out, having spent a connection each and
learnt nothing. A `LoadShedder` bounds it two ways, per worker process:

- `max_in_flight`: requests the worker holds (waiting or running). One more is answered
  `503 service_unavailable` before anything else is done for it.
- `max_queue_ms`: how long an admitted request may wait for its turn. A request that waited
  longer is refused when its turn comes, still before its handler starts.

A refused request has done nothing, so any request (a POST too) may be retried: the answer
carries `Retry-After`, which both official SDKs honour. 0 turns either bound off.

To be counted, a request must get in line before the requests ahead of it run: every
admitted request yields to the loop once (`asyncio.sleep(0)`), so all the requests the worker
read in one turn of its loop are counted before the first of them starts its (blocking)
handler. Its wait is measured from that first step; the time it spent in the kernel's
buffers before the worker read it is not seen, but is bounded by the same cap.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from parlour.errors import ServiceUnavailable

RETRY_AFTER_SECONDS = 1


class LoadShedder:
    """Admission control for one worker process (the event loop is its only user)."""

    def __init__(
        self,
        max_in_flight: int,
        max_queue_ms: int,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_in_flight = max_in_flight
        self.max_queue = max_queue_ms / 1000
        self.clock = clock
        self.in_flight = 0
        self.shed = 0  # requests refused since start (for tests and measurements)

    @property
    def enabled(self) -> bool:
        """Whether either bound is on."""
        return self.max_in_flight > 0 or self.max_queue > 0

    def admit(self) -> float | None:
        """Count a new request in; its arrival time, or None when the worker is full."""
        if 0 < self.max_in_flight <= self.in_flight:
            self.shed += 1
            return None
        self.in_flight += 1
        return self.clock()

    def waited_too_long(self, arrived: float) -> bool:
        """At the start of its handler: whether an admitted request waited past the bound."""
        if 0 < self.max_queue < self.clock() - arrived:
            self.shed += 1
            return True
        return False

    def release(self) -> None:
        """An admitted request is done (answered, refused late, or failed)."""
        self.in_flight -= 1


def overloaded(reason: str) -> ServiceUnavailable:
    """The 503 a shed request gets."""
    return ServiceUnavailable(
        f"The server is overloaded ({reason}); retry later",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )
