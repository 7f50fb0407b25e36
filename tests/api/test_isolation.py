"""Workspace isolation, generated from the app's routes rather than hand-picked.

Two workspaces, A and B, each hold one object of every kind (teammate, team, contacts,
tags, a conversation with parts, an SLA rule, a webhook subscription and a delivery). For
every route the app serves, `OPERATIONS` holds a body that is valid for it; a served route
missing from the table fails the suite, so a new endpoint cannot escape these tests.

- Every route with path parameters is called with A's token and each combination of ids
  where at least one is B's: the answer is a 404 `error.list`, identical to the answer for
  an id that never existed (existence does not leak), and B's rows do not change.
- The same table, called with A's own ids, must succeed: the bodies really are valid, so
  the 404s above come from the foreign ids and nothing else.
- Ids of B carried in bodies and query parameters (assignees, tags, contacts, parts, SLA
  rules, list filters, search values, cursors) get Intercom's 4xx, or an answer that only
  holds A's data; names and emails that B uses are free for A (no 409 reveals them).
- Every list and search as A returns none of B's rows; B's cursors are a 400 for A.

After each batch, every row of B (all tables) is compared with a snapshot taken before, and
A's rows too, except for the tables a call that legitimately wrote to A was allowed to change.
"""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

from parlour.db.session import Database
from parlour.routes import served_routes
from tests.api.snapshots import changed_tables, snapshot
from tests.conftest import TEST_NOW
from tests.factories import (
    ConversationSpec,
    Workspace,
    admin_says,
    contact_says,
    make_admin,
    make_contact,
    make_conversation,
    make_tag,
    make_team,
    make_workspace,
)

T0 = TEST_NOW - 10_000
Body = dict[str, Any] | None


@dataclass(frozen=True)
class World:
    """One workspace with one object of every kind; `marker` is in all of its text."""

    ws: Workspace
    marker: str
    admin: int
    team: int
    contact: str  # started the conversation; has an external id and an email
    second: str  # the conversation's second participant
    spare: str  # a user in no conversation
    lead: str
    tag: int  # on the conversation and on `contact`
    spare_tag: int
    conversation: int
    older: int  # a second conversation, so lists have two pages
    part: int  # a comment part of `conversation`
    source_id: str
    rule: int  # applied to `conversation`
    subscription: int
    delivery: int
    list_cursor: str = ""
    search_cursor: str = ""
    contacts_cursor: str = ""

    @property
    def email(self) -> str:
        """`contact`'s email."""
        return f"{self.marker}@example.com"

    @property
    def external_id(self) -> str:
        """`contact`'s external id (`user_id` in Intercom's bodies)."""
        return f"{self.marker}-ext"

    @property
    def tag_name(self) -> str:
        """`tag`'s name."""
        return f"{self.marker}-tag"

    @property
    def rule_name(self) -> str:
        """`rule`'s name."""
        return f"{self.marker} rule"


def _ok(response: Any) -> Any:
    assert response.status_code == 200, response.text
    return response.json() if response.content else None


