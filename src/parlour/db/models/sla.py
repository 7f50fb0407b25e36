"""Service-level agreement policies a workspace applies to conversations."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from parlour.db.base import Base
from parlour.db.types import IdInt, Json


class SlaPolicy(Base):
    """Targets (seconds) for first reply, next reply and time to close; optional office hours."""

    __tablename__ = "sla_policy"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    id: Mapped[int] = mapped_column(IdInt, primary_key=True, autoincrement=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    first_reply_seconds: Mapped[int | None]
    next_reply_seconds: Mapped[int | None]
    time_to_close_seconds: Mapped[int | None]
    # `sla_rules.office_hours.OfficeHours` as JSON; None means the clock runs all day.
    office_hours: Mapped[dict[str, Any] | None] = mapped_column(Json)
    # Applied to every conversation started after it was created (Intercom: a workflow).
    apply_to_new: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[int]
    updated_at: Mapped[int]
    archived_at: Mapped[int | None]
