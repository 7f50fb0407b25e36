"""Periodic background jobs inside `parlour serve`: one daemon thread per server process."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger("parlour.scheduler")


@dataclass(frozen=True, slots=True)
class Job:
    """A named function run every tick, and what to release when the scheduler stops."""

    name: str
    run: Callable[[], object]
    close: Callable[[], object] | None = None


class Scheduler:
    """Runs each job every `interval` seconds on a thread of its own until stopped.

    A thread rather than an asyncio task because the jobs use the synchronous database
    layer: run on the event loop they would stall every request while they work. A job
    that fails is logged and tried again at the next tick; it never stops the others.
    """

    def __init__(self, jobs: list[Job], interval: float) -> None:
        self.jobs = jobs
        self.interval = interval
        self._stop = threading.Event()
        self._poke = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start ticking (the first tick runs at once)."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="parlour-scheduler", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the thread to finish its current tick and wait for it."""
        self._stop.set()
        self._poke.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        for job in self.jobs:
            if job.close is not None:
                job.close()

    def poke(self) -> None:
        """Run the jobs again as soon as the current tick is over (new work arrived)."""
        self._poke.set()

    def tick(self) -> None:
        """Run every job once."""
        for job in self.jobs:
            try:
                job.run()
            except Exception:  # a failing job must not stop the scheduler or the other jobs
                log.exception("background job %s failed; retrying next tick", job.name)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._poke.clear()
            self.tick()
            self._poke.wait(self.interval)
