"""Intercom-shaped JSON for admins (`admin`, `admin_list`, `admin_with_app`)."""

from __future__ import annotations

from typing import Any

from parlour.admins.service import AdminView
from parlour.db.models import Admin, Workspace


def admin(view: AdminView) -> dict[str, Any]:
    """An `admin` object."""
    row = view.admin
    return {
        "type": "admin",
        "id": str(row.id),
        "name": row.name,
        "email": row.email,
        "job_title": row.job_title,
        "away_mode_enabled": row.away_mode_enabled,
        "away_mode_reassign": row.away_mode_reassign,
        "away_status_reason_id": None,
        "has_inbox_seat": row.has_inbox_seat,
        "team_ids": view.team_ids,
        "avatar": row.avatar_url,
        "team_priority_level": None,
    }


def admin_list(views: list[AdminView]) -> dict[str, Any]:
    """An `admin.list`."""
    return {"type": "admin.list", "admins": [admin(v) for v in views]}


def admin_with_app(row: Admin, workspace: Workspace) -> dict[str, Any]:
    """`GET /me`: the token's admin and its workspace as Intercom's `app`."""
    return {
        "type": "admin",
        "id": str(row.id),
        "email": row.email,
        "name": row.name,
        "email_verified": True,
        "app": {
            "type": "app",
            "id_code": workspace.app_id,
            "name": workspace.name,
            "created_at": workspace.created_at,
            "secure": False,
            "identity_verification": False,
            "timezone": workspace.timezone,
            "region": workspace.region,
        },
        "avatar": {"type": "avatar", "image_url": row.avatar_url},
        "has_inbox_seat": row.has_inbox_seat,
    }