def build_world(client: TestClient, db: Database, label: str) -> World:
    """A workspace holding one object of every kind, made through factories and the API."""
    marker = f"{label}{uuid.uuid4().hex[:10]}"
    ws = make_workspace(db, now=TEST_NOW, name=marker)
    h = ws.headers
    admin = make_admin(db, ws, now=T0, name=f"{marker} Admin")
    team = make_team(db, ws, now=T0, admin_ids=[admin], name=f"{marker} team")
    contact = make_contact(
        db, ws, now=T0, external_id=f"{marker}-ext", email=f"{marker}@example.com",
        name=f"{marker} Contact",
    )  # fmt: skip
    second = make_contact(db, ws, now=T0 + 1, email=f"second-{marker}@example.com")
    spare = make_contact(db, ws, now=T0 + 2, email=f"spare-{marker}@example.com")
    lead = make_contact(db, ws, now=T0 + 3, role="lead")
    tag = make_tag(db, ws, now=T0, name=f"{marker}-tag")
    spare_tag = make_tag(db, ws, now=T0, name=f"{marker}-spare")
    conversation = make_conversation(
        db,
        ws,
        ConversationSpec(
            created_at=T0,
            contact_id=contact,
            subject=f"{marker} subject",
            body=f"<p>{marker} secret body</p>",
            tag_ids=[tag],
            events=[contact_says(contact, T0 + 10), admin_says(admin, T0 + 20)],
        ),
        now=TEST_NOW,
    )
    older = make_conversation(
        db, ws, ConversationSpec(created_at=T0 - 100, contact_id=contact), now=TEST_NOW
    )
    rule = _ok(client.post("/parlour/sla_rules", headers=h, json={
        "name": f"{marker} rule", "first_reply_time_in_seconds": 3600}))["id"]  # fmt: skip
    hook = {"url": "http://127.0.0.1:9/hook", "topics": ["conversation.admin.replied"]}
    subscription = _ok(client.post("/parlour/webhooks", headers=h, json=hook))["id"]
    path = f"/conversations/{conversation}"
    _ok(client.post(f"{path}/customers", headers=h, json={
        "admin_id": str(admin), "customer": {"intercom_user_id": second}}))  # fmt: skip
    _ok(client.put(f"/parlour{path}/sla", headers=h, json={"sla_rule_id": str(rule)}))
    _ok(client.post(f"{path}/reply", headers=h, json={
        "type": "admin", "message_type": "comment", "admin_id": str(admin),
        "body": f"{marker} reply"}))  # fmt: skip
    _ok(client.post("/tags", headers=h, json={"name": f"{marker}-tag", "users": [{"id": contact}]}))
    detail = _ok(client.get(path, headers=h))
    part = next(
        p["id"] for p in detail["conversation_parts"]["conversation_parts"]
        if p["part_type"] == "comment"
    )  # fmt: skip
    deliveries = _ok(client.get("/parlour/webhook_deliveries", headers=h))["data"]
    assert deliveries, "the admin reply made a webhook delivery"
    world = World(
        ws=ws, marker=marker, admin=admin, team=team, contact=contact, second=second,
        spare=spare, lead=lead, tag=tag, spare_tag=spare_tag, conversation=conversation,
        older=older, part=int(part), source_id=detail["source"]["id"], rule=int(rule),
        subscription=int(subscription), delivery=int(deliveries[0]["id"]),
    )  # fmt: skip
    listed = _ok(client.get("/conversations", params={"per_page": 1}, headers=h))
    searched = _ok(client.post("/conversations/search", headers=h, json={
        "query": OPEN_QUERY, "pagination": {"per_page": 1}}))  # fmt: skip
    contacts = _ok(client.get("/contacts", params={"per_page": 1}, headers=h))
    return replace(
        world,
        list_cursor=listed["pages"]["next"]["starting_after"],
        search_cursor=searched["pages"]["next"]["starting_after"],
        contacts_cursor=contacts["pages"]["next"]["starting_after"],
    )


OPEN_QUERY = {"field": "open", "operator": "=", "value": True}

# Path parameter -> the world's object of that kind, and an id of that shape nobody has.
PATH_OBJECTS: dict[str, Callable[[World], object]] = {
    "conversation_id": lambda w: w.conversation,
    "contact_id": lambda w: w.second,
    "tag_id": lambda w: w.tag,
    "admin_id": lambda w: w.admin,
    "rule_id": lambda w: w.rule,
    "subscription_id": lambda w: w.subscription,
    "delivery_id": lambda w: w.delivery,
}
NEVER_USED: dict[str, str] = {
    "contact_id": "0123456789abcdef01234567",
    **{
        name: str(4_000_000_000_000_000_000 + i)
        for i, name in enumerate(
            ["conversation_id", "tag_id", "admin_id", "rule_id", "subscription_id", "delivery_id"]
        )
    },
}
NOT_FOUND_CODES = frozenset({
    "not_found", "admin_not_found", "tag_not_found", "team_not_found", "assignee_not_found",
    "conversation_part_or_message_not_found",
})  # fmt: skip


