"""Hostile input on every write endpoint, generated from the routes: always a clear 4xx
`error.list`, never a 500, and nothing stored changes.

The endpoints and their valid bodies come from `test_isolation.OPERATIONS` (which fails when
a served route is missing), run against a workspace holding one object of every kind. Each
case breaks one thing about a valid request: the JSON itself (malformed, truncated, invalid
UTF-8, 100,000 levels of nesting, NaN, 1e400), its Content-Type, its size, one field's value
(integers past 64 bits, floats, NUL, huge or deeply nested values, wrong types), a timestamp,
or a path id. `tests/api/test_edge.py` has the auth, NUL-in-URL and request-id cases.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

from parlour.app import create_app
from parlour.core.clock import FrozenClock
from parlour.core.text import fold
from parlour.db.session import Database
from tests.api.snapshots import Snapshot, changed_tables, snapshot
from tests.api.test_isolation import (
    NOT_FOUND_CODES,
    OPERATIONS,
    PATH_OBJECTS,
    Operation,
    World,
    _fill,
    _params,
    build_world,
)
from tests.conftest import TEST_NOW, make_settings
from tests.factories import (
    ConversationSpec,
    Workspace,
    make_contact,
    make_conversation,
    make_workspace,
)

JSON = "application/json"
# Routes that read a JSON body (the table gives them one); the others ignore any body.
NO_BODY = Operation().body
BODY_ROUTES = sorted(r for r, op in OPERATIONS.items() if op.body is not NO_BODY and r[0] != "GET")
WRITE_ROUTES = sorted(r for r in OPERATIONS if r[0] in ("POST", "PUT", "DELETE"))
PATH_ROUTES = sorted(r for r in OPERATIONS if _params(r[1]))
HUGE_INTS = ("9223372036854775808", "18446744073709551616", "-9223372036854775809",
             "1" + "0" * 30, "1e400", "-1e400", "1e30")  # fmt: skip
BAD_PATH_IDS = (*HUGE_INTS[:5], "0", "-1", "1.5", "0x10", "%201", "١٢", "9" * 300)


def _error(response: Any, status: int | tuple[int, ...]) -> dict[str, Any]:
    statuses = status if isinstance(status, tuple) else (status,)
    assert response.status_code in statuses, response.text
    body = response.json()
    assert body["type"] == "error.list" and body["request_id"], body
    assert len(body["errors"]) == 1 and body["errors"][0]["message"], body
    return body["errors"][0]  # type: ignore[no-any-return]


class Guard:
    """The workspace's rows before a call; `unchanged` checks a refused call wrote nothing."""

    def __init__(self, db: Database, world: World) -> None:
        self.db, self.world = db, world
        self.before: Snapshot = snapshot(db, world.ws.id)

    def unchanged(self, what: str) -> None:
        after = snapshot(self.db, self.world.ws.id)
        assert changed_tables(self.before, after) == set(), f"{what} changed stored data"

    def accept(self) -> None:
        """A call legitimately wrote: later calls compare against the new state."""
        self.before = snapshot(self.db, self.world.ws.id)


@pytest.fixture(scope="module")
def world(client: TestClient, db: Database) -> World:
    return build_world(client, db, "H")


def _path(world: World, template: str) -> str:
    return _fill(template, {n: PATH_OBJECTS[n](world) for n in _params(template)})


def _send(
    client: TestClient, world: World, route: tuple[str, str], content: bytes,
    content_type: str | None = JSON,
) -> Any:  # fmt: skip
    headers = dict(world.ws.headers)
    if content_type is not None:
        headers["Content-Type"] = content_type
    return client.request(route[0], _path(world, route[1]), content=content, headers=headers)


def _valid(world: World, route: tuple[str, str]) -> dict[str, Any]:
    body = OPERATIONS[route].body(world)
    assert body is not None
    return body


def _raw(body: dict[str, Any], name: str, literal: str) -> bytes:
    """`body` as JSON with field `name` set to the raw JSON text `literal`."""
    encoded = orjson.dumps({**body, name: "__RAW__"})
    return encoded.replace(b'"__RAW__"', literal.encode())


