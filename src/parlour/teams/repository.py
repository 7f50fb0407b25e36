"""Team queries, always scoped to one workspace."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from parlour.db.models import Admin, Team, TeamMember


def list_teams(session: Session, workspace_id: int) -> list[Team]:
    """Every team of the workspace, oldest first."""
    return list(
        session.scalars(select(Team).where(Team.workspace_id == workspace_id).order_by(Team.id))
    )


def admin_ids_by_team(session: Session, workspace_id: int) -> dict[int, list[int]]:
    """The admins of each team of the workspace."""
    out: dict[int, list[int]] = defaultdict(list)
    for team_id, admin_id in session.execute(
        select(TeamMember.team_id, TeamMember.admin_id)
        .where(TeamMember.workspace_id == workspace_id)
        .order_by(TeamMember.admin_id)
    ):
        out[team_id].append(admin_id)
    return out


def existing_admin_ids(session: Session, workspace_id: int, admin_ids: list[int]) -> set[int]:
    """Which of these ids are admins of the workspace."""
    if not admin_ids:
        return set()
    return set(
        session.scalars(
            select(Admin.id).where(Admin.workspace_id == workspace_id, Admin.id.in_(admin_ids))
        )
    )


def add_team(session: Session, team: Team, admin_ids: list[int]) -> None:
    """Stage a new team with its members and flush them."""
    session.add(team)
    session.flush()
    for admin_id in admin_ids:
        session.add(TeamMember(team_id=team.id, admin_id=admin_id, workspace_id=team.workspace_id))
    session.flush()


def get_team(session: Session, workspace_id: int, team_id: int) -> Team | None:
    """One team of the workspace."""
    return session.scalars(
        select(Team).where(Team.id == team_id, Team.workspace_id == workspace_id)
    ).first()


def members(session: Session, workspace_id: int, team_id: int) -> list[tuple[int, bool]]:
    """(admin id, away mode) of each member of a team, by id."""
    rows = session.execute(
        select(Admin.id, Admin.away_mode_enabled)
        .join(TeamMember, TeamMember.admin_id == Admin.id)
        .where(
            TeamMember.team_id == team_id,
            TeamMember.workspace_id == workspace_id,
            Admin.workspace_id == workspace_id,
        )
        .order_by(Admin.id)
    )
    return [(int(admin_id), bool(away)) for admin_id, away in rows]
