"""HTTP edge for conversation reads: list, retrieve, search (the writes: `write_router`).

Parses Intercom's query parameters and bodies, calls the read services, renders.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request

from parlour.api.body import Body, json_body
from parlour.api.deps import Call, ReadCall
from parlour.api.pagination import (
    DEFAULT_PER_PAGE,
    cursor_pages,
    legacy_pages,
    page_url,
    parse_page,
    parse_per_page,
)
from parlour.api.read_route import read_router
from parlour.api.responses import EncodedJsonResponse, JsonResponse
from parlour.api.versioning import uses_legacy_pages
from parlour.conversations import schemas, search_fields, search_service, service
from parlour.conversations.service import ListQuery
from parlour.errors import ParameterInvalid, ParameterNotFound
from parlour.search.query import parse as parse_search_query

router = APIRouter(tags=["Conversations"])  # search (the writes: `write_router`)
# The hot reads (list, retrieve): matched first and served without FastAPI's dispatch.
hot_reads = read_router(tags=["Conversations"])

SORTS = ("created_at", "updated_at", "waiting_since")
# The list's filters, and with its sort and order every parameter a cursor must agree with.
_FILTER_PARAMS = frozenset(
    ("type", "admin_id", "id", "open", "user_id", "intercom_user_id", "email")
)
_QUERY_PARAMS = _FILTER_PARAMS | {"sort", "order"}


def query_values(request: Request) -> dict[str, str]:
    """The query parameters as a plain dict (the last value of a repeated one, as Starlette).

    Read a dozen times a list request, mostly for absent names: a dict's `get` is cheaper
    than Starlette's mapping, whose misses raise and catch KeyError inside. Parsed as
    Starlette parses them (`QueryParams`), without building its multi-dict first.
    """
    query = request.scope["query_string"]
    if not query:
        return {}
    text = query.decode("latin-1")
    if "%" in text or "+" in text:
        return dict(parse_qsl(text, keep_blank_values=True))
    # Nothing to unquote (a cursor, plain names and values): `parse_qsl`'s split alone.
    return dict(part.partition("=")[::2] for part in text.split("&") if part)


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


def parse_list_query(params: Mapping[str, str]) -> tuple[ListQuery, bool]:
    """The list's sort, order and legacy filters, and whether the client gave any."""
    given = not params.keys().isdisjoint(_QUERY_PARAMS)
    if params.keys().isdisjoint(_FILTER_PARAMS):
        # Most lists: no filter to read (a dozen lookups of absent names, skipped).
        return ListQuery(parse_sort(params.get("sort")), parse_order(params.get("order"))), given
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
    return query, given


def _legacy_next_url(
    request: Request, call: Call, page: service.ListPage, given: Mapping[str, str]
) -> str | None:
    """`pages.next` of a 1.x list: this list's URL at the next page (`given`: its query)."""
    if page.next_cursor is None:
        return None
    params = {
        k: str(v).lower() if isinstance(v, bool) else str(v)
        for k, v in page.query.as_dict().items()
    }
    if "display_as" in given:
        params["display_as"] = given["display_as"]
    params.update(
        per_page=str(page.per_page), page=str(page.page + 1), starting_after=page.next_cursor
    )
    base = call.state.settings.public_url or str(request.base_url)
    return page_url(base, "/conversations", params)


@hot_reads.get(
    "/conversations",
    operation_id="listConversations",
    summary="List all conversations",
    response_class=JsonResponse,
)
async def list_conversations(request: Request, call: ReadCall) -> EncodedJsonResponse:
    """List the workspace's conversations, newest update first, without their parts."""
    params = query_values(request)
    query, given = parse_list_query(params)
    size = parse_per_page(params.get("per_page"))
    legacy = uses_legacy_pages(call.version)
    plaintext = parse_display_as(params.get("display_as"))
    result = service.list_conversations(
        call.reads,
        workspace_id=call.workspace_id,
        data_version=call.principal.data_version,
        population_version=call.principal.population_version,
        query=query,
        query_given=given,
        per_page=size,
        starting_after=_text(params.get("starting_after"), "starting_after", 4096),
        page=parse_page(params.get("page")) if legacy else None,
        codec=call.state.cursor_codec,
        counts=call.state.count_cache,
        plaintext=plaintext,
    )
    if legacy:
        pages = legacy_pages(
            page=result.page,
            per_page=size,
            total=result.total,
            next_url=_legacy_next_url(request, call, result, params),
        )
    else:
        pages = cursor_pages(
            page=result.page, per_page=size, total=result.total, next_cursor=result.next_cursor
        )
    body = schemas.conversation_list(
        result.rows,
        result.related,
        plaintext=plaintext,
        pages=pages,
        total_count=result.total,
    )
    return EncodedJsonResponse(body)


def parse_search_pagination(body: Body) -> tuple[int, str | None]:
    """`pagination: {per_page (1-150, default 20), starting_after}`; null or absent is page 1."""
    raw = body.data.get("pagination")
    if raw is None:
        return DEFAULT_PER_PAGE, None
    if not isinstance(raw, dict):
        raise ParameterInvalid("pagination must be an object", field="pagination")
    per_page = raw.get("per_page")
    if isinstance(per_page, int) and not isinstance(per_page, bool):
        per_page = str(per_page)
    if per_page is not None and not isinstance(per_page, str):
        per_page = "invalid"
    try:
        size = parse_per_page(per_page)
    except ParameterInvalid as error:
        raise ParameterInvalid(error.message, field="pagination.per_page") from None
    cursor = raw.get("starting_after")
    if cursor is not None and not isinstance(cursor, str):
        raise ParameterInvalid(
            "pagination.starting_after must be a string", field="pagination.starting_after"
        )
    return size, _text(cursor, "starting_after", 4096)


@router.post(
    "/conversations/search",
    operation_id="searchConversations",
    summary="Search conversations",
    response_class=JsonResponse,
)
async def search_conversations(request: Request, call: ReadCall) -> EncodedJsonResponse:
    """Conversations matching an Intercom search query, newest created first, cursor pages."""
    body = await json_body(request)
    query = parse_search_query(body.data.get("query"), search_fields.FIELDS)
    size, starting_after = parse_search_pagination(body)
    result = search_service.search_conversations(
        call.session,
        workspace_id=call.workspace_id,
        query=query,
        per_page=size,
        starting_after=starting_after,
        codec=call.state.cursor_codec,
        counts=call.state.count_cache,
    )
    pages = cursor_pages(
        page=result.page, per_page=size, total=result.total, next_cursor=result.next_cursor
    )
    return EncodedJsonResponse(
        schemas.conversation_list(
            result.rows, result.related, plaintext=False, pages=pages, total_count=result.total
        )
    )


@hot_reads.get(
    "/conversations/{conversation_id}",
    operation_id="retrieveConversation",
    summary="Retrieve a conversation",
    response_class=JsonResponse,
)
async def retrieve_conversation(
    conversation_id: str, request: Request, call: ReadCall
) -> EncodedJsonResponse:
    """One conversation with up to its 500 most recent parts, oldest first."""
    plaintext = parse_display_as(query_values(request).get("display_as"))
    detail = service.retrieve_conversation(
        call.reads,
        workspace_id=call.workspace_id,
        conversation_id=conversation_id,
        use_stored=not plaintext,
    )
    return EncodedJsonResponse(
        schemas.conversation_with_parts(
            detail.row, detail.related, plaintext=plaintext, part_rows=detail.parts
        )
    )