def _whole_body_cases(valid: bytes) -> list[tuple[str, bytes, str | None, int, str]]:
    """(label, bytes, content type, status, code) of bodies broken as a whole."""
    deep = b"[" * 100_000 + b"]" * 100_000
    return [
        ("malformed", b'{"a": ', JSON, 400, "parameter_invalid"),
        ("truncated", valid[:-1], JSON, 400, "parameter_invalid"),
        ("trailing garbage", valid + b"}", JSON, 400, "parameter_invalid"),
        ("an array", b"[" + valid + b"]", JSON, 400, "parameter_invalid"),
        ("a string", b'"hello"', JSON, 400, "parameter_invalid"),
        ("deep arrays", deep, JSON, 400, "parameter_invalid"),
        ("deep objects", b'{"a":' * 50_000 + b"1" + b"}" * 50_000, JSON, 400,
         "parameter_invalid"),
        ("invalid UTF-8", valid[:-1] + b', "x": "\xff\xfe\xc3\x28"}', JSON, 400,
         "parameter_invalid"),
        ("lone surrogate", valid[:-1] + b', "x": "\\ud800"}', JSON, 400, "parameter_invalid"),
        ("NaN", valid[:-1] + b', "x": NaN}', JSON, 400, "parameter_invalid"),
        ("1e400", valid[:-1] + b', "x": 1e400}', JSON, 400, "parameter_invalid"),
        ("UTF-16", valid.decode().encode("utf-16"), JSON, 400, "parameter_invalid"),
        ("text/plain", valid, "text/plain", 415, "unsupported_media_type"),
        ("text/plain charset", valid, "text/plain;charset=UTF-8", 415, "unsupported_media_type"),
        ("form", b"admin_id=1&body=hi", "application/x-www-form-urlencoded", 415,
         "unsupported_media_type"),
        ("multipart", b"--x\r\n\r\nhi\r\n--x--", "multipart/form-data; boundary=x", 415,
         "unsupported_media_type"),
        ("xml", b"<a/>", "application/xml", 415, "unsupported_media_type"),
        ("no content type, malformed", b"{oops", None, 400, "parameter_invalid"),
    ]  # fmt: skip


@pytest.mark.parametrize("route", BODY_ROUTES, ids=" ".join)
def test_broken_bodies_are_a_clear_4xx_and_change_nothing(
    client: TestClient, db: Database, world: World, route: tuple[str, str]
) -> None:
    guard = Guard(db, world)
    valid = orjson.dumps(_valid(world, route))
    for label, content, content_type, status, code in _whole_body_cases(valid):
        response = _send(client, world, route, content, content_type)
        assert _error(response, status)["code"] == code, f"{label}: {response.text}"
    guard.unchanged(" ".join(route))


def _hostile_values() -> list[tuple[str, str]]:
    """(label, raw JSON literal) put in place of one field of a valid body."""
    deep = '{"a":' * 40 + "1" + "}" * 40
    return [
        *[(f"integer {v}", v) for v in HUGE_INTS if "e" not in v],
        ("-1", "-1"), ("float", "1.5"), ("true", "true"), ("false", "false"),
        ("empty string", '""'), ("NUL", '"\\u0000"'), ("NUL inside", '"a\\u0000b"'),
        ("huge string", '"' + "x" * 70_000 + '"'), ("empty list", "[]"), ("list", '[1, "a"]'),
        ("empty object", "{}"), ("object", '{"\\u0000": 1}'), ("deep object", deep),
        ("deep list", "[" * 500 + "]" * 500), ("RTL and emoji", '"\\u202e\\ud83d\\ude00"'),
        ("SQL", '"1; DROP TABLE conversation; --"'),
    ]  # fmt: skip


