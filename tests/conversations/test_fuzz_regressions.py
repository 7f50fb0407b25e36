"""What schemathesis found (tests/fuzz), pinned on both databases."""

from __future__ import annotations

from typing import Any

from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4
from starlette.testclient import TestClient

from parlour.db.session import Database
from tests.conftest import TEST_NOW
from tests.factories import ConversationSpec, Workspace, make_contact, make_conversation


def _violations(document: dict[str, Any], name: str, body: Any) -> list[str]:
    registry = Registry().with_resource(
        "urn:parlour", Resource.from_contents(document, default_specification=DRAFT4)
    )
    validator = OAS30Validator(
        {"$ref": f"urn:parlour#/components/schemas/{name}"}, registry=registry
    )
    return [error.message for error in validator.iter_errors(body)]


def test_float_and_boolean_custom_attributes_are_documented(
    client: TestClient, db: Database, workspace: Workspace
) -> None:
    """Intercom's description allows only strings, integers, dates and object lists as custom
    attribute values, yet its own example (and its data attribute types) has floats and
    booleans. A fuzzed 31-digit integer (parsed as the float -1.085e30) made a 200 violate
    the document; `/openapi.json` now lists numbers and booleans too."""
    contact = make_contact(db, workspace, now=TEST_NOW)
    cid = make_conversation(
        db, workspace, ConversationSpec(created_at=TEST_NOW, contact_id=contact), now=TEST_NOW
    )
    attributes = {
        "n": -1085029446607582886563372072960,
        "monthly_spend": 155.5,
        "paid_subscriber": True,
        "team_mates": 9,
    }
    response = client.put(
        f"/conversations/{cid}",
        json={"custom_attributes": attributes},
        headers=workspace.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["custom_attributes"]["paid_subscriber"] is True
    assert body["custom_attributes"]["monthly_spend"] == 155.5
    document = client.get("/openapi.json").json()
    assert _violations(document, "conversation", body) == []


def test_duplicate_sla_rule_name_with_non_ascii_capitals_is_a_409_not_a_500(
    client: TestClient, workspace: Workspace
) -> None:
    """SQLite's lower() folds ASCII only: the second `…Ø` rule slipped past the duplicate
    check and hit the unique constraint (500 on SQLite, 409 on PostgreSQL)."""
    rule = {"name": "ââ÷\U000d4b2fbሺ\x90\"Ø", "first_reply_time_in_seconds": 405}
    first = client.post("/parlour/sla_rules", json=rule, headers=workspace.headers)
    assert first.status_code == 200, first.text
    again = client.post("/parlour/sla_rules", json=rule, headers=workspace.headers)
    assert again.status_code == 409, again.text
    assert again.json()["errors"][0]["code"] == "conflict"
    other_case = client.post(
        "/parlour/sla_rules", json={**rule, "name": "Émile"}, headers=workspace.headers
    )
    assert other_case.status_code == 200, other_case.text
