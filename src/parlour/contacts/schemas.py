"""Intercom-shaped JSON for contacts (2.14 `contact`)."""

from __future__ import annotations

from typing import Any

from parlour.contacts.service import ContactView
from parlour.db.models import Contact


def _list(url: str, data: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "type": "list",
        "data": data,
        "url": url,
        "total_count": len(data),
        "has_more": False,
    }


def contact(view: ContactView, app_id: str) -> dict[str, Any]:
    """A `contact` object; strings the spec declares non-nullable are omitted when unknown."""
    row = view.contact
    base = f"/contacts/{row.id}"
    out: dict[str, Any] = {
        "type": "contact",
        "id": row.id,
        "workspace_id": app_id,
        "external_id": row.external_id,
        "role": row.role,
        "phone": row.phone,
        "name": row.name,
        "avatar": {"type": "avatar", "image_url": row.avatar_url} if row.avatar_url else None,
        "owner_id": row.owner_id,
        "social_profiles": {"type": "list", "data": []},
        "has_hard_bounced": False,
        "marked_email_as_spam": False,
        "unsubscribed_from_emails": row.unsubscribed_from_emails,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "signed_up_at": row.signed_up_at,
        "last_seen_at": row.last_seen_at,
        "last_replied_at": row.last_replied_at,
        "last_contacted_at": row.last_contacted_at,
        "last_email_opened_at": None,
        "last_email_clicked_at": None,
        "language_override": row.language_override,
        "browser": row.browser,
        "browser_version": None,
        "browser_language": row.browser_language,
        "os": row.os,
        "android_app_name": None,
        "android_app_version": None,
        "android_device": None,
        "android_os_version": None,
        "android_sdk_version": None,
        "android_last_seen_at": None,
        "ios_app_name": None,
        "ios_app_version": None,
        "ios_device": None,
        "ios_os_version": None,
        "ios_sdk_version": None,
        "ios_last_seen_at": None,
        "custom_attributes": row.custom_attributes,
        "tags": _list(
            f"{base}/tags",
            [{"type": "tag", "id": str(t.id), "url": f"/tags/{t.id}"} for t in view.tags],
        ),
        "notes": _list(f"{base}/notes", []),
        "companies": _list(f"{base}/companies", []),
        "location": {
            "type": "location",
            "country": row.country,
            "region": None,
            "city": row.city,
        },
    }
    if row.email:
        out["email"] = row.email
        out["email_domain"] = row.email.rpartition("@")[2]
    return out


def contact_list(
    views: list[ContactView], app_id: str, *, pages: dict[str, Any], total: int
) -> dict[str, Any]:
    """A `contact_list`: one page of contacts with cursor `pages`."""
    return {
        "type": "list",
        "data": [contact(v, app_id) for v in views],
        "total_count": total,
        "pages": pages,
    }


def contact_deleted(row: Contact) -> dict[str, Any]:
    """A `contact_deleted` object."""
    return {"type": "contact", "id": row.id, "external_id": row.external_id, "deleted": True}
