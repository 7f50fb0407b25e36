"""Schemathesis against Parlour's own `/openapi.json`, in-process, on SQLite and PostgreSQL.

Every operation of the document is fuzzed with positive and negative data (and its explicit
examples), then sequences are run statefully along the document's OpenAPI links. Each
response must not be a 5xx and must conform to the document: its status is documented, its
content type is, and its body validates against the documented schema.

A workspace of its own is seeded with admins, a team, contacts, tags, conversations, an SLA
rule and a webhook subscription; generated path parameters and body ids are drawn partly
from those ids so requests reach real rows, not only 404s.

CI runs PARLOUR_FUZZ_EXAMPLES (default 20) examples per operation and as many stateful
scenarios; `PARLOUR_FUZZ_EXAMPLES=1000 ./scripts/fuzz` is the long run (README).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
import schemathesis.engine
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy
from schemathesis import GenerationMode
from schemathesis.engine import Status, events
from starlette.testclient import TestClient

from parlour.app import create_app
from parlour.core.clock import FrozenClock
from parlour.db.session import Database
from parlour.routes import ALL_ROUTERS
from parlour.wiring import open_database
from tests.conftest import TEST_NOW, make_settings
from tests.factories import (
    ConversationSpec,
    Workspace,
    admin_says,
    assign,
    close,
    contact_says,
    make_admin,
    make_contact,
    make_conversation,
    make_tag,
    make_team,
    make_workspace,
    note,
    snooze,
)

EXAMPLES = int(os.environ.get("PARLOUR_FUZZ_EXAMPLES", "20"))
STATEFUL_SCENARIOS = int(os.environ.get("PARLOUR_FUZZ_SCENARIOS", str(EXAMPLES)))

CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]
NO_SHRINK = [Phase.explicit, Phase.reuse, Phase.generate, Phase.target]
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    # A failure is reported as found; shrinking a schema-sized input can take minutes.
    phases=NO_SHRINK,
)
# Body fields that name a row: drawn from the seeded ids some of the time.
BODY_IDS = {
    "admin_id": "admin_id",
    "assignee_id": "admin_id",
    "contact_id": "contact_id",
    "intercom_user_id": "contact_id",
    "sla_rule_id": "rule_id",
    "conversation_id": "conversation_id",
    "owner_id": "admin_id",
}


def _seed(db: Database, client: TestClient, ws: Workspace) -> dict[str, list[str]]:
    t0 = TEST_NOW - 86_400
    admin = make_admin(db, ws, now=t0)
    team = make_team(db, ws, now=t0, admin_ids=[ws.owner_id, admin])
    user = make_contact(db, ws, now=t0, external_id="fuzz-1", email="fuzz1@example.com")
    other = make_contact(db, ws, now=t0, external_id="fuzz-2", email="fuzz2@example.com")
    lead = make_contact(db, ws, now=t0, role="lead")
    tags = [make_tag(db, ws, now=t0, name=f"fuzz-tag-{i}") for i in range(3)]
    timelines: list[tuple[str, list[Any]]] = [
        (user, []),
        (user, [assign(admin, t0 + 5, "team", team), admin_says(admin, t0 + 9),
                contact_says(user, t0 + 20), note(admin, t0 + 21), close(admin, t0 + 30)]),
        (other, [snooze(admin, t0 + 3, TEST_NOW + 500)]),
        (lead, [assign(admin, t0 + 4, "admin", admin), admin_says(admin, t0 + 8)]),
    ]  # fmt: skip
    conversations = [
        make_conversation(
            db,
            ws,
            ConversationSpec(created_at=t0 + i, contact_id=c, events=e, tag_ids=tags[:2]),
            now=TEST_NOW,
        )
        for i, (c, e) in enumerate(timelines)
    ]
    rule = client.post(
        "/parlour/sla_rules",
        json={"name": "Fuzz SLA", "first_reply_time_in_seconds": 3600},
        headers=ws.headers,
    )
    assert rule.status_code == 200, rule.text
    hook = client.post(
        "/parlour/webhooks",
        json={"url": "http://127.0.0.1:9/hook", "topics": ["conversation.admin.replied"]},
        headers=ws.headers,
    )
    assert hook.status_code == 200, hook.text
    reply = client.post(
        f"/conversations/{conversations[0]}/reply",
        json={"type": "admin", "admin_id": str(admin), "message_type": "comment", "body": "Hi"},
        headers=ws.headers,
    )
    assert reply.status_code == 200, reply.text
    deliveries = client.get("/parlour/webhook_deliveries", headers=ws.headers).json()["data"]
    return {
        "admin_id": [str(ws.owner_id), str(admin)],
        "contact_id": [user, other, lead],
        "conversation_id": [str(c) for c in conversations],
        "tag_id": [str(t) for t in tags],
        "rule_id": [rule.json()["id"]],
        "subscription_id": [hook.json()["id"]],
        "delivery_id": [d["id"] for d in deliveries],
    }


def _id_kind(parent: str, key: str) -> str:
    """Which seeded ids a body field takes, by its name and its parent's."""
    if key == "id":
        return {"from": "contact_id", "users": "contact_id", "": "tag_id"}.get(parent, "")
    return BODY_IDS.get(key, "")