@dataclass(frozen=True)
class Probe:
    """A call of an operation whose body or query names another workspace's object.

    `status` and `codes` are what must come back; a 2xx probe may change A's rows only in
    `may_change`, and `check` looks at its answer (that it holds none of B's data).
    """

    label: str
    path: str
    body: Body = None
    params: dict[str, str] | None = None
    status: int = 404
    codes: frozenset[str] = NOT_FOUND_CODES
    check: Callable[[Any], None] | None = None
    may_change: frozenset[str] = frozenset()


def _codes(*codes: str) -> frozenset[str]:
    return frozenset(codes)


def _empty(body: Any) -> None:
    assert body["total_count"] == 0 and body["conversations"] == [], body


@dataclass(frozen=True)
class Operation:
    """A valid body for the operation (ids from the caller's world) and its foreign probes."""

    body: Callable[[World], Body] = lambda _w: None
    probes: Callable[[World, World], list[Probe]] = lambda _a, _b: []
    # Read-only operations answer 200 to a valid call and change nothing.
    control_status: int = 200


def _admin(w: World, **fields: Any) -> dict[str, Any]:
    return {"admin_id": str(w.admin), **fields}


def _conv(w: World, suffix: str = "") -> str:
    return f"/conversations/{w.conversation}{suffix}"


def _list_probes(a: World, b: World) -> list[Probe]:
    return [
        Probe("list by B's admin", "/conversations", params={"type": "admin", "admin_id":
              str(b.admin)}, codes=_codes("admin_not_found")),
        Probe("list by B's contact id", "/conversations", params={"type": "user",
              "intercom_user_id": b.contact}),
        Probe("list by B's external id", "/conversations", params={"type": "user",
              "user_id": b.external_id}),
        Probe("list by B's email", "/conversations", params={"type": "user", "email": b.email}),
        Probe("list with B's cursor", "/conversations", params={"starting_after": b.list_cursor},
              status=400, codes=_codes("parameter_invalid")),
    ]  # fmt: skip


def _search_probes(a: World, b: World) -> list[Probe]:
    def search(label: str, name: str, operator: str, value: Any) -> Probe:
        query = {"field": name, "operator": operator, "value": value}
        return Probe(label, "/conversations/search", {"query": query}, status=200, check=_empty)

    return [
        search("search B's conversation id", "id", "=", str(b.conversation)),
        search("search B's contact", "contact_ids", "=", b.contact),
        search("search B's tag", "tag_ids", "IN", [str(b.tag)]),
        search("search B's admin", "admin_assignee_id", "=", str(b.admin)),
        search("search B's team", "team_assignee_id", "=", str(b.team)),
        search("search B's words", "source.body", "~", b.marker),
        search("search B's author email", "source.author.email", "=", b.email),
        Probe("search with B's cursor", "/conversations/search",
              {"query": OPEN_QUERY, "pagination": {"starting_after": b.search_cursor}},
              status=400, codes=_codes("parameter_invalid")),
    ]  # fmt: skip


def _redact_probes(a: World, b: World) -> list[Probe]:
    part = _codes("conversation_part_or_message_not_found")

    def redact(label: str, **body: Any) -> Probe:
        return Probe(label, "/conversations/redact", body, codes=part)

    return [
        redact("redact B's part", type="conversation_part", conversation_id=str(b.conversation),
               conversation_part_id=str(b.part)),
        redact("redact B's part via A's conversation", type="conversation_part",
               conversation_id=str(a.conversation), conversation_part_id=str(b.part)),
        redact("redact B's source", type="source", conversation_id=str(b.conversation),
               source_id=b.source_id),
        redact("redact B's source via A's conversation", type="source",
               conversation_id=str(a.conversation), source_id=b.source_id),
    ]  # fmt: skip


