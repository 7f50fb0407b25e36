"""Cross-cutting HTTP behaviour: auth, error.list, request ids, rate limits, unknown routes."""

from __future__ import annotations

import base64
import logging
import uuid

import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

from parlour.api.handlers import new_request_id
from parlour.app import create_app
from parlour.core.clock import FrozenClock
from parlour.db.session import Database
from parlour.workspaces import repository as workspace_repo
from tests.conftest import TEST_NOW, make_settings
from tests.factories import Workspace, make_workspace


def _only_error(response: object) -> dict[str, object]:
    body = response.json()  # type: ignore[attr-defined]
    assert body["type"] == "error.list"
    assert body["request_id"]
    assert len(body["errors"]) == 1
    return body["errors"][0]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": "Token abc"},
        {"Authorization": "Basic !!!"},
        {"Authorization": "Bearer " + "x" * 2000},
    ],
)
def test_missing_or_invalid_token_is_401(client: TestClient, headers: dict[str, str]) -> None:
    response = client.get("/conversations", headers=headers)
    assert response.status_code == 401
    assert _only_error(response) == {"code": "unauthorized", "message": "Access Token Invalid"}


def test_basic_auth_with_token_as_username(client: TestClient, workspace: Workspace) -> None:
    encoded = base64.b64encode(f"{workspace.token}:".encode()).decode()
    response = client.get("/me", headers={"Authorization": f"Basic {encoded}"})
    assert response.status_code == 200


def test_revoked_token_stops_working_at_once(client: TestClient, db: Database) -> None:
    ws = make_workspace(db, now=TEST_NOW)
    assert client.get("/me", headers=ws.headers).status_code == 200
    with db.write_session() as session:
        token_id = workspace_repo.list_tokens(session, ws.id)[0].id
        assert workspace_repo.revoke_token(session, ws.id, token_id, TEST_NOW)
        session.commit()
    assert client.get("/me", headers=ws.headers).status_code == 401


def test_tokens_are_stored_hashed(db: Database, workspace: Workspace) -> None:
    with db.read_session() as session:
        stored = [t.token_hash for t in workspace_repo.list_tokens(session, workspace.id)]
    assert workspace.token not in stored
    assert all(len(h) == 64 for h in stored)


def test_request_id_is_echoed_or_made(client: TestClient, workspace: Workspace) -> None:
    mine = client.get("/me", headers={**workspace.headers, "X-Request-Id": "abc-123"})
    assert mine.headers["x-request-id"] == "abc-123"
    made = client.get("/me", headers=workspace.headers)
    uuid.UUID(made.headers["x-request-id"])
    bad = client.get("/nope", headers={"X-Request-Id": "bad id with spaces"})
    assert bad.json()["request_id"] == bad.headers["x-request-id"] != "bad id with spaces"


def test_made_request_ids_are_random_uuids() -> None:
    """The form of Intercom's request ids: canonical text of a version 4, RFC 4122 UUID."""
    made = [new_request_id() for _ in range(2000)]
    assert len(set(made)) == len(made)
    for text in made:
        parsed = uuid.UUID(text)
        assert str(parsed) == text
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
    # Every variant digit occurs (8, 9, a, b), so no bit of randomness is lost to it.
    assert {text[19] for text in made} == set("89ab")


def test_request_id_is_echoed_or_made_on_hot_reads(
    client: TestClient, workspace: Workspace
) -> None:
    mine = client.get("/conversations", headers={**workspace.headers, "X-Request-Id": "l-1"})
    assert mine.status_code == 200
    assert mine.headers["x-request-id"] == "l-1"
    made = client.get("/conversations", headers=workspace.headers)
    assert uuid.UUID(made.headers["x-request-id"]).version == 4


def test_error_request_id_matches_header(client: TestClient) -> None:
    response = client.get("/conversations", headers={"X-Request-Id": "req-42"})
    assert response.json()["request_id"] == "req-42" == response.headers["x-request-id"]


def test_rate_limit_headers_on_success(client: TestClient, workspace: Workspace) -> None:
    response = client.get("/me", headers=workspace.headers)
    for name in ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"):
        assert response.headers[name].isdigit()


