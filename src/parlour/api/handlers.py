"""Every error leaves as Intercom's `error.list`; the edge middleware adds request ids."""

from __future__ import annotations

import asyncio
import logging
import os
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from parlour.api.overload import LoadShedder, overloaded
from parlour.api.responses import JsonResponse
from parlour.errors import ApiError, NotFound, ParameterInvalid, PayloadTooLarge, ServerError

log = logging.getLogger("parlour.errors")

_REQUEST_ID_OK = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def new_request_id() -> str:
    """A random UUID (version 4), in the form Intercom's request ids take.

    Built from 16 random bytes here: `str(uuid.uuid4())` costs 3.4 µs, this 1 µs.
    """
    h = os.urandom(16).hex()
    # Version 4 in the 13th digit, the RFC 4122 variant (8, 9, a or b) in the 17th.
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


def error_body(request_id: str | None, errors: list[dict[str, Any]]) -> dict[str, Any]:
    """The `error.list` document."""
    return {"type": "error.list", "request_id": request_id, "errors": errors}


def error_document(request_id: str | None, exc: ApiError) -> dict[str, Any]:
    """One ApiError as Intercom's `error.list`: its code, message and (if any) field."""
    item: dict[str, Any] = {"code": exc.code, "message": exc.message}
    if exc.field is not None:
        item["field"] = exc.field
    return error_body(request_id, [item])


def render_api_error(request_id: str | None, exc: ApiError) -> JsonResponse:
    """One ApiError as a response, with its status and headers (`error_document`)."""
    document = error_document(request_id, exc)
    return JsonResponse(document, status_code=exc.status, headers=exc.headers)


def request_id_of(request: Request) -> str | None:
    """The id the edge middleware gave this request."""
    value = request.scope.get("state", {}).get("request_id")
    return str(value) if value is not None else None


def _validation_field(loc: Any) -> str:
    parts = [str(p) for p in loc if p not in ("query", "path", "body", "header")]
    return ".".join(parts) or "body"


async def _on_api_error(request: Request, exc: Exception) -> JsonResponse:
    assert isinstance(exc, ApiError)
    return render_api_error(request_id_of(request), exc)


async def _on_validation_error(request: Request, exc: Exception) -> JsonResponse:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid"}
    field = _validation_field(first.get("loc", ()))
    message = f"{field}: {first.get('msg', 'is invalid')}"
    return render_api_error(request_id_of(request), ParameterInvalid(message, field=field))


async def _on_http_error(request: Request, exc: Exception) -> JsonResponse:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return render_api_error(request_id_of(request), NotFound())
    error = ApiError(str(exc.detail), code="bad_request")
    error.status = exc.status_code
    return render_api_error(request_id_of(request), error)


async def _on_unexpected_error(request: Request, exc: Exception) -> JsonResponse:
    # Starlette's server-error middleware sends this, then re-raises for the edge to log.
    return render_api_error(request_id_of(request), ServerError())


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that turn exceptions into `error.list` responses."""
    app.add_exception_handler(Exception, _on_unexpected_error)
    app.add_exception_handler(ApiError, _on_api_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(HTTPException, _on_http_error)


_CLOSERS = "parlour.close_when_answered"
RATE_HEADERS = "parlour.rate_headers"
"""Where a request's scope state keeps its rate-limit headers, encoded, for the edge to add."""


def close_when_answered(scope: Scope, close: Callable[[], None]) -> None:
    """Run `close` as this request's response starts, or when the request ends without one.

    For what must end before the client hears back but needs no say in the answer: a read
    session (see `deps.reading`).
    """
    scope.setdefault("state", {}).setdefault(_CLOSERS, []).append(close)


def _close_all(state: dict[str, Any]) -> None:
    for close in state.pop(_CLOSERS, ()):
        try:
            close()
        except Exception:  # the answer is still worth sending; the pool discards the rest
            log.exception("closing a request's resources failed")


