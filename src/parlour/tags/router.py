"""HTTP edge for tags."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from parlour.api.body import Body, json_body
from parlour.api.deps import ReadCall, WriteCall
from parlour.api.responses import JsonResponse
from parlour.errors import NotImplementedYet, ParameterInvalid
from parlour.tags import schemas, service

router = APIRouter(tags=["Tags"])


@router.get("/tags", operation_id="listTags", summary="List all tags")
async def list_tags(call: ReadCall) -> JsonResponse:
    """Every tag of the workspace."""
    return JsonResponse(schemas.tag_list(service.list_tags(call.session, call.workspace_id)))


_SERVED = "only creating or renaming a tag ({name} or {id, name}) and tagging users ({name, users})"


def _untags(items: object) -> bool:
    # Intercom's own example sends the flag as the string 'true'.
    return isinstance(items, list) and any(
        isinstance(i, dict) and i.get("untag") in (True, "true") for i in items
    )


def _refuse_other_forms(body: Body) -> None:
    """`POST /tags` also tags and untags companies, which Parlour does not have."""
    companies = body.data.get("companies")
    if companies is not None:
        form = "untagging companies" if _untags(companies) else "tagging companies"
        raise NotImplementedYet(f"Parlour does not implement {form} with POST /tags; {_SERVED}")
    if _untags(body.data.get("users")):
        # Intercom 2.14 documents tagging users here, not untagging them.
        raise NotImplementedYet(
            f"Parlour does not implement untagging users with POST /tags; {_SERVED}"
        )


def _user_ids(body: Body) -> list[str]:
    """The Intercom contact ids of the users form (`users: [{id}, ...]`)."""
    if body.has("id"):
        raise ParameterInvalid("id cannot be given with users", field="id")
    ids: list[str] = []
    for item in body.objects("users", required=True):
        contact_id = item.identifier("id")
        if contact_id is None:
            # Intercom 2.14 documents only `id` in these items (no user_id or email).
            raise ParameterInvalid(
                f"{item.path}id is required (users are identified by their Intercom id)",
                field=f"{item.path}id",
            )
        ids.append(contact_id)
    return ids


@router.post(
    "/tags",
    operation_id="createTag",
    summary="Create or update a tag, Tag or untag companies, Tag contacts",
    response_class=JsonResponse,
)
async def create_tag(request: Request, call: WriteCall) -> JsonResponse:
    """Create a tag (or find it by name, any case), rename the tag `id`, or tag `users`."""
    body = await json_body(request)
    _refuse_other_forms(body)
    if not body.has("name"):
        # Intercom's own answer to a body that is none of the endpoint's forms.
        raise ParameterInvalid("invalid tag parameters", field="name")
    name = body.text("name", required=True, max_length=service.MAX_NAME)
    assert name is not None
    if body.data.get("users") is not None:
        tag = service.tag_contacts(
            call.session,
            workspace_id=call.workspace_id,
            now=call.now,
            name=name,
            contact_ids=_user_ids(body),
        )
    else:
        tag = service.create_or_rename(
            call.session,
            workspace_id=call.workspace_id,
            now=call.now,
            name=name,
            tag_id=body.identifier("id"),
        )
    return JsonResponse(schemas.tag(tag))


@router.get(
    "/tags/{tag_id}",
    operation_id="findTag",
    summary="Find a specific tag",
    response_class=JsonResponse,
)
async def find_tag(tag_id: str, call: ReadCall) -> JsonResponse:
    """One tag of the workspace, or 404 `not_found`."""
    return JsonResponse(schemas.tag(service.find_tag(call.session, call.workspace_id, tag_id)))


@router.delete("/tags/{tag_id}", operation_id="deleteTag", summary="Delete tag")
async def delete_tag(tag_id: str, call: WriteCall) -> Response:
    """Delete a tag (it comes off everything it was on); 200 with an empty body, as Intercom."""
    service.delete_tag(call.session, workspace_id=call.workspace_id, tag_id=tag_id)
    return Response(status_code=200)
