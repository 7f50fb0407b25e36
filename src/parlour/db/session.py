"""Engine and session factories; SQLite gets WAL and a busy timeout for concurrent workers."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
import time
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, cast

import orjson
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import PoolProxiedConnection

from parlour.core.text import fold
from parlour.db.unit_of_work import Pipeline, UnitOfWork, unit_of_work

SQLITE_BUSY_TIMEOUT_MS = 30_000
log = logging.getLogger("parlour.db")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # NORMAL in WAL mode is durable across process crashes; only power loss can drop the
    # last commits, which is the trade SQLite's authors recommend for servers.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    # 64 MB of page cache per connection. The pool hands out the most recently used
    # connection first (`pool_use_lifo`), so one connection per worker stays warm.
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()
    # Caseless text search folds on SQLite with the same Python code that folds the stored
    # search columns and the query values (`core.text.fold`; SQLite's lower() is ASCII-only).
    dbapi_connection.create_function("parlour_fold", 1, _fold_or_null, deterministic=True)


def _fold_or_null(value: object) -> str | None:
    return None if value is None else fold(str(value))


def _begin(conn: Any) -> None:
    # A write transaction that starts as a read can fail with "database is locked" when it
    # upgrades; taking the write lock up front makes SQLite queue writers on busy_timeout.
    # Reads keep a plain (deferred) BEGIN so they never wait for the write lock.
    options = conn.get_execution_options()
    if not options.get("parlour_write"):
        driver = conn.connection.driver_connection
        # A `ReadTransaction`'s session joins the transaction its connection already has.
        if not driver.in_transaction:
            # On the driver: through `exec_driver_sql` this BEGIN cost 40 µs, a tenth of a read.
            driver.execute("BEGIN")
    elif options.get("parlour_driver_begins"):
        # `Database.take_write_lock` begins on the driver itself, waiting on the event loop.
        return
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _try_write_lock(driver: sqlite3.Connection) -> bool:
    """`BEGIN IMMEDIATE` on the driver: True if this connection now holds the write lock."""
    try:
        driver.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if exc.sqlite_errorcode & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            return False
        raise
    return True


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create the engine for a database URL, creating the SQLite file's directory."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "isolation_level": None},
            # Decoding JSON columns was a fifth of a list page's cost with the stdlib parser.
            json_deserializer=orjson.loads,
            # The most recently returned connection first: a worker's requests run one at a
            # time, so they keep reusing one connection and its warm page cache instead of
            # rotating through the pool and growing a cache in each (RSS).
            pool_use_lifo=True,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _begin)
        return engine
    # JSONB keeps numbers exact, so a float such as 1e20 comes back as a 21-digit integer that
    # no JSON response can carry; orjson reads it back as the float the request parser made.
    return create_engine(
        url,
        echo=echo,
        pool_size=10,
        max_overflow=20,
        pool_pre_ping=True,
        json_deserializer=orjson.loads,
    )


WRITE_LOCK_POLL = 0.0005
"""Seconds between a waiting writer's tries for SQLite's write lock."""

CHECKPOINT_INTERVAL = 0.5
"""Seconds between background WAL checkpoints (see `Database.checkpoint_in_background`)."""


class Checkpointer:
    """A daemon thread running SQLite's passive WAL checkpoint every `interval` seconds."""

    def __init__(self, path: Path, interval: float) -> None:
        self.path = path
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="parlour-checkpoint", daemon=True)
        # A connection of its own, not the pool's: a pooled connection it borrowed would be
        # lent to requests next and grow a second page cache (64 MB) in the worker.
        self._connection: sqlite3.Connection | None = None

    def start(self) -> None:
        """Start checkpointing."""
        self._thread.start()

    def stop(self) -> None:
        """Stop after a last checkpoint."""
        self._stop.set()
        self._thread.join(30)

    def checkpoint(self) -> None:
        """One passive checkpoint: copies what no reader still needs, waits for nobody."""
        if self._connection is None:
            self._connection = sqlite3.connect(self.path, isolation_level=None)
        self._connection.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def _loop(self) -> None:
        try:
            while True:
                stopping = self._stop.wait(self.interval)
                try:
                    self.checkpoint()
                except Exception:  # a failed checkpoint is retried at the next tick
                    log.exception("WAL checkpoint failed")
                if stopping:
                    return
        finally:
            if self._connection is not None:
                self._connection.close()


class WriteLockTimeout(Exception):
    """SQLite's write lock stayed taken past the wait's deadline: nothing was written."""


