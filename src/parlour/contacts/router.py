"""HTTP edge for contacts."""

from __future__ import annotations

from fastapi import APIRouter

from parlour.api.deps import ReadCall
from parlour.api.responses import JsonResponse
from parlour.contacts import schemas, service

router = APIRouter(tags=["Contacts"])


@router.get("/contacts/{contact_id}", operation_id="ShowContact", summary="Get a contact")
async def show_contact(contact_id: str, call: ReadCall) -> JsonResponse:
    """One contact of the workspace."""
    view = service.retrieve_contact(call.session, call.workspace_id, contact_id)
    return JsonResponse(schemas.contact(view, call.principal.app_id))
