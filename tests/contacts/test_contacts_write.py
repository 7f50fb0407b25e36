"""Contact writes and the contacts list: POST/PUT/DELETE /contacts[/{id}], GET /contacts."""

from __future__ import annotations

import sys
import threading
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text
from starlette.testclient import TestClient

from parlour.contacts import service as contacts
from parlour.core.ids import is_contact_id
from parlour.db.models import Workspace as WorkspaceRow
from parlour.db.session import Database
from parlour.errors import Conflict
from tests.conftest import TEST_NOW
from tests.contract.intercom_spec import assert_valid, response_schema_name
from tests.factories import (
    ConversationSpec,
    Workspace,
    make_admin,
    make_contact,
    make_conversation,
    make_tag,
)


def _data_version(db: Database, ws: Workspace) -> int:
    with db.read_session() as session:
        value = session.scalar(select(WorkspaceRow.data_version).where(WorkspaceRow.id == ws.id))
    assert value is not None
    return int(value)


def _error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["type"] == "error.list" and len(body["errors"]) == 1
    return body["errors"][0]  # type: ignore[no-any-return]


def _create(client: TestClient, ws: Workspace, **fields: Any) -> dict[str, Any]:
    response = client.post("/contacts", json=fields, headers=ws.headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


# Create


def test_create_with_email_is_a_user(client: TestClient, workspace: Workspace) -> None:
    body = _create(client, workspace, email="joebloggs@intercom.io")
    assert_valid(response_schema_name("/contacts", "post", "200"), body)
    assert is_contact_id(body["id"])
    assert body["role"] == "user" and body["email"] == "joebloggs@intercom.io"
    assert body["email_domain"] == "intercom.io"
    assert body["workspace_id"] == workspace.app_id
    assert body["created_at"] == body["updated_at"] == TEST_NOW
    assert body["custom_attributes"] == {} and body["unsubscribed_from_emails"] is False
    shown = client.get(f"/contacts/{body['id']}", headers=workspace.headers).json()
    assert shown == body


def test_create_with_every_field(client: TestClient, db: Database, workspace: Workspace) -> None:
    owner = make_admin(db, workspace, now=TEST_NOW)
    body = _create(
        client,
        workspace,
        role="lead",
        external_id=70,
        email="jdoe@example.com",
        phone="+353871234567",
        name="John Doe",
        avatar="https://www.example.com/avatar_image.jpg",
        signed_up_at=1571672154,
        last_seen_at=1571672155,
        owner_id=owner,
        unsubscribed_from_emails=True,
        custom_attributes={"paid_subscriber": True, "monthly_spend": 155.5, "team_mates": 1},
    )
    assert_valid("contact", body)
    assert body["role"] == "lead" and body["external_id"] == "70"
    assert body["phone"] == "+353871234567" and body["name"] == "John Doe"
    assert body["avatar"] == {
        "type": "avatar",
        "image_url": "https://www.example.com/avatar_image.jpg",
    }
    assert (body["signed_up_at"], body["last_seen_at"]) == (1571672154, 1571672155)
    assert body["owner_id"] == owner and body["unsubscribed_from_emails"] is True
    assert body["custom_attributes"] == {
        "paid_subscriber": True,
        "monthly_spend": 155.5,
        "team_mates": 1,
    }


def test_create_needs_email_external_id_or_role(client: TestClient, workspace: Workspace) -> None:
    error = _error(client.post("/contacts", json={"name": "x"}, headers=workspace.headers), 400)
    assert error["code"] == "parameter_not_found"
    assert error["message"] == "One of email, external_id or role is required"
    assert _create(client, workspace, role="lead")["role"] == "lead"
    assert _create(client, workspace, role="user")["role"] == "user"
    assert _create(client, workspace, external_id="only-me")["role"] == "user"


def test_duplicate_user_is_409_conflict(
    client: TestClient, workspace: Workspace, other_workspace: Workspace
) -> None:
    first = _create(client, workspace, email="dup@example.com", external_id="u-1")
    expected = {
        "code": "conflict",
        "message": f"A contact matching those details already exists with id={first['id']}",
    }
    for fields in (
        {"email": "dup@example.com"},
        {"email": "DUP@Example.com"},
        {"external_id": "u-1"},
        {"email": "fresh@example.com", "external_id": "u-1"},
        {"role": "user", "email": "dup@example.com"},
    ):
        response = client.post("/contacts", json=fields, headers=workspace.headers)
        assert _error(response, 409) == expected, fields
    # Leads may share an email; another workspace is another namespace.
    assert _create(client, workspace, role="lead", email="dup@example.com")["role"] == "lead"
    assert _create(client, other_workspace, email="dup@example.com", external_id="u-1")
    listed = client.get("/contacts", headers=workspace.headers).json()
    assert listed["total_count"] == 2


def test_user_may_take_a_leads_email(client: TestClient, workspace: Workspace) -> None:
    _create(client, workspace, role="lead", email="shared@example.com")
    assert _create(client, workspace, email="shared@example.com")["role"] == "user"


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"role": "admin"}, "parameter_invalid", "role"),
        ({"role": 1}, "parameter_invalid", "role"),
        ({"email": "not-an-email"}, "parameter_invalid", "email"),
        ({"email": "a b@example.com"}, "parameter_invalid", "email"),
        ({"email": "x" * 250 + "@example.com"}, "parameter_invalid", "email"),
        ({"email": ["a@example.com"]}, "parameter_invalid", "email"),
        ({"email": "a\x00@example.com"}, "parameter_invalid", "email"),
        ({"external_id": ""}, "parameter_invalid", "external_id"),
        ({"external_id": {"a": 1}}, "parameter_invalid", "external_id"),
        ({"external_id": True}, "parameter_invalid", "external_id"),
        ({"external_id": "x" * 256}, "parameter_invalid", "external_id"),
        ({"role": "user", "phone": "1" * 65}, "parameter_invalid", "phone"),
        ({"role": "user", "name": "x" * 256}, "parameter_invalid", "name"),
        ({"role": "user", "name": "nul\x00"}, "parameter_invalid", "name"),
        ({"role": "user", "avatar": "ftp://example.com/a.png"}, "parameter_invalid", "avatar"),
        ({"role": "user", "signed_up_at": "yesterday"}, "parameter_invalid", "signed_up_at"),
        ({"role": "user", "signed_up_at": -1}, "parameter_invalid", "signed_up_at"),
        ({"role": "user", "last_seen_at": 2**60}, "parameter_invalid", "last_seen_at"),
        ({"role": "user", "last_seen_at": 1.5}, "parameter_invalid", "last_seen_at"),
        ({"role": "user", "owner_id": "abc"}, "parameter_invalid", "owner_id"),
        ({"role": "user", "owner_id": 99999999999}, "parameter_invalid", "owner_id"),
        (
            {"role": "user", "unsubscribed_from_emails": "yes"},
            "parameter_invalid",
            "unsubscribed_from_emails",
        ),
        ({"role": "user", "custom_attributes": [1]}, "parameter_invalid", "custom_attributes"),
        (
            {"role": "user", "custom_attributes": {"k": "\x00"}},
            "parameter_invalid",
            "custom_attributes",
        ),
    ],
)
def test_create_refuses_bad_fields(
    client: TestClient,
    workspace: Workspace,
    fields: dict[str, Any],
    code: str,
    field: str,
) -> None:
    error = _error(client.post("/contacts", json=fields, headers=workspace.headers), 400)
    assert (error["code"], error["field"]) == (code, field)
    assert client.get("/contacts", headers=workspace.headers).json()["total_count"] == 0


