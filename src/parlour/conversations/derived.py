"""Every derived column of a conversation, from its opening message and whole timeline.

`state`, `open`, `waiting_since`, `snoozed_until`, the assignees, `teammate_ids`,
`first_contact_reply_at`, `statistics` and `part_count` are a cache of the timeline, never
written by hand: the write model (`conversations.writes`) and the demo generator both take
them from `derived_columns`, so seeded data and API writes cannot disagree. With an SLA
applied, its status and next deadline are re-evaluated with them. Pure: no I/O, `now` given.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple, NotRequired, TypedDict

from parlour.conversations.sla import SlaTargets, evaluate
from parlour.conversations.state import DerivedState, derive_state
from parlour.conversations.statistics import compute_statistics
from parlour.conversations.timeline import Part, Source


class DerivedColumns(TypedDict):
    """The derived columns, by name: a conversation's columns (`ConversationColumns`)."""

    state: str
    open: bool
    snoozed_until: int | None
    waiting_since: int | None
    admin_assignee_id: int | None
    team_assignee_id: int | None
    teammate_ids: list[str]
    first_contact_reply_at: int | None
    statistics: dict[str, Any]
    part_count: int
    sla_status: NotRequired[str | None]
    sla_deadline: NotRequired[int | None]


class AppliedSla(NamedTuple):
    """The SLA rule in force on a conversation, and when it was applied."""

    targets: SlaTargets
    applied_at: int


def derived_columns(
    source: Source,
    timeline: Sequence[Part],
    now: int,
    sla: AppliedSla | None = None,
    *,
    derived: DerivedState | None = None,
) -> tuple[DerivedState, DerivedColumns]:
    """The derived state and the derived columns by name (`sla_*` only with an SLA).

    `derived`: the timeline's state where the caller has replayed it already (the demo
    generator steps a `state.Replay` as it makes the parts).
    """
    if derived is None:
        derived = derive_state(source, timeline)
    values: DerivedColumns = {
        "state": derived.state,
        "open": derived.open,
        "snoozed_until": derived.snoozed_until,
        "waiting_since": derived.waiting_since,
        "admin_assignee_id": assignee_column(derived.admin_assignee_id),
        "team_assignee_id": assignee_column(derived.team_assignee_id),
        "teammate_ids": list(derived.teammate_ids),
        "first_contact_reply_at": derived.first_contact_reply_at,
        "statistics": compute_statistics(source, timeline, now).to_dict(),
        "part_count": len(timeline),
    }
    if sla is not None:
        outcome = evaluate(sla.targets, source, timeline, sla.applied_at)
        values["sla_status"], values["sla_deadline"] = outcome.status, outcome.deadline
    return derived, values


def assignee_column(value: str | None) -> int | None:
    """A derived assignee id as its integer column (None for nobody or "0")."""
    return int(value) if value is not None and value.isdigit() and value != "0" else None
