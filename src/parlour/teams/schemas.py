"""Intercom-shaped JSON for teams (`team`, `team_list`)."""

from __future__ import annotations

from typing import Any

from parlour.teams.service import TeamView


def team(view: TeamView) -> dict[str, Any]:
    """A `team` object."""
    return {
        "type": "team",
        "id": str(view.team.id),
        "name": view.team.name,
        "admin_ids": view.admin_ids,
        "admin_priority_level": None,
        "assignment_limit": view.team.assignment_limit,
        "distribution_method": view.team.distribution_method,
    }


def team_list(views: list[TeamView]) -> dict[str, Any]:
    """A `team.list`."""
    return {"type": "team.list", "teams": [team(v) for v in views]}
