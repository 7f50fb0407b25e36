"""HTTP edge for tags."""

from __future__ import annotations

from fastapi import APIRouter

from parlour.api.deps import ReadCall
from parlour.api.responses import JsonResponse
from parlour.tags import schemas, service

router = APIRouter(tags=["Tags"])


@router.get("/tags", operation_id="listTags", summary="List all tags")
async def list_tags(call: ReadCall) -> JsonResponse:
    """Every tag of the workspace."""
    return JsonResponse(schemas.tag_list(service.list_tags(call.session, call.workspace_id)))
