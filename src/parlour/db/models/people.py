"""Admins (teammates), teams and their members, contacts (users and leads)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from parlour.db.base import Base
from parlour.db.types import IdInt, Json


class Admin(Base):
    """A teammate who answers conversations."""

    __tablename__ = "admin"
    __table_args__ = (UniqueConstraint("workspace_id", "email"),)

    id: Mapped[int] = mapped_column(IdInt, primary_key=True, autoincrement=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    email: Mapped[str] = mapped_column(String(255))
    job_title: Mapped[str] = mapped_column(String(255), default="")
    away_mode_enabled: Mapped[bool] = mapped_column(default=False)
    away_mode_reassign: Mapped[bool] = mapped_column(default=False)
    has_inbox_seat: Mapped[bool] = mapped_column(default=True)
    avatar_url: Mapped[str | None] = mapped_column(String(1024))
    created_at: Mapped[int]


class Team(Base):
    """A group of admins conversations can be assigned to."""

    __tablename__ = "team"
    __table_args__ = (Index(None, "workspace_id"),)

    id: Mapped[int] = mapped_column(IdInt, primary_key=True, autoincrement=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    distribution_method: Mapped[str | None] = mapped_column(String(32))
    assignment_limit: Mapped[int | None]
    created_at: Mapped[int]


class TeamMember(Base):
    """An admin's membership of a team."""

    __tablename__ = "team_member"
    __table_args__ = (Index(None, "admin_id"),)

    team_id: Mapped[int] = mapped_column(
        ForeignKey("team.id", ondelete="CASCADE"), primary_key=True
    )
    admin_id: Mapped[int] = mapped_column(
        ForeignKey("admin.id", ondelete="CASCADE"), primary_key=True
    )
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))


class Contact(Base):
    """A user (identified) or lead (anonymous) who talks to the workspace."""

    __tablename__ = "contact"
    __table_args__ = (
        Index(None, "workspace_id", "external_id"),
        Index(None, "workspace_id", "email"),
        Index(None, "workspace_id", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(8))  # "user" | "lead"
    external_id: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(255))
    avatar_url: Mapped[str | None] = mapped_column(String(1024))
    owner_id: Mapped[int | None]
    language_override: Mapped[str | None] = mapped_column(String(16))
    browser: Mapped[str | None] = mapped_column(String(64))
    browser_language: Mapped[str | None] = mapped_column(String(16))
    os: Mapped[str | None] = mapped_column(String(64))
    city: Mapped[str | None] = mapped_column(String(128))
    country: Mapped[str | None] = mapped_column(String(128))
    unsubscribed_from_emails: Mapped[bool] = mapped_column(default=False)
    custom_attributes: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    created_at: Mapped[int]
    updated_at: Mapped[int]
    signed_up_at: Mapped[int | None]
    last_seen_at: Mapped[int | None]
    last_replied_at: Mapped[int | None]
    last_contacted_at: Mapped[int | None]


# Email lookups ignore case (Intercom matches emails case-insensitively).
Index("ix_contact_workspace_id_lower_email", Contact.workspace_id, func.lower(Contact.email))


class ContactTag(Base):
    """A tag applied to a contact."""

    __tablename__ = "contact_tag"
    __table_args__ = (Index(None, "tag_id"),)

    contact_id: Mapped[str] = mapped_column(
        ForeignKey("contact.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    applied_at: Mapped[int]
