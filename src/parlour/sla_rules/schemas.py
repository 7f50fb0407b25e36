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


# OpenAPI 3.0 component schemas for `/openapi.json` (Intercom's Preview `sla_rule`, which its
# 2.14 description does not include, plus Parlour's settings and the create body).
_TARGET = {"type": "integer", "nullable": True, "minimum": 1, "maximum": 365 * 86_400}
_INTERVAL = {
    "type": "array",
    "items": {"type": "string", "pattern": "^[0-9]{2}:[0-9]{2}$"},
    "minItems": 2,
    "maxItems": 2,
}
OFFICE_HOURS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "nullable": True,
    "description": "Office time that SLA targets count in; null counts every second.",
    "properties": {
        "timezone": {"type": "string", "example": "Europe/Dublin"},
        "hours": {
            "type": "object",
            "description": "Weekday name (monday..sunday) to [start, end] intervals, HH:MM.",
            "additionalProperties": {"type": "array", "items": _INTERVAL},
            "example": {"monday": [["09:00", "17:00"]]},
        },
        "holidays": {"type": "array", "items": {"type": "string", "format": "date"}},
    },
}
OPENAPI_SCHEMAS: dict[str, Any] = {
    "sla_rule": {
        "type": "object",
        "title": "SLA rule",
        "required": ["type", "id", "name", "created_at", "updated_at", "archived"],
        "properties": {
            "type": {"type": "string", "enum": ["sla_rule"]},
            "id": {"type": "string"},
            "name": {"type": "string"},
            "created_at": {"type": "integer"},
            "updated_at": {"type": "integer"},
            "archived": {"type": "boolean"},
            "archived_at": {"type": "integer", "nullable": True},
            "first_reply_time_in_seconds": _TARGET,
            "next_reply_time_in_seconds": _TARGET,
            "time_to_close_in_seconds": _TARGET,
            "resolution_time_in_seconds": {"type": "integer", "nullable": True},
            "speed_of_answer_in_seconds": {"type": "integer", "nullable": True},
            "office_hours": OFFICE_HOURS_SCHEMA,
            "apply_to_new_conversations": {"type": "boolean"},
        },
    },
    "sla_rule_list": {
        "type": "object",
        "title": "SLA rules",
        "required": ["type", "data"],
        "properties": {
            "type": {"type": "string", "enum": ["sla_rule.list"]},
            "data": {"type": "array", "items": {"$ref": "#/components/schemas/sla_rule"}},
        },
    },
    "create_sla_rule_request": {
        "type": "object",
        "title": "Create an SLA rule (Parlour)",
        "description": "At least one target is required; a name is unique per workspace.",
        "required": ["name"],
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 255},
            "first_reply_time_in_seconds": _TARGET,
            "next_reply_time_in_seconds": _TARGET,
            "time_to_close_in_seconds": _TARGET,
            "office_hours": OFFICE_HOURS_SCHEMA,
            "apply_to_new_conversations": {"type": "boolean", "nullable": True},
        },
    },
}
