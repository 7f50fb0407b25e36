"""Searching custom attributes for numbers: a list mixing integers and fractions.

Found by `test_search_property` on PostgreSQL: SQLAlchemy typed an `IN` list's bound values
by its first item, so `IN [0, 129.5]` was sent as `IN (0::INTEGER, 129.5::INTEGER)`, and
129.5 became 130 (missing matches) while `IN [1, 2.4]` matched a stored 2 (extra matches).
"""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from parlour.db.session import Database
from tests.conftest import TEST_NOW
from tests.factories import ConversationSpec, Workspace, make_contact, make_conversation


def _ids(client: TestClient, ws: Workspace, operator: str, value: Any) -> set[str]:
    query = {"field": "custom_attributes.Plan", "operator": operator, "value": value}
    body = {"query": query, "pagination": {"per_page": 150}}
    response = client.post("/conversations/search", json=body, headers=ws.headers)
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["total_count"] == len(page["conversations"])
    return {c["id"] for c in page["conversations"]}


def test_a_list_of_numbers_keeps_each_numbers_value(
    client: TestClient, db: Database, workspace: Workspace
) -> None:
    contact = make_contact(db, workspace, now=TEST_NOW)
    plans: dict[str, Any] = {
        "fraction": 129.5,
        "two": 2,
        "zero": 0,
        "tenth": 0.1,
        "text": "2.4",
        "none": None,
    }
    made = {
        name: str(
            make_conversation(
                db,
                workspace,
                ConversationSpec(
                    created_at=TEST_NOW - i,
                    contact_id=contact,
                    custom_attributes={} if plan is None else {"Plan": plan},
                ),
                now=TEST_NOW,
            )
        )
        for i, (name, plan) in enumerate(plans.items())
    }

    def ids(operator: str, value: Any) -> set[str]:
        return _ids(client, workspace, operator, value)

    def named(*names: str) -> set[str]:
        return {made[n] for n in names}

    assert ids("IN", [0, 129.5]) == named("zero", "fraction")
    assert ids("IN", [0, 0, 129.5, 0]) == named("zero", "fraction")
    assert ids("IN", [0, 0.1]) == named("zero", "tenth")
    assert ids("IN", [1, 2.4]) == set()  # not the stored 2, nor the string "2.4"
    assert ids("IN", [2, 2.0]) == named("two")
    assert ids("NIN", [1, 2.4]) == set(made.values())
    assert ids("NIN", [0, 129.5]) == named("two", "tenth", "text", "none")
    assert ids("=", 129.5) == named("fraction")
    assert ids(">", 2) == named("fraction")
    assert ids("<", 0.5) == named("zero", "tenth")