def test_owner_must_be_an_admin_of_the_workspace(
    client: TestClient, workspace: Workspace, other_workspace: Workspace
) -> None:
    response = client.post(
        "/contacts",
        json={"email": "o@example.com", "owner_id": other_workspace.owner_id},
        headers=workspace.headers,
    )
    assert _error(response, 400) == {
        "code": "parameter_invalid",
        "message": "The owner specified is not a member of the workspace",
        "field": "owner_id",
    }
    mine = _create(client, workspace, email="o@example.com", owner_id=str(workspace.owner_id))
    assert mine["owner_id"] == workspace.owner_id


@pytest.mark.parametrize("raw", [b"", b"not json", b"[1, 2]", b'"text"', b'{"email": '])
def test_create_refuses_bodies_that_are_not_objects(
    client: TestClient, workspace: Workspace, raw: bytes
) -> None:
    response = client.post(
        "/contacts",
        content=raw,
        headers={**workspace.headers, "Content-Type": "application/json"},
    )
    assert _error(response, 400)["code"] in ("parameter_invalid", "parameter_not_found")


def _waits_in_the_database(db: Database, thread: threading.Thread) -> bool:
    """Whether `thread` is blocked inside a statement (for up to 10 s): its innermost frames
    are in the driver's execute, and on PostgreSQL a backend is waiting for a lock."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and thread.is_alive():
        frame = sys._current_frames().get(thread.ident or 0)
        executing = False
        while frame is not None:
            if frame.f_code.co_name == "do_execute" and "sqlalchemy" in frame.f_code.co_filename:
                executing = True
                break
            frame = frame.f_back
        if executing and (db.is_sqlite or _postgres_lock_waiters(db) > 0):
            return True
        time.sleep(0.01)
    return False


def _postgres_lock_waiters(db: Database) -> int:
    with db.engine.connect() as connection:
        found = connection.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        ).scalar()
        connection.rollback()
    return int(found or 0)


def test_concurrent_creates_of_one_user_queue_and_the_second_conflicts(
    db: Database, workspace: Workspace
) -> None:
    """The uniqueness check runs under the workspace lock: a second writer waits, then sees 409."""
    fields = contacts.ContactFields(given=frozenset({"email"}), email="race@example.com")
    outcome: list[object] = []

    def second() -> None:
        with db.write_session() as session:
            try:
                contacts.create_contact(
                    session, workspace_id=workspace.id, now=TEST_NOW, fields=fields
                )
                session.commit()
                outcome.append("created")
            except Conflict as exc:
                outcome.append(exc)

    with db.write_session() as first:
        contacts.create_contact(first, workspace_id=workspace.id, now=TEST_NOW, fields=fields)
        thread = threading.Thread(target=second)
        thread.start()
        # Proved, not timed: the second writer is inside a statement the first one blocks.
        assert _waits_in_the_database(db, thread), "the second writer must wait for the first"
        assert outcome == []
        first.commit()
    thread.join(timeout=30)
    assert len(outcome) == 1 and isinstance(outcome[0], Conflict)


# Update


def test_update_changes_given_fields_and_merges_attributes(
    client: TestClient, db: Database, workspace: Workspace
) -> None:
    created = _create(
        client,
        workspace,
        email="joe@example.com",
        phone="+1",
        name="Joe",
        custom_attributes={"plan": "free", "seats": 1},
    )
    response = client.put(
        f"/contacts/{created['id']}",
        json={
            "name": "joe bloggs",
            "phone": None,
            "signed_up_at": 1734537421,
            "custom_attributes": {"plan": "pro", "region": "eu"},
        },
        headers=workspace.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert_valid(response_schema_name("/contacts/{contact_id}", "put", "200"), body)
    assert body["name"] == "joe bloggs" and body["phone"] is None
    assert body["email"] == "joe@example.com" and body["signed_up_at"] == 1734537421
    assert body["custom_attributes"] == {"plan": "pro", "seats": 1, "region": "eu"}
    assert client.get(f"/contacts/{created['id']}", headers=workspace.headers).json() == body


def test_update_with_empty_body_changes_nothing(
    client: TestClient, db: Database, workspace: Workspace
) -> None:
    created = _create(client, workspace, email="same@example.com")
    version = _data_version(db, workspace)
    for content in (b"", b"{}"):
        response = client.put(
            f"/contacts/{created['id']}", content=content, headers=workspace.headers
        )
        assert response.status_code == 200 and response.json() == created
    assert _data_version(db, workspace) == version


def test_update_unknown_or_foreign_contact_is_404(
    client: TestClient, db: Database, workspace: Workspace, other_workspace: Workspace
) -> None:
    theirs = make_contact(db, other_workspace, now=TEST_NOW, email="t@example.com")
    for contact_id in (theirs, "0123456789abcdef01234567", "nope", theirs.upper(), "a%00b"):
        for response in (
            client.put(f"/contacts/{contact_id}", json={"name": "x"}, headers=workspace.headers),
            client.delete(f"/contacts/{contact_id}", headers=workspace.headers),
        ):
            assert _error(response, 404) == {"code": "not_found", "message": "Resource Not Found"}
    theirs_now = client.get(f"/contacts/{theirs}", headers=other_workspace.headers).json()
    assert theirs_now["name"] is None


def test_update_into_another_users_identity_is_409(
    client: TestClient, workspace: Workspace
) -> None:
    taken = _create(client, workspace, email="taken@example.com", external_id="ext-taken")
    mine = _create(client, workspace, email="mine@example.com")
    for fields in ({"email": "TAKEN@example.com"}, {"external_id": "ext-taken"}):
        response = client.put(f"/contacts/{mine['id']}", json=fields, headers=workspace.headers)
        assert _error(response, 409)["message"].endswith(f"id={taken['id']}")
    # Changing the case of one's own email, or keeping one's own external id, is fine.
    same = client.put(
        f"/contacts/{taken['id']}",
        json={"email": "Taken@Example.com", "external_id": "ext-taken"},
        headers=workspace.headers,
    )
    assert same.status_code == 200 and same.json()["email"] == "Taken@Example.com"


def test_lead_becoming_a_user_is_checked_for_duplicates(
    client: TestClient, workspace: Workspace
) -> None:
    user = _create(client, workspace, email="both@example.com")
    lead = _create(client, workspace, role="lead", email="both@example.com")
    response = client.put(
        f"/contacts/{lead['id']}", json={"role": "user"}, headers=workspace.headers
    )
    assert _error(response, 409)["message"].endswith(f"id={user['id']}")
    for role in (None, "admin"):
        bad = client.put(f"/contacts/{lead['id']}", json={"role": role}, headers=workspace.headers)
        assert _error(bad, 400)["field"] == "role"
    other = _create(client, workspace, role="lead", email="other@example.com")
    promoted = client.put(
        f"/contacts/{other['id']}", json={"role": "user"}, headers=workspace.headers
    )
    assert promoted.status_code == 200 and promoted.json()["role"] == "user"


def test_update_refuses_bad_fields_and_writes_nothing(
    client: TestClient, workspace: Workspace
) -> None:
    created = _create(client, workspace, email="keep@example.com", name="Keep")
    for fields in (
        {"name": "changed", "email": "bad"},
        {"name": "changed", "owner_id": 123456789},
        {"name": "changed", "custom_attributes": "nope"},
    ):
        response = client.put(f"/contacts/{created['id']}", json=fields, headers=workspace.headers)
        assert _error(response, 400)["code"] == "parameter_invalid"
    shown = client.get(f"/contacts/{created['id']}", headers=workspace.headers).json()
    assert shown == created


# Data version and the conversation list


def test_identity_writes_bump_the_data_version(
    client: TestClient, db: Database, workspace: Workspace
) -> None:
    version = _data_version(db, workspace)
    created = _create(client, workspace, email="v@example.com")
    assert _data_version(db, workspace) == version + 1
    client.put(f"/contacts/{created['id']}", json={"name": "n"}, headers=workspace.headers)
    assert _data_version(db, workspace) == version + 1
    client.put(
        f"/contacts/{created['id']}", json={"email": "w@example.com"}, headers=workspace.headers
    )
    assert _data_version(db, workspace) == version + 2
    client.put(f"/contacts/{created['id']}", json={"external_id": "e"}, headers=workspace.headers)
    assert _data_version(db, workspace) == version + 3
    client.delete(f"/contacts/{created['id']}", headers=workspace.headers)
    assert _data_version(db, workspace) == version + 4


def test_conversation_list_follows_email_changes(
    client: TestClient, db: Database, workspace: Workspace
) -> None:
    created = _create(client, workspace, email="before@example.com")
    make_conversation(
        db,
        workspace,
        ConversationSpec(created_at=TEST_NOW, contact_id=created["id"]),
        now=TEST_NOW,
    )

    def by_email(email: str) -> Any:
        return client.get(
            "/conversations", params={"type": "user", "email": email}, headers=workspace.headers
        )

    assert by_email("before@example.com").json()["total_count"] == 1
    client.put(
        f"/contacts/{created['id']}",
        json={"email": "after@example.com"},
        headers=workspace.headers,
    )
    assert by_email("after@example.com").json()["total_count"] == 1
    assert by_email("before@example.com").status_code == 404


# Delete


def test_delete_answers_contact_deleted_and_unlinks_conversations(
    client: TestClient, db: Database, workspace: Workspace
) -> None:
    contact = make_contact(db, workspace, now=TEST_NOW, external_id="70", email="d@example.com")
    tag = make_tag(db, workspace, now=TEST_NOW)
    conversation = make_conversation(
        db, workspace, ConversationSpec(created_at=TEST_NOW, contact_id=contact), now=TEST_NOW
    )
    response = client.delete(f"/contacts/{contact}", headers=workspace.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body == {"type": "contact", "id": contact, "external_id": "70", "deleted": True}
    assert_valid("contact_deleted", body)
    assert client.get(f"/contacts/{contact}", headers=workspace.headers).status_code == 404
    assert client.delete(f"/contacts/{contact}", headers=workspace.headers).status_code == 404
    # The conversation stays, without the contact.
    shown = client.get(f"/conversations/{conversation}", headers=workspace.headers)
    assert shown.status_code == 200, shown.text
    assert shown.json()["contacts"]["contacts"] == []
    listed = client.get("/conversations", headers=workspace.headers).json()
    assert listed["total_count"] == 1
    # The tag itself is not the contact's to delete.
    assert client.get(f"/tags/{tag}", headers=workspace.headers).status_code == 200


# List


def test_list_pages_by_cursor_oldest_first(
    client: TestClient, db: Database, workspace: Workspace, other_workspace: Workspace
) -> None:
    ids = [make_contact(db, workspace, now=TEST_NOW - 100 + i // 2) for i in range(7)]
    make_contact(db, other_workspace, now=TEST_NOW)
    expected = sorted(ids, key=lambda c: (TEST_NOW - 100 + ids.index(c) // 2, c))
    seen: list[str] = []
    params: dict[str, Any] = {"per_page": 3}
    pages: list[dict[str, Any]] = []
    while True:
        response = client.get("/contacts", params=params, headers=workspace.headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert_valid(response_schema_name("/contacts", "get", "200"), body)
        assert body["type"] == "list" and body["total_count"] == 7
        seen += [c["id"] for c in body["data"]]
        pages.append(body["pages"])
        if "next" not in body["pages"]:
            break
        params = {"per_page": 3, "starting_after": body["pages"]["next"]["starting_after"]}
    assert seen == expected
    assert [p["page"] for p in pages] == [1, 2, 3]
    assert all(p["total_pages"] == 3 and p["per_page"] == 3 for p in pages)
    assert pages[0]["next"]["page"] == 2


def test_list_defaults_to_fifty_and_validates_parameters(
    client: TestClient, db: Database, workspace: Workspace, other_workspace: Workspace
) -> None:
    empty = client.get("/contacts", headers=workspace.headers).json()
    assert empty == {
        "type": "list",
        "data": [],
        "total_count": 0,
        "pages": {"type": "pages", "page": 1, "per_page": 50, "total_pages": 0},
    }
    for per_page in ("0", "151", "abc", "-1", "1.5"):
        response = client.get("/contacts", params={"per_page": per_page}, headers=workspace.headers)
        assert _error(response, 400)["field"] == "per_page"
    nul = client.get("/contacts", params={"starting_after": "a\x00.b"}, headers=workspace.headers)
    assert _error(nul, 400)["code"] == "parameter_invalid"
    for cursor in ("garbage", "e30.AAAA", "x" * 5000, "é.é"):
        response = client.get(
            "/contacts", params={"starting_after": cursor}, headers=workspace.headers
        )
        assert _error(response, 400) == {
            "code": "parameter_invalid",
            "message": "starting_after is not a valid cursor",
            "field": "starting_after",
        }


def test_list_refuses_cursors_of_other_workspaces_and_lists(
    client: TestClient, db: Database, workspace: Workspace, other_workspace: Workspace
) -> None:
    for ws in (workspace, other_workspace):
        contact = make_contact(db, ws, now=TEST_NOW)
        make_contact(db, ws, now=TEST_NOW + 1)
        for i in range(2):
            make_conversation(
                db,
                ws,
                ConversationSpec(created_at=TEST_NOW + i, contact_id=contact),
                now=TEST_NOW,
            )
    theirs = client.get("/contacts", params={"per_page": 1}, headers=other_workspace.headers)
    conversations = client.get("/conversations", params={"per_page": 1}, headers=workspace.headers)
    for cursor in (
        theirs.json()["pages"]["next"]["starting_after"],
        conversations.json()["pages"]["next"]["starting_after"],
    ):
        response = client.get(
            "/contacts", params={"starting_after": cursor}, headers=workspace.headers
        )
        assert _error(response, 400)["field"] == "starting_after"


def test_list_shows_contact_tags(client: TestClient, db: Database, workspace: Workspace) -> None:
    from parlour.db.models import ContactTag

    contact = make_contact(db, workspace, now=TEST_NOW)
    tag = make_tag(db, workspace, now=TEST_NOW, name="VIP")
    with db.write_session() as session:
        session.add(
            ContactTag(contact_id=contact, tag_id=tag, workspace_id=workspace.id, applied_at=1)
        )
        session.commit()
    body = client.get("/contacts", headers=workspace.headers).json()
    assert body["data"][0]["tags"]["data"] == [
        {"type": "tag", "id": str(tag), "url": f"/tags/{tag}"}
    ]


# Nothing a client sends is a 500

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
field_names = st.sampled_from(
    [
        "role",
        "external_id",
        "email",
        "phone",
        "name",
        "avatar",
        "signed_up_at",
        "last_seen_at",
        "owner_id",
        "unsubscribed_from_emails",
        "custom_attributes",
        "other",
    ]
)
interesting = st.sampled_from(
    ["user", "lead", "a@b.co", "A@B.CO", "", "\x00", "x" * 300, "1", 1, -1, 2**63, 0.5, "é"]
)
bodies = st.dictionaries(field_names, st.one_of(interesting, json_values), max_size=6)


@pytest.fixture(scope="module")
def fuzz_contact(db: Database) -> tuple[Workspace, str]:
    from tests.factories import make_workspace

    ws = make_workspace(db, now=TEST_NOW, name="Fuzz contacts")
    return ws, make_contact(db, ws, now=TEST_NOW, email="a@b.co", external_id="1")


def _never_500(response: Any) -> None:
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        body = response.json()
        assert body["type"] == "error.list"
        assert all(e["code"] and e["message"] for e in body["errors"])


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=bodies)
def test_contact_writes_never_fail(
    client: TestClient, fuzz_contact: tuple[Workspace, str], body: dict[str, Any]
) -> None:
    ws, contact = fuzz_contact
    _never_500(client.post("/contacts", json=body, headers=ws.headers))
    _never_500(client.put(f"/contacts/{contact}", json=body, headers=ws.headers))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(per_page=st.one_of(st.none(), st.text(max_size=12)), cursor=st.text(max_size=40))
def test_contact_list_never_fails(
    client: TestClient, fuzz_contact: tuple[Workspace, str], per_page: str | None, cursor: str
) -> None:
    ws, _ = fuzz_contact
    params = {"starting_after": cursor}
    if per_page is not None:
        params["per_page"] = per_page
    _never_500(client.get("/contacts", params=params, headers=ws.headers))
