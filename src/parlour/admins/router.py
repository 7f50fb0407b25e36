"""HTTP edge for admins."""

from __future__ import annotations

from fastapi import APIRouter

from parlour.admins import schemas, service
from parlour.api.deps import ReadCall
from parlour.api.responses import JsonResponse

router = APIRouter(tags=["Admins"])


@router.get("/me", operation_id="identifyAdmin", summary="Identify an admin")
async def identify_admin(call: ReadCall) -> JsonResponse:
    """The admin the access token acts as, with its workspace."""
    admin, workspace = service.identify(call.session, call.workspace_id, call.principal.admin_id)
    return JsonResponse(schemas.admin_with_app(admin, workspace))


@router.get("/admins", operation_id="listAdmins", summary="List all admins")
async def list_admins(call: ReadCall) -> JsonResponse:
    """Every admin of the workspace."""
    return JsonResponse(schemas.admin_list(service.list_admins(call.session, call.workspace_id)))


@router.get("/admins/{admin_id}", operation_id="retrieveAdmin", summary="Retrieve an admin")
async def retrieve_admin(admin_id: str, call: ReadCall) -> JsonResponse:
    """One admin, or 404 `admin_not_found`."""
    view = service.retrieve_admin(call.session, call.workspace_id, admin_id)
    return JsonResponse(schemas.admin(view))
