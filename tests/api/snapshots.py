"""Every stored row of a workspace, to prove a request changed nothing (or only what it should)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, select

from parlour.db.base import Base
from parlour.db.session import Database

Snapshot = dict[str, list[tuple[Any, ...]]]


def _scoped(table: Table) -> bool:
    return table.name == "workspace" or "workspace_id" in table.c


def workspace_tables() -> list[str]:
    """The tables holding a workspace's rows (every table but server-wide settings)."""
    tables = [t.name for t in Base.metadata.sorted_tables if _scoped(t)]
    unscoped = {t.name for t in Base.metadata.sorted_tables} - set(tables)
    # A new table without workspace_id would escape these snapshots: decide here.
    assert unscoped == {"server_setting"}, unscoped
    return tables


def snapshot(db: Database, workspace_id: int) -> Snapshot:
    """Every row of every table that belongs to the workspace, in primary-key order."""
    rows: Snapshot = {}
    tables = set(workspace_tables())
    with db.read_session() as session:
        for table in Base.metadata.sorted_tables:
            if table.name not in tables:
                continue
            column = table.c.id if table.name == "workspace" else table.c.workspace_id
            query = select(table).where(column == workspace_id)
            query = query.order_by(*table.primary_key.columns)
            rows[table.name] = [tuple(row) for row in session.execute(query)]
    return rows


def changed_tables(before: Snapshot, after: Snapshot) -> set[str]:
    """The tables whose rows differ between two snapshots."""
    return {name for name in before if before[name] != after.get(name)}
