"""Request bodies: one JSON object, with typed field access that fails the way Intercom does.

Handlers read fields through `Body` instead of Pydantic models so every failure is an
`error.list` naming the field, with Intercom's codes: a missing required field is
`parameter_not_found`, a present but unusable one `parameter_invalid`.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Request

from parlour.errors import ParameterInvalid, ParameterNotFound, UnsupportedMediaType

MAX_TEXT = 65_536
MAX_NESTING = 32  # levels of objects/lists in a free-form JSON value


def _clean(value: str, name: str) -> str:
    # PostgreSQL text cannot hold NUL; refusing it everywhere keeps both databases alike.
    if "\x00" in value:
        raise ParameterInvalid(f"{name} must not contain NUL characters", field=name)
    return value


class Body:
    """A parsed JSON object body, or one object of a list in it (`path` names which).

    Errors name a field as `path + name` (`users[0].id`); a top-level body has no path.
    """

    def __init__(self, data: dict[str, Any], *, path: str = "") -> None:
        self.data = data
        self.path = path

    def has(self, name: str) -> bool:
        """True when the field is present (even if null)."""
        return name in self.data

    def _value(self, name: str, required: bool) -> Any:
        value = self.data.get(name)
        if value is None and required:
            raise ParameterNotFound(f"{self.path}{name} is required", field=self.path + name)
        return value

    def text(
        self, name: str, *, required: bool = False, max_length: int = MAX_TEXT
    ) -> str | None:
        """A string field (numbers are not strings here)."""
        label = self.path + name
        value = self._value(name, required)
        if value is None:
            return None
        if not isinstance(value, str):
            raise ParameterInvalid(f"{label} must be a string", field=label)
        if len(value) > max_length:
            raise ParameterInvalid(f"{label} is longer than {max_length} characters", field=label)
        return _clean(value, label)

    def identifier(self, name: str, *, required: bool = False) -> str | None:
        """An id: a string, or an integer as Intercom's own examples send (`"id": 86`)."""
        label = self.path + name
        value = self._value(name, required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise ParameterInvalid(f"{label} must be a string id", field=label)
        text = str(value).strip()
        if not text or len(text) > 255:
            raise ParameterInvalid(f"{label} is not a valid id", field=label)
        return _clean(text, label)

    def integer(
        self, name: str, *, required: bool = False, minimum: int | None = None
    ) -> int | None:
        """An integer field (booleans and floats are refused)."""
        label = self.path + name
        value = self._value(name, required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise ParameterInvalid(f"{label} must be an integer", field=label)
        if minimum is not None and value < minimum:
            raise ParameterInvalid(f"{label} must be at least {minimum}", field=label)
        if value >= 2**53:
            raise ParameterInvalid(f"{label} is too large", field=label)
        return int(value)

    def timestamp(self, name: str, *, required: bool = False) -> int | None:
        """A Unix timestamp in seconds."""
        return self.integer(name, required=required, minimum=0)

    def boolean(self, name: str) -> bool | None:
        """A JSON boolean."""
        label = self.path + name
        value = self.data.get(name)
        if value is None:
            return None
        if not isinstance(value, bool):
            raise ParameterInvalid(f"{label} must be true or false", field=label)
        return value

    def obj(self, name: str, *, required: bool = False) -> Body | None:
        """A nested JSON object."""
        label = self.path + name
        value = self._value(name, required)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise ParameterInvalid(f"{label} must be an object", field=label)
        return Body(value)

    def strings(self, name: str, *, max_items: int, max_length: int = 2_048) -> list[str]:
        """A list of strings (URLs and the like); absent is empty."""
        label = self.path + name
        value = self.data.get(name)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ParameterInvalid(f"{label} must be a list of strings", field=label)
        if len(value) > max_items:
            raise ParameterInvalid(f"{label} accepts at most {max_items} items", field=label)
        for item in value:
            if len(item) > max_length:
                raise ParameterInvalid(f"{label} has an item that is too long", field=label)
            _clean(item, label)
        return list(value)

    def objects(self, name: str, *, required: bool = False) -> list[Body]:
        """A non-empty list of JSON objects, each a `Body` whose errors say `name[i].field`.

        Absent (or null) is empty unless required; present, it must hold at least one item.
        """
        label = self.path + name
        value = self._value(name, required)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise ParameterInvalid(f"{label} must be a list of objects", field=label)
        if not value:
            raise ParameterInvalid(f"{label} must not be empty", field=label)
        return [Body(item, path=f"{label}[{i}].") for i, item in enumerate(value)]


def _scrub(value: Any, name: str, depth: int = 0) -> None:
    """Refuse NUL anywhere in a free-form JSON value (custom attributes), and deep nesting.

    JSON nested deeper than `MAX_NESTING` would overflow the recursion of this check and of
    the JSON encoder that stores it (orjson stops at 255 levels): a 400, never a 500.
    """
    if depth > MAX_NESTING:
        raise ParameterInvalid(f"{name} is nested more than {MAX_NESTING} levels deep", field=name)
    if isinstance(value, str):
        _clean(value, name)
    elif isinstance(value, dict):
        for key, item in value.items():
            _clean(key, name)
            _scrub(item, name, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _scrub(item, name, depth + 1)


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


def _declares_json(content_type: str | None) -> bool:
    """True for `application/json` (any parameters), `application/*+json`, or no header.

    A body that says it is something else (`text/plain`, a form, multipart) is refused
    rather than guessed at: those are the types a browser may send cross-site without
    asking first. A request without a Content-Type is still read as JSON, as it always was.
    """
    if content_type is None:
        return True
    media = content_type.partition(";")[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


async def json_body(request: Request, *, empty_ok: bool = False) -> Body:
    """The request's JSON object; an empty body is `{}` only where the endpoint allows it."""
    raw = await request.body()
    if not raw.strip():
        if empty_ok:
            return Body({})
        raise ParameterNotFound("Request body is required", field="body")
    if not _declares_json(request.headers.get("content-type")):
        raise UnsupportedMediaType()
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ParameterInvalid("Request body is not valid JSON", field="body") from None
    if not isinstance(data, dict):
        raise ParameterInvalid("Request body must be a JSON object", field="body")
    return Body(data)
