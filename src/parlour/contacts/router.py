"""HTTP edge for contacts: parse Intercom's bodies and parameters, call the service, render."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from parlour.api.body import Body, custom_attributes, json_body
from parlour.api.deps import ReadCall, WriteCall
from parlour.api.pagination import cursor_pages, parse_per_page
from parlour.api.responses import JsonResponse
from parlour.contacts import schemas, service
from parlour.core.ids import parse_numeric_id
from parlour.errors import ParameterInvalid

router = APIRouter(tags=["Contacts"])

# Intercom's contacts list pages by 50 unless asked otherwise.
DEFAULT_PER_PAGE = 50
WRITABLE_FIELDS = (
    "role",
    "external_id",
    "email",
    "phone",
    "name",
    "avatar",
    "signed_up_at",
    "last_seen_at",
    "owner_id",
    "unsubscribed_from_emails",
    "custom_attributes",
)


def _email(body: Body) -> str | None:
    email = body.text("email", max_length=255)
    if email is None:
        return None
    local, at, domain = email.rpartition("@")
    if not (at and local and domain) or any(c.isspace() for c in email):
        raise ParameterInvalid("email is not a valid email address", field="email")
    return email


def _avatar(body: Body) -> str | None:
    url = body.text("avatar", max_length=1_024)
    if url is not None and not url.startswith(("http://", "https://")):
        raise ParameterInvalid("avatar must be an http(s) image URL", field="avatar")
    return url


def _owner_id(body: Body) -> int | None:
    raw = body.identifier("owner_id")
    if raw is None:
        return None
    owner_id = parse_numeric_id(raw)
    if owner_id is None:
        raise ParameterInvalid("owner_id must be an admin id", field="owner_id")
    return owner_id


def contact_fields(body: Body) -> service.ContactFields:
    """The writable contact fields of a create or update body, type-checked."""
    return service.ContactFields(
        given=frozenset(name for name in WRITABLE_FIELDS if body.has(name)),
        role=body.text("role", max_length=16),
        external_id=body.identifier("external_id"),
        email=_email(body),
        phone=body.text("phone", max_length=64),
        name=body.text("name", max_length=255),
        avatar=_avatar(body),
        signed_up_at=body.timestamp("signed_up_at"),
        last_seen_at=body.timestamp("last_seen_at"),
        owner_id=_owner_id(body),
        unsubscribed_from_emails=body.boolean("unsubscribed_from_emails"),
        custom_attributes=custom_attributes(body),
    )


@router.get(
    "/contacts",
    operation_id="ListContacts",
    summary="List all contacts",
    response_class=JsonResponse,
)
async def list_contacts(
    call: ReadCall,
    per_page: Annotated[str | None, Query(description="Results per page, 1-150")] = None,
    starting_after: Annotated[str | None, Query(description="Cursor from pages.next")] = None,
) -> JsonResponse:
    """The workspace's contacts, oldest first, 50 a page unless `per_page` says otherwise."""
    size = DEFAULT_PER_PAGE if not per_page else parse_per_page(per_page)
    result = service.list_contacts(
        call.session,
        workspace_id=call.workspace_id,
        per_page=size,
        starting_after=starting_after,
        codec=call.state.cursor_codec,
    )
    pages = cursor_pages(
        page=result.page, per_page=size, total=result.total, next_cursor=result.next_cursor
    )
    return JsonResponse(
        schemas.contact_list(result.views, call.principal.app_id, pages=pages, total=result.total)
    )


@router.post(
    "/contacts",
    operation_id="CreateContact",
    summary="Create contact",
    response_class=JsonResponse,
)
async def create_contact(request: Request, call: WriteCall) -> JsonResponse:
    """A new user or lead; 409 `conflict` if a user already has the email or external id."""
    body = await json_body(request)
    view = service.create_contact(
        call.session, workspace_id=call.workspace_id, now=call.now, fields=contact_fields(body)
    )
    return JsonResponse(schemas.contact(view, call.principal.app_id))


@router.get(
    "/contacts/{contact_id}",
    operation_id="ShowContact",
    summary="Get a contact",
    response_class=JsonResponse,
)
async def show_contact(contact_id: str, call: ReadCall) -> JsonResponse:
    """One contact of the workspace."""
    view = service.retrieve_contact(call.session, call.workspace_id, contact_id)
    return JsonResponse(schemas.contact(view, call.principal.app_id))


@router.put(
    "/contacts/{contact_id}",
    operation_id="UpdateContact",
    summary="Update a contact",
    response_class=JsonResponse,
)
async def update_contact(contact_id: str, request: Request, call: WriteCall) -> JsonResponse:
    """Change the fields the body gives; an empty body changes nothing."""
    body = await json_body(request, empty_ok=True)
    view = service.update_contact(
        call.session,
        workspace_id=call.workspace_id,
        now=call.now,
        contact_id=contact_id,
        fields=contact_fields(body),
    )
    return JsonResponse(schemas.contact(view, call.principal.app_id))


@router.delete(
    "/contacts/{contact_id}",
    operation_id="DeleteContact",
    summary="Delete a contact",
    response_class=JsonResponse,
)
async def delete_contact(contact_id: str, call: WriteCall) -> JsonResponse:
    """Delete a contact; its conversations stay, without it. Answers `contact_deleted`."""
    row = service.delete_contact(
        call.session, workspace_id=call.workspace_id, contact_id=contact_id
    )
    return JsonResponse(schemas.contact_deleted(row))
