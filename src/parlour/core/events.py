"""Domain events announced by a write, collected until its transaction owner records them.

A use case announces what happened (`announce(session.info, ...)`); whoever owns the
transaction takes the announcements just before committing and turns them into webhook
deliveries in the same transaction (`webhooks.outbox`). Use cases stay unaware of
webhooks, and an event can never outlive a rolled-back change.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

_KEY = "parlour.announcements"


@dataclass(frozen=True, slots=True)
class Announcement:
    """`topic` happened to a conversation; `part` is the part it added, if any."""

    topic: str
    workspace_id: int
    conversation_id: int
    part: Any = None


def announce(info: MutableMapping[str, Any], announcement: Announcement) -> None:
    """Remember an announcement on a session's `info` until the transaction owner takes it."""
    info.setdefault(_KEY, []).append(announcement)


def take(info: MutableMapping[str, Any]) -> list[Announcement]:
    """Every announcement made since the last take, oldest first."""
    announcements: list[Announcement] = info.pop(_KEY, [])
    return announcements
