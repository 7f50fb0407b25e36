"""What conversation commands take: a write's input, parsed from the request's body.

The routers turn Intercom's request bodies into these plain values; the commands
(`replies`, `links`, `edits`) decide what they mean. `html_body` and `attachment_rows` are
how Intercom stores what was sent.
"""

from __future__ import annotations

import base64
import binascii
import html
import mimetypes
import posixpath
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from parlour.contacts.service import ContactRef
from parlour.errors import ParameterInvalid


@dataclass(frozen=True, slots=True)
class Attachment:
    """An attachment as given: a URL, or inline base64 data with a name and type."""

    url: str | None = None
    name: str | None = None
    content_type: str | None = None
    data: str | None = None


@dataclass(frozen=True, slots=True)
class NewConversation:
    """`POST /conversations`: a contact's opening message."""

    from_type: str
    from_id: str
    body: str
    subject: str | None = None
    attachments: tuple[Attachment, ...] = ()
    created_at: int | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    """A reply: by an admin (`admin_id`) or a contact (`contact`)."""

    message_type: str
    body: str | None
    admin_id: str | None = None
    contact: ContactRef | None = None
    created_at: int | None = None
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True, slots=True)
class Action:
    """A `POST /conversations/{id}/parts` action."""

    message_type: str
    admin_id: str
    body: str | None = None
    snoozed_until: int | None = None
    assignee_type: str | None = None
    assignee_id: str | None = None


@dataclass(frozen=True, slots=True)
class Update:
    """`PUT /conversations/{id}`: only the fields present are changed."""

    read: bool | None = None
    title: str | None = None
    title_given: bool = False
    custom_attributes: dict[str, Any] | None = None
    company_id: str | None = None
    company_given: bool = False


def html_body(text: str) -> str:
    """Intercom stores bodies as HTML: plain text becomes one escaped paragraph."""
    stripped = text.strip()
    if stripped.startswith("<") and stripped.endswith(">"):
        return text
    return "".join(f"<p>{html.escape(line)}</p>" for line in text.split("\n") if line) or ""


def attachment_rows(attachments: tuple[Attachment, ...]) -> tuple[dict[str, Any], ...]:
    """The stored form of attachments (Intercom's `part_attachment`)."""
    rows = []
    for item in attachments:
        if item.url is not None:
            name = posixpath.basename(urlparse(item.url).path) or "attachment"
            guessed = mimetypes.guess_type(name)[0]
            rows.append(
                {
                    "type": "upload",
                    "name": name,
                    "url": item.url,
                    "content_type": guessed or "application/octet-stream",
                    "filesize": 0,
                    "width": None,
                    "height": None,
                }
            )
            continue
        try:
            size = len(base64.b64decode(item.data or "", validate=True))
        except (binascii.Error, ValueError):
            raise ParameterInvalid(
                "attachment_files data must be base64", field="attachment_files"
            ) from None
        content_type = item.content_type or "application/octet-stream"
        rows.append(
            {
                "type": "upload",
                "name": item.name or "attachment",
                # Parlour hosts no files: inline data travels as a data: URL.
                "url": f"data:{content_type};base64,{item.data}",
                "content_type": content_type,
                "filesize": size,
                "width": None,
                "height": None,
            }
        )
    return tuple(rows)