def test_rate_limit_answers_429_with_headers(database_url: str, db: Database) -> None:
    clock = FrozenClock(TEST_NOW)
    app = create_app(make_settings(database_url, rate_limit=3, rate_limit_window=10), clock=clock)
    ws = make_workspace(db, now=TEST_NOW)
    with TestClient(app) as client:
        statuses = [client.get("/me", headers=ws.headers).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        limited = client.get("/me", headers=ws.headers)
        assert _only_error(limited) == {
            "code": "rate_limit_exceeded",
            "message": "Exceeded rate limit of 3 in 10_seconds",
        }
        assert limited.headers["x-ratelimit-limit"] == "3"
        assert limited.headers["x-ratelimit-remaining"] == "0"
        assert int(limited.headers["x-ratelimit-reset"]) > TEST_NOW
        clock.advance(10)
        assert client.get("/me", headers=ws.headers).status_code == 200


def test_unknown_route_is_404(client: TestClient, workspace: Workspace) -> None:
    response = client.get("/definitely/not/intercom", headers=workspace.headers)
    assert response.status_code == 404
    assert _only_error(response)["code"] == "not_found"


def test_intercom_route_not_served_yet_is_501(client: TestClient, workspace: Workspace) -> None:
    response = client.post("/companies", headers=workspace.headers, json={})
    assert response.status_code == 501
    error = _only_error(response)
    assert error["code"] == "not_implemented"
    assert "POST /companies" in str(error["message"])


def test_wrong_method_on_known_path_is_405(client: TestClient, workspace: Workspace) -> None:
    response = client.patch("/conversations", headers=workspace.headers)
    assert response.status_code == 405
    assert _only_error(response)["code"] == "method_not_allowed"


def test_oversized_body_is_413(client: TestClient, workspace: Workspace) -> None:
    response = client.post(
        "/conversations/search", headers=workspace.headers, content=b"x" * 2_000_000
    )
    assert response.status_code == 413
    assert _only_error(response)["code"] == "request_too_large"


def test_unexpected_exception_is_a_logged_500(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    app: FastAPI = create_app(make_settings(database_url))

    @app.get("/boom-for-test")
    async def boom() -> None:
        raise RuntimeError("kaboom")

    # The catch-all route was registered first; move the new route ahead of it.
    app.router.routes.insert(0, app.router.routes.pop())
    with TestClient(app, raise_server_exceptions=False) as client, caplog.at_level(logging.ERROR):
        response = client.get("/boom-for-test", headers={"X-Request-Id": "boom-1"})
    assert response.status_code == 500
    assert _only_error(response) == {
        "code": "server_error",
        "message": "An unexpected error occurred",
    }
    assert response.json()["request_id"] == "boom-1" == response.headers["x-request-id"]
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert any("boom-1" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("path", "params", "status", "code"),
    [
        ("/conversations", {"type": "user", "user_id": "\x00"}, 400, "parameter_invalid"),
        ("/conversations", {"type": "user", "email": "a\x00@x.io"}, 400, "parameter_invalid"),
        ("/contacts/abc%00def", {}, 404, "not_found"),
        ("/admins/%00", {}, 404, "not_found"),
    ],
)
def test_nul_characters_are_refused_cleanly(
    client: TestClient,
    workspace: Workspace,
    path: str,
    params: dict[str, str],
    status: int,
    code: str,
) -> None:
    """NUL in a query is a 400 and in a path a 404, on PostgreSQL too (text cannot hold it)."""
    response = client.get(path, params=params, headers=workspace.headers)
    assert response.status_code == status
    assert _only_error(response)["code"] == code


@pytest.mark.parametrize("path", ["/conversations/0/", "/tags/1/", "/contacts/abc/"])
def test_trailing_slash_on_served_path_is_404(
    client: TestClient, workspace: Workspace, path: str
) -> None:
    """A served path with a trailing slash is no route (404), not a 501 'not implemented'."""
    response = client.get(path, headers=workspace.headers)
    assert response.status_code == 404
    assert _only_error(response)["code"] == "not_found"


def test_encoded_hash_in_a_path_is_not_cut_short(client: TestClient, workspace: Workspace) -> None:
    """`/conversations/0%23%2F` is the path `/conversations/0#/`: no such route, so 404."""
    response = client.get("/conversations/0%23%2F", headers=workspace.headers)
    assert response.status_code == 404, response.text