def _customer_probes(a: World, b: World) -> list[Probe]:
    path = _conv(a, "/customers")
    return [
        Probe("attach B's contact", path, _admin(a, customer={"intercom_user_id": b.spare})),
        Probe("attach B's contact by email", path, _admin(a, customer={"email": b.email})),
        Probe("attach B's contact by external id", path,
              _admin(a, customer={"user_id": b.external_id})),
        Probe("attach as B's admin", path, _admin(b, customer={"intercom_user_id": a.spare}),
              codes=_codes("admin_not_found")),
    ]  # fmt: skip


def _parts_probes(a: World, b: World) -> list[Probe]:
    path = _conv(a, "/parts")
    return [
        Probe("close as B's admin", path, _admin(b, message_type="close", type="admin"),
              codes=_codes("admin_not_found")),
        Probe("assign to B's admin", path, _admin(a, message_type="assignment", type="admin",
              assignee_id=str(b.admin)), codes=_codes("admin_not_found", "assignee_not_found")),
        Probe("assign to B's team", path, _admin(a, message_type="assignment", type="team",
              assignee_id=str(b.team))),
    ]  # fmt: skip


def _reply_probes(a: World, b: World) -> list[Probe]:
    path = _conv(a, "/reply")

    def as_user(label: str, **ref: str) -> Probe:
        return Probe(label, path, {"type": "user", "message_type": "comment", "body": "hi", **ref})

    return [
        Probe("reply as B's admin", path, _admin(b, type="admin", message_type="comment",
              body="hi"), codes=_codes("admin_not_found")),
        as_user("reply as B's contact", intercom_user_id=b.contact),
        as_user("reply as B's contact by external id", user_id=b.external_id),
        as_user("reply as B's contact by email", email=b.email),
    ]  # fmt: skip


def _tags_probes(a: World, b: World) -> list[Probe]:
    path = _conv(a, "/tags")
    return [
        Probe("tag with B's tag", path, _admin(a, id=str(b.spare_tag)),
              codes=_codes("tag_not_found")),
        Probe("tag as B's admin", path, _admin(b, id=str(a.spare_tag)),
              codes=_codes("admin_not_found")),
    ]  # fmt: skip


def _tag_write_probes(a: World, b: World) -> list[Probe]:
    return [
        Probe("rename B's tag", "/tags", {"id": str(b.tag), "name": "renamed"}),
        Probe("tag B's contact", "/tags", {"name": a.tag_name, "users": [{"id": b.contact}]}),
        Probe("create a tag named like B's", "/tags", {"name": b.tag_name}, status=200,
              may_change=_codes("tag"), check=lambda t: _is_not(t["id"], b.tag)),
    ]  # fmt: skip


def _is_not(given: Any, theirs: object) -> None:
    assert str(given) != str(theirs)


def _contact_write_probes(a: World, b: World) -> list[Probe]:
    return [
        Probe("create a contact owned by B's admin", "/contacts",
              {"email": f"new-{a.marker}@example.com", "owner_id": str(b.admin)},
              status=400, codes=_codes("parameter_invalid")),
        Probe("create a user with B's email and external id", "/contacts",
              {"role": "user", "email": b.email, "external_id": b.external_id}, status=200,
              may_change=_codes("contact", "workspace"),
              check=lambda c: _is_not(c["id"], b.contact)),
    ]  # fmt: skip


def _contact_update_probes(a: World, b: World) -> list[Probe]:
    path = f"/contacts/{a.spare}"
    return [
        Probe("give A's contact B's admin as owner", path, {"owner_id": str(b.admin)},
              status=400, codes=_codes("parameter_invalid")),
        Probe("give A's contact B's email", path, {"email": b.email}, status=200,
              may_change=_codes("contact", "workspace")),
    ]  # fmt: skip


