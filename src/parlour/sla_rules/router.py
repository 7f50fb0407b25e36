"""HTTP edge for SLA rules: Intercom's read endpoints and Parlour's management endpoints.

Intercom defines SLA rules in its inbox's Workflows and exposes them read-only
(`GET /sla_rules`, Preview API). A Parlour workspace has no Workflows UI, so rules are
created and archived under `/parlour/`, a path Intercom will never use.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from parlour.api.body import json_body
from parlour.api.deps import ReadCall, WriteCall
from parlour.api.responses import JsonResponse
from parlour.errors import ParameterInvalid
from parlour.sla_rules import schemas, service

router = APIRouter(tags=["SLA rules"])


@router.get("/sla_rules", operation_id="listSlaRules", summary="List all SLA rules")
async def list_sla_rules(call: ReadCall) -> JsonResponse:
    """Every SLA rule of the workspace, archived ones included."""
    return JsonResponse(schemas.sla_rule_list(service.list_rules(call.session, call.workspace_id)))


@router.get("/sla_rules/{rule_id}", operation_id="getSlaRule", summary="Retrieve an SLA rule")
async def get_sla_rule(rule_id: str, call: ReadCall) -> JsonResponse:
    """One SLA rule, archived or not."""
    rule = service.get_rule(call.session, call.workspace_id, rule_id)
    return JsonResponse(schemas.sla_rule(rule))


@router.post(
    "/parlour/sla_rules", operation_id="createSlaRule", summary="Create an SLA rule (Parlour)"
)
async def create_sla_rule(request: Request, call: WriteCall) -> JsonResponse:
    """A rule: `name`, targets in seconds, `office_hours`, `apply_to_new_conversations`."""
    body = await json_body(request)
    office_hours = body.data.get("office_hours")
    if office_hours is not None and not isinstance(office_hours, dict):
        raise ParameterInvalid("office_hours must be an object", field="office_hours")
    new = service.NewRule(
        name=body.text("name", required=True, max_length=service.MAX_NAME) or "",
        first_reply_seconds=body.integer("first_reply_time_in_seconds"),
        next_reply_seconds=body.integer("next_reply_time_in_seconds"),
        time_to_close_seconds=body.integer("time_to_close_in_seconds"),
        office_hours=office_hours,
        apply_to_new=bool(body.boolean("apply_to_new_conversations")),
    )
    rule = service.create_rule(call.session, workspace_id=call.workspace_id, now=call.now, new=new)
    return JsonResponse(schemas.sla_rule(rule))


@router.delete(
    "/parlour/sla_rules/{rule_id}",
    operation_id="archiveSlaRule",
    summary="Archive an SLA rule (Parlour)",
)
async def archive_sla_rule(rule_id: str, call: WriteCall) -> JsonResponse:
    """Archive a rule; conversations it was applied to keep it."""
    rule = service.archive_rule(
        call.session, workspace_id=call.workspace_id, now=call.now, raw_id=rule_id
    )
    return JsonResponse(schemas.sla_rule(rule))
