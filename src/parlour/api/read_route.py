"""`ReadRoute`: a FastAPI route for a hot read, served without FastAPI's per-request machinery.

The route is declared like any other (`@router.get(...)`, so `/openapi.json` describes it
from the same declaration), but a request for it costs only what the read needs: the edge
middleware matches it before anything else (`hoisted`; it is also first among the app's
routes, `hoist`), its handler is called with the `Request`, the read `Call` and the path
parameters, errors are answered here, and the read transaction ends before the answer is
sent. FastAPI's dispatch (included-router matching, dependency solving, its exit stacks,
the exception middleware) was ~40% of a list request's CPU.

A handler served this way takes exactly `request`, `call` and its path parameters (all
`str`): its query parameters are read from the request, so nothing FastAPI would have
validated is skipped. `ReadRoute` refuses any other signature when the app is built.
"""

from __future__ import annotations

import inspect
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute, APIRouter
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from parlour.api.deps import begin_read
from parlour.api.handlers import render_api_error, request_id_of
from parlour.errors import ApiError


class ReadRoute(APIRoute):
    """A GET route whose handler is `(request, call, **path params) -> Response`."""

    def __init__(self, path: str, endpoint: Any, **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        expected = {"request", "call", *self.param_convertors}
        given = set(inspect.signature(endpoint).parameters)
        if given != expected:
            raise TypeError(
                f"{endpoint.__qualname__}: a ReadRoute handler takes exactly "
                f"{sorted(expected)}, not {sorted(given)}"
            )
        for name, convertor in self.param_convertors.items():
            if convertor.regex != "[^/]+":
                raise TypeError(f"{endpoint.__qualname__}: path parameter {name} must be str")
        self.app = self._serve

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        try:
            # A GET's body, if a client sends one, means nothing here: it is not read
            # (uvicorn discards it), which spares every read a receive.
            call = begin_read(request)
            try:
                response = await self.endpoint(request=request, call=call, **scope["path_params"])
            finally:
                # A read commits nothing: end it before the answer goes out, so the
                # connection is free again while the bytes are sent.
                call.reads.close()
        except ApiError as exc:
            # Answered here, as the app's handler would: the edge serves these routes
            # directly (`handlers.EdgeMiddleware._hot_route`), not through the handlers.
            response = render_api_error(request_id_of(request), exc)
        await response(scope, receive, send)


def read_router(**kwargs: Any) -> APIRouter:
    """A router whose routes are `ReadRoute`s (mount it with `hoist`)."""
    return APIRouter(route_class=ReadRoute, **kwargs)


def hoist(app: FastAPI, router: APIRouter) -> None:
    """Put `router`'s routes first among `app`'s, matched before any included router."""
    app.router.routes[0:0] = router.routes


def hoisted(app: FastAPI) -> list[ReadRoute]:
    """The app's `ReadRoute`s, for the edge to serve directly."""
    return [route for route in app.router.routes if isinstance(route, ReadRoute)]
