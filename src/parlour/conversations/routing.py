"""Assignment rules: which teammate of a team gets a conversation (pure; no I/O).

The rule `POST /conversations/{id}/run_assignment_rules` applies, configured per team by
its `distribution_method` and `assignment_limit` (Intercom's team settings):

- `balanced` (also the default): the available member with the fewest open conversations
  assigned to them; ties go to the member who was assigned least recently, then lowest id.
- `round_robin`: the available member who was assigned a conversation least recently
  (never beats any time), then lowest id.

Members in away mode are never chosen, nor members already holding `assignment_limit` or
more open conversations. No available member means no assignment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

BALANCED = "balanced"
ROUND_ROBIN = "round_robin"


@dataclass(frozen=True, slots=True)
class Candidate:
    """A team member as the rule sees them."""

    admin_id: int
    away: bool
    open_assigned: int
    last_assigned_at: int | None


def choose_assignee(
    method: str | None, members: Sequence[Candidate], assignment_limit: int | None
) -> int | None:
    """The admin id the team's rule assigns to, or None when nobody is available."""
    available = [
        m
        for m in members
        if not m.away and (assignment_limit is None or m.open_assigned < assignment_limit)
    ]
    if not available:
        return None
    never = -1  # sorts before any real timestamp: never-assigned members go first

    def recency(member: Candidate) -> int:
        return never if member.last_assigned_at is None else member.last_assigned_at

    if method == ROUND_ROBIN:
        chosen = min(available, key=lambda m: (recency(m), m.admin_id))
    else:
        chosen = min(available, key=lambda m: (m.open_assigned, recency(m), m.admin_id))
    return chosen.admin_id
