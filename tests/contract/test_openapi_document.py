"""`/openapi.json` describes what Parlour really sends, built from Intercom's own description."""

from __future__ import annotations

from typing import Any

from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4
from starlette.testclient import TestClient

from tests.contract.openapi_slice import SHIPPED, render
from tests.factories import Workspace


def test_shipped_intercom_slice_is_up_to_date() -> None:
    """The packaged slice is exactly what the vendored spec gives (regenerate if not)."""
    assert SHIPPED.read_text() == render(), "run: python -m tests.contract.openapi_slice"


def _document(client: TestClient) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def test_every_route_is_described_with_bodies_errors_and_bearer_auth(client: TestClient) -> None:
    document = _document(client)
    assert document["openapi"].startswith("3.0")
    assert document["security"] == [{"bearerAuth": []}]
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    operations = [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]
    assert len(operations) == 40
    for method, path, operation in operations:
        label = f"{method.upper()} {path}"
        responses = operation["responses"]
        assert "422" not in responses or operation["operationId"] == (
            "detachContactFromConversation"
        ), f"{label}: FastAPI's default 422"
        for status in ("400", "401", "413", "429"):
            schema = responses[status]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/error_list"}, label
        success = responses["200"]
        if operation["operationId"] != "deleteTag":  # 200 with an empty body, as Intercom
            assert "schema" in success["content"]["application/json"], label
            assert success["content"]["application/json"]["schema"] != {"type": "string"}
        if method in ("post", "put") and operation["operationId"] not in (
            "autoAssignConversation",
            "replayWebhookDelivery",
        ):
            assert "requestBody" in operation, f"{label} has no request body"


def test_links_chain_created_resources(client: TestClient) -> None:
    paths = _document(client)["paths"]
    links = paths["/conversations"]["post"]["responses"]["200"]["links"]
    assert links["replyConversation"]["parameters"] == {
        "conversation_id": "$response.body#/conversation_id"
    }
    contact_links = paths["/contacts"]["post"]["responses"]["200"]["links"]
    assert contact_links["createConversation"]["requestBody"]["from"]["id"] == (
        "$response.body#/id"
    )


def _validator(document: dict[str, Any], name: str) -> OAS30Validator:
    registry = Registry().with_resource(
        "urn:parlour", Resource.from_contents(document, default_specification=DRAFT4)
    )
    return OAS30Validator({"$ref": f"urn:parlour#/components/schemas/{name}"}, registry=registry)


def test_parlour_objects_validate_against_their_documented_schemas(
    client: TestClient, workspace: Workspace
) -> None:
    document = _document(client)
    headers = workspace.headers
    rule = client.post(
        "/parlour/sla_rules",
        json={
            "name": "Doc",
            "first_reply_time_in_seconds": 60,
            "office_hours": {"timezone": "UTC", "hours": {"monday": [["09:00", "17:00"]]}},
        },
        headers=headers,
    )
    hook = client.post(
        "/parlour/webhooks",
        json={"url": "https://example.com/h", "topics": ["conversation.admin.replied"]},
        headers=headers,
    )
    checks = [
        ("sla_rule", rule.json()),
        ("sla_rule_list", client.get("/sla_rules", headers=headers).json()),
        ("webhook_subscription", hook.json()),
        ("webhook_subscription_list", client.get("/parlour/webhooks", headers=headers).json()),
        ("webhook_delivery_list",
         client.get("/parlour/webhook_deliveries", headers=headers).json()),
        ("error_list", client.get("/conversations/nope", headers=headers).json()),
    ]  # fmt: skip
    for name, body in checks:
        problems = [e.message for e in _validator(document, name).iter_errors(body)]
        assert not problems, f"{name}: {problems}"
