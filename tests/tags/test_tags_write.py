"""Tag writes and lookups: POST /tags (create, rename, tag users), GET and DELETE /tags/{id}."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from intercom import Intercom, TagMultipleUsersRequest, TagMultipleUsersRequestUsersItem
from sqlalchemy import select
from starlette.testclient import TestClient

from parlour.db.models import ContactTag, Tag
from parlour.db.models import Workspace as WorkspaceRow
from parlour.db.session import Database
from parlour.tags import repository as tags_repository
from tests.conftest import TEST_NOW
from tests.contract.intercom_spec import assert_valid, errors_against, response_schema_name
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
    assert again.status_code == 200, again.text
    assert again.json() == first  # the same tag on both databases: names compare caseless


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
        (
            {"name": "t", "users": [{"id": "5f7f0d217289f8d2f4262080", "untag": True}]},
            "untagging users",
        ),
        ({"name": "t", "users": [{"id": "x"}, {"id": "y", "untag": "true"}]}, "untagging users"),
        ({"name": "t", "users": [{"id": "x"}], "companies": [{"id": "1"}]}, "tagging companies"),
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


# --- POST /tags, users form: {"name", "users": [{"id"}, ...]} -------------------------------


def _links(db: Database, ws: Workspace) -> list[tuple[str, str, int]]:
    """Every (contact id, tag name, applied_at) of the workspace, sorted."""
    with db.read_session() as session:
        rows = session.execute(
            select(ContactTag.contact_id, Tag.name, ContactTag.applied_at)
            .join(Tag, Tag.id == ContactTag.tag_id)
            .where(ContactTag.workspace_id == ws.id)
        )
        return sorted((c, n, a) for c, n, a in rows)


def _tag_users(client: TestClient, ws: Workspace, name: str, *ids: Any) -> Any:
    body = {"name": name, "users": [{"id": i} for i in ids]}
    return _post(client, ws, body)


def test_tag_users_creates_the_tag_and_tags_each_contact(
    client: TestClient, db: Database, workspace: Workspace
) -> None:
    user = make_contact(db, workspace, now=TEST_NOW, email="pat@example.com")
    lead = make_contact(db, workspace, now=TEST_NOW, role="lead")
    untouched = make_contact(db, workspace, now=TEST_NOW)
    body = {"name": "Independent", "users": [{"id": user}, {"id": lead}]}
    assert errors_against("tag_multiple_users_request", body) == []
    response = _post(client, workspace, body)
    assert response.status_code == 200, response.text
    tag = response.json()
    assert_valid(response_schema_name("/tags", "post", "200"), tag)
    assert tag["type"] == "tag" and tag["name"] == "Independent" and tag["id"].isdigit()
    assert client.get("/tags", headers=workspace.headers).json()["data"] == [tag]
    assert _links(db, workspace) == sorted(
        [(user, "Independent", TEST_NOW), (lead, "Independent", TEST_NOW)]
    )
    for contact_id in (user, lead):
        shown = client.get(f"/contacts/{contact_id}", headers=workspace.headers)
        assert_valid(response_schema_name("/contacts/{contact_id}", "get", "200"), shown.json())
        assert shown.json()["tags"]["data"] == [
            {"type": "tag", "id": tag["id"], "url": f"/tags/{tag['id']}"}
        ]
        assert shown.json()["tags"]["total_count"] == 1
    other = client.get(f"/contacts/{untouched}", headers=workspace.headers).json()
    assert other["tags"]["data"] == []


def test_tag_users_reuses_the_tag_by_name_and_is_idempotent(
    client: TestClient, db: Database, workspace: Workspace
) -> None:
    vip = make_tag(db, workspace, now=TEST_NOW, name="VIP")
    earlier = make_tag(db, workspace, now=TEST_NOW, name="Earlier")
    first, second = (make_contact(db, workspace, now=TEST_NOW) for _ in range(2))
    with db.write_session() as session:
        session.add_all(
            [
                ContactTag(contact_id=first, tag_id=vip, workspace_id=workspace.id, applied_at=5),
                ContactTag(
                    contact_id=second, tag_id=earlier, workspace_id=workspace.id, applied_at=1
                ),
            ]
        )
        session.commit()
    expected = {"type": "tag", "id": str(vip), "name": "VIP"}
    for _ in range(2):
        # The same contact twice in one request, and the whole request twice.
        response = _tag_users(client, workspace, " vip ", first, second, second)
        assert response.json() == expected, response.text
    assert _links(db, workspace) == sorted(
        [(first, "VIP", 5), (second, "Earlier", 1), (second, "VIP", TEST_NOW)]
    )
    shown = client.get(f"/contacts/{second}", headers=workspace.headers).json()
    assert [t["id"] for t in shown["tags"]["data"]] == [str(earlier), str(vip)]  # applied order
    assert [t["name"] for t in client.get("/tags", headers=workspace.headers).json()["data"]] == [
        "VIP",
        "Earlier",
    ]


# The SDK passes a timeout to every request; Starlette's TestClient warns about it.
@pytest.mark.filterwarnings("ignore:You should not use the 'timeout' argument:DeprecationWarning")
def test_tag_users_accepts_the_sdk_request(
    client: TestClient, db: Database, workspace: Workspace
) -> None:
    """python-intercom's `tags.create(request=TagMultipleUsersRequest(...))`, as sent."""
    contact = make_contact(db, workspace, now=TEST_NOW)
    sdk = Intercom(token=workspace.token, base_url=str(client.base_url), httpx_client=client)
    tag = sdk.tags.create(
        request=TagMultipleUsersRequest(
            name="From the SDK", users=[TagMultipleUsersRequestUsersItem(id=contact)]
        )
    )
    assert tag.type == "tag" and tag.name == "From the SDK"
    assert _links(db, workspace) == [(contact, "From the SDK", TEST_NOW)]


