"""The demo workspace's people: admins, teams, contacts and tags, as rows (pure).

A `random.Random` and `now` in, rows out (dicts keyed by column name), and the `Cast` that
conversations are then generated with.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from parlour.demo.corpus import (
    BROWSERS,
    CITIES,
    DAY,
    EMAIL_DOMAINS,
    FIRST_NAMES,
    JOB_TITLES,
    LANGUAGES,
    LAST_NAMES,
    OPERATOR_JOB_TITLE,
    OPERATOR_NAME,
    OSES,
    PLANS,
    TAG_NAMES,
    TEAM_NAMES,
)

Row = dict[str, Any]
"""A generated row, by column name."""

HISTORY_DAYS = 90
"""How far back the demo's conversations go."""


class ContactRef(NamedTuple):
    """A contact a conversation can involve."""

    id: str
    role: str
    first_name: str | None


class TeamRef(NamedTuple):
    """A team and the admins in it."""

    id: int
    member_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Cast:
    """The people and tags conversations are generated with (existing or generated rows)."""

    admin_ids: tuple[int, ...]
    bot_id: int
    teams: tuple[TeamRef, ...]
    contacts: tuple[ContactRef, ...]
    tags: tuple[tuple[int, str], ...]


@dataclass(slots=True)
class PeopleRows:
    """Rows of generated people and tags, per table."""

    admins: list[Row] = field(default_factory=list)
    teams: list[Row] = field(default_factory=list)
    team_members: list[Row] = field(default_factory=list)
    contacts: list[Row] = field(default_factory=list)
    tags: list[Row] = field(default_factory=list)

    def cast(self) -> Cast:
        """The cast these rows make up on their own (a fresh workspace)."""
        bots = [a["id"] for a in self.admins if a["job_title"] == OPERATOR_JOB_TITLE]
        humans = tuple(a["id"] for a in self.admins if a["job_title"] != OPERATOR_JOB_TITLE)
        members: dict[int, list[int]] = {t["id"]: [] for t in self.teams}
        for link in self.team_members:
            members[link["team_id"]].append(link["admin_id"])
        return Cast(
            admin_ids=humans,
            bot_id=bots[0] if bots else humans[0],
            teams=tuple(TeamRef(t, tuple(m)) for t, m in members.items()),
            contacts=tuple(
                ContactRef(c["id"], c["role"], _first_name(c["name"])) for c in self.contacts
            ),
            tags=tuple((t["id"], t["name"]) for t in self.tags),
        )


def _first_name(name: str | None) -> str | None:
    return name.split(" ", 1)[0] if name else None


def _unique_email(local: str, domain: str, taken: set[str]) -> str:
    email = f"{local}@{domain}"
    n = 2
    while email in taken:
        email = f"{local}{n}@{domain}"
        n += 1
    taken.add(email)
    return email


def contact_id(rng: random.Random, created_at: int) -> str:
    """A 24-hex contact id like `core.ids.new_contact_id`, but drawn from `rng`."""
    return f"{created_at & 0xFFFFFFFF:08x}{rng.getrandbits(64):016x}"