class EdgeMiddleware:
    """Request ids, rate-limit headers, load shedding, body-size limit, the last-resort 500.

    A pure ASGI middleware (not BaseHTTPMiddleware, which costs a task per request).
    """

    def __init__(
        self,
        app: ASGIApp,
        max_body_bytes: int,
        max_in_flight: int = 0,
        max_queue_ms: int = 0,
        hot_routes: Sequence[Route] = (),
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.shedder = LoadShedder(max_in_flight, max_queue_ms)
        # Routes served straight from here (`api/read_route.ReadRoute`, which answers its
        # own errors): the layers between (exception handlers, FastAPI's exit stack, the
        # router's scan) cost a hot read ~5%. A request they do not fully match goes on.
        self._hot = tuple(
            (route.path_regex, frozenset(route.methods or ()), route) for route in hot_routes
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        incoming = _header(scope, b"x-request-id")
        request_id = incoming if incoming and _REQUEST_ID_OK.match(incoming) else None
        request_id = request_id or new_request_id()
        state["request_id"] = request_id
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                _close_all(state)
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                headers += state.get(RATE_HEADERS, ())
                message["headers"] = headers
            await send(message)

        async def serve() -> None:
            await self._serve(scope, receive, send_with_headers, request_id, lambda: started)

        try:
            await self._admit(serve, send_with_headers, request_id)
        finally:
            _close_all(state)

    async def _admit(
        self, serve: Callable[[], Awaitable[None]], send_with_headers: Send, request_id: str
    ) -> None:
        """Serve the request unless the worker is too full to start it soon (503)."""
        shedder = self.shedder
        if not shedder.enabled:
            await serve()
            return
        arrived = shedder.admit()
        if arrived is None:
            await _send_error(send_with_headers, request_id, overloaded("too many requests"))
            return
        try:
            # Get in line: every request this worker read in the same turn of its loop is
            # counted before the first of them blocks the loop in its handler.
            await asyncio.sleep(0)
            if shedder.waited_too_long(arrived):
                await _send_error(send_with_headers, request_id, overloaded("queue too long"))
                return
            await serve()
        finally:
            shedder.release()

    async def _serve(
        self,
        scope: Scope,
        receive: Receive,
        send_with_headers: Send,
        request_id: str,
        started: Callable[[], bool],
    ) -> None:
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            await _send_error(
                send_with_headers,
                request_id,
                PayloadTooLarge(f"Request body exceeds {self.max_body_bytes} bytes"),
            )
            return

        # PostgreSQL text cannot hold NUL, and no Intercom id or filter contains one: no
        # resource has such an id, and such a filter value is unusable.
        if "\x00" in scope.get("path", ""):
            await _send_error(send_with_headers, request_id, NotFound())
            return
        if b"%00" in scope.get("query_string", b""):
            message = "Parameters must not contain NUL (\\u0000) characters"
            await _send_error(send_with_headers, request_id, ParameterInvalid(message))
            return

        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise PayloadTooLarge(f"Request body exceeds {self.max_body_bytes} bytes")
            return message

        app = self._hot_route(scope) or self.app
        try:
            await app(scope, limited_receive, send_with_headers)
        except ApiError as exc:
            if not started():
                await _send_error(send_with_headers, request_id, exc)
        except ClientDisconnect:
            # The client left before its request was read whole: nothing was done, and
            # nobody is there to answer.
            log.info("client went away before sending request %s", request_id)
        except Exception:
            log.exception("unhandled error in request %s", request_id)
            if not started():
                await _send_error(send_with_headers, request_id, ServerError())

    def _hot_route(self, scope: Scope) -> ASGIApp | None:
        """The handler of the hot route this request fully matches, with its path params set.

        What Starlette's `Route.matches` does for these routes (str parameters only, see
        `ReadRoute`), without building a child scope for every route tried.
        """
        path = scope["path"]
        root = scope.get("root_path")
        if root and path.startswith(root):
            path = path[len(root) :]
        method = scope["method"]
        for regex, methods, route in self._hot:
            if method in methods and (found := regex.match(path)) is not None:
                scope["endpoint"] = route.endpoint
                scope["route"] = route
                scope["path_params"] = {**scope.get("path_params", {}), **found.groupdict()}
                # The route's own app: `Route.handle` would only check the method again.
                return route.app
        return None


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


async def _send_error(send: Send, request_id: str, exc: ApiError) -> None:
    """The edge's own answers, sent on the raw ASGI channel: the same `error_document`."""
    body = orjson.dumps(error_document(request_id, exc))
    headers = [
        (b"content-type", b"application/json; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
    ]
    headers.extend((name.lower().encode(), value.encode()) for name, value in exc.headers.items())
    await send({"type": "http.response.start", "status": exc.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
