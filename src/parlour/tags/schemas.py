"""Intercom-shaped JSON for tags (`tag`, `tag_list`)."""

from __future__ import annotations

from typing import Any

from parlour.db.models import Tag


def tag(row: Tag) -> dict[str, Any]:
    """A `tag` object."""
    return {"type": "tag", "id": str(row.id), "name": row.name}


def tag_list(rows: list[Tag]) -> dict[str, Any]:
    """A tag `list`."""
    return {"type": "list", "data": [tag(r) for r in rows]}
