"""Request bodies: one JSON object, with typed field access that fails the way Intercom does.

Handlers read fields through `Body` instead of Pydantic models so every failure is an
`error.list` naming the field, with Intercom's codes: a missing required field is
`parameter_not_found`, a present but unusable one `parameter_invalid`.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Request

from parlour.errors import ParameterInvalid, ParameterNotFound

MAX_TEXT = 65_536


def _clean(value: str, name: str) -> str:
    # PostgreSQL text cannot hold NUL; refusing it everywhere keeps both databases alike.
    if "\x00" in value:
        raise ParameterInvalid(f"{name} must not contain NUL characters", field=name)
    return value


class Body:
    """A parsed JSON object body."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def has(self, name: str) -> bool:
        """True when the field is present (even if null)."""
        return name in self.data

    def _value(self, name: str, required: bool) -> Any:
        value = self.data.get(name)
        if value is None and required:
            raise ParameterNotFound(f"{name} is required", field=name)
        return value

    def text(
        self, name: str, *, required: bool = False, max_length: int = MAX_TEXT
    ) -> str | None:
        """A string field (numbers are not strings here)."""
        value = self._value(name, required)
        if value is None:
            return None
        if not isinstance(value, str):
            raise ParameterInvalid(f"{name} must be a string", field=name)
        if len(value) > max_length:
            raise ParameterInvalid(f"{name} is longer than {max_length} characters", field=name)
        return _clean(value, name)

    def identifier(self, name: str, *, required: bool = False) -> str | None:
        """An id: a string, or an integer as Intercom's own examples send (`"id": 86`)."""
        value = self._value(name, required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise ParameterInvalid(f"{name} must be a string id", field=name)
        text = str(value).strip()
        if not text or len(text) > 255:
            raise ParameterInvalid(f"{name} is not a valid id", field=name)
        return _clean(text, name)

    def integer(
        self, name: str, *, required: bool = False, minimum: int | None = None
    ) -> int | None:
        """An integer field (booleans and floats are refused)."""
        value = self._value(name, required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise ParameterInvalid(f"{name} must be an integer", field=name)
        if minimum is not None and value < minimum:
            raise ParameterInvalid(f"{name} must be at least {minimum}", field=name)
        if value >= 2**53:
            raise ParameterInvalid(f"{name} is too large", field=name)
        return int(value)

    def timestamp(self, name: str, *, required: bool = False) -> int | None:
        """A Unix timestamp in seconds."""
        return self.integer(name, required=required, minimum=0)

    def boolean(self, name: str) -> bool | None:
        """A JSON boolean."""
        value = self.data.get(name)
        if value is None:
            return None
        if not isinstance(value, bool):
            raise ParameterInvalid(f"{name} must be true or false", field=name)
        return value

    def obj(self, name: str, *, required: bool = False) -> Body | None:
        """A nested JSON object."""
        value = self._value(name, required)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise ParameterInvalid(f"{name} must be an object", field=name)
        return Body(value)

    def strings(self, name: str, *, max_items: int, max_length: int = 2_048) -> list[str]:
        """A list of strings (URLs and the like); absent is empty."""
        value = self.data.get(name)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ParameterInvalid(f"{name} must be a list of strings", field=name)
        if len(value) > max_items:
            raise ParameterInvalid(f"{name} accepts at most {max_items} items", field=name)
        for item in value:
            if len(item) > max_length:
                raise ParameterInvalid(f"{name} has an item that is too long", field=name)
            _clean(item, name)
        return list(value)


def _scrub(value: Any, name: str) -> None:
    """Refuse NUL anywhere in a free-form JSON value (custom attributes)."""
    if isinstance(value, str):
        _clean(value, name)
    elif isinstance(value, dict):
        for key, item in value.items():
            _clean(key, name)
            _scrub(item, name)
    elif isinstance(value, list):
        for item in value:
            _scrub(item, name)


def custom_attributes(body: Body, name: str = "custom_attributes") -> dict[str, Any] | None:
    """Intercom's custom attributes: an object of scalars (or nested objects), no NUL."""
    value = body.data.get(name)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ParameterInvalid(f"{name} must be an object", field=name)
    for key in value:
        if len(key) > 190:
            raise ParameterInvalid(f"{name} has a key longer than 190 characters", field=name)
    _scrub(value, name)
    return dict(value)


async def json_body(request: Request, *, empty_ok: bool = False) -> Body:
    """The request's JSON object; an empty body is `{}` only where the endpoint allows it."""
    raw = await request.body()
    if not raw.strip():
        if empty_ok:
            return Body({})
        raise ParameterNotFound("Request body is required", field="body")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ParameterInvalid("Request body is not valid JSON", field="body") from None
    if not isinstance(data, dict):
        raise ParameterInvalid("Request body must be a JSON object", field="body")
    return Body(data)
