"""HTTP management of webhooks under `/parlour/` (Intercom does this in its Developer Hub)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from parlour.api.body import json_body
from parlour.api.deps import ReadCall, WriteCall
from parlour.api.responses import JsonResponse
from parlour.core.ids import parse_numeric_id
from parlour.errors import ParameterInvalid
from parlour.webhooks import schemas, service

router = APIRouter(tags=["Webhooks (Parlour)"])


@router.get("/parlour/webhooks", operation_id="listWebhookSubscriptions")
async def list_subscriptions(call: ReadCall) -> JsonResponse:
    """Every webhook subscription of the workspace."""
    rows = service.list_subscriptions(call.session, call.workspace_id)
    return JsonResponse(schemas.subscription_list(rows))


@router.post("/parlour/webhooks", operation_id="createWebhookSubscription")
async def create_subscription(request: Request, call: WriteCall) -> JsonResponse:
    """Subscribe `url` to `topics`; `secret` signs each notification (generated if absent)."""
    body = await json_body(request)
    topics = body.strings("topics", max_items=50, max_length=64)
    row = service.create_subscription(
        call.session,
        workspace_id=call.workspace_id,
        now=call.now,
        url=body.text("url", required=True, max_length=service.MAX_URL) or "",
        topics=topics,
        secret=body.text("secret", max_length=255),
    )
    return JsonResponse(schemas.subscription(row))


@router.get("/parlour/webhooks/{subscription_id}", operation_id="getWebhookSubscription")
async def get_subscription(subscription_id: str, call: ReadCall) -> JsonResponse:
    """One subscription."""
    row = service.get_subscription(call.session, call.workspace_id, subscription_id)
    return JsonResponse(schemas.subscription(row))


@router.delete("/parlour/webhooks/{subscription_id}", operation_id="deleteWebhookSubscription")
async def delete_subscription(subscription_id: str, call: WriteCall) -> JsonResponse:
    """Delete a subscription and its undelivered notifications."""
    deleted = service.delete_subscription(
        call.session, workspace_id=call.workspace_id, raw_id=subscription_id
    )
    return JsonResponse({"type": "webhook_subscription", "id": str(deleted), "deleted": True})


@router.get("/parlour/webhook_deliveries", operation_id="listWebhookDeliveries")
async def list_deliveries(
    call: ReadCall,
    status: Annotated[str | None, Query()] = None,
    before: Annotated[str | None, Query()] = None,
    per_page: Annotated[str | None, Query()] = None,
) -> JsonResponse:
    """Deliveries, newest first; `status` filters, `before` (a delivery id) pages back."""
    before_id = None
    if before:
        before_id = parse_numeric_id(before)
        if before_id is None:
            raise ParameterInvalid("before must be a delivery id", field="before")
    limit = 50
    if per_page:
        if not per_page.isdigit() or not 1 <= int(per_page) <= 150:
            raise ParameterInvalid("per_page must be between 1 and 150", field="per_page")
        limit = int(per_page)
    rows = service.list_deliveries(
        call.session, call.workspace_id, status=status or None, before_id=before_id, limit=limit
    )
    return JsonResponse(schemas.delivery_list(rows))


@router.post(
    "/parlour/webhook_deliveries/{delivery_id}/replay", operation_id="replayWebhookDelivery"
)
async def replay_delivery(delivery_id: str, call: WriteCall) -> JsonResponse:
    """Queue a delivery to be sent again (delivered or dead ones included)."""
    row = service.replay(call.session, workspace_id=call.workspace_id, now=call.now,
                         raw_id=delivery_id)
    return JsonResponse(schemas.delivery(row))
