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


def _refuse_other_forms(body: Body) -> None:
    """`POST /tags` also tags companies or users; Parlour serves only create-or-rename."""
    companies = body.data.get("companies")
    if companies is not None:
        untag = isinstance(companies, list) and any(
            isinstance(c, dict) and c.get("untag") is True for c in companies
        )
        form = "untagging companies" if untag else "tagging companies"
        raise NotImplementedYet(
            f"Parlour does not implement {form} with POST /tags yet; "
            "only creating or renaming a tag ({name} or {id, name})"
        )
    if body.data.get("users") is not None:
        raise NotImplementedYet(
            "Parlour does not implement tagging users with POST /tags yet; "
            "only creating or renaming a tag ({name} or {id, name})"
        )


@router.post(
    "/tags",
    operation_id="createTag",
    summary="Create or update a tag",
    response_class=JsonResponse,
)
async def create_tag(request: Request, call: WriteCall) -> JsonResponse:
    """Create a tag (or find it by name, any case), or rename the tag `id`."""
    body = await json_body(request)
    _refuse_other_forms(body)
    if not body.has("name"):
        # Intercom's own answer to a body that is none of the endpoint's forms.
        raise ParameterInvalid("invalid tag parameters", field="name")
    name = body.text("name", required=True, max_length=service.MAX_NAME)
    assert name is not None
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
