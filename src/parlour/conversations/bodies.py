"""What a conversation write's JSON body says, as the commands' inputs (`inputs`).

The HTTP edge of the writes, beside `write_router`: each function reads one operation's
body (`api.body.Body` refuses what is malformed with Intercom's 400s, field by field, in
the order a client would fix them) and returns the plain values a command takes.
"""

from __future__ import annotations

from parlour.api.body import Body, custom_attributes
from parlour.contacts.service import ContactRef
from parlour.conversations.inputs import Action, Attachment, NewConversation, Reply, Update
from parlour.errors import ParameterInvalid, ParameterNotFound

CONTACT_REPLY_TYPES = ("user", "lead", "contact")
ADMIN_MESSAGE_TYPES = ("comment", "note", "quick_reply")
PART_MESSAGE_TYPES = ("close", "snoozed", "open", "assignment")
MAX_BODY_TEXT = 65_536


def attachments_of(body: Body) -> tuple[Attachment, ...]:
    """`attachment_urls` and `attachment_files`, checked."""
    urls = body.strings("attachment_urls", max_items=10)
    for url in urls:
        if not url.startswith(("http://", "https://")):
            raise ParameterInvalid("attachment_urls must be http(s) URLs", field="attachment_urls")
    files = body.data.get("attachment_files") or []
    if not isinstance(files, list) or len(files) > 10:
        raise ParameterInvalid(
            "attachment_files must be a list of at most 10 files", field="attachment_files"
        )
    found = [Attachment(url=url) for url in urls]
    for item in files:
        if not isinstance(item, dict):
            raise ParameterInvalid("attachment_files items are objects", field="attachment_files")
        entry = Body(item)
        found.append(
            Attachment(
                name=entry.text("name", max_length=255),
                content_type=entry.text("content_type", max_length=255),
                data=entry.text("data", required=True, max_length=MAX_BODY_TEXT * 8),
            )
        )
    return tuple(found)


def contact_ref(body: Body) -> ContactRef | None:
    """The contact a body names (`intercom_user_id`, `user_id`, `email`), if any."""
    ref = ContactRef(
        intercom_user_id=body.identifier("intercom_user_id"),
        user_id=body.identifier("user_id"),
        email=body.text("email", max_length=255),
    )
    if ref.intercom_user_id is None and ref.user_id is None and ref.email is None:
        return None
    return ref


def new_conversation(body: Body) -> NewConversation:
    """`POST /conversations`: a contact's opening message."""
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
    return NewConversation(
        from_type=from_type,
        from_id=from_id,
        body=text,
        subject=body.text("subject", max_length=1_024),
        attachments=attachments_of(body),
        created_at=body.timestamp("created_at"),
    )


def reply(body: Body) -> Reply:
    """`POST /conversations/{id}/reply`: an admin's comment, note or quick reply, or a
    contact's comment."""
    author_type = body.text("type", required=True, max_length=16)
    message_type = body.text("message_type", required=True, max_length=32)
    text = body.text("body", max_length=MAX_BODY_TEXT)
    created_at = body.timestamp("created_at")
    attachments = attachments_of(body)
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
        message = Reply(
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
        contact = contact_ref(body)
        if contact is None:
            raise ParameterNotFound(
                "one of intercom_user_id, user_id or email is required", field="intercom_user_id"
            )
        message = Reply(
            message_type="comment",
            body=text,
            contact=contact,
            created_at=created_at,
            attachments=attachments,
        )
    else:
        raise ParameterInvalid("type must be admin or user", field="type")
    return message


def _reply_options(body: Body) -> None:
    options = body.data.get("reply_options")
    if not isinstance(options, list) or not options:
        raise ParameterNotFound("reply_options are required for quick_reply", field="reply_options")
    for option in options:
        if not isinstance(option, dict):
            raise ParameterInvalid("reply_options items are objects", field="reply_options")
        Body(option).text("text", required=True, max_length=255)


def action(body: Body) -> Action:
    """`POST /conversations/{id}/parts`: close, snooze, open or assign."""
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
    return Action(
        message_type=message_type,
        admin_id=admin_id,
        body=body.text("body", max_length=MAX_BODY_TEXT),
        snoozed_until=body.timestamp("snoozed_until", required=message_type == "snoozed"),
        assignee_type=assignee_type,
        assignee_id=body.identifier("assignee_id", required=message_type == "assignment"),
    )


def update(body: Body) -> Update:
    """`PUT /conversations/{id}`: only the fields present change."""
    return Update(
        read=body.boolean("read"),
        title=body.text("title", max_length=1_024),
        title_given=body.has("title"),
        custom_attributes=custom_attributes(body),
        company_id=body.identifier("company_id"),
        company_given=body.has("company_id"),
    )