OPERATIONS: dict[tuple[str, str], Operation] = {
    ("GET", "/me"): Operation(),
    ("GET", "/admins"): Operation(),
    ("GET", "/admins/{admin_id}"): Operation(),
    ("GET", "/teams"): Operation(),
    ("GET", "/tags"): Operation(),
    ("POST", "/tags"): Operation(lambda w: {"name": f"{w.marker} new tag"}, _tag_write_probes),
    ("GET", "/tags/{tag_id}"): Operation(),
    ("DELETE", "/tags/{tag_id}"): Operation(),
    ("GET", "/contacts"): Operation(
        probes=lambda a, b: [
            Probe(
                "contacts with B's cursor",
                "/contacts",
                params={"starting_after": b.contacts_cursor},
                status=400,
                codes=_codes("parameter_invalid"),
            )
        ]
    ),
    ("POST", "/contacts"): Operation(
        lambda w: {"role": "user", "email": f"new-{w.marker}@example.com"}, _contact_write_probes
    ),
    ("GET", "/contacts/{contact_id}"): Operation(),
    ("PUT", "/contacts/{contact_id}"): Operation(
        lambda w: {"name": "Renamed"}, _contact_update_probes
    ),
    ("DELETE", "/contacts/{contact_id}"): Operation(),
    ("GET", "/conversations"): Operation(probes=_list_probes),
    ("POST", "/conversations"): Operation(
        lambda w: {"from": {"type": "user", "id": w.contact}, "body": "Hello"},
        lambda a, b: [
            Probe(
                "start as B's contact",
                "/conversations",
                {"from": {"type": "user", "id": b.contact}, "body": "Hello"},
            ),
            Probe(
                "start as B's lead",
                "/conversations",
                {"from": {"type": "lead", "id": b.lead}, "body": "Hello"},
            ),
        ],
    ),
    ("POST", "/conversations/search"): Operation(lambda w: {"query": OPEN_QUERY}, _search_probes),
    ("POST", "/conversations/redact"): Operation(
        lambda w: {
            "type": "conversation_part",
            "conversation_id": str(w.conversation),
            "conversation_part_id": str(w.part),
        },
        _redact_probes,
    ),
    ("GET", "/conversations/{conversation_id}"): Operation(),
    ("PUT", "/conversations/{conversation_id}"): Operation(
        lambda w: {"read": True, "title": "Retitled", "custom_attributes": {"plan": "pro"}}
    ),
    ("DELETE", "/conversations/{conversation_id}"): Operation(),
    ("POST", "/conversations/{conversation_id}/reply"): Operation(
        lambda w: _admin(w, type="admin", message_type="comment", body="On it"), _reply_probes
    ),
    ("POST", "/conversations/{conversation_id}/parts"): Operation(
        lambda w: _admin(w, message_type="assignment", type="admin", assignee_id=str(w.admin)),
        _parts_probes,
    ),
    ("POST", "/conversations/{conversation_id}/run_assignment_rules"): Operation(),
    ("POST", "/conversations/{conversation_id}/tags"): Operation(
        lambda w: _admin(w, id=str(w.spare_tag)), _tags_probes
    ),
    ("DELETE", "/conversations/{conversation_id}/tags/{tag_id}"): Operation(
        _admin,
        lambda a, b: [
            Probe(
                "untag as B's admin",
                _conv(a, f"/tags/{a.tag}"),
                _admin(b),
                codes=_codes("admin_not_found"),
            )
        ],
    ),
    ("POST", "/conversations/{conversation_id}/customers"): Operation(
        lambda w: _admin(w, customer={"intercom_user_id": w.spare}), _customer_probes
    ),
    ("DELETE", "/conversations/{conversation_id}/customers/{contact_id}"): Operation(
        _admin,
        lambda a, b: [
            Probe(
                "detach as B's admin",
                _conv(a, f"/customers/{a.second}"),
                _admin(b),
                codes=_codes("admin_not_found"),
            )
        ],
    ),
    ("PUT", "/parlour/conversations/{conversation_id}/sla"): Operation(
        lambda w: {"sla_rule_id": str(w.rule)},
        lambda a, b: [
            Probe("apply B's SLA rule", f"/parlour{_conv(a, '/sla')}", {"sla_rule_id": str(b.rule)})
        ],
    ),
    ("DELETE", "/parlour/conversations/{conversation_id}/sla"): Operation(),
    ("POST", "/parlour/conversations/{conversation_id}/rating"): Operation(
        lambda w: {"rating": 5, "remark": "Great"},
        lambda a, b: [
            Probe(
                "rated by B's contact",
                f"/parlour{_conv(a, '/rating')}",
                {"rating": 4, "contact_id": b.contact},
            )
        ],
    ),
    ("GET", "/sla_rules"): Operation(),
    ("GET", "/sla_rules/{rule_id}"): Operation(),
    ("POST", "/parlour/sla_rules"): Operation(
        lambda w: {"name": f"{w.marker} new rule", "time_to_close_in_seconds": 86400},
        lambda a, b: [
            Probe(
                "a rule named like B's",
                "/parlour/sla_rules",
                {"name": b.rule_name, "first_reply_time_in_seconds": 60},
                status=200,
                may_change=_codes("sla_policy"),
            )
        ],
    ),
    ("DELETE", "/parlour/sla_rules/{rule_id}"): Operation(),
    ("GET", "/parlour/webhooks"): Operation(),
    ("POST", "/parlour/webhooks"): Operation(
        lambda w: {"url": "http://127.0.0.1:9/other", "topics": ["conversation.admin.closed"]}
    ),
    ("GET", "/parlour/webhooks/{subscription_id}"): Operation(),
    ("DELETE", "/parlour/webhooks/{subscription_id}"): Operation(),
    ("GET", "/parlour/webhook_deliveries"): Operation(
        probes=lambda a, b: [
            Probe(
                "deliveries before B's",
                "/parlour/webhook_deliveries",
                params={"before": str(b.delivery + 1)},
                status=200,
                check=lambda d: _only_ids(d["data"], {a.delivery}),
            )
        ]
    ),
    ("POST", "/parlour/webhook_deliveries/{delivery_id}/replay"): Operation(),
}