def test_tag_users_across_query_chunks(
    client: TestClient, db: Database, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ids are looked up in bounded IN lists; a request longer than one still tags them all."""
    monkeypatch.setattr(tags_repository, "_CHUNK", 2)
    contacts = [make_contact(db, workspace, now=TEST_NOW) for _ in range(5)]
    assert _tag_users(client, workspace, "Bulk", *contacts[:2]).status_code == 200
    assert _tag_users(client, workspace, "Bulk", *contacts).status_code == 200
    assert _links(db, workspace) == sorted((c, "Bulk", TEST_NOW) for c in contacts)
    missing = _tag_users(client, workspace, "Bulk2", *contacts, "5f7f0d217289f8d2f4262080")
    assert _error(missing, 404)["message"] == "User Not Found"


def test_tag_users_with_an_unknown_or_foreign_contact_is_404_and_writes_nothing(
    client: TestClient, db: Database, workspace: Workspace, other_workspace: Workspace
) -> None:
    mine = make_contact(db, workspace, now=TEST_NOW)
    theirs = make_contact(db, other_workspace, now=TEST_NOW)
    existing = make_tag(db, workspace, now=TEST_NOW, name="Existing")
    for bad in (theirs, "5f7f0d217289f8d2f4262080", "123", 123, mine.upper(), "x y"):
        for name in ("Existing", "Brand new"):
            response = _tag_users(client, workspace, name, mine, bad)
            assert _error(response, 404) == {"code": "not_found", "message": "User Not Found"}
    listed = client.get("/tags", headers=workspace.headers).json()["data"]
    assert listed == [{"type": "tag", "id": str(existing), "name": "Existing"}]
    assert _links(db, workspace) == [] and _links(db, other_workspace) == []


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        ({"name": "t", "users": []}, "parameter_invalid", "users must not be empty"),
        ({"name": "t", "users": "MINE"}, "parameter_invalid", "users must be a list of objects"),
        (
            {"name": "t", "users": {"id": "MINE"}},
            "parameter_invalid",
            "users must be a list of objects",
        ),
        ({"name": "t", "users": ["MINE"]}, "parameter_invalid", "users must be a list of objects"),
        (
            {"name": "t", "users": [{"id": "MINE"}, None]},
            "parameter_invalid",
            "users must be a list of objects",
        ),
        (
            {"name": "t", "users": [{"id": "MINE"}, {"email": "pat@example.com"}]},
            "parameter_invalid",
            "users[1].id is required (users are identified by their Intercom id)",
        ),
        (
            {"name": "t", "users": [{"user_id": "25"}]},
            "parameter_invalid",
            "users[0].id is required (users are identified by their Intercom id)",
        ),
        (
            {"name": "t", "users": [{"id": None}]},
            "parameter_invalid",
            "users[0].id is required (users are identified by their Intercom id)",
        ),
        (
            {"name": "t", "users": [{"id": ["MINE"]}]},
            "parameter_invalid",
            "users[0].id must be a string id",
        ),
        (
            {"name": "t", "users": [{"id": True}]},
            "parameter_invalid",
            "users[0].id must be a string id",
        ),
        (
            {"name": "t", "users": [{"id": ""}]},
            "parameter_invalid",
            "users[0].id is not a valid id",
        ),
        (
            {"name": "t", "users": [{"id": "MINE"}, {"id": "a\x00"}]},
            "parameter_invalid",
            "users[1].id must not contain NUL characters",
        ),
        (
            {"name": "t", "id": "1", "users": [{"id": "MINE"}]},
            "parameter_invalid",
            "id cannot be given with users",
        ),
        ({"users": [{"id": "MINE"}]}, "parameter_invalid", "invalid tag parameters"),
        ({"name": None, "users": [{"id": "MINE"}]}, "parameter_not_found", "name is required"),
        ({"name": "  ", "users": [{"id": "MINE"}]}, "parameter_invalid", "name can't be blank"),
        (
            {"name": "x" * 256, "users": [{"id": "MINE"}]},
            "parameter_invalid",
            "name is longer than 255 characters",
        ),
    ],
)
def test_tag_users_refuses_bad_bodies_and_writes_nothing(
    client: TestClient,
    db: Database,
    workspace: Workspace,
    body: dict[str, Any],
    code: str,
    message: str,
) -> None:
    mine = make_contact(db, workspace, now=TEST_NOW)
    make_tag(db, workspace, now=TEST_NOW, name="t")
    before = client.get("/tags", headers=workspace.headers).json()
    sent = _with_contact(body, mine)
    error = _error(_post(client, workspace, sent), 400)
    assert (error["code"], error["message"]) == (code, message)
    assert client.get("/tags", headers=workspace.headers).json() == before
    assert _links(db, workspace) == []


def _with_contact(value: Any, contact_id: str) -> Any:
    """`value` with every "MINE" replaced by the contact's id."""
    if value == "MINE":
        return contact_id
    if isinstance(value, list):
        return [_with_contact(v, contact_id) for v in value]
    if isinstance(value, dict):
        return {k: _with_contact(v, contact_id) for k, v in value.items()}
    return value


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
    if response.status_code == 501:  # the company forms and untagging users, refused by name
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
