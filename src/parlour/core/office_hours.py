"""Office hours: when a team works, and deadlines that count only working time.

An SLA target of N seconds under office hours ends after N seconds *of office time*: a
message that arrives outside office hours starts the clock at the next opening, and time
left over at closing carries on at the next opening (as Intercom's SLAs do). Holidays are
whole local days with no office hours.

The JSON form, as stored on an SLA rule and accepted by the API:

    {"timezone": "Europe/Dublin",
     "hours": {"monday": [["09:00", "17:00"]], "tuesday": [["09:00", "12:30"], ["13:30", "17:00"]]},
     "holidays": ["2026-12-25"]}

Days left out have no office hours; "24:00" ends an interval at midnight.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# Fewer working minutes a week than this would push deadlines years away.
MIN_WEEKLY_MINUTES = 60
MAX_HOLIDAYS = 1000
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")


class OfficeHoursInvalid(ValueError):
    """The office hours given cannot be used; the message says why."""


Interval = tuple[int, int]  # minutes since local midnight: [start, end)


@dataclass(frozen=True, slots=True)
class OfficeHours:
    """Weekly working intervals in a timezone, minus holidays."""

    timezone: str
    weekly: tuple[tuple[Interval, ...], ...]  # index 0 is Monday
    holidays: frozenset[date] = frozenset()

    @classmethod
    def from_json(cls, data: Any) -> OfficeHours:
        """Validate the JSON form; raises OfficeHoursInvalid naming the problem."""
        if not isinstance(data, Mapping):
            raise OfficeHoursInvalid("office_hours must be an object")
        unknown = set(data) - {"timezone", "hours", "holidays"}
        if unknown:
            names = ", ".join(sorted(map(str, unknown)))
            raise OfficeHoursInvalid(f"office_hours has unknown fields: {names}")
        zone = data.get("timezone", "UTC")
        if not isinstance(zone, str) or not zone:
            raise OfficeHoursInvalid("office_hours.timezone must be an IANA timezone name")
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise OfficeHoursInvalid(
                f"office_hours.timezone {zone!r} is not a known timezone"
            ) from None
        hours = data.get("hours")
        if not isinstance(hours, Mapping) or not hours:
            raise OfficeHoursInvalid("office_hours.hours must map weekday names to intervals")
        weekly: list[tuple[Interval, ...]] = []
        for day in DAYS:
            weekly.append(_intervals(day, hours.get(day, [])))
        strange = set(hours) - set(DAYS)
        if strange:
            raise OfficeHoursInvalid(
                f"office_hours.hours has unknown days: {', '.join(sorted(map(str, strange)))}"
            )
        if sum(end - start for day in weekly for start, end in day) < MIN_WEEKLY_MINUTES:
            raise OfficeHoursInvalid("office_hours must give at least one working hour a week")
        return cls(timezone=zone, weekly=tuple(weekly), holidays=_holidays(data.get("holidays")))

    def to_json(self) -> dict[str, Any]:
        """The JSON form (days without hours left out)."""
        return {
            "timezone": self.timezone,
            "hours": {
                day: [[_clock(start), _clock(end)] for start, end in intervals]
                for day, intervals in zip(DAYS, self.weekly, strict=True)
                if intervals
            },
            "holidays": sorted(d.isoformat() for d in self.holidays),
        }

    def add(self, start: int, seconds: int) -> int:
        """The moment `seconds` of office time have passed since `start` (epoch seconds)."""
        zone = ZoneInfo(self.timezone)
        remaining = max(seconds, 0)
        day = datetime.fromtimestamp(start, zone).date()
        weekly_seconds = 60 * sum(end - begin for d in self.weekly for begin, end in d)
        first = True
        while True:
            if not first and remaining > weekly_seconds and self._plain_week(day, zone):
                # A whole ordinary week fits in what is left: skip it in one step.
                remaining -= weekly_seconds
                day += timedelta(days=7)
                continue
            if day not in self.holidays:
                for begin, end in self.weekly[day.weekday()]:
                    opens = max(_epoch(day, begin, zone), start)
                    closes = _epoch(day, end, zone)
                    if opens >= closes:
                        continue
                    if remaining <= closes - opens:
                        return opens + remaining
                    remaining -= closes - opens
            day += timedelta(days=1)
            first = False

    def _plain_week(self, day: date, zone: ZoneInfo) -> bool:
        """No holiday and no clock change in the 7 days from `day`."""
        if any(day + timedelta(days=n) in self.holidays for n in range(7)):
            return False
        return _offset(day, zone) == _offset(day + timedelta(days=7), zone)


def _intervals(day: str, raw: Any) -> tuple[Interval, ...]:
    if not isinstance(raw, list):
        raise OfficeHoursInvalid(f"office_hours.hours.{day} must be a list of [start, end]")
    out: list[Interval] = []
    for item in raw:
        if (
            not isinstance(item, list | tuple)
            or len(item) != 2
            or not all(isinstance(v, str) and _CLOCK.match(v) for v in item)
        ):
            raise OfficeHoursInvalid(
                f"office_hours.hours.{day} intervals must be [\"HH:MM\", \"HH:MM\"]"
            )
        start, end = (_minutes(v) for v in item)
        if start >= end:
            raise OfficeHoursInvalid(f"office_hours.hours.{day}: {item[0]} is not before {item[1]}")
        out.append((start, end))
    out.sort()
    for (_, end), (start, _) in pairwise(out):
        if start < end:
            raise OfficeHoursInvalid(f"office_hours.hours.{day} has overlapping intervals")
    return tuple(out)


def _holidays(raw: Any) -> frozenset[date]:
    if raw is None:
        return frozenset()
    if not isinstance(raw, list) or len(raw) > MAX_HOLIDAYS:
        raise OfficeHoursInvalid(
            f"office_hours.holidays must be a list of at most {MAX_HOLIDAYS} dates"
        )
    days: set[date] = set()
    for item in raw:
        try:
            days.add(date.fromisoformat(item))
        except (TypeError, ValueError):
            raise OfficeHoursInvalid(
                f"office_hours.holidays: {item!r} is not a YYYY-MM-DD date"
            ) from None
    return frozenset(days)


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _epoch(day: date, minutes: int, zone: ZoneInfo) -> int:
    """Epoch seconds of a local wall-clock time (24:00 is the next midnight)."""
    local = datetime.combine(day, time(0), zone) + timedelta(minutes=minutes)
    # Aware arithmetic is wall-clock arithmetic; re-attaching the zone resolves the offset
    # that applies at the resulting wall time.
    return int(local.replace(tzinfo=zone).astimezone(UTC).timestamp())


def _offset(day: date, zone: ZoneInfo) -> timedelta | None:
    return datetime.combine(day, time(0), zone).utcoffset()