def _only_ids(items: list[dict[str, Any]], allowed: set[int]) -> None:
    assert {int(item["id"]) for item in items} <= allowed, items


def _params(template: str) -> list[str]:
    return re.findall(r"\{(\w+)\}", template)


def _fill(template: str, values: dict[str, object]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), template)


def _call(
    client: TestClient, ws: Workspace, method: str, path: str, body: Body,
    params: dict[str, str] | None = None,
) -> Any:  # fmt: skip
    return client.request(method, path, json=body, params=params, headers=ws.headers)


def _error(response: Any) -> dict[str, Any]:
    body = response.json()
    assert body["type"] == "error.list" and body["request_id"], body
    assert len(body["errors"]) == 1, body
    return body["errors"][0]  # type: ignore[no-any-return]


def _assert_no_leak(response: Any, b: World) -> None:
    assert b.marker not in response.text, response.text


@pytest.fixture(scope="module")
def worlds(client: TestClient, db: Database) -> tuple[World, World]:
    """A and B, built once per database (the tests below never change either for good)."""
    return build_world(client, db, "A"), build_world(client, db, "B")


@dataclass
class Snapshots:
    """B's and A's rows before a batch of calls."""

    db: Database
    a: World
    b: World
    before_a: dict[str, Any] = field(default_factory=dict)
    before_b: dict[str, Any] = field(default_factory=dict)

    def take(self) -> None:
        self.before_a, self.before_b = (
            snapshot(self.db, self.a.ws.id),
            snapshot(self.db, self.b.ws.id),
        )

    def assert_unchanged(self, a_may_change: frozenset[str] = frozenset()) -> None:
        assert changed_tables(self.before_b, snapshot(self.db, self.b.ws.id)) == set()
        assert changed_tables(self.before_a, snapshot(self.db, self.a.ws.id)) <= a_may_change


@pytest.fixture
def snapshots(db: Database, worlds: tuple[World, World]) -> Iterator[Snapshots]:
    snaps = Snapshots(db, *worlds)
    snaps.take()
    yield snaps