def _leaves(body: dict[str, Any], prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for name, value in body.items():
        yield (*prefix, name)
        if isinstance(value, dict):
            yield from _leaves(value, (*prefix, name))


def _with(body: dict[str, Any], where: tuple[str, ...], literal: str) -> bytes:
    """`body` as JSON with the (nested) field `where` set to the raw JSON text `literal`."""
    copy = orjson.loads(orjson.dumps(body))
    parent = copy
    for name in where[:-1]:
        parent = parent[name]
    parent[where[-1]] = "__RAW__"
    return orjson.dumps(copy).replace(b'"__RAW__"', literal.encode())


@pytest.mark.parametrize("route", BODY_ROUTES, ids=" ".join)
def test_hostile_field_values_never_reach_a_500(
    client: TestClient, db: Database, world: World, route: tuple[str, str]
) -> None:
    """Each field of the valid body (nested ones too), replaced by each hostile value."""
    guard = Guard(db, world)
    body = _valid(world, route)
    cases = 0
    for where in _leaves(body):
        for label, literal in _hostile_values():
            response = _send(client, world, route, _with(body, where, literal))
            what = f"{'.'.join(where)} = {label}"
            assert response.status_code < 500, f"{what}: {response.text}"
            cases += 1
            if response.status_code >= 400:
                _error(response, response.status_code)
                guard.unchanged(what)
            else:
                guard.accept()  # e.g. a title of "" or a tag id given as an integer
    assert cases >= len(_hostile_values())


# (route, a valid body, the field holding a timestamp or a bounded integer)
def _bounded_fields(w: World) -> list[tuple[tuple[str, str], dict[str, Any], str]]:
    admin = {"admin_id": str(w.admin)}
    reply = {**admin, "type": "admin", "message_type": "comment", "body": "hi"}
    start = {"from": {"type": "user", "id": w.contact}, "body": "Hello"}
    snooze = {**admin, "message_type": "snoozed", "snoozed_until": TEST_NOW + 3600}
    contact = {"role": "user", "email": f"t-{w.marker}@example.com"}
    rule = {"name": f"{w.marker} bounded"}
    return [
        (("POST", "/conversations"), start, "created_at"),
        (("POST", "/conversations/{conversation_id}/reply"), reply, "created_at"),
        (("POST", "/conversations/{conversation_id}/parts"), snooze, "snoozed_until"),
        (("POST", "/contacts"), contact, "signed_up_at"),
        (("POST", "/contacts"), contact, "last_seen_at"),
        (("PUT", "/contacts/{contact_id}"), {}, "signed_up_at"),
        (("POST", "/parlour/sla_rules"), rule, "first_reply_time_in_seconds"),
        (("POST", "/parlour/conversations/{conversation_id}/rating"), {}, "rating"),
    ]


@pytest.mark.parametrize(
    "literal", [*HUGE_INTS, "-1", "1.5", "1e3", '"1764000000"', "true", "-0.0"]
)
def test_timestamps_and_bounded_integers_out_of_range_are_400(
    client: TestClient, db: Database, world: World, literal: str
) -> None:
    guard = Guard(db, world)
    for route, body, name in _bounded_fields(world):
        response = _send(client, world, route, _raw(body, name, literal))
        error = _error(response, 400)
        what = f"{' '.join(route)} {name}={literal}: {response.text}"
        assert error["code"] == "parameter_invalid", what
        assert error.get("field") in (name, "body"), what
    guard.unchanged(f"out-of-range {literal}")


@pytest.mark.parametrize("literal", [*HUGE_INTS, "-1", "1.5"])
def test_search_values_and_per_page_out_of_range_are_400(
    client: TestClient, world: World, literal: str
) -> None:
    query = {"field": "created_at", "operator": ">", "value": "__RAW__"}
    raw = orjson.dumps({"query": query}).replace(b'"__RAW__"', literal.encode())
    response = _send(client, world, ("POST", "/conversations/search"), raw)
    if literal in ("-1",):
        assert response.status_code == 200  # a date before 1970 is a date
    else:
        assert _error(response, 400)["code"] == "parameter_invalid"
    paged = (
        b'{"query": {"field": "open", "operator": "=", "value": true}, "pagination": '
        b'{"per_page": ' + literal.encode() + b"}}"
    )
    assert _error(_send(client, world, ("POST", "/conversations/search"), paged), 400)[
        "code"] == "parameter_invalid"  # fmt: skip


@pytest.mark.parametrize("route", PATH_ROUTES, ids=" ".join)
def test_path_ids_that_overflow_or_are_not_ids_are_404(
    client: TestClient, db: Database, world: World, route: tuple[str, str]
) -> None:
    method, template = route
    guard = Guard(db, world)
    body = OPERATIONS[route].body(world)
    for name in _params(template):
        for bad in BAD_PATH_IDS:
            values = {n: PATH_OBJECTS[n](world) for n in _params(template)}
            values[name] = bad
            response = client.request(method, _fill(template, values), json=body,
                                      headers=world.ws.headers)  # fmt: skip
            assert _error(response, 404)["code"] in NOT_FOUND_CODES, f"{name}={bad}"
    guard.unchanged(" ".join(route))


@pytest.fixture(scope="module")
def small_limit(database_url: str) -> Iterator[TestClient]:
    """An app whose body limit is 2,048 bytes (PARLOUR_MAX_BODY_BYTES)."""
    app: FastAPI = create_app(
        make_settings(database_url, max_body_bytes=2048), clock=FrozenClock(TEST_NOW)
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def _padded(body: dict[str, Any] | None, size: int) -> bytes:
    base = orjson.dumps({**(body or {}), "pad": ""})
    content = orjson.dumps({**(body or {}), "pad": "x" * (size - len(base))})
    assert len(content) == size
    return content


@pytest.mark.parametrize("route", WRITE_ROUTES, ids=" ".join)
def test_bodies_over_the_limit_are_413_declared_or_streamed(
    small_limit: TestClient, db: Database, world: World, route: tuple[str, str]
) -> None:
    guard = Guard(db, world)
    body = OPERATIONS[route].body(world)
    path = _path(world, route[1])
    headers = {**world.ws.headers, "Content-Type": JSON}
    over = _padded(body, 2049)
    declared = small_limit.request(route[0], path, content=over, headers=headers)
    assert _error(declared, 413)["code"] == "request_too_large"

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit counts what arrives
        for start in range(0, len(over), 500):
            yield over[start : start + 500]

    if route in BODY_ROUTES:  # the others never read a body, so never buffer one
        streamed = small_limit.request(route[0], path, content=chunks(), headers=headers)
        assert _error(streamed, 413)["code"] == "request_too_large"
    guard.unchanged(" ".join(route))


def test_a_body_at_the_limit_is_read(small_limit: TestClient, world: World) -> None:
    content = _padded({"query": {"field": "open", "operator": "=", "value": True}}, 2048)
    response = small_limit.post(
        "/conversations/search", content=content,
        headers={**world.ws.headers, "Content-Type": JSON},
    )  # fmt: skip
    assert response.status_code == 200, response.text


def test_json_content_types_are_accepted(client: TestClient, world: World) -> None:
    body = orjson.dumps({"query": {"field": "open", "operator": "=", "value": True}})
    for content_type in (JSON, "application/json; charset=utf-8", "Application/JSON",
                         "application/vnd.intercom+json", None):  # fmt: skip
        response = _send(client, world, ("POST", "/conversations/search"), body, content_type)
        assert response.status_code == 200, f"{content_type}: {response.text}"


# Search: SQL and LIKE metacharacters in values match literally.

TEXTS = (
    "50%_off", "50 off", "50% off", "a_b", "ab", "a\\b", "a/b", "a//b", "it's", "its",
    'say "hi"', "say hi", "x -- y", "x - y", "a;b", "a b", "%", "_", "\\", "/", "'", "100",
)  # fmt: skip
NEEDLES = ("%", "_", "%_", "\\", "/", "'", '"', "--", ";", "50%", "_off", "a_", "\\b", "'s")
TEXT_FIELDS = ("source.subject", "source.url", "custom_attributes.note")


def _reference(operator: str, text: str, needle: str) -> bool:
    text, needle = fold(text), fold(needle)
    return {
        "~": needle in text,
        "^": text.startswith(needle),
        "$": text.endswith(needle),
        "=": text == needle,
    }[operator]


@pytest.fixture(scope="module")
def metachar_inbox(db: Database) -> tuple[Workspace, dict[str, int]]:
    ws = make_workspace(db, now=TEST_NOW, name="Meta")
    contact = make_contact(db, ws, now=TEST_NOW)
    ids: dict[str, int] = {}
    for i, text in enumerate(TEXTS):
        spec = ConversationSpec(
            created_at=TEST_NOW - 1000 + i, contact_id=contact, subject=text,
            source_url=f"https://example.com/{text}", custom_attributes={"note": text},
        )  # fmt: skip
        ids[text] = make_conversation(db, ws, spec, now=TEST_NOW)
    return ws, ids


@pytest.mark.parametrize("operator", ["~", "^", "$", "="])
def test_search_metacharacters_match_literally(
    client: TestClient, metachar_inbox: tuple[Workspace, dict[str, int]], operator: str
) -> None:
    """`~ "%_"` finds "50%_off" and not "50 off"; likewise for `\\ ' " -- ;` and the LIKE
    escape character itself, on every kind of text target (column, URL, custom attribute)."""
    ws, ids = metachar_inbox
    for field in TEXT_FIELDS:
        prefix = "https://example.com/" if field == "source.url" else ""
        for needle in NEEDLES:
            value = prefix + needle if operator in ("^", "=") else needle
            query = {"field": field, "operator": operator, "value": value}
            response = client.post(
                "/conversations/search", json={"query": query, "pagination": {"per_page": 150}},
                headers=ws.headers,
            )  # fmt: skip
            assert response.status_code == 200, response.text
            found = {int(c["id"]) for c in response.json()["conversations"]}
            expected = {ids[t] for t in TEXTS if _reference(operator, prefix + t, value)}
            assert found == expected, f"{field} {operator} {value!r}"
    if operator == "~":
        query = {"field": "source.subject", "operator": "~", "value": "%_"}
        response = client.post("/conversations/search", json={"query": query}, headers=ws.headers)
        found = {int(c["id"]) for c in response.json()["conversations"]}
        assert ids["50%_off"] in found and ids["50 off"] not in found
