"""What every write transaction does at its commit, in order: the one place it is assembled.

`commit_pipeline` lists the steps (`db.unit_of_work.Pipeline`): before each flush, the
list entries notice renamed or deleted people and tags (`entries.collect`); after the last
flush, in the transaction, the list entries are stored (`entries.store`) and then the
webhook deliveries written (`webhooks.outbox.record`), the announced objects rendered once
(`entries.payload`); once committed, the webhook sender is woken (`notify`). A new kind of
commit-time work (the event log) is one more step here.

`open_database` gives a `Database` this pipeline: the app (`app.build_state`), the CLI and
the background jobs all write through one.
"""

from __future__ import annotations

from collections.abc import Callable

from parlour.conversations import entries
from parlour.core.clock import Clock, system_clock
from parlour.db.session import Database
from parlour.db.unit_of_work import Pipeline, Step, UnitOfWork
from parlour.webhooks import outbox


def commit_pipeline(*, clock: Clock, notify: Callable[[], None] | None = None) -> Pipeline:
    """Parlour's commit steps; `notify` is called after a commit that wrote deliveries."""
    after: tuple[Step, ...] = ()
    if notify is not None:
        wake = notify

        def wake_sender(work: UnitOfWork) -> None:
            if work.deliveries:
                wake()

        after = (wake_sender,)
    return Pipeline(
        collectors=(entries.collect,),
        before_commit=(entries.store, outbox.record),
        after_commit=after,
        render=entries.payload,
        clock=clock,
    )


def open_database(
    url: str, *, clock: Clock = system_clock, notify: Callable[[], None] | None = None
) -> Database:
    """A `Database` whose writes run Parlour's commit pipeline."""
    return Database(url, pipeline=commit_pipeline(clock=clock, notify=notify))
