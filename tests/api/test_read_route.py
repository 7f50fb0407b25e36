"""`ReadRoute`: hot GETs served without FastAPI's dispatch, with the same contract."""

from __future__ import annotations

import pytest
from fastapi import Request
from starlette.testclient import TestClient

from parlour.api.deps import ReadCall
from parlour.api.read_route import ReadRoute, read_router
from parlour.api.responses import JsonResponse
from parlour.db.session import Database
from tests.factories import Workspace


def test_a_handler_with_other_parameters_is_refused() -> None:
    async def handler(request: Request, call: ReadCall, per_page: int) -> JsonResponse:
        raise AssertionError

    with pytest.raises(TypeError, match="takes exactly"):
        ReadRoute("/things", handler, methods=["GET"])


def test_a_converted_path_parameter_is_refused() -> None:
    async def handler(request: Request, call: ReadCall, thing_id: str) -> JsonResponse:
        raise AssertionError

    with pytest.raises(TypeError, match="must be str"):
        ReadRoute("/things/{thing_id:int}", handler, methods=["GET"])


def test_read_router_makes_read_routes() -> None:
    router = read_router()

    @router.get("/things/{thing_id}")
    async def handler(request: Request, call: ReadCall, thing_id: str) -> JsonResponse:
        return JsonResponse({"id": thing_id})

    assert [type(r) for r in router.routes] == [ReadRoute]


def test_hot_reads_are_matched_first_and_still_documented(client: TestClient) -> None:
    app = client.app
    first = app.router.routes[:2]  # type: ignore[attr-defined]
    assert all(isinstance(r, ReadRoute) for r in first)
    assert {r.path for r in first} == {"/conversations", "/conversations/{conversation_id}"}
    operations = client.get("/openapi.json").json()["paths"]
    assert operations["/conversations"]["get"]["operationId"] == "listConversations"
    retrieve = operations["/conversations/{conversation_id}"]["get"]
    assert retrieve["operationId"] == "retrieveConversation"


def test_errors_are_intercom_errors_and_the_read_ends(
    client: TestClient, db: Database, workspace: Workspace
) -> None:
    missing = client.get("/conversations/999999999", headers=workspace.headers)
    assert missing.status_code == 404
    assert missing.json()["type"] == "error.list"
    assert missing.json()["errors"][0]["code"] == "not_found"
    bad = client.get("/conversations", params={"per_page": "0"}, headers=workspace.headers)
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["code"] == "parameter_invalid"
    assert bad.json()["errors"][0]["field"] == "per_page"  # as the app's handlers render it
    assert bad.json()["request_id"] == bad.headers["x-request-id"]
    ok = client.get("/conversations", headers=workspace.headers)
    assert ok.status_code == 200
    assert {"x-request-id", "x-ratelimit-limit", "x-ratelimit-remaining"} <= set(ok.headers)
    unauthorized = client.get("/conversations", headers={"Authorization": "Bearer nope"})
    assert unauthorized.status_code == 401
    assert unauthorized.json()["errors"][0]["code"] == "unauthorized"
    assert client.app.state.parlour.db.open_reads == 0  # type: ignore[attr-defined]
    # Other methods on a hoisted path still reach their own routes.
    put = client.put("/conversations/999999999", json={}, headers=workspace.headers)
    assert put.status_code in (400, 404)
    patch = client.patch("/conversations/1", json={}, headers=workspace.headers)
    assert patch.status_code == 405
    assert patch.json()["type"] == "error.list"
