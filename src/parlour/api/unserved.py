"""Paths Parlour does not serve: 404 for paths Intercom has not, 501 for those it has.

A packaged list of Intercom 2.14's operations (`intercom_operations.json`) tells them
apart, and which methods a known path takes (any other is `405`): an unimplemented
endpoint answers a clear Intercom-style error, never a fake success.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources

from fastapi import Request

from parlour.api.responses import JsonResponse
from parlour.errors import MethodNotAllowed, NotFound, NotImplementedYet


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
