"""JSON responses encoded with orjson (measured several times faster than the stdlib)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from starlette.responses import Response


class JsonResponse(Response):
    """A JSON response; `application/json; charset=utf-8` like Intercom's."""

    media_type = "application/json; charset=utf-8"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


_JSON_CONTENT_TYPE = (b"content-type", JsonResponse.media_type.encode("latin-1"))


class EncodedJsonResponse(Response):
    """A JSON response whose body is already encoded (spliced from stored fragments)."""

    media_type = JsonResponse.media_type

    def __init__(
        self, content: bytes, status_code: int = 200, headers: Mapping[str, str] | None = None
    ) -> None:
        if headers is not None or status_code != 200:
            super().__init__(content, status_code, headers)
            return
        # A hot read's answer: Starlette's header assembly, which weighs which headers to
        # add, would cost it a microsecond; these are the two it adds.
        self.status_code = 200
        self.background = None
        self.body = content
        self.raw_headers = [(b"content-length", b"%d" % len(content)), _JSON_CONTENT_TYPE]
