"""`ReadRoute`: hot GETs served without FastAPI's dispatch, with the same contract."""

from __future__ import annotations

import pytest
from fastapi import FastAPI, Request
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


def test_hot_reads_are_served_under_a_root_path(app: FastAPI, workspace: Workspace) -> None:
    """Behind a proxy mounting the API under a prefix (uvicorn `--root-path`), the edge
    matches the hot routes on the path below it, as Starlette's router would."""
    with TestClient(app, root_path="/intercom", raise_server_exceptions=False) as client:
        listed = client.get("/intercom/conversations", headers=workspace.headers)
        assert listed.status_code == 200
        assert listed.json()["type"] == "conversation.list"
        missing = client.get("/intercom/conversations/999999", headers=workspace.headers)
        assert missing.status_code == 404
        assert missing.json()["errors"][0]["code"] == "not_found"
        me = client.get("/intercom/me", headers=workspace.headers)
        assert me.status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "root_path", "expected"),
    [
        ("GET", "/conversations", "", ("listConversations", {})),
        ("HEAD", "/conversations", "", None),  # FastAPI routes take no HEAD
        ("GET", "/conversations/12", "", ("retrieveConversation", {"conversation_id": "12"})),
        ("GET", "/api/conversations/7", "/api", ("retrieveConversation", {"conversation_id": "7"})),
        ("GET", "/api/conversations", "/api", ("listConversations", {})),
        ("POST", "/conversations", "", None),
        ("PUT", "/conversations/12", "", None),
        ("GET", "/conversations/12/parts", "", None),
        ("GET", "/conversations/", "", None),
        ("GET", "/me", "", None),
    ],
)
def test_the_edge_matches_exactly_the_hot_routes(
    app: FastAPI, method: str, path: str, root_path: str, expected: tuple[str, dict] | None
) -> None:
    """What the edge serves itself; anything else goes on to FastAPI's router."""
    edge = app.build_middleware_stack()
    scope = {"type": "http", "method": method, "path": path, "root_path": root_path}
    handle = edge._hot_route(scope)  # type: ignore[attr-defined]
    if expected is None:
        assert handle is None
        return
    operation, params = expected
    assert handle == scope["route"].app  # the ReadRoute's own serve, method already matched
    assert scope["route"].operation_id == operation
    assert scope["path_params"] == params
