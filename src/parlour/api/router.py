"""The one place that knows every router; also answers paths Parlour does not serve."""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources

from fastapi import APIRouter, FastAPI, Request

from parlour.admins.router import router as admins_router
from parlour.api.read_route import hoist
from parlour.api.responses import JsonResponse
from parlour.contacts.router import router as contacts_router
from parlour.conversations.router import hot_reads as conversation_reads
from parlour.conversations.router import router as conversations_router
from parlour.errors import MethodNotAllowed, NotFound, NotImplementedYet
from parlour.sla_rules.router import router as sla_rules_router
from parlour.tags.router import router as tags_router
from parlour.teams.router import router as teams_router
from parlour.webhooks.router import router as webhooks_router

# Routers of `ReadRoute`s (`api/read_route.py`): hoisted before everything else.
HOT_READ_ROUTERS: tuple[APIRouter, ...] = (conversation_reads,)
# A request is matched against routes in this order: the busiest resource goes first. No
# two routers serve overlapping paths, so the order changes nothing else.
RESOURCE_ROUTERS: tuple[APIRouter, ...] = (
    conversations_router,
    admins_router,
    contacts_router,
    sla_rules_router,
    tags_router,
    teams_router,
    webhooks_router,
)
ALL_ROUTERS = HOT_READ_ROUTERS + RESOURCE_ROUTERS
"""Every router that declares operations (for tooling that lists what Parlour serves)."""


@cache
def intercom_operations() -> tuple[tuple[str, re.Pattern[str], str], ...]:
    """(method, path pattern, template) for every operation of Intercom's 2.14 API."""
    raw = json.loads(
        resources.files("parlour.api").joinpath("intercom_operations.json").read_text()
    )
    operations = []
    for method, template, _operation_id in raw["operations"]:
        pattern = "/".join(
            "[^/]+" if segment.startswith("{") else re.escape(segment)
            for segment in template.split("/")
        )
        operations.append((method, re.compile(f"^{pattern}$"), template))
    return tuple(operations)


def served_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path template) pairs Parlour answers itself (the catch-all left out)."""
    # The OpenAPI paths list every mounted route, however FastAPI nests included routers.
    return {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
        if method.upper() in ("GET", "POST", "PUT", "PATCH", "DELETE")
    }


async def unserved(request: Request) -> JsonResponse:
    """404 for paths Intercom does not have; 501 for Intercom paths Parlour does not serve."""
    method = request.method
    # The decoded path as routed: `request.url.path` would cut it at an encoded `#` (%23).
    path = request.scope["path"]
    known_methods = {m for m, pattern, _ in intercom_operations() if pattern.match(path)}
    if not known_methods:
        raise NotFound()
    if method not in known_methods:
        raise MethodNotAllowed(f"{method} is not allowed on {path}")
    raise NotImplementedYet(f"Parlour does not implement {method} {path} yet")


def include_routers(app: FastAPI) -> None:
    """Mount every resource router, then the catch-all for everything else."""
    for hot in HOT_READ_ROUTERS:  # matched before anything else
        hoist(app, hot)
    for router in RESOURCE_ROUTERS:
        app.include_router(router)
    app.add_api_route(
        "/{path:path}",
        unserved,
        methods=["GET", "POST", "PUT", "DELETE", "PATCH"],
        include_in_schema=False,
    )
