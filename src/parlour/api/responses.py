"""JSON responses encoded with orjson (measured several times faster than the stdlib)."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response


class JsonResponse(Response):
    """A JSON response; `application/json; charset=utf-8` like Intercom's."""

    media_type = "application/json; charset=utf-8"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


class EncodedJsonResponse(Response):
    """A JSON response whose body is already encoded (spliced from stored fragments)."""

    media_type = JsonResponse.media_type
