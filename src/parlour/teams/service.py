"""Team use cases."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from parlour.db.models import Team
from parlour.teams import repository


@dataclass(slots=True)
class TeamView:
    """A team and the ids of its admins."""

    team: Team
    admin_ids: list[int]


def list_teams(session: Session, workspace_id: int) -> list[TeamView]:
    """All teams of the workspace with their members."""
    members = repository.admin_ids_by_team(session, workspace_id)
    return [
        TeamView(t, members.get(t.id, [])) for t in repository.list_teams(session, workspace_id)
    ]
