"""Team use cases."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from parlour.core.ids import MAX_NUMERIC_ID
from parlour.db.models import Team
from parlour.errors import AdminNotFound, ParameterInvalid
from parlour.teams import repository

DISTRIBUTION_METHODS = ("balanced", "round_robin")
MAX_NAME = 255


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


def create_team(
    session: Session,
    *,
    workspace_id: int,
    now: int,
    name: str,
    admin_ids: list[int],
    distribution_method: str | None = None,
    assignment_limit: int | None = None,
) -> TeamView:
    """A new team of existing admins of the workspace (an unknown admin is 404)."""
    name = name.strip()
    if not name or len(name) > MAX_NAME or "\x00" in name:
        raise ParameterInvalid(f"name must be 1 to {MAX_NAME} characters", field="name")
    if distribution_method is not None and distribution_method not in DISTRIBUTION_METHODS:
        raise ParameterInvalid(
            "distribution_method must be balanced or round_robin", field="distribution_method"
        )
    if assignment_limit is not None and assignment_limit < 1:
        raise ParameterInvalid("assignment_limit must be at least 1", field="assignment_limit")
    members = list(dict.fromkeys(admin_ids))
    possible = [a for a in members if 0 < a <= MAX_NUMERIC_ID]
    missing = set(members) - repository.existing_admin_ids(session, workspace_id, possible)
    if missing:
        raise AdminNotFound(f"Admin not found: {min(missing)}", field="admin_ids")
    team = Team(
        workspace_id=workspace_id,
        name=name,
        distribution_method=distribution_method,
        assignment_limit=assignment_limit,
        created_at=now,
    )
    repository.add_team(session, team, members)
    return TeamView(team, sorted(members))
