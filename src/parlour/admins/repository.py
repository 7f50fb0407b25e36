"""Admin queries, always scoped to one workspace."""

from __future__ import annotations

from collections import defaultdict
from typing import NamedTuple

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import Session

from parlour.db.models import Admin, TeamMember, Workspace
from parlour.db.prepared import Prepared
from parlour.db.session import Reads


def list_admins(session: Session, workspace_id: int) -> list[Admin]:
    """Every admin of the workspace, oldest first."""
    return list(
        session.scalars(select(Admin).where(Admin.workspace_id == workspace_id).order_by(Admin.id))
    )


class _AdminId(NamedTuple):
    id: int


# Conversation writes and filters check an admin id on every call: built once.
_ADMIN_ID = Prepared(
    select(Admin.id).where(
        Admin.id == bindparam("admin_id"), Admin.workspace_id == bindparam("workspace_id")
    ),
    _AdminId,
)


def admin_exists(session: Reads, workspace_id: int, admin_id: int) -> bool:
    """True when the admin belongs to this workspace."""
    params = {"admin_id": admin_id, "workspace_id": workspace_id}
    return _ADMIN_ID.first(session, params) is not None


def get_admin(session: Session, workspace_id: int, admin_id: int) -> Admin | None:
    """One admin of the workspace."""
    return session.scalars(
        select(Admin).where(Admin.id == admin_id, Admin.workspace_id == workspace_id)
    ).first()


def team_ids_by_admin(
    session: Session, workspace_id: int, admin_ids: list[int]
) -> dict[int, list[int]]:
    """The teams each admin belongs to."""
    out: dict[int, list[int]] = defaultdict(list)
    if not admin_ids:
        return out
    for team_id, admin_id in session.execute(
        select(TeamMember.team_id, TeamMember.admin_id)
        .where(TeamMember.workspace_id == workspace_id, TeamMember.admin_id.in_(admin_ids))
        .order_by(TeamMember.team_id)
    ):
        out[admin_id].append(team_id)
    return out


def get_workspace(session: Session, workspace_id: int) -> Workspace | None:
    """The workspace itself (for `/me`'s `app`)."""
    return session.get(Workspace, workspace_id)


def get_admin_by_email(session: Session, workspace_id: int, email: str) -> Admin | None:
    """The workspace's admin with this email (exactly, or in another case)."""
    return session.scalars(
        select(Admin)
        .where(
            Admin.workspace_id == workspace_id,
            or_(Admin.email == email, func.lower(Admin.email) == email.lower()),
        )
        .order_by(Admin.id)
        .limit(1)
    ).first()


def add(session: Session, admin: Admin) -> None:
    """Stage a new admin and flush it so its id is known."""
    session.add(admin)
    session.flush()
