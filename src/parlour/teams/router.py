"""HTTP edge for teams."""

from __future__ import annotations

from fastapi import APIRouter

from parlour.api.deps import ReadCall
from parlour.api.responses import JsonResponse
from parlour.teams import schemas, service

router = APIRouter(tags=["Teams"])


@router.get("/teams", operation_id="listTeams", summary="List all teams")
async def list_teams(call: ReadCall) -> JsonResponse:
    """Every team of the workspace."""
    return JsonResponse(schemas.team_list(service.list_teams(call.session, call.workspace_id)))
