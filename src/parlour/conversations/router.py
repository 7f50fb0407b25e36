"""HTTP edge for conversations: parse Intercom's query parameters, call the service, render."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from parlour.api.deps import Call, ReadCall
from parlour.api.pagination import (
    cursor_pages,
    legacy_pages,
    page_url,
    parse_page,
    parse_per_page,
)
from parlour.api.responses import JsonResponse
from parlour.api.versioning import uses_legacy_pages
from parlour.conversations import schemas, service
from parlour.conversations.service import ListQuery
from parlour.errors import ParameterInvalid, ParameterNotFound

router = APIRouter(tags=["Conversations"])

SORTS = ("created_at", "updated_at", "waiting_since")
_QUERY_PARAMS = (
    "sort",
    "order",
    "type",
    "admin_id",
    "id",
    "open",
    "user_id",
    "intercom_user_id",
    "email",
)


def parse_order(raw: str | None) -> str:
    """Seed rule: default desc; `asc`/`desc` as given; any other value falls back to asc."""
    if raw is None:
        return "desc"
    return "desc" if raw == "desc" else "asc"


def parse_sort(raw: str | None) -> str:
    """`created_at`, `updated_at` (default) or `waiting_since`."""
    if raw is None or raw == "":
        return "updated_at"
    if raw not in SORTS:
        raise ParameterInvalid(
            "sort must be one of created_at, updated_at, waiting_since", field="sort"
        )
    return raw


def parse_bool(raw: str | None, name: str) -> bool | None:
    """`true`/`false` (any case), else 400."""
    if raw is None or raw == "":
        return None
    lowered = raw.strip().lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise ParameterInvalid(f"{name} must be true or false", field=name)


def parse_display_as(raw: str | None) -> bool:
    """True for `display_as=plaintext`; HTML otherwise."""
    if raw is None or raw == "" or raw.lower() == "html":
        return False
    if raw.lower() == "plaintext":
        return True
    raise ParameterInvalid("display_as must be plaintext", field="display_as")


def _text(raw: str | None, name: str, limit: int = 255) -> str | None:
    if raw is None or raw == "":
        return None
    if len(raw) > limit:
        raise ParameterInvalid(f"{name} is too long", field=name)
    return raw


def parse_list_query(request: Request) -> tuple[ListQuery, bool]:
    """The list's sort, order and legacy filters, and whether the client gave any."""
    params = request.query_params
    kind = params.get("type")
    if kind not in (None, "", "admin", "user"):
        raise ParameterInvalid("type must be admin or user", field="type")
    admin_id = _text(
        params.get("admin_id") or (params.get("id") if kind == "admin" else None), "admin_id"
    )
    user_id = _text(params.get("user_id"), "user_id")
    intercom_user_id = _text(params.get("intercom_user_id"), "intercom_user_id")
    email = _text(params.get("email"), "email")
    if kind == "admin" and admin_id is None:
        raise ParameterNotFound("admin_id is required when type is admin", field="admin_id")
    if kind == "user" and user_id is None and intercom_user_id is None and email is None:
        raise ParameterNotFound(
            "one of user_id, intercom_user_id or email is required when type is user",
            field="user_id",
        )
    query = ListQuery(
        sort=parse_sort(params.get("sort")),
        order=parse_order(params.get("order")),
        admin_id=admin_id,
        open=parse_bool(params.get("open"), "open"),
        user_id=user_id,
        intercom_user_id=intercom_user_id,
        email=email,
    )
    return query, any(name in params for name in _QUERY_PARAMS)


def _legacy_next_url(request: Request, call: Call, page: service.ListPage) -> str | None:
    if page.next_cursor is None:
        return None
    params = {
        k: str(v).lower() if isinstance(v, bool) else str(v)
        for k, v in page.query.as_dict().items()
    }
    if "display_as" in request.query_params:
        params["display_as"] = request.query_params["display_as"]
    params.update(
        per_page=str(page.per_page), page=str(page.page + 1), starting_after=page.next_cursor
    )
    base = call.state.settings.public_url or str(request.base_url)
    return page_url(base, "/conversations", params)


@router.get(
    "/conversations",
    operation_id="listConversations",
    summary="List all conversations",
    response_class=JsonResponse,
)
async def list_conversations(
    request: Request,
    call: ReadCall,
    per_page: Annotated[str | None, Query(description="Results per page, 1-150")] = None,
    starting_after: Annotated[str | None, Query(description="Cursor from pages.next")] = None,
    page: Annotated[str | None, Query(description="Page number (versions before 2.0)")] = None,
    order: Annotated[str | None, Query(description="asc or desc (default)")] = None,
    sort: Annotated[str | None, Query(description="created_at, updated_at, waiting_since")] = None,
    display_as: Annotated[str | None, Query(description="plaintext")] = None,
) -> JsonResponse:
    """List the workspace's conversations, newest update first, without their parts."""
    query, given = parse_list_query(request)
    size = parse_per_page(per_page)
    legacy = uses_legacy_pages(call.version)
    plaintext = parse_display_as(display_as)
    result = service.list_conversations(
        call.session,
        workspace_id=call.workspace_id,
        data_version=call.principal.data_version,
        query=query,
        query_given=given,
        per_page=size,
        starting_after=_text(starting_after, "starting_after", 4096),
        page=parse_page(page) if legacy else None,
        codec=call.state.cursor_codec,
        counts=call.state.count_cache,
    )
    if legacy:
        pages = legacy_pages(
            page=result.page,
            per_page=size,
            total=result.total,
            next_url=_legacy_next_url(request, call, result),
        )
    else:
        pages = cursor_pages(
            page=result.page, per_page=size, total=result.total, next_cursor=result.next_cursor
        )
    body = schemas.conversation_list(
        result.rows,
        result.related,
        now=call.now,
        plaintext=plaintext,
        pages=pages,
        total_count=result.total,
    )
    return JsonResponse(body)


@router.get(
    "/conversations/{conversation_id}",
    operation_id="retrieveConversation",
    summary="Retrieve a conversation",
    response_class=JsonResponse,
)
async def retrieve_conversation(
    conversation_id: str,
    call: ReadCall,
    display_as: Annotated[str | None, Query(description="plaintext")] = None,
) -> JsonResponse:
    """One conversation with up to its 500 most recent parts, oldest first."""
    plaintext = parse_display_as(display_as)
    detail = service.retrieve_conversation(
        call.session, workspace_id=call.workspace_id, conversation_id=conversation_id
    )
    body = schemas.conversation(
        detail.row, detail.related, now=call.now, plaintext=plaintext, part_rows=detail.parts
    )
    return JsonResponse(body)
