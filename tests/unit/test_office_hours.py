"""Office-hours arithmetic: validation, deadlines across nights, weekends, holidays and DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parlour.core.office_hours import DAYS, OfficeHours, OfficeHoursInvalid

WEEKDAYS = DAYS[:5]


def hours(spec: dict[str, list[list[str]]], zone: str = "UTC", holidays: list[str] | None = None,
          ) -> OfficeHours:
    return OfficeHours.from_json({"timezone": zone, "hours": spec, "holidays": holidays or []})


NINE_TO_FIVE = hours({d: [["09:00", "17:00"]] for d in WEEKDAYS})


def at(text: str, zone: str = "UTC") -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone)).timestamp())


@pytest.mark.parametrize(
    ("start", "seconds", "expected"),
    [
        ("2026-11-23 10:00", 3600, "2026-11-23 11:00"),  # Monday, inside hours
        ("2026-11-23 16:30", 3600, "2026-11-24 09:30"),  # carries over the night
        ("2026-11-23 07:00", 60, "2026-11-23 09:01"),  # starts at the opening
        ("2026-11-23 17:00", 0, "2026-11-24 09:00"),  # zero outside hours: next opening
        ("2026-11-23 12:00", 0, "2026-11-23 12:00"),
        ("2026-11-20 16:55", 3600, "2026-11-23 09:55"),  # Friday -> Monday
        ("2026-11-21 12:00", 60, "2026-11-23 09:01"),  # Saturday
        ("2026-11-23 09:00", 8 * 3600, "2026-11-23 17:00"),  # exactly one working day
        ("2026-11-23 09:00", 5 * 8 * 3600 * 3 + 1, "2026-12-14 09:00:01"),  # skips weeks
    ],
)
def test_add(start: str, seconds: int, expected: str) -> None:
    assert NINE_TO_FIVE.add(at(start), seconds) == at(expected)


def test_holidays_are_skipped() -> None:
    christmas = hours({d: [["09:00", "17:00"]] for d in WEEKDAYS},
                      holidays=["2026-12-25", "2026-12-28"])
    # Thursday 24th 16:00 + 2h: 1h on the 24th, Friday 25th and Monday 28th off.
    assert christmas.add(at("2026-12-24 16:00"), 7200) == at("2026-12-29 10:00")


def test_split_days_and_midnight() -> None:
    split = hours({"monday": [["13:30", "17:00"], ["09:00", "12:30"]],
                   "tuesday": [["22:00", "24:00"]], "wednesday": [["00:00", "02:00"]]})
    assert split.add(at("2026-11-23 12:00"), 3600) == at("2026-11-23 14:00")
    assert split.add(at("2026-11-23 17:00"), 3 * 3600) == at("2026-11-25 01:00")
    assert split.to_json()["hours"]["monday"] == [["09:00", "12:30"], ["13:30", "17:00"]]
    assert OfficeHours.from_json(split.to_json()) == split


def test_daylight_saving_uses_local_wall_clock() -> None:
    dublin = hours({d: [["09:00", "17:00"]] for d in DAYS}, zone="Europe/Dublin")
    # Clocks go forward on Sunday 2026-03-29: 09:00 local is 08:00 UTC after, 09:00 UTC before.
    saturday = at("2026-03-28 16:30", "Europe/Dublin")
    assert dublin.add(saturday, 3600) == at("2026-03-29 09:30", "Europe/Dublin")
    assert dublin.add(saturday, 3600) == at("2026-03-29 08:30", "UTC")


@pytest.mark.parametrize(
    "data",
    [
        None,
        [],
        {"hours": {}},
        {"timezone": "Mars/Olympus", "hours": {"monday": [["09:00", "17:00"]]}},
        {"hours": {"funday": [["09:00", "17:00"]]}},
        {"hours": {"monday": [["17:00", "09:00"]]}},
        {"hours": {"monday": [["09:00", "25:00"]]}},
        {"hours": {"monday": [["9:00", "17:00"]]}},
        {"hours": {"monday": [["09:00", "13:00"], ["12:00", "17:00"]]}},
        {"hours": {"monday": "09:00-17:00"}},
        {"hours": {"monday": [["09:00", "09:30"]]}},  # under an hour a week
        {"hours": {"monday": [["09:00", "17:00"]]}, "holidays": ["25/12/2026"]},
        {"hours": {"monday": [["09:00", "17:00"]]}, "holidays": "2026-12-25"},
        {"hours": {"monday": [["09:00", "17:00"]]}, "extra": 1},
    ],
)
def test_invalid_office_hours_are_refused(data: object) -> None:
    with pytest.raises(OfficeHoursInvalid):
        OfficeHours.from_json(data)


def _reference(office: OfficeHours, start: int, seconds: int) -> int:
    """Minute-by-minute: the end of the `seconds // 60`-th working minute from `start`."""
    zone = ZoneInfo(office.timezone)
    need = seconds // 60
    t = start
    while True:
        local = datetime.fromtimestamp(t, zone)
        minute = local.hour * 60 + local.minute
        working = local.date() not in office.holidays and any(
            a <= minute < b for a, b in office.weekly[local.weekday()]
        )
        if working:
            if need == 0:
                return t
            need -= 1
            if need == 0:
                return t + 60
        t += 60


@settings(max_examples=60, deadline=None)
@given(
    start_minute=st.integers(0, 60 * 24 * 21),
    minutes=st.integers(0, 60 * 40),
    zone=st.sampled_from(["UTC", "Europe/Dublin", "America/New_York", "Asia/Kolkata"]),
    spec=st.sampled_from([
        {d: [["09:00", "17:00"]] for d in WEEKDAYS},
        {"monday": [["00:00", "24:00"]], "thursday": [["08:15", "11:45"], ["23:00", "24:00"]]},
        {d: [["06:00", "07:00"], ["20:00", "22:30"]] for d in DAYS},
    ]),
    holiday_offsets=st.lists(st.integers(0, 30), max_size=3),
)
def test_add_matches_a_minute_by_minute_count(
    start_minute: int, minutes: int, zone: str, spec: dict[str, list[list[str]]],
    holiday_offsets: list[int],
) -> None:
    base = at("2026-03-16 00:00", zone)  # three weeks around Europe's and America's DST change
    holidays = [(date(2026, 3, 16) + timedelta(days=n)).isoformat() for n in holiday_offsets]
    office = hours(spec, zone=zone, holidays=holidays)
    start = base + 60 * start_minute
    assert office.add(start, 60 * minutes) == _reference(office, start, 60 * minutes)


def test_deadline_is_never_before_the_start() -> None:
    start = int(datetime(2026, 11, 23, 12, tzinfo=UTC).timestamp())
    assert NINE_TO_FIVE.add(start, -5) == start
