"""Workspaces (Intercom's "app"), their access tokens, and server-wide settings."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from parlour.db.base import Base
from parlour.db.types import IdInt


class Workspace(Base):
    """A tenant: every other row belongs to exactly one workspace."""

    __tablename__ = "workspace"

    id: Mapped[int] = mapped_column(IdInt, primary_key=True, autoincrement=True)
    app_id: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    # The Intercom-Version applied when a request sends none (Intercom: a workspace setting).
    api_version: Mapped[str] = mapped_column(String(16), default="2.14")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    region: Mapped[str] = mapped_column(String(8), default="US")
    created_at: Mapped[int]
    # Bumped by every conversation write, so cached counts know when they are stale.
    data_version: Mapped[int] = mapped_column(default=0)
    # Bumped only when conversations are created or deleted: the unfiltered count (every
    # list page's `total_count`) stays cached across replies and state changes.
    population_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # Bumped by triggers (migration 0007) when a write changes a group of searchable columns,
    # so a cached search count outlives the writes that cannot change it (a reply leaves a
    # tag count alone). `conversations.search_columns.FIELD_VERSIONS` says which field
    # reads which.
    tags_version: Mapped[int] = mapped_column(default=0, server_default="0")
    contacts_version: Mapped[int] = mapped_column(default=0, server_default="0")
    state_version: Mapped[int] = mapped_column(default=0, server_default="0")
    assignee_version: Mapped[int] = mapped_column(default=0, server_default="0")
    priority_version: Mapped[int] = mapped_column(default=0, server_default="0")
    source_version: Mapped[int] = mapped_column(default=0, server_default="0")


class AccessToken(Base):
    """A bearer token, stored only as its SHA-256 hash; it acts as one admin of its workspace."""

    __tablename__ = "access_token"
    __table_args__ = (Index(None, "workspace_id"),)

    id: Mapped[int] = mapped_column(IdInt, primary_key=True, autoincrement=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    admin_id: Mapped[int | None] = mapped_column(ForeignKey("admin.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(255), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[int]
    revoked_at: Mapped[int | None]


class ServerSetting(Base):
    """Server-wide key/value settings, such as the generated cursor-signing key."""

    __tablename__ = "server_setting"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(512))
