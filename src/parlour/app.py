"""Application factory: `create_app(settings)` builds the ASGI app; nothing happens at import."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from parlour import __version__
from parlour.api.handlers import EdgeMiddleware, install_error_handlers
from parlour.api.read_route import hoisted
from parlour.api.responses import JsonResponse
from parlour.config import Settings
from parlour.conversations.jobs import store_missing_entries, wake_due_snoozes
from parlour.core.clock import Clock, system_clock
from parlour.core.count_cache import CountCache
from parlour.core.cursor import CursorCodec
from parlour.core.ratelimit import RateLimiter
from parlour.openapi import openapi_builder
from parlour.routes import include_routers
from parlour.scheduler import Job, Scheduler
from parlour.state import AppState
from parlour.webhooks.delivery import RetryPolicy, deliver_due
from parlour.wiring import open_database
from parlour.workspaces import service as workspaces

log = logging.getLogger("parlour")


class ParlourApp(FastAPI):
    """FastAPI with the edge middleware (`api.handlers.EdgeMiddleware`) outermost.

    `add_middleware` would put it inside Starlette's server-error middleware and FastAPI's
    exception telemetry, two layers every hot read would pass for nothing: the edge
    answers what escapes as a 500 itself, and the app's 500 handler
    (`install_error_handlers`) answers inside.
    """

    def __init__(self, *, edge_options: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.edge_options = edge_options

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """HTTP requests straight to the middleware stack (the edge); the rest as FastAPI.

        FastAPI's and Starlette's layers would only set `scope["app"]` and look for
        telemetry, which `create_app` turns off: two coroutine frames a request for nothing.
        """
        stack = self.middleware_stack
        if scope["type"] != "http" or stack is None or self.root_path:
            await super().__call__(scope, receive, send)
            return
        scope["app"] = self
        await stack(scope, receive, send)

    def build_middleware_stack(self) -> ASGIApp:
        """Starlette's and FastAPI's layers, inside the edge."""
        return EdgeMiddleware(
            super().build_middleware_stack(), hot_routes=hoisted(self), **self.edge_options
        )


def build_state(settings: Settings, clock: Clock = system_clock) -> AppState:
    """Connect to the database and prepare the shared state (no schema changes here).

    The database runs Parlour's commit pipeline (`wiring`), whose last step wakes this
    process's webhook sender after a commit that wrote deliveries.
    """
    # Its jobs are given when it starts (`create_app`'s lifespan); a poke before is kept.
    scheduler = Scheduler([], settings.scheduler_interval)
    db = open_database(settings.database_url, clock=clock, notify=scheduler.poke)
    secret = settings.secret_key
    if not secret:
        with db.write_session() as session:
            secret = workspaces.secret_key(session)
            session.commit()
    return AppState(
        settings=settings,
        db=db,
        clock=clock,
        cursor_codec=CursorCodec(secret.encode()),
        count_cache=CountCache(),
        rate_limiter=RateLimiter(settings.rate_limit, settings.rate_limit_window),
        scheduler=scheduler,
    )


def webhook_policy(settings: Settings) -> RetryPolicy:
    """Webhook timeouts and retries from the settings."""
    return RetryPolicy(
        timeout=settings.webhook_timeout,
        max_attempts=settings.webhook_max_attempts,
        base_delay=settings.webhook_retry_delay,
        lease=max(settings.webhook_lease, int(settings.webhook_timeout) + 1),
    )


def background_jobs(state: AppState) -> list[Job]:
    """The jobs every server process runs on its scheduler thread."""
    client = httpx.Client(follow_redirects=False)
    policy = webhook_policy(state.settings)
    return [
        Job("wake snoozed conversations", lambda: wake_due_snoozes(state.db, state.clock())),
        # Bounded per tick so the other jobs keep their pace while a backlog is worked off.
        Job("store list entries", lambda: store_missing_entries(state.db, limit=20_000)),
        Job(
            "deliver webhooks",
            lambda: deliver_due(state.db, state.clock, client, policy),
            close=client.close,
        ),
    ]


def create_app(settings: Settings | None = None, *, clock: Clock = system_clock) -> FastAPI:
    """The Parlour ASGI application for `settings` (read from the environment if omitted)."""
    settings = settings or Settings()
    state = build_state(settings, clock)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Start-up objects live for the process: freezing them keeps the collector's
        # full passes short, which measurably trims the latency tail.
        gc.collect()
        gc.freeze()
        state.db.checkpoint_in_background()
        if settings.scheduler_interval > 0:
            state.scheduler.jobs = background_jobs(state)
            state.scheduler.start()
        try:
            yield
        finally:
            state.scheduler.stop()
            state.scheduler.jobs = []
            state.db.dispose()

    app = ParlourApp(
        edge_options={
            "max_body_bytes": settings.max_body_bytes,
            "max_in_flight": settings.max_in_flight,
            "max_queue_ms": settings.max_queue_ms,
        },
        title="Parlour",
        version=__version__,
        description="A self-hostable, Intercom-compatible conversations API.",
        default_response_class=JsonResponse,
        lifespan=lifespan,
        redirect_slashes=False,
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.parlour = state
    install_error_handlers(app)
    include_routers(app)
    app.openapi = openapi_builder(app)  # type: ignore[method-assign]
    return app