def test_every_served_route_is_in_the_table(app: FastAPI) -> None:
    """A new endpoint must be added to OPERATIONS (and so to every test here)."""
    served = served_routes(app)
    assert served - set(OPERATIONS) == set(), "add these routes to OPERATIONS"
    assert set(OPERATIONS) - served == set(), "these routes are not served any more"
    assert {p for _, t in served for p in _params(t)} <= set(PATH_OBJECTS)


def _foreign_calls(a: World, b: World) -> Iterator[tuple[str, str, str, str, Body]]:
    """(method, template, path with B's ids, path with never-used ids, A's valid body)."""
    for (method, template), operation in sorted(OPERATIONS.items()):
        names = _params(template)
        if not names:
            continue
        for owners in itertools.product("AB", repeat=len(names)):
            if "B" not in owners:
                continue
            mine = {n: PATH_OBJECTS[n](a) for n in names}
            theirs = {
                n: PATH_OBJECTS[n](b) if o == "B" else mine[n]
                for n, o in zip(names, owners, strict=True)
            }
            unused = {
                n: NEVER_USED[n] if o == "B" else mine[n]
                for n, o in zip(names, owners, strict=True)
            }
            yield (
                method,
                template,
                _fill(template, theirs),
                _fill(template, unused),
                operation.body(a),
            )


def test_foreign_ids_in_paths_are_404_like_ids_that_never_existed(
    client: TestClient, worlds: tuple[World, World], snapshots: Snapshots
) -> None:
    a, b = worlds
    calls = list(_foreign_calls(a, b))
    assert len(calls) >= 25
    for method, template, path, unused_path, body in calls:
        response = _call(client, a.ws, method, path, body)
        where = f"{method} {path} ({template})"
        assert response.status_code == 404, f"{where}: {response.text}"
        error = _error(response)
        assert error["code"] in NOT_FOUND_CODES, where
        _assert_no_leak(response, b)
        never = _call(client, a.ws, method, unused_path, body)
        assert (never.status_code, _error(never)) == (404, error), f"{where} tells B's ids apart"
    snapshots.assert_unchanged()


@pytest.mark.parametrize("operation", sorted(OPERATIONS), ids=" ".join)
def test_body_and_query_references_to_b(
    client: TestClient,
    db: Database,
    worlds: tuple[World, World],
    operation: tuple[str, str],
) -> None:
    a, b = worlds
    method, _template = operation
    if any(p.may_change for p in OPERATIONS[operation].probes(a, b)):
        # These probes write to A for good: give them an A of their own.
        a = build_world(client, db, "A")
    snapshots = Snapshots(db, a, b)
    snapshots.take()
    allowed: frozenset[str] = frozenset()
    for probe in OPERATIONS[operation].probes(a, b):
        response = _call(client, a.ws, method, probe.path, probe.body, probe.params)
        assert response.status_code == probe.status, f"{probe.label}: {response.text}"
        if b.marker not in repr((probe.path, probe.body, probe.params)):
            _assert_no_leak(response, b)  # else the answer echoes what A itself sent
        if probe.status >= 400:
            assert _error(response)["code"] in probe.codes, f"{probe.label}: {response.text}"
        if probe.check is not None:
            probe.check(response.json())
        allowed |= probe.may_change
    snapshots.assert_unchanged(allowed)


def _control_order(route: tuple[str, str]) -> tuple[int, int, str]:
    """Reads, then writes, then deletes, the deepest path first (a tag off a conversation
    before the conversation goes)."""
    method, template = route
    rank = {"GET": 0, "POST": 1, "PUT": 1, "DELETE": 2}[method]
    return rank, -template.count("/") if rank == 2 else 0, template


