"""Property test: nothing a client sends to the read endpoints reaches the 500 catch-all."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from parlour.db.session import Database
from tests.conftest import TEST_NOW
from tests.factories import (
    ConversationSpec,
    Workspace,
    make_contact,
    make_conversation,
    make_workspace,
)

PARAM_NAMES = [
    "order",
    "sort",
    "per_page",
    "page",
    "starting_after",
    "type",
    "admin_id",
    "id",
    "open",
    "user_id",
    "intercom_user_id",
    "email",
    "display_as",
    "unknown",
]
INTERESTING = [
    "",
    "0",
    "-1",
    "1",
    "150",
    "151",
    "nobody",
    "true",
    "false",
    "asc",
    "desc",
    "updated_at",
    "waiting_since",
    "admin",
    "user",
    "plaintext",
    "'",
    "%",
    "_",
    "\\",
    "é",
    "\x00",
    "9" * 30,
    "1e9",
    "a.b",
    "e30.AAAA",
]
values = st.one_of(st.sampled_from(INTERESTING), st.text(max_size=40))
params = st.dictionaries(st.sampled_from(PARAM_NAMES), values, max_size=6)
versions = st.one_of(
    st.none(), st.sampled_from(["1.0", "1.4", "2.0", "2.14", "2.16", "Unstable", "3", "", "x"])
)
paths = st.one_of(
    st.sampled_from(["/conversations", "/me", "/admins", "/tags", "/teams"]),
    st.builds(lambda s: f"/conversations/{quote(s, safe='')}", st.text(min_size=1, max_size=30)),
    st.builds(lambda s: f"/admins/{quote(s, safe='')}", st.text(min_size=1, max_size=30)),
    st.builds(lambda s: f"/contacts/{quote(s, safe='')}", st.text(min_size=1, max_size=30)),
)


@pytest.fixture(scope="module")
def fuzz_workspace(db: Database) -> Workspace:
    ws = make_workspace(db, now=TEST_NOW, name="Fuzz")
    contact = make_contact(db, ws, now=TEST_NOW, external_id="x", email="x@example.com")
    for i in range(3):
        make_conversation(
            db, ws, ConversationSpec(created_at=TEST_NOW - i, contact_id=contact), now=TEST_NOW
        )
    return ws


def _check(response: Any) -> None:
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        body = response.json()
        assert body["type"] == "error.list"
        assert body["errors"] and all(e["code"] and e["message"] for e in body["errors"])


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(query=params, version=versions)
def test_list_never_fails(
    client: TestClient, fuzz_workspace: Workspace, query: dict[str, str], version: str | None
) -> None:
    headers = dict(fuzz_workspace.headers)
    if version is not None:
        headers["Intercom-Version"] = version
    _check(client.get("/conversations", params=query, headers=headers))


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(path=paths, query=params)
def test_paths_never_fail(
    client: TestClient, fuzz_workspace: Workspace, path: str, query: dict[str, str]
) -> None:
    _check(client.get(path, params=query, headers=fuzz_workspace.headers))
