"""python-intercom 5.0.1's conversation write methods against a real `parlour serve`."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from intercom import Intercom
from intercom.conversations.types import (
    AttachContactToConversationRequestCustomerIntercomUserId,
    ConversationsManageRequestBody_Assignment,
    ConversationsManageRequestBody_Close,
    ConversationsManageRequestBody_Open,
    ConversationsManageRequestBody_Snoozed,
    CreateConversationRequestFrom,
)
from intercom.core.api_error import ApiError
from intercom.types import (
    AdminReplyConversationRequest,
    ContactReplyIntercomUserIdRequest,
    RedactConversationRequest_ConversationPart,
)

from parlour.core.clock import system_clock
from parlour.db.session import Database
from tests.e2e.server import running_server
from tests.factories import Workspace, make_admin, make_contact, make_tag, make_workspace

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def world(
    database_url: str, db: Database, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Intercom, Workspace, dict[str, str]]]:
    """A served workspace with an admin, two contacts and a tag, and an SDK client for it."""
    now = system_clock()  # the server runs on the real clock
    ws = make_workspace(db, now=now, name="SDK writes")
    people = {
        "admin": str(make_admin(db, ws, now=now, name="Sam Admin")),
        "contact": make_contact(db, ws, now=now, email="pat@example.com"),
        "second": make_contact(db, ws, now=now, role="lead"),
        "tag": str(make_tag(db, ws, now=now, name="Escalated")),
    }
    with (
        running_server(database_url, tmp_path_factory.mktemp("sdk")) as base,
        httpx.Client(timeout=30) as http,
    ):
        yield Intercom(token=ws.token, base_url=base, httpx_client=http), ws, people


def test_every_conversation_write_method(world: tuple[Intercom, Workspace, dict[str, str]]) -> None:
    """create, reply, manage, tag, participants, update, redact, assignment rules, delete."""
    client, _ws, ids = world
    message = client.conversations.create(
        from_=CreateConversationRequestFrom(type="user", id=ids["contact"]), body="Printer on fire"
    )
    cid = message.conversation_id
    assert cid is not None and message.type == "user_message"

    note = client.conversations.reply(
        cid,
        request=AdminReplyConversationRequest(
            message_type="note", admin_id=ids["admin"], body="checking"
        ),
    )
    assert note.waiting_since is not None
    answered = client.conversations.reply(
        cid,
        request=AdminReplyConversationRequest(
            message_type="comment", admin_id=ids["admin"], body="Try turning it off"
        ),
    )
    assert answered.waiting_since is None
    assert answered.statistics is not None and answered.statistics.first_admin_reply_at
    contact_again = client.conversations.reply(
        cid,
        request=ContactReplyIntercomUserIdRequest(
            message_type="comment",
            type="user",
            intercom_user_id=ids["contact"],
            body="Still on fire",
        ),
    )
    assert contact_again.waiting_since is not None

    assigned = client.conversations.manage(
        cid,
        request=ConversationsManageRequestBody_Assignment(
            type="admin", admin_id=ids["admin"], assignee_id=ids["admin"]
        ),
    )
    assert assigned.admin_assignee_id == int(ids["admin"])
    snoozed = client.conversations.manage(
        cid,
        request=ConversationsManageRequestBody_Snoozed(
            admin_id=ids["admin"], snoozed_until=system_clock() + 3_600
        ),
    )
    assert snoozed.state == "snoozed"
    opened = client.conversations.manage(
        cid, request=ConversationsManageRequestBody_Open(admin_id=ids["admin"])
    )
    assert opened.state == "open"
    closed = client.conversations.manage(
        cid, request=ConversationsManageRequestBody_Close(admin_id=ids["admin"], body="Fixed")
    )
    assert closed.state == "closed" and closed.open is False

    tag = client.tags.tag_conversation(cid, tag_id=ids["tag"], admin_id=ids["admin"])
    assert tag.id == ids["tag"] and tag.name == "Escalated"
    untagged = client.tags.untag_conversation(cid, ids["tag"], admin_id=ids["admin"])
    assert untagged.id == ids["tag"]

    joined = client.conversations.attach_contact_as_admin(
        cid,
        admin_id=ids["admin"],
        customer=AttachContactToConversationRequestCustomerIntercomUserId(
            intercom_user_id=ids["second"]
        ),
    )
    assert joined.contacts is not None
    assert {c.id for c in joined.contacts.contacts or []} == {ids["contact"], ids["second"]}
    left = client.conversations.detach_contact_as_admin(cid, ids["second"], admin_id=ids["admin"])
    assert [c.id for c in (left.contacts.contacts if left.contacts else None) or []] == [
        ids["contact"]
    ]

    updated = client.conversations.update(cid, read=True, title="Fire", custom_attributes={"x": 1})
    assert updated.read is True and updated.title == "Fire"

    parts = updated.conversation_parts
    assert parts is not None and parts.conversation_parts
    first_part = parts.conversation_parts[0].id
    redacted = client.conversations.redact_conversation_part(
        request=RedactConversationRequest_ConversationPart(
            conversation_id=cid, conversation_part_id=first_part
        )
    )
    assert redacted.conversation_parts is not None
    assert (redacted.conversation_parts.conversation_parts or [])[0].redacted is True

    ruled = client.conversations.run_assignment_rules(cid)  # no team: nothing to route
    assert ruled.id == cid and ruled.admin_assignee_id == int(ids["admin"])

    deleted = client.conversations.delete_conversation(int(cid))
    assert deleted.deleted is True and deleted.id == cid
    with pytest.raises(ApiError) as missing:
        client.conversations.find(conversation_id=cid)
    assert missing.value.status_code == 404
