"""Tag writes and lookups: POST /tags (create or rename), GET and DELETE /tags/{id}."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from starlette.testclient import TestClient

from parlour.db.models import ContactTag
from parlour.db.models import Workspace as WorkspaceRow
from parlour.db.session import Database
from tests.conftest import TEST_NOW
from tests.contract.intercom_spec import assert_valid, response_schema_name
from tests.factories import (
    ConversationSpec,
    Workspace,
    make_contact,
    make_conversation,
    make_tag,
    make_workspace,
)


def _error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["type"] == "error.list" and len(body["errors"]) == 1
    return body["errors"][0]  # type: ignore[no-any-return]


def _post(client: TestClient, ws: Workspace, body: Any) -> Any:
    return client.post("/tags", json=body, headers=ws.headers)


def test_create_finds_an_existing_name_in_any_case(
    client: TestClient, workspace: Workspace, other_workspace: Workspace
) -> None:
    created = _post(client, workspace, {"name": "Independent"})
    assert created.status_code == 200, created.text
    body = created.json()
    assert_valid(response_schema_name("/tags", "post", "200"), body)
    assert body["type"] == "tag" and body["name"] == "Independent" and body["id"].isdigit()
    for name in ("independent", "  INDEPENDENT "):
        assert _post(client, workspace, {"name": name}).json() == body
    theirs = _post(client, other_workspace, {"name": "Independent"}).json()
    assert theirs["id"] != body["id"]
    listed = client.get("/tags", headers=workspace.headers).json()
    assert listed["data"] == [body]


def test_unicode_names_do_not_collide_on_either_database(
    client: TestClient, workspace: Workspace
) -> None:
    first = _post(client, workspace, {"name": "Éclair"}).json()
    assert _post(client, workspace, {"name": "Éclair"}).json() == first
    again = _post(client, workspace, {"name": "éclair"})
    assert again.status_code == 200  # the same tag (PostgreSQL) or a second one (SQLite)


def test_rename_by_id(client: TestClient, db: Database, workspace: Workspace) -> None:
    tag = make_tag(db, workspace, now=TEST_NOW, name="Old")
    other = make_tag(db, workspace, now=TEST_NOW, name="Taken")
    renamed = _post(client, workspace, {"id": str(tag), "name": "New"})
    assert renamed.json() == {"type": "tag", "id": str(tag), "name": "New"}
    assert _post(client, workspace, {"id": tag, "name": "NEW"}).json()["name"] == "NEW"
    clash = _post(client, workspace, {"id": str(tag), "name": "taken"})
    assert _error(clash, 400) == {
        "code": "parameter_invalid",
        "message": "A tag named 'Taken' already exists",
        "field": "name",
    }
    shown = client.get(f"/tags/{other}", headers=workspace.headers).json()
    assert shown == {"type": "tag", "id": str(other), "name": "Taken"}


def test_rename_of_unknown_or_foreign_tag_is_404(
    client: TestClient, db: Database, workspace: Workspace, other_workspace: Workspace
) -> None:
    theirs = make_tag(db, other_workspace, now=TEST_NOW, name="Theirs")
    for tag_id in (str(theirs), "999999999", "abc", "0", "9" * 30):
        response = _post(client, workspace, {"id": tag_id, "name": "Mine"})
        assert _error(response, 404)["code"] == "not_found"
    assert client.get("/tags", headers=workspace.headers).json()["data"] == []


@pytest.mark.parametrize(
    ("body", "status", "code", "message"),
    [
        ({"test": "invalid"}, 400, "parameter_invalid", "invalid tag parameters"),
        ({}, 400, "parameter_invalid", "invalid tag parameters"),
        ({"name": None}, 400, "parameter_not_found", "name is required"),
        ({"name": 5}, 400, "parameter_invalid", "name must be a string"),
        ({"name": "   "}, 400, "parameter_invalid", "name can't be blank"),
        ({"name": "x" * 256}, 400, "parameter_invalid", "name is longer than 255 characters"),
        ({"name": "x" * 5000}, 400, "parameter_invalid", "name is longer than 255 characters"),
        ({"name": "a\x00b"}, 400, "parameter_invalid", "name must not contain NUL characters"),
        ({"name": "ok", "id": []}, 400, "parameter_invalid", "id must be a string id"),
    ],
)
def test_create_refuses_bad_bodies(
    client: TestClient,
    workspace: Workspace,
    body: dict[str, Any],
    status: int,
    code: str,
    message: str,
) -> None:
    error = _error(_post(client, workspace, body), status)
    assert (error["code"], error["message"]) == (code, message)
    assert client.get("/tags", headers=workspace.headers).json()["data"] == []


@pytest.mark.parametrize(
    ("body", "form"),
    [
        ({"name": "t", "companies": [{"company_id": "123"}]}, "tagging companies"),
        ({"name": "t", "companies": [{"id": "531ee", "untag": True}]}, "untagging companies"),
        ({"name": "t", "users": [{"id": "5f7f0d217289f8d2f4262080"}]}, "tagging users"),
        ({"companies": "not even a list"}, "tagging companies"),
    ],
)
def test_other_forms_of_post_tags_are_501(
    client: TestClient, workspace: Workspace, body: dict[str, Any], form: str
) -> None:
    error = _error(_post(client, workspace, body), 501)
    assert error["code"] == "not_implemented"
    assert f"does not implement {form} with POST /tags" in error["message"]
    assert client.get("/tags", headers=workspace.headers).json()["data"] == []


def test_find_tag(
    client: TestClient, db: Database, workspace: Workspace, other_workspace: Workspace
) -> None:
    tag = make_tag(db, workspace, now=TEST_NOW, name="Manual tag")
    response = client.get(f"/tags/{tag}", headers=workspace.headers)
    assert response.status_code == 200
    assert_valid(response_schema_name("/tags/{tag_id}", "get", "200"), response.json())
    assert response.json() == {"type": "tag", "id": str(tag), "name": "Manual tag"}
    theirs = make_tag(db, other_workspace, now=TEST_NOW)
    for missing in (str(theirs), "999999999", "abc", "-1", "%00"):
        error = _error(client.get(f"/tags/{missing}", headers=workspace.headers), 404)
        assert error == {"code": "not_found", "message": "Resource Not Found"}


def test_delete_tag_takes_it_off_everything(
    client: TestClient, db: Database, workspace: Workspace, other_workspace: Workspace
) -> None:
    tag = make_tag(db, workspace, now=TEST_NOW, name="Gone")
    keep = make_tag(db, workspace, now=TEST_NOW, name="Kept")
    contact = make_contact(db, workspace, now=TEST_NOW)
    conversation = make_conversation(
        db,
        workspace,
        ConversationSpec(created_at=TEST_NOW, contact_id=contact, tag_ids=[tag, keep]),
        now=TEST_NOW,
    )
    with db.write_session() as session:
        session.add(
            ContactTag(contact_id=contact, tag_id=tag, workspace_id=workspace.id, applied_at=1)
        )
        session.commit()
        version = session.scalar(
            select(WorkspaceRow.data_version).where(WorkspaceRow.id == workspace.id)
        )
    theirs = make_tag(db, other_workspace, now=TEST_NOW)
    assert _error(client.delete(f"/tags/{theirs}", headers=workspace.headers), 404)
    response = client.delete(f"/tags/{tag}", headers=workspace.headers)
    assert response.status_code == 200 and response.content == b""
    assert client.get(f"/tags/{tag}", headers=workspace.headers).status_code == 404
    assert _error(client.delete(f"/tags/{tag}", headers=workspace.headers), 404)
    shown = client.get(f"/conversations/{conversation}", headers=workspace.headers).json()
    assert [t["id"] for t in shown["tags"]["tags"]] == [str(keep)]
    person = client.get(f"/contacts/{contact}", headers=workspace.headers).json()
    assert person["tags"]["data"] == []
    with db.read_session() as session:
        after = session.scalar(
            select(WorkspaceRow.data_version).where(WorkspaceRow.id == workspace.id)
        )
    assert after == (version or 0) + 1
    assert client.get(f"/tags/{theirs}", headers=other_workspace.headers).status_code == 200


@pytest.fixture(scope="module")
def fuzz_tags(db: Database) -> Workspace:
    ws = make_workspace(db, now=TEST_NOW, name="Fuzz tags")
    make_tag(db, ws, now=TEST_NOW, name="existing")
    return ws


values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.text(max_size=300),
    st.sampled_from(["existing", "EXISTING", "1", "\x00", "x" * 2000]),
    st.lists(st.dictionaries(st.sampled_from(["id", "company_id", "untag"]), st.text(max_size=5))),
)


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=st.dictionaries(st.sampled_from(["name", "id", "companies", "users", "x"]), values))
def test_tag_writes_never_fail(client: TestClient, fuzz_tags: Workspace, body: Any) -> None:
    response = _post(client, fuzz_tags, body)
    if response.status_code == 501:  # the company and user forms, refused by name
        assert response.json()["errors"][0]["code"] == "not_implemented"
        return
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.json()["type"] == "error.list"


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# "/" is left out: a trailing slash ("/tags/1/") is a path of its own, answered by
# api/router.py's 501 fallback for every resource alike.
@given(
    tag_id=st.text(st.characters(codec="utf-8", exclude_characters="/"), min_size=1, max_size=30)
)
def test_tag_paths_never_fail(client: TestClient, fuzz_tags: Workspace, tag_id: str) -> None:
    from urllib.parse import quote

    for method in ("GET", "DELETE"):
        response = client.request(
            method, f"/tags/{quote(tag_id, safe='')}", headers=fuzz_tags.headers
        )
        assert response.status_code < 500, response.text
