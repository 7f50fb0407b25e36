"""The one place that knows every router: what the app serves, in which order.

Composition, like `app.py`: the HTTP plumbing in `api/` never imports it. Paths no router
serves reach `api.unserved` (404, or 501 for Intercom's paths Parlour lacks).
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from parlour.admins.router import router as admins_router
from parlour.api.read_route import hoist
from parlour.api.unserved import unserved
from parlour.contacts.router import router as contacts_router
from parlour.conversations.router import hot_reads as conversation_reads
from parlour.conversations.router import router as conversation_search
from parlour.conversations.write_router import router as conversation_writes
from parlour.sla_rules.router import router as sla_rules_router
from parlour.tags.router import router as tags_router
from parlour.teams.router import router as teams_router
from parlour.webhooks.router import router as webhooks_router

# Routers of `ReadRoute`s (`api/read_route.py`): hoisted before everything else.
HOT_READ_ROUTERS: tuple[APIRouter, ...] = (conversation_reads,)
# A request is matched against routes in this order: the busiest resource goes first. No
# two routers serve overlapping paths, so the order changes nothing else.
RESOURCE_ROUTERS: tuple[APIRouter, ...] = (
    conversation_search,
    conversation_writes,
    admins_router,
    contacts_router,
    sla_rules_router,
    tags_router,
    teams_router,
    webhooks_router,
)
ALL_ROUTERS = HOT_READ_ROUTERS + RESOURCE_ROUTERS
"""Every router that declares operations (for tooling that lists what Parlour serves)."""


def served_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path template) pairs Parlour answers itself (the catch-all left out)."""
    # The OpenAPI paths list every mounted route, however FastAPI nests included routers.
    return {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
        if method.upper() in ("GET", "POST", "PUT", "PATCH", "DELETE")
    }


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
