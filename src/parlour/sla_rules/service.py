"""SLA rule use cases: create (validated), list, find, archive."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from parlour.core.ids import fetch_by_id
from parlour.core.office_hours import OfficeHours, OfficeHoursInvalid
from parlour.db.models import SlaPolicy
from parlour.errors import Conflict, ParameterInvalid, ParameterNotFound, SlaRuleNotFound
from parlour.sla_rules import repository
from parlour.workspaces import repository as workspace_repo

MAX_NAME = 255
# A target longer than a year is a typo, and would make office-hours arithmetic long.
MAX_TARGET_SECONDS = 365 * 86_400


@dataclass(frozen=True, slots=True)
class NewRule:
    """What a new rule is made of (targets in seconds, office hours in their JSON form)."""

    name: str
    first_reply_seconds: int | None = None
    next_reply_seconds: int | None = None
    time_to_close_seconds: int | None = None
    office_hours: Any = None
    apply_to_new: bool = False


def create_rule(session: Session, *, workspace_id: int, now: int, new: NewRule) -> SlaPolicy:
    """A new rule; a name already used in the workspace (any case) is 409."""
    name = new.name.strip()
    if not name or len(name) > MAX_NAME:
        raise ParameterInvalid(f"name must be 1 to {MAX_NAME} characters", field="name")
    targets = {
        "first_reply_time_in_seconds": new.first_reply_seconds,
        "next_reply_time_in_seconds": new.next_reply_seconds,
        "time_to_close_in_seconds": new.time_to_close_seconds,
    }
    if all(value is None for value in targets.values()):
        raise ParameterNotFound(
            "at least one of first_reply_time_in_seconds, next_reply_time_in_seconds or "
            "time_to_close_in_seconds is required",
            field="first_reply_time_in_seconds",
        )
    for field, value in targets.items():
        if value is not None and not 1 <= value <= MAX_TARGET_SECONDS:
            raise ParameterInvalid(
                f"{field} must be between 1 and {MAX_TARGET_SECONDS}", field=field
            )
    hours = None
    if new.office_hours is not None:
        try:
            hours = OfficeHours.from_json(new.office_hours).to_json()
        except OfficeHoursInvalid as exc:
            raise ParameterInvalid(str(exc), field="office_hours") from None
    # Names are unique per workspace: the workspace row lock makes check-then-insert safe.
    workspace_repo.lock(session, workspace_id)
    existing = repository.by_name(session, workspace_id, name)
    if existing is not None:
        raise Conflict(f"An SLA rule named {existing.name!r} already exists with id={existing.id}")
    if new.apply_to_new:
        repository.stop_applying_to_new(session, workspace_id, now)
    rule = SlaPolicy(
        workspace_id=workspace_id,
        name=name,
        first_reply_seconds=new.first_reply_seconds,
        next_reply_seconds=new.next_reply_seconds,
        time_to_close_seconds=new.time_to_close_seconds,
        office_hours=hours,
        apply_to_new=new.apply_to_new,
        created_at=now,
        updated_at=now,
        archived_at=None,
    )
    repository.add(session, rule)
    return rule


def list_rules(session: Session, workspace_id: int) -> list[SlaPolicy]:
    """Every rule of the workspace, archived ones included (they say so)."""
    return repository.list_rules(session, workspace_id)


def get_rule(session: Session, workspace_id: int, raw_id: str) -> SlaPolicy:
    """One rule of the workspace, or 404."""
    rule = fetch_by_id(raw_id, lambda n: repository.get(session, workspace_id, n))
    if rule is None:
        raise SlaRuleNotFound()
    return rule


def archive_rule(session: Session, *, workspace_id: int, now: int, raw_id: str) -> SlaPolicy:
    """Archive a rule: it can no longer be applied; conversations keep it (idempotent)."""
    rule = get_rule(session, workspace_id, raw_id)
    if rule.archived_at is None:
        rule.archived_at = now
        rule.updated_at = now
        rule.apply_to_new = False
        session.flush()
    return rule
