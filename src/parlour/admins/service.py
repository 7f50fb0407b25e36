"""Admin use cases."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from parlour.admins import repository
from parlour.core.ids import parse_numeric_id
from parlour.db.models import Admin, Workspace
from parlour.errors import AdminNotFound, NotFound


@dataclass(slots=True)
class AdminView:
    """An admin and the ids of its teams."""

    admin: Admin
    team_ids: list[int]


def list_admins(session: Session, workspace_id: int) -> list[AdminView]:
    """All admins of the workspace with their team ids."""
    admins = repository.list_admins(session, workspace_id)
    teams = repository.team_ids_by_admin(session, workspace_id, [a.id for a in admins])
    return [AdminView(a, teams.get(a.id, [])) for a in admins]


def retrieve_admin(session: Session, workspace_id: int, admin_id: str) -> AdminView:
    """One admin, or 404 `admin_not_found`."""
    numeric = parse_numeric_id(admin_id)
    admin = repository.get_admin(session, workspace_id, numeric) if numeric else None
    if admin is None:
        raise AdminNotFound()
    teams = repository.team_ids_by_admin(session, workspace_id, [admin.id])
    return AdminView(admin, teams.get(admin.id, []))


def identify(session: Session, workspace_id: int, admin_id: int | None) -> tuple[Admin, Workspace]:
    """The admin a token acts as, with its workspace (`GET /me`)."""
    workspace = repository.get_workspace(session, workspace_id)
    admin = repository.get_admin(session, workspace_id, admin_id) if admin_id else None
    if workspace is None or admin is None:
        raise NotFound("The admin this token acts as no longer exists")
    return admin, workspace
