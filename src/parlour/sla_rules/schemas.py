"""SLA rules as JSON: Intercom's `sla_rule` object (Preview API), plus Parlour's settings."""

from __future__ import annotations

from typing import Any

from parlour.db.models import SlaPolicy


def sla_rule(rule: SlaPolicy) -> dict[str, Any]:
    """An `sla_rule`. `office_hours` and `apply_to_new_conversations` are Parlour's own."""
    return {
        "type": "sla_rule",
        "id": str(rule.id),
        "name": rule.name,
        "created_at": rule.created_at,
        "updated_at": rule.updated_at,
        "archived": rule.archived_at is not None,
        "archived_at": rule.archived_at,
        "first_reply_time_in_seconds": rule.first_reply_seconds,
        "next_reply_time_in_seconds": rule.next_reply_seconds,
        "time_to_close_in_seconds": rule.time_to_close_seconds,
        # Tickets and phone calls are not modelled: these targets never apply.
        "resolution_time_in_seconds": None,
        "speed_of_answer_in_seconds": None,
        "office_hours": rule.office_hours,
        "apply_to_new_conversations": rule.apply_to_new,
    }


def sla_rule_list(rules: list[SlaPolicy]) -> dict[str, Any]:
    """An `sla_rule.list`."""
    return {"type": "sla_rule.list", "data": [sla_rule(r) for r in rules]}
