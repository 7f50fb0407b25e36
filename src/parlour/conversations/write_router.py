"""HTTP edge for conversation writes: Intercom's request bodies in, the commands called.

Each route parses its body into the commands' plain values (`inputs`), calls one command
(`replies`, `links`, `edits`) with a `writes.Writer` of its call, and answers as Intercom
does: with the conversation the write left (`_answer`, rendered after the commit from the
entry the commit stored), a `message`, a tag, or a deletion. The transaction is the
request's (`api.deps.writing`): its commit runs the commit pipeline.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from parlour.api.body import json_body
from parlour.api.deps import Call, WriteCall
from parlour.api.handlers import render_api_error
from parlour.api.responses import EncodedJsonResponse, JsonResponse
from parlour.conversations import bodies, edits, links, replies, schemas, service
from parlour.conversations.router import parse_display_as
from parlour.conversations.writes import Writer
from parlour.db.models import ConversationRecord
from parlour.errors import ApiError, ParameterInvalid, ParameterNotFound

router = APIRouter(tags=["Conversations"])

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


def _writer(call: Call) -> Writer:
    """The command's context: this call's unit of work, workspace and time."""
    return Writer(call.work, call.workspace_id, call.now)


def _answer(call: Call, conversation_id: int, *, plaintext: bool = False) -> JsonResponse:
    """The conversation a write leaves, with its parts, as Intercom answers a write."""
    if plaintext:
        # Stored entries are HTML: a plaintext answer is rendered whole, in the transaction.
        detail = service.retrieve_conversation(
            call.session, workspace_id=call.workspace_id, conversation_id=str(conversation_id)
        )
        assert isinstance(detail.row, ConversationRecord)  # a read's (not a stored entry's)
        return JsonResponse(
            schemas.conversation(detail.row, detail.related, plaintext=True, part_rows=detail.parts)
        )
    work = call.work  # its `stored` is filled at commit, and read after it

    def answer() -> Response:
        try:
            reads = call.state.db.read_transaction()
            try:
                detail = service.written_detail(
                    reads,
                    workspace_id=call.workspace_id,
                    conversation_id=conversation_id,
                    stored=work.stored.get(conversation_id),
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
    new = bodies.new_conversation(await json_body(request))
    row = edits.create_conversation(_writer(call), new)
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
    row = edits.redact(
        _writer(call),
        conversation_id,
        part_id=part_id if kind == "conversation_part" else None,
        source_id=source_id if kind == "source" else None,
    )
    return _answer(call, row.id)


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
    message = bodies.reply(await json_body(request))
    row = replies.reply(_writer(call), conversation_id, message=message)
    return _answer(call, row.id)


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
    action = bodies.action(await json_body(request))
    row = replies.manage(_writer(call), conversation_id, action=action)
    return _answer(call, row.id)


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
    change = bodies.update(body)
    row = edits.update(_writer(call), conversation_id, change=change)
    return _answer(call, row.id, plaintext=plaintext)


@router.delete(
    "/conversations/{conversation_id}",
    operation_id="deleteConversation",
    summary="Delete a conversation",
    response_class=JsonResponse,
)
async def delete_conversation(conversation_id: str, call: WriteCall) -> JsonResponse:
    """Delete a conversation with its parts; answers `conversation_deleted`."""
    deleted = edits.delete(_writer(call), conversation_id)
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
    change = links.attach_tag(_writer(call), conversation_id, tag_id=tag_id, admin_id=admin_id)
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
    change = links.detach_tag(_writer(call), conversation_id, tag_id=tag_id, admin_id=admin_id)
    return JsonResponse(schemas.applied_tag(change.tag, change.applied_at, change.applied_by_id))


@router.post(
    "/conversations/{conversation_id}/customers",
    operation_id="attachContactToConversation",
    summary="Attach a contact to a conversation",
    response_class=JsonResponse,
)
async def attach_contact(conversation_id: str, request: Request, call: WriteCall) -> JsonResponse:
    """Add a contact as a participant of the conversation."""
    body = await json_body(request)
    admin_id = body.identifier("admin_id", required=True)
    customer = body.obj("customer", required=True)
    assert admin_id is not None and customer is not None
    contact = bodies.contact_ref(customer)
    if contact is None:
        raise ParameterNotFound(
            "customer needs one of intercom_user_id, user_id or email", field="customer"
        )
    row = links.attach_contact(_writer(call), conversation_id, admin_id=admin_id, contact=contact)
    return _answer(call, row.id)


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
    row = links.detach_contact(
        _writer(call),
        conversation_id,
        admin_id=admin_id,
        contact_id=contact_id,
    )
    return _answer(call, row.id)


@router.post(
    "/conversations/{conversation_id}/run_assignment_rules",
    operation_id="autoAssignConversation",
    summary="Run assignment rules on a conversation",
    response_class=JsonResponse,
)
async def run_assignment_rules(conversation_id: str, call: WriteCall) -> JsonResponse:
    """Assign to a member of the conversation's team by the team's rule (see `routing`)."""
    row = replies.run_assignment_rules(_writer(call), conversation_id)
    return _answer(call, row.id)


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
    row = edits.apply_sla(_writer(call), conversation_id, rule_id=rule_id)
    return _answer(call, row.id)


@router.delete(
    "/parlour/conversations/{conversation_id}/sla",
    operation_id="removeSlaRule",
    summary="Remove a conversation's SLA (Parlour)",
    response_class=JsonResponse,
)
async def remove_sla(conversation_id: str, call: WriteCall) -> JsonResponse:
    """Remove the SLA: `sla_applied.sla_status` becomes `cancelled`."""
    row = edits.remove_sla(_writer(call), conversation_id)
    return _answer(call, row.id)


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
    row = edits.rate(
        _writer(call),
        conversation_id,
        rating=body.integer("rating"),
        remark=body.text("remark", max_length=10_000),
        contact_id=body.identifier("contact_id"),
    )
    return _answer(call, row.id)
