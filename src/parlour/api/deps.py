"""Request dependencies: the session (one transaction owner per request) and the caller."""

from __future__ import annotations

import base64
import binascii
from collections.abc import AsyncIterator, Iterable
from typing import Annotated, NamedTuple

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from parlour.api.handlers import RATE_HEADERS, close_when_answered
from parlour.api.overload import overloaded
from parlour.api.versioning import resolve_version
from parlour.db.session import Reads, WriteLockTimeout, orm_session
from parlour.db.unit_of_work import UnitOfWork
from parlour.errors import RateLimited, Unauthorized
from parlour.state import AppState
from parlour.workspaces.service import Principal, authenticate

WRITE_WAIT_SECONDS = 30.0
"""How long a write waits for SQLite's write lock before answering 503."""


class Call(NamedTuple):
    """Everything a handler needs about this request: who, which version, when, storage.

    A named tuple: made on every request, and a frozen dataclass costs 3x to make.
    """

    principal: Principal
    reads: Reads  # a read call's transaction, or a write call's session
    version: str
    now: int
    request_id: str
    state: AppState
    unit: UnitOfWork | None = None  # a write call's

    @property
    def work(self) -> UnitOfWork:
        """A write call's unit of work: its session, and what its commit follows up."""
        assert self.unit is not None, "only write calls have a unit of work"
        return self.unit

    @property
    def session(self) -> Session:
        """The request's ORM session (a read call makes it on first use, in its transaction)."""
        return orm_session(self.reads)

    @property
    def workspace_id(self) -> int:
        """The caller's workspace: every query is scoped to it."""
        return self.principal.workspace_id


def app_state(request: Request) -> AppState:
    """The application's shared state."""
    state: AppState = request.app.state.parlour
    return state


def caller_headers(headers: Iterable[tuple[bytes, bytes]]) -> tuple[str, str | None]:
    """`Authorization` ("" when absent) and `Intercom-Version`, the first of each, as
    Starlette's `Headers.get` reads them, in one pass over the request's raw headers.

    Starlette's mapping costs ~1 µs a lookup, more when the header is absent (it raises and
    catches KeyError inside), as `Intercom-Version` is from most clients.
    """
    authorization: bytes | None = None
    version: bytes | None = None
    for name, value in headers:
        if name == b"authorization":
            if authorization is None:
                authorization = value
        elif name == b"intercom-version" and version is None:
            version = value
    return (
        "" if authorization is None else authorization.decode("latin-1"),
        None if version is None else version.decode("latin-1"),
    )


def bearer_token(header: str) -> str:
    """The token from `Authorization: Bearer <t>` (or Basic `<t>:`, Intercom's legacy form)."""
    scheme, _, value = header.partition(" ")
    scheme = scheme.lower()
    value = value.strip()
    if scheme == "bearer" and value:
        return value
    if scheme == "basic" and value:
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise Unauthorized() from None
        return decoded.partition(":")[0]
    raise Unauthorized()


def _identify(
    request: Request, reads: Reads, state: AppState, unit: UnitOfWork | None = None
) -> Call:
    authorization, version_header = caller_headers(request.scope["headers"])
    principal = authenticate(reads, bearer_token(authorization))
    now = state.clock()
    decision = state.rate_limiter.hit(str(principal.token_id), now)
    request.scope.setdefault("state", {})[RATE_HEADERS] = decision.headers()
    if not decision.allowed:
        # The edge middleware adds the rate-limit headers to this response too.
        raise RateLimited(
            f"Exceeded rate limit of {decision.limit} in {state.rate_limiter.window}_seconds"
        )
    version = resolve_version(version_header, principal.api_version)
    return Call(
        principal=principal,
        reads=reads,
        version=version,
        now=now,
        request_id=request.scope["state"]["request_id"],
        state=state,
        unit=unit,
    )


async def reading(request: Request) -> Call:
    """A read-only call: a read transaction, rolled back when the answer starts.

    Not a generator dependency: FastAPI's exit machinery for those (an exit stack and a
    shielded cancel scope) cost as much as a whole list page. Nothing is committed, so
    the transaction only has to end: the edge closes it as the response starts, or when
    the request fails (`handlers.close_when_answered`). It is a `ReadTransaction`: the hot
    reads run on its connection, and an ORM session is made only if the handler asks.
    """
    call = await read_call(request)
    close_when_answered(request.scope, call.reads.close)
    return call


async def read_call(request: Request) -> Call:
    """Read the request's body, then `begin_read` (the caller must close `call.reads`)."""
    await request.body()  # before the transaction: see `writing`
    return begin_read(request)


def begin_read(request: Request) -> Call:
    """Open a read transaction and identify the caller; the caller must close `call.reads`.

    No await while the transaction is open: a body still to be read is read before
    (`read_call`), or never (the hot GETs, `api.read_route`, which have no use for one).
    """
    state = app_state(request)
    reads = state.db.read_transaction()
    try:
        return _identify(request, reads, state)
    except BaseException:
        reads.close()
        raise


async def writing(request: Request) -> AsyncIterator[Call]:
    """A write call: this dependency owns the transaction and commits once on success.

    The commit is the unit of work's: the list entries, the webhook deliveries and the
    notifications follow it in order (`db.unit_of_work`), or nothing does.
    """
    state = app_state(request)
    # Read the whole body (Starlette keeps it for the handler) before the transaction opens,
    # so no transaction spans an await: waiting for a slow body while holding SQLite's write
    # lock would make every other write of this worker block the loop in busy_timeout.
    await request.body()
    with state.db.unit_of_work() as work:
        try:
            await state.db.take_write_lock(work.session, timeout=WRITE_WAIT_SECONDS)
        except WriteLockTimeout:
            # Other writers held the database all along: nothing was done, so the client
            # may retry, as after any overload (both SDKs honour Retry-After).
            raise overloaded("the database stayed busy") from None
        call = _identify(request, work.session, state, work)
        work.now = call.now
        try:
            yield call
        except BaseException:
            work.session.rollback()
            raise
        work.commit()


# Handler parameter types: the dependency ends before the response is sent, so a write's
# commit has succeeded (or failed loudly) before the client sees a 2xx.
ReadCall = Annotated[Call, Depends(reading)]
WriteCall = Annotated[Call, Depends(writing, scope="function")]