_IDLE_READS = 2
"""SQLite connections a process keeps checked out for its next reads."""


class ReadTransaction:
    """A read-only transaction on one pooled DB-API connection, with an ORM session on demand.

    The hot reads (`db.prepared` statements: token, list pages, counts, retrieve) run on the
    connection itself; the ORM session, over the same connection and so the same
    transaction and snapshot, is made only when something asks for `session`. Checking a
    connection out and beginning/ending a transaction through SQLAlchemy's `Connection`
    and the ORM's session transaction cost ~100 µs a request, the driver's own ~12 µs.
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        self.dialect = db.engine.dialect
        try:
            self.connection = db._idle_reads.pop()
        except IndexError:
            self.connection = db.engine.raw_connection()
        # The DB-API connection, at hand for `db.prepared` (SQLAlchemy's pool proxies reach
        # it through three properties a statement).
        self.driver: Any = cast(Any, self.connection.driver_connection)
        if db.is_sqlite:
            try:
                self.driver.execute("BEGIN")
            except BaseException:
                self.connection.close()
                raise
        # PostgreSQL (psycopg, not autocommit) begins at the first statement by itself.
        self._core: Connection | None = None
        self._session: Session | None = None
        db.open_reads += 1

    @property
    def session(self) -> Session:
        """An ORM session in this transaction (made on first use)."""
        if self._session is None:
            self._core = Connection(self._db.engine, connection=self.connection)
            self._session = self._db.read_session(bind=self._core)
        return self._session

    def close(self) -> None:
        """End the transaction (a rollback: nothing is written) and return the connection."""
        db = self._db
        db.open_reads -= 1
        if self._session is not None and self._core is not None:
            self._session.close()  # rolls back the transaction it joined
            self._core.close()  # hands the connection back to the pool
            return
        if db.is_sqlite and len(db._idle_reads) < _IDLE_READS:
            # Kept for the next read of this process (see `Database._idle_reads`).
            try:
                self.driver.rollback()
            except BaseException:
                self.connection.invalidate()
                raise
            db._idle_reads.append(self.connection)
            return
        # Returning the connection rolls its transaction back (the pool's reset on return).
        self.connection.close()


Reads = Session | ReadTransaction
"""Where a read runs: a session, or a read transaction (which makes one on demand)."""


def orm_session(reads: Reads) -> Session:
    """The ORM session of `reads`, for the reads that load ORM objects."""
    return reads if isinstance(reads, Session) else reads.session


def dialect_name(reads: Reads) -> str:
    """`sqlite` or `postgresql`: where `reads` runs."""
    if isinstance(reads, Session):
        return reads.get_bind().dialect.name
    return reads.dialect.name


class Database:
    """One engine and its two session factories: reads, and writes that lock up front.

    `pipeline` is what every write transaction runs at its commit (`db.unit_of_work`); the
    composition gives Parlour's (`parlour.wiring.open_database`). Without one, this is a
    storage-only handle (migrations, tools): it refuses to commit conversation writes.
    """

    def __init__(self, url: str, *, pipeline: Pipeline | None = None, echo: bool = False) -> None:
        self.url = url
        self.pipeline = pipeline or Pipeline()
        self.engine = make_engine(url, echo=echo)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self.read_session = sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        self.write_session = sessionmaker(
            self.engine.execution_options(parlour_write=True),
            expire_on_commit=False,
            autoflush=False,
        )
        self.pipeline.install(self.write_session)
        self._autocheckpoint = True
        self._checkpointer: Checkpointer | None = None
        self._gate: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None
        # SQLite: connections whose read transaction ended, kept out of the pool for the
        # next read (a pool checkout and return, with its reset, cost ~15 µs a request,
        # a tenth of a list page). A local file has no connection to lose, so skipping
        # the pool's checks costs nothing; PostgreSQL reads always go through the pool.
        self._idle_reads: list[PoolProxiedConnection] = []
        self.open_reads = 0  # read transactions now open (tests check none outlives its request)
        if self.is_sqlite:
            event.listen(self.engine, "connect", self._on_connect)
        database = self.engine.url.database if self.is_sqlite else None
        # The SQLite file (None for PostgreSQL and in-memory databases).
        self.file = (
            Path(database).expanduser() if database and database != ":memory:" else None
        )

    def _on_connect(self, dbapi_connection: Any, _record: Any) -> None:
        if not self._autocheckpoint and isinstance(dbapi_connection, sqlite3.Connection):
            dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")

    async def take_write_lock(
        self, session: Session, *, timeout: float = SQLITE_BUSY_TIMEOUT_MS / 1000
    ) -> None:
        """Begin `session`'s write transaction, waiting for SQLite's write lock on the loop.

        SQLite's own wait (busy_timeout) sleeps in C, up to 100 ms at a time: a worker
        waiting for another worker's write would stop serving reads meanwhile (measured: a
        90/10 read/write mix fell to 40 req/s on two workers). Here the wait is a series of
        short `asyncio.sleep`s, so the worker keeps serving. One request per process waits
        at a time (`_write_gate`), trying `BEGIN IMMEDIATE` on its connection's driver: a
        refusal costs a few µs there, where through SQLAlchemy (begin, wrapped error,
        rollback, pool return) it cost ~150 µs, and 16 waiters per worker tried ~3 times
        per write (measured: 0.4 ms of CPU per reply). No-op on PostgreSQL, whose row
        locks are taken statement by statement.
        """
        if not self.is_sqlite:
            return
        deadline = time.monotonic() + timeout
        gate = self._write_gate()
        try:
            await asyncio.wait_for(gate.acquire(), timeout)
        except TimeoutError:
            raise WriteLockTimeout() from None
        try:
            connection = session.connection(execution_options={"parlour_driver_begins": True})
            driver = connection.connection.driver_connection
            assert isinstance(driver, sqlite3.Connection)
            driver.execute("PRAGMA busy_timeout=0")
            try:
                while not _try_write_lock(driver):
                    if time.monotonic() > deadline:
                        raise WriteLockTimeout()
                    await asyncio.sleep(WRITE_LOCK_POLL)
            finally:
                driver.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        finally:
            gate.release()

    def _write_gate(self) -> asyncio.Lock:
        """This event loop's lock that lets one request at a time wait for the write lock.

        Waiting holds a pooled connection: without the gate, a burst of writes in one
        worker could empty the pool, and a checkout would block the event loop.
        """
        loop = asyncio.get_running_loop()
        if self._gate is None or self._gate[0] is not loop:
            self._gate = (loop, asyncio.Lock())
        return self._gate[1]

    def checkpoint_in_background(self, interval: float = CHECKPOINT_INTERVAL) -> None:
        """Copy the WAL into the database on a thread of this process, not in commits.

        SQLite checkpoints in the commit that fills the WAL past 1,000 pages: that commit
        then takes 10-20 ms (it writes and fsyncs the database file) while the writer still
        holds its turn, and every other write waits (p99 of a commit: 12 ms; without:
        0.6 ms). From here on this engine's connections leave it to a thread that runs a
        passive checkpoint (it never waits for or blocks writers) every `interval` seconds.
        A no-op except on SQLite files; `dispose` stops the thread after a last checkpoint.
        """
        if self.file is None or self._checkpointer is not None:
            return
        self._autocheckpoint = False
        # Connections opened before would keep checkpointing in their commits.
        self._close_idle_reads()
        self.engine.dispose()
        self._checkpointer = Checkpointer(self.file, interval)
        self._checkpointer.start()

    def unit_of_work(self, now: int | None = None) -> AbstractContextManager[UnitOfWork]:
        """A write transaction and what it did; its `commit` runs the pipeline (else rollback).

        `now` is the time its commit steps record (the pipeline's clock when omitted).
        """
        return unit_of_work(self.write_session, self.pipeline, now)

    def read_transaction(self) -> ReadTransaction:
        """A read-only transaction for one request (see `ReadTransaction`); close it."""
        return ReadTransaction(self)

    def analyze(self) -> None:
        """Refresh the query planner's table statistics (after bulk loads, at server start).

        Without statistics SQLite guesses that `workspace_id = ?` matches ~10 rows and
        prefers a workspace index over a primary-key `IN (...)` lookup: measured 2 ms
        instead of 0.05 ms per page of contacts at 25k contacts. `analysis_limit` keeps
        ANALYZE to a sample (milliseconds, whatever the size).
        """
        with self.engine.execution_options(parlour_write=True).begin() as conn:
            if self.is_sqlite:
                conn.exec_driver_sql("PRAGMA analysis_limit=1000")
            conn.exec_driver_sql("ANALYZE")

    def dispose(self) -> None:
        """Stop background checkpoints; close every pooled connection."""
        if self._checkpointer is not None:
            self._checkpointer.stop()
            self._checkpointer = None
        self._close_idle_reads()
        self.engine.dispose()

    def _close_idle_reads(self) -> None:
        while self._idle_reads:
            self._idle_reads.pop().close()
