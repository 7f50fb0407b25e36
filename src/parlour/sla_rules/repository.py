"""SLA rule queries, always scoped to one workspace."""

from __future__ import annotations

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from parlour.db.models import SlaPolicy


def get(session: Session, workspace_id: int, rule_id: int) -> SlaPolicy | None:
    """One rule of the workspace, archived or not."""
    return session.scalars(
        select(SlaPolicy).where(SlaPolicy.workspace_id == workspace_id, SlaPolicy.id == rule_id)
    ).first()


def list_rules(session: Session, workspace_id: int) -> list[SlaPolicy]:
    """Every rule of the workspace, oldest first."""
    return list(
        session.scalars(
            select(SlaPolicy).where(SlaPolicy.workspace_id == workspace_id).order_by(SlaPolicy.id)
        )
    )


def by_name(session: Session, workspace_id: int, name: str) -> SlaPolicy | None:
    """The rule with this name, ignoring case.

    The exact comparison matters: SQLite's lower() folds ASCII only, so `Ø` never matched
    Python's `ø`, the duplicate slipped past this check and the (workspace_id, name) unique
    constraint answered a 500 (found by tests/fuzz).
    """
    return session.scalars(
        select(SlaPolicy).where(
            SlaPolicy.workspace_id == workspace_id,
            or_(SlaPolicy.name == name, func.lower(SlaPolicy.name) == name.lower()),
        )
    ).first()


def rule_for_new_conversations(session: Session, workspace_id: int) -> SlaPolicy | None:
    """The live rule applied to every new conversation, if the workspace has one."""
    return session.scalars(
        select(SlaPolicy).where(
            SlaPolicy.workspace_id == workspace_id,
            SlaPolicy.apply_to_new.is_(True),
            SlaPolicy.archived_at.is_(None),
        )
    ).first()


def stop_applying_to_new(session: Session, workspace_id: int, now: int) -> None:
    """No rule of the workspace is applied to new conversations any more."""
    session.execute(
        update(SlaPolicy)
        .where(SlaPolicy.workspace_id == workspace_id, SlaPolicy.apply_to_new.is_(True))
        .values(apply_to_new=False, updated_at=now)
    )


def add(session: Session, rule: SlaPolicy) -> None:
    """Stage a new rule and flush it so its id is known."""
    session.add(rule)
    session.flush()
