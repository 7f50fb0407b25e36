"""Team queries, always scoped to one workspace."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from parlour.db.models import Team, TeamMember


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
