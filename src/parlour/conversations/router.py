"""HTTP edge for conversations: parse Intercom's query parameters, call the service, render."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import APIRouter, Query, Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from parlour.api.body import Body, custom_attributes, json_body
from parlour.api.deps import Call, ReadCall, WriteCall
from parlour.api.handlers import render_api_error
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
from parlour.conversations import lifecycle, schemas, search_fields, service
from parlour.conversations.service import ListQuery
from parlour.errors import ApiError, ParameterInvalid, ParameterNotFound
from parlour.search.query import parse as parse_search_query

router = APIRouter(tags=["Conversations"])
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
    result = service.search_conversations(
        call.session,
        workspace_id=call.workspace_id,
        data_version=call.principal.data_version,
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


# Writes. Bodies are parsed here into the lifecycle's plain values; the lifecycle decides.

CONTACT_REPLY_TYPES = ("user", "lead", "contact")
ADMIN_MESSAGE_TYPES = ("comment", "note", "quick_reply")
PART_MESSAGE_TYPES = ("close", "snoozed", "open", "assignment")
MAX_BODY_TEXT = 65_536


def _attachments(body: Body) -> tuple[lifecycle.Attachment, ...]:
    urls = body.strings("attachment_urls", max_items=10)
    for url in urls:
        if not url.startswith(("http://", "https://")):
            raise ParameterInvalid("attachment_urls must be http(s) URLs", field="attachment_urls")
    files = body.data.get("attachment_files") or []
    if not isinstance(files, list) or len(files) > 10:
        raise ParameterInvalid(
            "attachment_files must be a list of at most 10 files", field="attachment_files"
        )
    found = [lifecycle.Attachment(url=url) for url in urls]
    for item in files:
        if not isinstance(item, dict):
            raise ParameterInvalid("attachment_files items are objects", field="attachment_files")
        entry = Body(item)
        found.append(
            lifecycle.Attachment(
                name=entry.text("name", max_length=255),
                content_type=entry.text("content_type", max_length=255),
                data=entry.text("data", required=True, max_length=MAX_BODY_TEXT * 8),
            )
        )
    return tuple(found)


def _contact_ref(body: Body) -> lifecycle.ContactRef | None:
    ref = lifecycle.ContactRef(
        intercom_user_id=body.identifier("intercom_user_id"),
        user_id=body.identifier("user_id"),
        email=body.text("email", max_length=255),
    )
    if ref.intercom_user_id is None and ref.user_id is None and ref.email is None:
        return None
    return ref


class _AfterCommit(JsonResponse):
    """A write's answer, rendered when it is sent: after the write's dependency committed.

    FastAPI closes `WriteCall` (commit, SQLite's write lock released) between the handler's
    return and sending its response, so reading and rendering here costs the lock nothing.
    """

    def __init__(self, answer: Callable[[], Response]) -> None:
        super().__init__(None)
        self._answer = answer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._answer()(scope, receive, send)


def _render(call: Call, conversation_id: int, *, plaintext: bool = False) -> JsonResponse:
    """The conversation a write leaves, with its parts, as Intercom answers a write."""
    if plaintext:
        # Stored entries are HTML: a plaintext answer is rendered whole, in the transaction.
        detail = service.retrieve_conversation(
            call.session, workspace_id=call.workspace_id, conversation_id=str(conversation_id)
        )
        return JsonResponse(
            schemas.conversation(detail.row, detail.related, plaintext=True, part_rows=detail.parts)
        )
    stored = lifecycle.stored_entries(call.session)  # filled at commit, read after it

    def answer() -> Response:
        try:
            reads = call.state.db.read_transaction()
            try:
                detail = lifecycle.written_detail(
                    reads,
                    workspace_id=call.workspace_id,
                    conversation_id=conversation_id,
                    stored=stored.get(conversation_id),
                )
            finally:
                reads.close()
            encoded = schemas.conversation_with_parts(
                detail.row, detail.related, plaintext=False, part_rows=detail.parts
            )
        except ApiError as exc:  # deleted since (only when this write changed nothing)
            return render_api_error(call.request_id, exc)
        return EncodedJsonResponse(encoded)

    return _AfterCommit(answer)


@router.post(
    "/conversations",
    operation_id="createConversation",
    summary="Creates a conversation",
    response_class=JsonResponse,
)
async def create_conversation(request: Request, call: WriteCall) -> JsonResponse:
    """A contact starts a conversation; answers with the `message` created."""
    body = await json_body(request)
    sender = body.obj("from", required=True)
    assert sender is not None
    from_type = sender.text("type", required=True, max_length=16)
    if from_type not in CONTACT_REPLY_TYPES:
        raise ParameterInvalid("from.type must be user, lead or contact", field="from.type")
    from_id = sender.identifier("id", required=True)
    text = body.text("body", required=True, max_length=MAX_BODY_TEXT)
    assert from_type is not None and from_id is not None and text is not None
    if not text.strip():
        raise ParameterInvalid("body can't be blank", field="body")
    row = lifecycle.create_conversation(
        call.session,
        workspace_id=call.workspace_id,
        now=call.now,
        from_type=from_type,
        from_id=from_id,
        body=text,
        subject=body.text("subject", max_length=1_024),
        attachments=_attachments(body),
        created_at=body.timestamp("created_at"),
    )
    return JsonResponse(schemas.message(row))


@router.post(
    "/conversations/redact",
    operation_id="redactConversation",
    summary="Redact a conversation part",
    response_class=JsonResponse,
)
async def redact_conversation(request: Request, call: WriteCall) -> JsonResponse:
    """Redact a part or the source of a conversation."""
    body = await json_body(request)
    kind = body.text("type", required=True, max_length=32)
    if kind not in ("conversation_part", "source"):
        raise ParameterInvalid("type must be conversation_part or source", field="type")
    conversation_id = body.identifier("conversation_id", required=True)
    assert conversation_id is not None
    part_id = body.identifier("conversation_part_id", required=kind == "conversation_part")
    source_id = body.identifier("source_id", required=kind == "source")
    row = lifecycle.redact(
        call.session,
        workspace_id=call.workspace_id,
        now=call.now,
        conversation_id=conversation_id,
        part_id=part_id if kind == "conversation_part" else None,
        source_id=source_id if kind == "source" else None,
    )
    return _render(call, row.id)


@router.post(
    "/conversations/{conversation_id}/reply",
    operation_id="replyConversation",
    summary="Reply to a conversation",
    response_class=JsonResponse,
)
async def reply_conversation(
    conversation_id: str, request: Request, call: WriteCall
) -> JsonResponse:
    """An admin comment, note or quick reply, or a contact's comment ("last" for a contact)."""
    body = await json_body(request)
    author_type = body.text("type", required=True, max_length=16)
    message_type = body.text("message_type", required=True, max_length=32)
    text = body.text("body", max_length=MAX_BODY_TEXT)
    created_at = body.timestamp("created_at")
    attachments = _attachments(body)
    if author_type == "admin":
        if message_type not in ADMIN_MESSAGE_TYPES:
            raise ParameterInvalid(
                "message_type must be comment, note or quick_reply", field="message_type"
            )
        admin_id = body.identifier("admin_id", required=True)
        if message_type == "quick_reply":
            _reply_options(body)
        elif text is None or not text.strip():
            raise ParameterNotFound("body is required for comments and notes", field="body")
        message = lifecycle.Reply(
            message_type=message_type,
            body=text,
            admin_id=admin_id,
            created_at=created_at,
            attachments=attachments,
        )
    elif author_type in CONTACT_REPLY_TYPES:
        if message_type != "comment":
            raise ParameterInvalid("contacts can only reply with comment", field="message_type")
        if text is None or not text.strip():
            raise ParameterNotFound("body is required", field="body")
        contact = _contact_ref(body)
        if contact is None:
            raise ParameterNotFound(
                "one of intercom_user_id, user_id or email is required", field="intercom_user_id"
            )
        message = lifecycle.Reply(
            message_type="comment",
            body=text,
            contact=contact,
            created_at=created_at,
            attachments=attachments,
        )
    else:
        raise ParameterInvalid("type must be admin or user", field="type")
    row = lifecycle.reply(
        call.session,
        workspace_id=call.workspace_id,
        now=call.now,
        conversation_id=conversation_id,
        message=message,
    )
    return _render(call, row.id)


def _reply_options(body: Body) -> None:
    options = body.data.get("reply_options")
    if not isinstance(options, list) or not options:
        raise ParameterNotFound("reply_options are required for quick_reply", field="reply_options")
    for option in options:
        if not isinstance(option, dict):
            raise ParameterInvalid("reply_options items are objects", field="reply_options")
        Body(option).text("text", required=True, max_length=255)


@router.post(
    "/conversations/{conversation_id}/parts",
    operation_id="manageConversation",
    summary="Manage a conversation",
    response_class=JsonResponse,
)
async def manage_conversation(
    conversation_id: str, request: Request, call: WriteCall
) -> JsonResponse:
    """Close, snooze, open or assign a conversation."""
    body = await json_body(request)
    message_type = body.text("message_type", required=True, max_length=32)
    if message_type not in PART_MESSAGE_TYPES:
        raise ParameterInvalid(
            "message_type must be close, snoozed, open or assignment", field="message_type"
        )
    admin_id = body.identifier("admin_id", required=True)
    assert admin_id is not None
    assignee_type = None
    if message_type == "assignment":
        assignee_type = body.text("type", required=True, max_length=16)
        if assignee_type not in ("admin", "team"):
            raise ParameterInvalid("type must be admin or team", field="type")
    elif message_type == "close":
        kind = body.text("type", max_length=16)
        if kind not in (None, "admin"):
            raise ParameterInvalid("type must be admin", field="type")
    action = lifecycle.Action(
        message_type=message_type,
        admin_id=admin_id,
        body=body.text("body", max_length=MAX_BODY_TEXT),
        snoozed_until=body.timestamp("snoozed_until", required=message_type == "snoozed"),
        assignee_type=assignee_type,
        assignee_id=body.identifier("assignee_id", required=message_type == "assignment"),
    )
    row = lifecycle.manage(
        call.session,
        workspace_id=call.workspace_id,
        now=call.now,
        conversation_id=conversation_id,
        action=action,
    )
    return _render(call, row.id)


@router.put(
    "/conversations/{conversation_id}",
    operation_id="updateConversation",
    summary="Update a conversation",
    response_class=JsonResponse,
)
async def update_conversation(
    conversation_id: str,
    request: Request,
    call: WriteCall,
    display_as: Annotated[str | None, Query(description="plaintext")] = None,
) -> JsonResponse:
    """Mark read, retitle, set custom attributes or the company; an empty body is `{}`."""
    plaintext = parse_display_as(display_as)  # before the write: a bad value changes nothing
    body = await json_body(request, empty_ok=True)
    change = lifecycle.Update(
        read=body.boolean("read"),
        title=body.text("title", max_length=1_024),
        title_given=body.has("title"),
        custom_attributes=custom_attributes(body),
        company_id=body.identifier("company_id"),
        company_given=body.has("company_id"),
    )
    row = lifecycle.update(
        call.session,
        workspace_id=call.workspace_id,
        now=call.now,
        conversation_id=conversation_id,
        change=change,
    )
    return _render(call, row.id, plaintext=plaintext)


@router.delete(
    "/conversations/{conversation_id}",
    operation_id="deleteConversation",
    summary="Delete a conversation",
    response_class=JsonResponse,
)
async def delete_conversation(conversation_id: str, call: WriteCall) -> JsonResponse:
    """Delete a conversation with its parts; answers `conversation_deleted`."""
    deleted = lifecycle.delete(
        call.session, workspace_id=call.workspace_id, now=call.now, conversation_id=conversation_id
    )
    return JsonResponse(schemas.deleted(deleted))


@router.post(
    "/conversations/{conversation_id}/tags",
    operation_id="attachTagToConversation",
    summary="Add tag to a conversation",
    response_class=JsonResponse,
)
async def attach_tag(conversation_id: str, request: Request, call: WriteCall) -> JsonResponse:
    """Tag a conversation; answers the tag with `applied_at` and `applied_by`."""
    body = await json_body(request)
    tag_id = body.identifier("id", required=True)
    admin_id = body.identifier("admin_id", required=True)
    assert tag_id is not None and admin_id is not None
    change = lifecycle.attach_tag(
        call.session,
        workspace_id=call.workspace_id,
        now=call.now,
        conversation_id=conversation_id,
        tag_id=tag_id,
        admin_id=admin_id,
    )
    return JsonResponse(schemas.applied_tag(change.tag, change.applied_at, change.applied_by_id))


@router.delete(
    "/conversations/{conversation_id}/tags/{tag_id}",
    operation_id="detachTagFromConversation",
    summary="Remove tag from a conversation",
    response_class=JsonResponse,
)
async def detach_tag(
    conversation_id: str, tag_id: str, request: Request, call: WriteCall
) -> JsonResponse:
    """Untag a conversation; answers the tag that was removed."""
    body = await json_body(request)
    admin_id = body.identifier("admin_id", required=True)
    assert admin_id is not None
    change = lifecycle.detach_tag(
        call.session,
        workspace_id=call.workspace_id,
        now=call.now,
        conversation_id=conversation_id,
        tag_id=tag_id,
        admin_id=admin_id,
    )
    return JsonResponse(schemas.applied_tag(change.tag, change.applied_at, change.applied_by_id))


@router.post(
    "/conversations/{conversation_id}/customers",
    operation_id="attachContactToConversation",
    summary="Attach a contact to a conversation",
    response_class=JsonResponse,
)
async def attach_contact(
    conversation_id: str, request: Request, call: WriteCall
) -> JsonResponse:
    """Add a contact as a participant of the conversation."""
    body = await json_body(request)
    admin_id = body.identifier("admin_id", required=True)
    customer = body.obj("customer", required=True)
    assert admin_id is not None and customer is not None
    contact = _contact_ref(customer)
    if contact is None:
        raise ParameterNotFound(
            "customer needs one of intercom_user_id, user_id or email", field="customer"
        )
    row = lifecycle.attach_contact(
        call.session,
        workspace_id=call.workspace_id,
        now=call.now,
        conversation_id=conversation_id,
        admin_id=admin_id,
        contact=contact,
    )
    return _render(call, row.id)


@router.delete(
    "/conversations/{conversation_id}/customers/{contact_id}",
    operation_id="detachContactFromConversation",
    summary="Detach a contact from a conversation",
    response_class=JsonResponse,
)
async def detach_contact(
    conversation_id: str, contact_id: str, request: Request, call: WriteCall
) -> JsonResponse:
    """Remove a participant (never the last one)."""
    body = await json_body(request)
    admin_id = body.identifier("admin_id", required=True)
    assert admin_id is not None
    row = lifecycle.detach_contact(
        call.session,
        workspace_id=call.workspace_id,
        now=call.now,
        conversation_id=conversation_id,
        admin_id=admin_id,
        contact_id=contact_id,
    )
    return _render(call, row.id)


@router.post(
    "/conversations/{conversation_id}/run_assignment_rules",
    operation_id="autoAssignConversation",
    summary="Run assignment rules on a conversation",
    response_class=JsonResponse,
)
async def run_assignment_rules(conversation_id: str, call: WriteCall) -> JsonResponse:
    """Assign to a member of the conversation's team by the team's rule (see `routing`)."""
    row = lifecycle.run_assignment_rules(
        call.session, workspace_id=call.workspace_id, now=call.now, conversation_id=conversation_id
    )
    return _render(call, row.id)


# Parlour's own endpoints (Intercom sets these from its inbox UI and Messenger, not its API).


@router.put(
    "/parlour/conversations/{conversation_id}/sla",
    operation_id="applySlaRule",
    summary="Apply an SLA rule to a conversation (Parlour)",
    response_class=JsonResponse,
)
async def apply_sla(conversation_id: str, request: Request, call: WriteCall) -> JsonResponse:
    """Apply `sla_rule_id` from now on, replacing any rule applied before."""
    body = await json_body(request)
    rule_id = body.identifier("sla_rule_id", required=True)
    assert rule_id is not None
    row = lifecycle.apply_sla(
        call.session,
        workspace_id=call.workspace_id,
        now=call.now,
        conversation_id=conversation_id,
        rule_id=rule_id,
    )
    return _render(call, row.id)


@router.delete(
    "/parlour/conversations/{conversation_id}/sla",
    operation_id="removeSlaRule",
    summary="Remove a conversation's SLA (Parlour)",
    response_class=JsonResponse,
)
async def remove_sla(conversation_id: str, call: WriteCall) -> JsonResponse:
    """Remove the SLA: `sla_applied.sla_status` becomes `cancelled`."""
    row = lifecycle.remove_sla(
        call.session, workspace_id=call.workspace_id, now=call.now, conversation_id=conversation_id
    )
    return _render(call, row.id)


@router.post(
    "/parlour/conversations/{conversation_id}/rating",
    operation_id="rateConversation",
    summary="Record the contact's rating of a conversation (Parlour)",
    response_class=JsonResponse,
)
async def rate_conversation(
    conversation_id: str, request: Request, call: WriteCall
) -> JsonResponse:
    """`rating` 1 to 5 and/or `remark`, by `contact_id` (default: the contact who started it)."""
    body = await json_body(request)
    row = lifecycle.rate(
        call.session,
        workspace_id=call.workspace_id,
        now=call.now,
        conversation_id=conversation_id,
        rating=body.integer("rating"),
        remark=body.text("remark", max_length=10_000),
        contact_id=body.identifier("contact_id"),
    )
    return _render(call, row.id)