def _with_known_ids(value: Any, ids: dict[str, list[str]], draw: Any, parent: str = "") -> Any:
    """`value` with some id fields replaced by seeded ids (recursively)."""
    if isinstance(value, dict):
        result = {}
        for key, item in value.items():
            known = ids.get(_id_kind(parent, str(key)))
            if known and draw(st.booleans()):
                result[key] = draw(st.sampled_from(known))
            else:
                result[key] = _with_known_ids(item, ids, draw, str(key))
        return result
    if isinstance(value, list):
        return [_with_known_ids(item, ids, draw, parent) for item in value]
    return value


def _use_known_ids(case: Any, ids: dict[str, list[str]], draw: Any) -> None:
    """Point some generated cases at seeded rows: path parameters and body ids."""
    if not draw(st.booleans()):
        return
    for name in list(case.path_parameters or {}):
        if ids.get(name) and draw(st.booleans()):
            case.path_parameters[name] = draw(st.sampled_from(ids[name]))
    if isinstance(case.body, dict):
        case.body = _with_known_ids(case.body, ids, draw)


@pytest.fixture(scope="module")
def fuzz_app(database_url: str) -> FastAPI:
    """An app of its own (its own clock) for the fuzzer's writes."""
    return create_app(make_settings(database_url), clock=FrozenClock(TEST_NOW))


@pytest.fixture(scope="module")
def fuzz_schema(fuzz_app: FastAPI) -> tuple[Any, dict[str, list[str]]]:
    """The loaded schema, and the ids its hooks draw from (filled by `fuzz_workspace`)."""
    ids: dict[str, list[str]] = {}
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)
    schema.config.generation.update(max_examples=EXAMPLES, allow_x00=True)
    return schema, ids


@pytest.fixture
def fuzz_workspace(
    fuzz_app: FastAPI, fuzz_schema: tuple[Any, dict[str, list[str]]], database_url: str
) -> Iterator[Workspace]:
    """A freshly seeded workspace per test: a fuzzed delete cannot starve the next test."""
    db = open_database(database_url)
    ws = make_workspace(db, now=TEST_NOW, name="Fuzz")
    with TestClient(fuzz_app, raise_server_exceptions=False) as client:
        fuzz_schema[1].clear()
        fuzz_schema[1].update(_seed(db, client, ws))
    yield ws
    db.dispose()


def _operation_ids() -> list[str]:
    """Every operation Parlour routes (the document must describe them all)."""
    return sorted(
        route.operation_id
        for router in ALL_ROUTERS
        for route in router.routes
        if getattr(route, "operation_id", None)
    )


def _cases(operation: Any) -> SearchStrategy[Any]:
    strategies = [
        operation.as_strategy(generation_mode=mode)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    ]
    examples = operation.schema.get_strategies_from_examples(operation)
    return st.one_of(*strategies, *examples)


@pytest.mark.parametrize("operation_id", _operation_ids())
def test_every_operation_conforms(
    fuzz_schema: tuple[Any, dict[str, list[str]]], fuzz_workspace: Workspace, operation_id: str
) -> None:
    """No input makes an operation answer 5xx or anything its document does not say."""
    schema, ids, ws = *fuzz_schema, fuzz_workspace
    operation = schema.find_operation_by_id(operation_id)

    @FUZZ_SETTINGS
    @given(case=_cases(operation), data=st.data())
    def conforms(case: Any, data: st.DataObject) -> None:
        _use_known_ids(case, ids, data.draw)
        case.call_and_validate(headers=ws.headers, checks=CHECKS)

    conforms()


def test_stateful_sequences_conform(fuzz_app: FastAPI, fuzz_workspace: Workspace) -> None:
    """Chains along the document's links (create, then read, reply, tag, delete...) conform.

    Run by schemathesis' own engine: it knows that a scenario replayed against a database
    that has moved on may draw differently, which a plain Hypothesis state machine reports
    as flaky.
    """
    ws = fuzz_workspace
    # A schema of its own: the engine's settings must not leak into the other tests.
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)
    schema.config.headers = dict(ws.headers)
    schema.config.phases.update(phases=["stateful"])
    schema.config.checks.update(included_check_names=[check.__name__ for check in CHECKS])
    schema.config.generation.update(max_examples=STATEFUL_SCENARIOS)
    problems: list[str] = []
    scenarios = 0
    statuses: Counter[str] = Counter()
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            scenarios += 1
            for case_id, interaction in event.recorder.interactions.items():
                if interaction.response is not None:
                    label = event.recorder.cases[case_id].value.operation.label
                    statuses[f"{label} {interaction.response.status_code}"] += 1
            for case_id, checks in event.recorder.checks.items():
                case = event.recorder.cases[case_id].value
                problems += [
                    f"{check.name}: {check.failure_info.failure.title}\n{case.as_curl_command()}"
                    if check.failure_info
                    else check.name
                    for check in checks
                    if check.status == Status.FAILURE
                ]
        elif isinstance(event, events.NonFatalError | events.FatalError):
            problems.append(f"{type(event).__name__}: {getattr(event, 'value', event)}")
    print(f"stateful scenarios: {scenarios}", *sorted(statuses.items()), sep="\n")
    assert not problems, "\n\n".join(problems)