def test_the_table_bodies_are_valid_for_the_callers_own_objects(
    client: TestClient, db: Database
) -> None:
    """Each operation, with a fresh workspace's own ids and the table's body, succeeds: the
    404s above are the foreign ids' doing, not a bad body's."""
    own = build_world(client, db, "C")
    before = snapshot(db, own.ws.id)
    for method, template in sorted(OPERATIONS, key=_control_order):
        path = _fill(template, {n: PATH_OBJECTS[n](own) for n in _params(template)})
        response = _call(client, own.ws, method, path, OPERATIONS[(method, template)].body(own))
        assert response.status_code == 200, f"{method} {path}: {response.text}"
    after = snapshot(db, own.ws.id)
    assert changed_tables(before, after) >= {"conversation", "contact", "tag", "sla_policy"}


def _ids_in(body: Any) -> set[tuple[str, str]]:
    """Every (type, id) of an object anywhere in a JSON document."""
    found: set[tuple[str, str]] = set()
    if isinstance(body, dict):
        if isinstance(body.get("id"), str | int):
            found.add((str(body.get("type")), str(body["id"])))
        for value in body.values():
            found |= _ids_in(value)
    elif isinstance(body, list):
        for item in body:
            found |= _ids_in(item)
    return found


def _b_ids(b: World) -> set[tuple[str, str]]:
    typed: list[tuple[str, object]] = [
        ("admin", b.ws.owner_id), ("admin", b.admin), ("team", b.team), ("contact", b.contact),
        ("contact", b.second), ("contact", b.spare), ("contact", b.lead), ("tag", b.tag),
        ("tag", b.spare_tag), ("conversation", b.conversation), ("conversation", b.older),
        ("conversation_part", b.part), ("sla_rule", b.rule),
        ("webhook_subscription", b.subscription), ("webhook_delivery", b.delivery),
    ]  # fmt: skip
    return {(kind, str(value)) for kind, value in typed}


def test_lists_and_searches_never_return_b(
    client: TestClient, worlds: tuple[World, World], snapshots: Snapshots
) -> None:
    """Every collection A can read (every GET without path parameters, and a search that
    matches everything) holds A's objects and none of B's, on every page."""
    a, b = worlds
    b_ids = _b_ids(b)
    lists = sorted(t for m, t in OPERATIONS if m == "GET" and not _params(t))
    assert len(lists) >= 8
    for template in lists:
        response = client.get(template, params={"per_page": "150"}, headers=a.ws.headers)
        assert response.status_code == 200, f"{template}: {response.text}"
        _assert_no_leak(response, b)
        assert not _ids_in(response.json()) & b_ids, template
    everything = {"field": "created_at", "operator": ">", "value": 0}
    pages = [{"query": everything, "pagination": {"per_page": 1}}]
    seen: list[str] = []
    while pages:
        response = client.post("/conversations/search", json=pages.pop(), headers=a.ws.headers)
        assert response.status_code == 200
        _assert_no_leak(response, b)
        body = response.json()
        seen += [c["id"] for c in body["conversations"]]
        if "next" in body["pages"]:
            after = body["pages"]["next"]["starting_after"]
            pages.append(
                {"query": everything, "pagination": {"per_page": 1, "starting_after": after}}
            )
    assert str(a.conversation) in seen and not set(seen) & b_ids
    snapshots.assert_unchanged()


@pytest.mark.parametrize("kind", ["list", "search", "contacts"])
def test_cursors_minted_for_b_are_a_400_for_a(
    client: TestClient, worlds: tuple[World, World], kind: str
) -> None:
    a, b = worlds
    if kind == "search":
        response = client.post("/conversations/search", headers=a.ws.headers, json={
            "query": OPEN_QUERY, "pagination": {"per_page": 1, "starting_after":
                                                b.search_cursor}})  # fmt: skip
    else:
        path, cursor = ("/conversations", b.list_cursor) if kind == "list" else (
            "/contacts", b.contacts_cursor)  # fmt: skip
        response = client.get(path, params={"starting_after": cursor, "per_page": "1"},
                              headers=a.ws.headers)  # fmt: skip
    assert response.status_code == 400, response.text
    assert _error(response) == {
        "code": "parameter_invalid",
        "message": "starting_after is not a valid cursor",
        "field": "starting_after",
    }
    _assert_no_leak(response, b)
