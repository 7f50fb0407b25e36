"""A bounded cache of counts, keyed by what can change them (workspace versions, a filter)."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any


class CountCache:
    """Counts by key, least recently used evicted past `max_entries`.

    Exact as long as every key holds the version of everything its count reads: the
    conversation list keys on the workspace's data (or population) version, search on the
    versions of the fields its query reads, so unchanged data is never recounted.
    """

    def __init__(self, max_entries: int = 4096) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[Any, ...], int] = OrderedDict()

    def get(self, key: tuple[Any, ...]) -> int | None:
        """A cached count, refreshed as most recently used."""
        value = self._entries.get(key)
        if value is not None:
            self._entries.move_to_end(key)
        return value

    def put(self, key: tuple[Any, ...], value: int) -> None:
        """Remember a count, evicting the least recently used beyond the bound."""
        self._entries[key] = value
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