def generate_people(
    rng: random.Random,
    workspace_id: int,
    now: int,
    *,
    admins: int = 8,
    teams: int = 3,
    contacts: int = 200,
    tags: int = 12,
    operator: bool = True,
    first_admin_id: int = 1,
    first_team_id: int = 1,
    first_tag_id: int = 1,
    member_pool: Sequence[int] = (),
    taken_emails: Collection[str] = (),
    taken_tag_names: Collection[str] = (),
) -> PeopleRows:
    """Admins (plus an Operator bot), teams with members, users and leads, and tags."""
    out = PeopleRows()
    emails = {e.lower() for e in taken_emails}
    joined = now - (HISTORY_DAYS + 10) * DAY
    pairs = [(f, last) for f in FIRST_NAMES for last in LAST_NAMES]
    for i, (first, last) in enumerate(rng.sample(pairs, admins)):
        out.admins.append(
            {
                "id": first_admin_id + i,
                "workspace_id": workspace_id,
                "name": f"{first} {last}",
                "email": _unique_email(f"{first}.{last}".lower(), "support.example.com", emails),
                "job_title": rng.choice(JOB_TITLES),
                "away_mode_enabled": rng.random() < 0.1,
                "away_mode_reassign": False,
                "has_inbox_seat": True,
                "avatar_url": f"https://static.example.com/avatars/{first.lower()}.png",
                "created_at": joined + rng.randrange(5 * DAY),
            }
        )
    if operator:
        out.admins.append(
            {
                "id": first_admin_id + admins,
                "workspace_id": workspace_id,
                "name": OPERATOR_NAME,
                "email": _unique_email("operator", "bots.example.com", emails),
                "job_title": OPERATOR_JOB_TITLE,
                "away_mode_enabled": False,
                "away_mode_reassign": False,
                "has_inbox_seat": False,
                "avatar_url": None,
                "created_at": joined,
            }
        )

    pool = list(member_pool) + [a["id"] for a in out.admins[:admins]]
    for i in range(teams):
        team_id = first_team_id + i
        base = TEAM_NAMES[i % len(TEAM_NAMES)]
        out.teams.append(
            {
                "id": team_id,
                "workspace_id": workspace_id,
                "name": base if i < len(TEAM_NAMES) else f"{base} {i // len(TEAM_NAMES) + 1}",
                "distribution_method": rng.choice(("round_robin", "balanced", None)),
                "assignment_limit": rng.choice((None, 10, 25, 50)),
                "created_at": joined + rng.randrange(5 * DAY),
            }
        )
        if pool:
            size = min(len(pool), rng.randint(2, 5))
            for admin_id in sorted(rng.sample(pool, size)):
                out.team_members.append(
                    {"team_id": team_id, "admin_id": admin_id, "workspace_id": workspace_id}
                )

    for _ in range(contacts):
        out.contacts.append(_contact_row(rng, workspace_id, now, emails))

    names = [n for n in TAG_NAMES if n not in taken_tag_names]
    extra = 1
    while len(names) < tags:
        candidate = f"Tag {extra}"
        extra += 1
        if candidate not in taken_tag_names:
            names.append(candidate)
    for i, tag_name in enumerate(names[:tags]):
        out.tags.append(
            {
                "id": first_tag_id + i,
                "workspace_id": workspace_id,
                "name": tag_name,
                "created_at": joined + rng.randrange(5 * DAY),
            }
        )
    return out


def _contact_row(rng: random.Random, workspace_id: int, now: int, emails: set[str]) -> Row:
    created = now - HISTORY_DAYS * DAY - rng.randrange(300 * DAY)
    is_user = rng.random() < 0.7
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    named = is_user or rng.random() < 0.4
    # Users mostly have an email; leads are often anonymous visitors without one.
    has_email = rng.random() < (0.9 if is_user else 0.35)
    email = (
        _unique_email(f"{first}.{last}".lower(), rng.choice(EMAIL_DOMAINS), emails)
        if has_email
        else None
    )
    city, country = rng.choice(CITIES)
    seen = now - rng.randrange(30 * DAY)
    return {
        "id": contact_id(rng, created),
        "workspace_id": workspace_id,
        "role": "user" if is_user else "lead",
        "external_id": f"cus_{rng.getrandbits(40):010x}" if is_user else None,
        "email": email,
        "phone": f"+1555{rng.randrange(10**7):07d}" if rng.random() < 0.2 else None,
        "name": f"{first} {last}" if named else None,
        "avatar_url": None,
        "owner_id": None,
        "language_override": None,
        "browser": rng.choice(BROWSERS),
        "browser_language": rng.choice(LANGUAGES),
        "os": rng.choice(OSES),
        "city": city,
        "country": country,
        "unsubscribed_from_emails": rng.random() < 0.05,
        "custom_attributes": {"plan": rng.choice(PLANS)} if is_user else {},
        "created_at": created,
        "updated_at": seen,
        "signed_up_at": created if is_user else None,
        "last_seen_at": seen,
        "last_replied_at": None,
        "last_contacted_at": None,
    }
