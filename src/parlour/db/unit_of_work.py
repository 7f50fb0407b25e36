"""The unit of work: what one write transaction did, and what follows it at commit, in order.

A write changes rows through the repositories and records here, in typed fields, what its
commit must follow up: the conversations it wrote through the write model
(`conversations`, with their state before and after), those whose list entries must be
rendered from their rows (`rerender`), those whose stored entries a change elsewhere made
stale (`stale`), and what it announced (`announced`). When the transaction commits, and
only then, its `Pipeline` runs, in this order:

1. flush: the ORM's pending changes reach the database (`collectors` see them first);
2. the `before_commit` steps, in order (Parlour's: the list entries, then the webhook
   outbox rows), each in the same transaction as the change;
3. the commit itself;
4. the `after_commit` steps (Parlour's: wake the webhook sender).

A rolled-back transaction runs none of them and leaves nothing behind. The pipeline is
assembled by the composition (`parlour.wiring`) and given to `db.session.Database`, which
installs it on its write sessions: this module knows no resource. It is the only module
that touches `Session.info` (where a session keeps its unit of work).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from parlour.db.models import ConversationRecord, PartRecord

_KEY = "parlour.unit_of_work"


@dataclass(frozen=True, slots=True)
class Announcement:
    """`topic` (a webhook topic) happened to a conversation; `part` is the part it added."""

    topic: str
    workspace_id: int
    conversation_id: int
    part: PartRecord | None = None


@dataclass(slots=True)
class ConversationWrite:
    """A conversation changed through the write model: as locked, and as it is now.

    `before.summary` is the list entry it had; `columns` names every column written since
    (what the entry step needs to decide whether the previous entry can be carried over).
    """

    before: ConversationRecord
    after: ConversationRecord
    columns: set[str]


class StoredEntry(NamedTuple):
    """A list entry the commit stored, and the conversation's part count then."""

    entry: bytes
    part_count: int


Step = Callable[["UnitOfWork"], None]
"""A step of the commit pipeline: reads and writes the unit of work's fields."""

Renderer = Callable[["UnitOfWork", Announcement], dict[str, Any]]
"""What an announcement's object looks like as the API renders it (for webhooks, events)."""


def _no_renderer(_work: UnitOfWork, announcement: Announcement) -> dict[str, Any]:
    raise RuntimeError(f"no renderer for {announcement.topic}: the pipeline has none")


@dataclass(frozen=True, slots=True)
class Pipeline:
    """The steps every write transaction of a `Database` runs at commit, in order.

    `collectors` run before each flush (they see the session's new, changed and deleted ORM
    objects); `before_commit` after the last flush, in the transaction; `after_commit` once
    it is durable. `render` turns an announcement into its object (once per announcement).
    An empty pipeline (a bare storage handle: migrations, tools) refuses to commit a write
    that announced something or changed a conversation, rather than drop what follows it.
    """

    collectors: tuple[Step, ...] = ()
    before_commit: tuple[Step, ...] = ()
    after_commit: tuple[Step, ...] = ()
    render: Renderer = _no_renderer
    clock: Callable[[], int] | None = None  # `now` of a unit of work begun without one

    @property
    def bare(self) -> bool:
        """True when no step follows a commit (a storage-only handle)."""
        return not (self.collectors or self.before_commit or self.after_commit)

    def install(self, factory: sessionmaker[Session]) -> None:
        """Run this pipeline on every session `factory` makes."""
        event.listen(factory, "before_flush", self._before_flush)
        event.listen(factory, "before_commit", self._before_commit)
        event.listen(factory, "after_commit", self._after_commit)
        event.listen(factory, "after_soft_rollback", _forget)

    def _before_flush(self, session: Session, _context: Any, _instances: Any) -> None:
        if self.collectors:
            work = UnitOfWork.of(session, self)
            for collect in self.collectors:
                collect(work)

    def _before_commit(self, session: Session) -> None:
        session.flush()
        work = session.info.get(_KEY)
        if work is None:
            return
        if self.bare and (work.conversations or work.rerender or work.announced):
            raise RuntimeError(
                "this write changed conversations, but its Database has no commit pipeline "
                "(open it with parlour.wiring.open_database)"
            )
        for step in self.before_commit:
            step(work)

    def _after_commit(self, session: Session) -> None:
        work = session.info.pop(_KEY, None)
        if work is not None:
            for step in self.after_commit:
                step(work)


def _forget(session: Session, _previous: Any) -> None:
    # Every `rollback()` (a soft one too: nothing had begun), so nothing outlives it.
    session.info.pop(_KEY, None)


class UnitOfWork:
    """What one write transaction did, in typed fields, and the session it runs on.

    Made by `Database.unit_of_work` for a command's transaction, or on first use for any
    write session (`UnitOfWork.of`). Fields are filled by the write model, the commit
    steps and the collectors; `commit` commits the session, which runs the pipeline.
    """

    def __init__(self, session: Session, pipeline: Pipeline, now: int | None = None) -> None:
        self.session = session
        self.pipeline = pipeline
        if now is None:
            now = pipeline.clock() if pipeline.clock is not None else 0
        self.now = now
        # Written through the write model (`conversations.writes`), by id.
        self.conversations: dict[int, ConversationWrite] = {}
        # To render whole from their rows at commit (changed by the ORM or by bulk writes).
        self.rerender: set[int] = set()
        # Whose stored entries show something that changed elsewhere: cleared at commit.
        self.stale: set[int] = set()
        self.announced: list[Announcement] = []
        # Filled at commit: the entries stored, by conversation id (the write's answer
        # reads them after the commit), and how many webhook deliveries were written.
        self.stored: dict[int, StoredEntry] = {}
        self.deliveries = 0
        self._payloads: dict[int, dict[str, Any]] = {}

    @classmethod
    def of(cls, session: Session, pipeline: Pipeline) -> UnitOfWork:
        """The session's unit of work for its current transaction (made on first use)."""
        work: UnitOfWork | None = session.info.get(_KEY)
        if work is None:
            work = session.info[_KEY] = cls(session, pipeline)
        return work

    def wrote(
        self, before: ConversationRecord, after: ConversationRecord, columns: set[str]
    ) -> None:
        """Record that the write model wrote `columns` of a conversation (`after` is now)."""
        known = self.conversations.get(after.id)
        if known is None:
            self.conversations[after.id] = ConversationWrite(before, after, set(columns))
        else:
            known.after = after
            known.columns |= columns

    def render_whole(self, conversation_id: int) -> None:
        """Render this conversation's entry from its rows at commit (its links changed)."""
        self.rerender.add(conversation_id)

    def announce(self, announcement: Announcement) -> None:
        """Record that something happened, for the commit's webhook (and event) rows."""
        self.announced.append(announcement)

    def payload(self, announcement: Announcement) -> dict[str, Any]:
        """The announced object as the API renders it, rendered once (at commit)."""
        key = id(announcement)
        found = self._payloads.get(key)
        if found is None:
            found = self._payloads[key] = self.pipeline.render(self, announcement)
        return found

    def commit(self) -> None:
        """Commit: flush, the pipeline's steps in order, the commit, the notifications."""
        self.session.commit()


@contextmanager
def unit_of_work(
    factory: sessionmaker[Session], pipeline: Pipeline, now: int | None = None
) -> Iterator[UnitOfWork]:
    """A write session and its unit of work; rolled back unless `commit` was called."""
    with factory() as session:
        work = UnitOfWork(session, pipeline, now)
        session.info[_KEY] = work
        yield work
