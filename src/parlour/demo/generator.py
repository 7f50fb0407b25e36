"""Deterministic generation of a support workspace's rows (people, conversations, timelines).

Everything here is pure: a `random.Random` and `now` in, rows out. People are dicts
keyed by column name; conversations, parts and their links, a million times more of them,
are tuples in the order of `CONVERSATION_COLUMNS` / `PART_COLUMNS` / ... with JSON
columns already encoded, ready for a driver's executemany (`as_dicts` names them). Every
derived column of a conversation comes from `derive_state` / `compute_statistics` over
the generated timeline, exactly as the service computes it, so seeded data can never
disagree with data written through the API.
"""

from __future__ import annotations

import copy
import math
import random
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from typing import cast as cast_type

import orjson

from parlour.conversations.service import assignee_column
from parlour.conversations.state import derive_state
from parlour.conversations.statistics import compute_statistics
from parlour.conversations.timeline import (
    ASSIGN_AND_REOPEN,
    ASSIGNMENT,
    CLOSE,
    COMMENT,
    NOTE,
    OPEN,
    QUICK_REPLY,
    REPLY_TYPES,
    SNOOZED,
    TIMER_UNSNOOZE,
    WAKE_TYPES,
    Part,
    Source,
    is_contact,
)
from parlour.core.text import fold, html_to_text, indexed_words, words

Row = dict[str, Any]
Record = tuple[Any, ...]

# Column order of the generated tuples. `conversation.summary` is not here: list entries
# are rendered from these rows afterwards (`demo.entries`).
CONVERSATION_COLUMNS = (
    "id", "workspace_id", "created_at", "updated_at", "title", "read", "priority",
    "company_id", "custom_attributes", "source_id", "source_type", "source_delivered_as",
    "source_subject", "source_body", "source_author_type", "source_author_id", "source_url",
    "source_attachments", "source_redacted", "search_subject", "search_body",
    "sla_policy_id", "sla_applied_at", "sla_status", "sla_deadline", "rating",
    "rating_remark", "rating_created_at", "rating_updated_at", "rating_contact_id",
    "rating_teammate_id", "state", "open", "waiting_since", "snoozed_until",
    "admin_assignee_id", "team_assignee_id", "teammate_ids", "first_contact_reply_at",
    "statistics", "part_count",
)  # fmt: skip


class PartRow(NamedTuple):
    """A generated `conversation_part` row. It has every attribute of `timeline.Part`, so
    `derive_state` and `compute_statistics` read the rows themselves (no second object)."""

    id: int
    workspace_id: int
    conversation_id: int
    position: int
    part_type: str
    body: str | None
    created_at: int
    updated_at: int
    notified_at: int
    author_type: str
    author_id: str
    assigned_to_type: str | None
    assigned_to_id: str | None
    snoozed_until: int | None
    state: str
    attachments: str  # encoded JSON
    external_id: str | None
    redacted: bool


PART_COLUMNS = PartRow._fields
CONVERSATION_CONTACT_COLUMNS = ("conversation_id", "contact_id", "workspace_id", "added_at")
CONVERSATION_TAG_COLUMNS = (
    "conversation_id", "tag_id", "workspace_id", "applied_at", "applied_by_id",
)  # fmt: skip
# Encoded once: JSON columns travel to the driver as text.
_EMPTY_LIST_JSON = "[]"
_EMPTY_OBJECT_JSON = "{}"

DAY = 86_400
HISTORY_DAYS = 90
OPERATOR_NAME = "Operator"
OPERATOR_JOB_TITLE = "Bot"
# Conversation ids offset into a range of their own, like Intercom's numeric source ids.
SOURCE_ID_OFFSET = 400_000_000

FIRST_NAMES = (
    "Alex", "Amara", "Ben", "Carla", "Chen", "Dana", "Diego", "Elena", "Farah", "Felix",
    "Grace", "Hana", "Ian", "Isabel", "Jamal", "Jonas", "Kai", "Laila", "Leo", "Maya",
    "Mateo", "Nadia", "Noah", "Olga", "Omar", "Priya", "Quinn", "Rosa", "Sam", "Sofia",
    "Tariq", "Uma", "Victor", "Wen", "Yara", "Yusuf", "Zoe", "Lucas", "Ines", "Marta",
)
LAST_NAMES = (
    "Adeyemi", "Alvarez", "Becker", "Brennan", "Castillo", "Chowdhury", "Dubois", "Eriksen",
    "Fischer", "Garcia", "Haddad", "Ivanova", "Jensen", "Kowalski", "Larsen", "Lindqvist",
    "Moreau", "Nakamura", "Novak", "Okafor", "Olsen", "Patel", "Quintero", "Rossi",
    "Santos", "Schmidt", "Silva", "Tanaka", "Usman", "Varga", "Walsh", "Weber", "Xu",
    "Yamamoto", "Zielinski", "Murphy", "Costa", "Kim", "Nguyen", "Hughes",
)
JOB_TITLES = (
    "Support Engineer", "Customer Success Manager", "Support Lead", "Billing Specialist",
    "Technical Support", "Head of Support", "Support Specialist",
)
TEAM_NAMES = (
    "Tier 1 Support", "Billing", "Technical Support", "Customer Success", "Sales", "Enterprise",
)
TAG_NAMES = (
    "Billing", "Bug", "VIP", "Refund", "Feature request", "Onboarding", "Churn risk", "Urgent",
    "Integration", "Account", "Feedback", "Security", "Mobile", "API", "Enterprise",
    "Shipping",
)
EMAIL_DOMAINS = (
    "gmail.com", "outlook.com", "yahoo.com", "proton.me", "acme.io", "globex.com",
    "initech.com", "umbrella.co", "hooli.xyz", "stark.industries",
)
CITIES = (
    ("Dublin", "Ireland"), ("Berlin", "Germany"), ("Lisbon", "Portugal"),
    ("Toronto", "Canada"), ("Austin", "United States"), ("Sydney", "Australia"),
    ("Tokyo", "Japan"), ("Lagos", "Nigeria"), ("Sao Paulo", "Brazil"), ("Pune", "India"),
)
BROWSERS = ("chrome", "firefox", "safari", "edge")
OSES = ("OS X 14.4", "Windows 11", "iOS 17.5", "Android 14", "Linux")
LANGUAGES = ("en", "en", "en", "de", "fr", "es", "pt", "ja")
PLANS = ("Starter", "Pro", "Pro", "Business", "Enterprise")
REMARKS = (
    "Super quick, thanks!", "Solved my problem.", "Took a while but got there.",
    "Great support as always.", "Still not happy with the pricing.", "Very helpful.",
)


@dataclass(frozen=True, slots=True)
class _Topic:
    """Copy for one kind of support request; `{n}` and `{plan}` are filled per conversation."""

    subject: str
    openers: tuple[str, ...]
    follow_ups: tuple[str, ...]
    replies: tuple[str, ...]
    notes: tuple[str, ...]
    tags: tuple[str, ...]
    url: str


TOPICS = (
    _Topic(
        subject="Question about invoice #{n}",
        openers=(
            "<p>Hi, my invoice #{n} shows two charges for the same month. Can you check?</p>",
            "<p>Hello! I was charged twice this month (invoice #{n}). Could you refund one?</p>",
            "<p>Hi there, where can I download a PDF of invoice #{n} for my accountant?</p>",
        ),
        follow_ups=(
            "<p>The second charge is still pending on my card.</p>",
            "<p>Our VAT number is missing on the invoice too.</p>",
        ),
        replies=(
            "<p>Thanks for flagging this! I can see the duplicate charge on #{n}.</p>",
            "<p>I have refunded the duplicate payment; it takes 5-10 business days to show.</p>",
            "<p>You can download invoices under <b>Settings &gt; Billing</b>.</p>",
        ),
        notes=(
            "<p>Checked the payment provider: charge went through twice.</p>",
            "<p>Refund issued for invoice #{n}.</p>",
        ),
        tags=("Billing", "Refund"),
        url="https://app.example.com/settings/billing",
    ),
    _Topic(
        subject="Can't log in",
        openers=(
            "<p>Hi, I can't log in since this morning. It says my password is wrong.</p>",
            "<p>Hello, the password reset email never arrives. Please help!</p>",
            "<p>My two-factor codes are rejected and I'm locked out of my account.</p>",
        ),
        follow_ups=(
            "<p>I checked my spam folder, nothing there.</p>",
            "<p>Tried again in an incognito window, same error.</p>",
        ),
        replies=(
            "<p>Sorry about that! I've sent a fresh reset link to your email.</p>",
            "<p>I've reset your two-factor settings, you should be able to sign in now.</p>",
            "<p>Could you tell me which email address you use to sign in?</p>",
        ),
        notes=(
            "<p>Mail logs show the reset emails bounced.</p>",
            "<p>Verified identity via the billing email before resetting 2FA.</p>",
        ),
        tags=("Account", "Security"),
        url="https://app.example.com/login",
    ),
    _Topic(
        subject="Export keeps failing",
        openers=(
            "<p>Hi, the CSV export fails with an error after about a minute.</p>",
            "<p>Hello, the dashboard shows a blank page when I open report {n}.</p>",
            "<p>Every time I upload a file the page crashes. Is something broken?</p>",
        ),
        follow_ups=(
            "<p>Here's a screenshot of the error.</p>",
            "<p>It happens in Firefox and Chrome.</p>",
            "<p>Any update? This is blocking our month-end close.</p>",
        ),
        replies=(
            "<p>Thanks for the details! I was able to reproduce it and filed a bug.</p>",
            "<p>Our engineers shipped a fix, could you try again?</p>",
            "<p>Could you share the browser console output?</p>",
        ),
        notes=(
            "<p>Reproduced on staging, linked to issue PAR-{n}.</p>",
            "<p>Engineering says the fix goes out in tomorrow's release.</p>",
        ),
        tags=("Bug", "Urgent"),
        url="https://app.example.com/reports/{n}",
    ),
    _Topic(
        subject="Feature request: dark mode",
        openers=(
            "<p>Hi! Any plans for a dark mode? My eyes would thank you.</p>",
            "<p>Would love to be able to schedule reports by email every Monday.</p>",
            "<p>Is there a way to bulk edit records? Doing it one by one is slow.</p>",
        ),
        follow_ups=(
            "<p>Thanks! Is there a rough timeline?</p>",
            "<p>Our whole team would use this.</p>",
        ),
        replies=(
            "<p>Great idea! I've passed it on to our product team.</p>",
            "<p>It's on our roadmap; I'll let you know as soon as it ships.</p>",
        ),
        notes=("<p>Logged on the feedback board, +1 from a {plan} customer.</p>",),
        tags=("Feature request", "Feedback"),
        url="https://app.example.com/dashboard",
    ),
    _Topic(
        subject="Upgrading to {plan}",
        openers=(
            "<p>Hi, we'd like to upgrade to the {plan} plan. Do you offer annual billing?</p>",
            "<p>Hello, how many seats are included in {plan}?</p>",
        ),
        follow_ups=(
            "<p>Great, and can we pay by bank transfer?</p>",
            "<p>We are {n} people, does the discount apply?</p>",
        ),
        replies=(
            "<p>Absolutely! Annual billing saves you two months.</p>",
            "<p>{plan} includes up to 25 seats; you can add more at any time.</p>",
        ),
        notes=("<p>Potential expansion, looping in Sales.</p>",),
        tags=("VIP", "Enterprise"),
        url="https://app.example.com/pricing",
    ),
    _Topic(
        subject="Webhook not firing",
        openers=(
            "<p>Hi, our webhook stopped receiving events since yesterday.</p>",
            "<p>The API returns 429 for our integration even at low volume.</p>",
            "<p>Hello, how do I authenticate against the REST API with a token?</p>",
        ),
        follow_ups=(
            "<p>Our endpoint returns 200, I checked the logs.</p>",
            "<p>Request id is req_{n} if that helps.</p>",
        ),
        replies=(
            "<p>I see the deliveries failing with a TLS error on your endpoint.</p>",
            "<p>Your token was rate limited; I've raised the limit for your workspace.</p>",
            "<p>You can find the API docs and token settings under <b>Developers</b>.</p>",
        ),
        notes=("<p>Delivery logs show handshake failures since the cert rotated.</p>",),
        tags=("Integration", "API"),
        url="https://app.example.com/developers",
    ),
    _Topic(
        subject="Cancel my subscription",
        openers=(
            "<p>Hi, please cancel my subscription at the end of this period.</p>",
            "<p>We're moving to another tool, how do I export our data and close the account?</p>",
        ),
        follow_ups=(
            "<p>Mostly the price, to be honest.</p>",
            "<p>Ok, I'll think about the discount.</p>",
        ),
        replies=(
            "<p>Sorry to see you go! May I ask what made you decide to leave?</p>",
            "<p>I can offer 30% off for the next three months if you'd like to stay.</p>",
        ),
        notes=("<p>Churn risk: {plan} customer since {n} days.</p>",),
        tags=("Churn risk", "Account"),
        url="https://app.example.com/settings/subscription",
    ),
    _Topic(
        subject="Getting started",
        openers=(
            "<p>Hi! We just signed up, how do I invite my teammates?</p>",
            "<p>Hello, is there a guide for importing our existing contacts?</p>",
            "<p>The mobile app doesn't show my projects, only the web app does.</p>",
        ),
        follow_ups=(
            "<p>Found it, thank you!</p>",
            "<p>The import finished but {n} rows were skipped.</p>",
        ),
        replies=(
            "<p>Welcome aboard! You can invite teammates from <b>Settings &gt; Team</b>.</p>",
            "<p>Here's our import guide: https://help.example.com/import</p>",
            "<p>Please update the app to the latest version and log in again.</p>",
        ),
        notes=("<p>New {plan} trial, offered an onboarding call.</p>",),
        tags=("Onboarding", "Mobile"),
        url="https://app.example.com/onboarding",
    ),
)
OUTBOUND = (
    ("Welcome to Example!", "<p>Hi {first}, welcome aboard! Reply here if you need a hand.</p>"),
    ("Your trial ends soon", "<p>Hi {first}, your trial ends in 3 days. Any questions?</p>"),
    ("How are we doing?", "<p>Hi {first}, we'd love your feedback on the new dashboard.</p>"),
)
CONTACT_ANY = (
    "<p>Any update on this?</p>",
    "<p>Thanks, that worked!</p>",
    "<p>I tried that but it still doesn't work.</p>",
    "<p>Hello? Is anyone there?</p>",
    "<p>Sorry, one more question about this.</p>",
    "<p>Thank you so much!</p>",
)
ADMIN_ANY = (
    "<p>Thanks for reaching out, {first}! Let me look into this.</p>",
    "<p>Happy to help! Is there anything else I can do?</p>",
    "<p>I've escalated this to the right team and will get back to you shortly.</p>",
    "<p>Just checking in: did that solve it for you?</p>",
    "<p>Could you send me a screenshot of what you see?</p>",
)
NOTE_ANY = (
    "<p>Customer is on the {plan} plan.</p>",
    "<p>Seen this twice this week, worth a help article.</p>",
    "<p>Waiting on engineering.</p>",
)
QUICK_REPLIES = ("<p>Yes, that answered my question</p>", "<p>No, I still need help</p>")
SNOOZE_SECONDS = (3_600, 4 * 3_600, DAY, 2 * DAY, 3 * DAY, 7 * DAY)
CUSTOM_ATTRIBUTES: tuple[dict[str, Any], ...] = (
    {"Plan": "Pro"},
    {"Plan": "Starter"},
    {"Plan": "Enterprise", "Region": "EU"},
    {"Channel": "Web", "Escalated": True},
    {"Order value": 129.5},
)
SCREENSHOT: dict[str, Any] = {
    "type": "upload",
    "name": "screenshot.png",
    "url": "https://files.example.com/uploads/screenshot.png",
    "content_type": "image/png",
    "filesize": 184_320,
    "width": 1280,
    "height": 800,
}


# Same length as CUSTOM_ATTRIBUTES and SCREENSHOT's list: a `choice` of either draws alike.
_CUSTOM_ATTRIBUTES_JSON = tuple(orjson.dumps(a).decode() for a in CUSTOM_ATTRIBUTES)
_SCREENSHOT_JSON = orjson.dumps([SCREENSHOT]).decode()


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


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


@dataclass(slots=True)
class ConversationRows:
    """Rows of generated conversations, per table, as tuples in each table's column order."""

    conversations: list[Record] = field(default_factory=list)
    parts: list[Record] = field(default_factory=list)
    contacts: list[Record] = field(default_factory=list)
    tags: list[Record] = field(default_factory=list)


def as_dicts(columns: Sequence[str], rows: Iterable[Record]) -> list[Row]:
    """Tuples as dicts keyed by column name (for reading them, not for loading)."""
    return [dict(zip(columns, row, strict=True)) for row in rows]


# Opening bodies repeat: parsing their HTML was a tenth of generating a conversation.
_WORDS: dict[str, str] = {}  # formatted body (no conversation number) -> indexed words
_TEXTS: dict[str, str] = {}  # template -> its visible text, placeholders left in


def search_body(template: str, values: dict[str, Any]) -> str:
    """`indexed_words(template.format(**values))`, parsing each template's HTML once.

    When every value is a word (a number, a plan, a first name), HTML parsing leaves it as
    it is, so formatting the template's text gives the formatted template's text.
    """
    if "{n}" not in template:  # few distinct bodies: cache them whole
        body = template.format(**values)
        found = _WORDS.get(body)
        if found is None:
            found = _WORDS[body] = indexed_words(body)
        return found
    if not all(str(v).isalnum() for v in values.values()):
        return indexed_words(template.format(**values))
    text = _TEXTS.get(template)
    if text is None:
        text = _TEXTS[template] = html_to_text(template)
    unique = dict.fromkeys(words(fold(text.format(**values))))
    return f" {' '.join(unique)} " if unique else ""


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


@dataclass(slots=True)
class _Event:
    """One part before it has a time: `gap` seconds after the previous event."""

    kind: str
    author_type: str
    author_id: str
    gap: int
    body: str | None = None
    assigned_to_type: str | None = None
    assigned_to_id: str | None = None
    snooze_for: int = 0
    attachments: str | None = None  # encoded JSON
    state: str = ""  # the conversation's state once this event happened


def _state_after(state: str, kind: str, author_type: str) -> str:
    """A part's `state` column: the same transitions `derive_state` replays."""
    if kind in REPLY_TYPES and is_contact(author_type):
        return "open"
    if kind == CLOSE:
        return "closed"
    if kind in (OPEN, ASSIGN_AND_REOPEN) or kind in WAKE_TYPES:
        return "open"
    if kind == SNOOZED:
        return "snoozed"
    return state


class _Story:
    """Plays one conversation forward, event by event, keeping just enough state to be plausible."""

    def __init__(
        self,
        gen: ConversationGenerator,
        topic: _Topic,
        values: dict[str, Any],
        contacts: list[ContactRef],
        state: str,
        waiting: bool,
    ) -> None:
        self.gen = gen
        self.rng = gen.rng
        self.topic = topic
        self.values = values
        self.contacts = contacts
        self.events: list[_Event] = []
        self.state = state
        self.waiting = waiting
        self.admin: int | None = None
        self.team: TeamRef | None = None
        self.helper = gen.pick_admin()

    # Copy and authors.

    def _text(self, own: tuple[str, ...], generic: tuple[str, ...]) -> str:
        pool = own if own and self.rng.random() < 0.6 else generic
        text = self.rng.choice(pool)
        return text.format(**self.values) if "{" in text else text

    def _contact(self) -> ContactRef:
        if len(self.contacts) > 1 and self.rng.random() < 0.25:
            return self.contacts[1]
        return self.contacts[0]

    def _replier(self) -> int:
        # Whoever is assigned answers; now and then a colleague jumps in.
        if self.rng.random() < 0.1:
            return self.gen.pick_admin()
        return self.admin if self.admin is not None else self.helper

    def _add(self, event: _Event) -> None:
        self.events.append(event)
        self.state = event.state = _state_after(self.state, event.kind, event.author_type)
        if event.kind in REPLY_TYPES:
            self.waiting = is_contact(event.author_type)
        elif event.kind == CLOSE:
            self.waiting = False

    # Events.

    def contact_reply(self, gap: int) -> None:
        """The contact writes (re-opening a closed or snoozed conversation)."""
        who = self._contact()
        if self.rng.random() < 0.03:
            self._add(_Event(QUICK_REPLY, who.role, who.id, gap, self.rng.choice(QUICK_REPLIES)))
            return
        follow_up = self.events or self.rng.random() < 0.5
        body = self._text(self.topic.follow_ups if follow_up else self.topic.openers, CONTACT_ANY)
        attachments = _SCREENSHOT_JSON if self.rng.random() < 0.04 else None
        self._add(_Event(COMMENT, who.role, who.id, gap, body, attachments=attachments))

    def admin_reply(self, gap: int) -> None:
        """A teammate answers."""
        body = self._text(self.topic.replies, ADMIN_ANY)
        self._add(_Event(COMMENT, "admin", str(self._replier()), gap, body))

    def note(self, gap: int) -> None:
        """A teammate leaves an internal note."""
        body = self._text(self.topic.notes, NOTE_ANY)
        self._add(_Event(NOTE, "admin", str(self._replier()), gap, body))

    def assign_admin(self, gap: int, *, by_bot: bool = False) -> None:
        """Assign to a team member (or anyone), by a teammate or the routing bot."""
        members = self.team.member_ids if self.team is not None else ()
        target = self.rng.choice(members) if members else self.gen.pick_admin()
        author = ("bot", str(self.gen.cast.bot_id)) if by_bot else ("admin", str(target))
        if not by_bot and self.admin is not None and self.rng.random() < 0.5:
            author = ("admin", str(self.admin))  # handed over by the current assignee
        self.admin = target
        self._add(_Event(ASSIGNMENT, *author, gap, None, "admin", str(target)))

    def assign_team(self, gap: int) -> None:
        """The routing bot assigns a team."""
        self.team = self.rng.choice(self.gen.cast.teams)
        bot = str(self.gen.cast.bot_id)
        self._add(_Event(ASSIGNMENT, "bot", bot, gap, None, "team", str(self.team.id)))

    def unassign(self, gap: int) -> None:
        """The assignee puts the conversation back in the unassigned queue."""
        author = str(self.admin if self.admin is not None else self.helper)
        self.admin = None
        self._add(_Event(ASSIGNMENT, "admin", author, gap, None, "admin", "0"))

    def close(self, gap: int) -> None:
        """A teammate closes the conversation."""
        self._add(_Event(CLOSE, "admin", str(self._replier()), gap))

    def reopen(self, gap: int) -> None:
        """A teammate re-opens a closed conversation."""
        self._add(_Event(OPEN, "admin", str(self._replier()), gap))

    def snooze(self, gap: int) -> None:
        """A teammate snoozes the conversation for a while."""
        event = _Event(SNOOZED, "admin", str(self._replier()), gap)
        event.snooze_for = self.rng.choice(SNOOZE_SECONDS)
        self._add(event)

    def wake(self) -> None:
        """The snooze timer fires."""
        snooze = self.events[-1]
        gap = snooze.snooze_for if snooze.kind == SNOOZED else 60
        self._add(_Event(TIMER_UNSNOOZE, "bot", str(self.gen.cast.bot_id), gap))

    # Flow.

    def routing(self) -> None:
        """How the conversation reaches someone: via a team, straight to an admin, or not."""
        roll = self.rng.random()
        if roll < 0.55 and self.gen.cast.teams:
            self.assign_team(self.rng.randint(1, 30))
            if self.rng.random() < 0.7:
                self.assign_admin(self.gen.gap(7.0, 1.0))
        elif roll < 0.8:
            self.assign_admin(self.rng.randint(1, 30), by_bot=True)

    def step(self) -> None:
        """One plausible next event given where the conversation stands."""
        r = self.rng.random()
        gen = self.gen
        if self.state == "snoozed":
            snooze_for = self.events[-1].snooze_for if self.events[-1].kind == SNOOZED else 0
            if r < 0.6 or snooze_for == 0:
                self.wake()
            else:
                self.contact_reply(int(snooze_for * self.rng.uniform(0.05, 0.9)))
        elif self.state == "closed":
            if r < 0.75:
                self.contact_reply(gen.gap(10.5, 1.2))
            else:
                self.reopen(gen.gap(9.0, 1.2))
        elif self.waiting:
            if r < 0.7:
                self.admin_reply(gen.gap(7.5, 1.2))
            elif r < 0.8:
                self.note(gen.gap(6.0, 1.0))
            elif r < 0.87 and self.admin is not None and self.rng.random() < 0.2:
                self.unassign(gen.gap(6.0, 1.0))
            elif r < 0.87:
                self.assign_admin(gen.gap(6.5, 1.0))
            elif r < 0.91:
                self.snooze(gen.gap(6.5, 1.0))
            else:
                self.contact_reply(gen.gap(5.0, 1.0))
        elif r < 0.5:
            self.contact_reply(gen.gap(8.5, 1.5))
        elif r < 0.78:
            self.close(gen.gap(7.0, 1.5))
        elif r < 0.86:
            self.snooze(gen.gap(6.0, 1.0))
        elif r < 0.94:
            self.note(gen.gap(6.0, 1.0))
        else:
            self.admin_reply(gen.gap(8.0, 1.0))

    def finish(self, outcome: str) -> None:
        """Steer the last events to the outcome: waiting, replied, closed or snoozed."""
        gen = self.gen
        if outcome == "waiting":
            if self.state != "open" or not self.waiting:
                self.contact_reply(gen.gap(8.5, 1.5))
        elif outcome == "replied":
            if self.state == "closed":
                self.contact_reply(gen.gap(10.0, 1.2))
            elif self.state == "snoozed":
                self.wake()
            if self.waiting or not self.events:
                self.admin_reply(gen.gap(7.5, 1.2))
        elif outcome == "closed":
            if self.state != "closed":
                if self.waiting and self.rng.random() < 0.85:
                    self.admin_reply(gen.gap(7.5, 1.2))
                self.close(gen.gap(7.0, 1.5))
        elif self.state != "snoozed":
            if self.state == "closed":
                self.contact_reply(gen.gap(10.0, 1.2))
            if self.waiting and self.rng.random() < 0.7:
                self.admin_reply(gen.gap(7.5, 1.2))
            self.snooze(gen.gap(6.0, 1.0))


class ConversationGenerator:
    """Generates conversations batch after batch from one `random.Random` stream.

    The stream is consumed conversation by conversation, so the output for a seed does not
    depend on how the caller splits it into batches.
    """

    def __init__(
        self,
        rng: random.Random,
        workspace_id: int,
        now: int,
        cast: Cast,
        *,
        mean_parts: int = 10,
        history_days: int = HISTORY_DAYS,
    ) -> None:
        if not cast.admin_ids or not cast.contacts:
            raise ValueError("conversations need at least one admin and one contact")
        self.rng = rng
        self.workspace_id = workspace_id
        self.now = now
        self.cast = cast
        self.mean_parts = mean_parts
        self.history = history_days * DAY
        # Some teammates carry more of the queue than others, as in any real inbox.
        weights = [rng.choice((1, 2, 3, 5)) for _ in cast.admin_ids]
        self._admin_pool = [
            a for a, w in zip(cast.admin_ids, weights, strict=True) for _ in range(w)
        ]
        self._tag_ids = {name: tag_id for tag_id, name in cast.tags}

    def with_stream(self, rng: random.Random) -> ConversationGenerator:
        """The same workspace and busy teammates, drawing conversations from another stream."""
        clone = copy.copy(self)
        clone.rng = rng
        return clone

    def pick_admin(self) -> int:
        """A teammate, weighted by how busy they are."""
        return self.rng.choice(self._admin_pool)

    def gap(self, mu: float, sigma: float) -> int:
        """Seconds until the next event: log-normal, as human response times are."""
        return max(1, int(math.exp(self.rng.gauss(mu, sigma))))

    def _outcome(self, age: int) -> str:
        r = self.rng.random()
        if age < 3 * DAY:
            table = (("waiting", 0.45), ("replied", 0.2), ("snoozed", 0.1))
        else:
            table = (("waiting", 0.15), ("replied", 0.1), ("snoozed", 0.08))
        for outcome, share in table:
            if r < share:
                return outcome
            r -= share
        return "closed"

    def batch(
        self, count: int, *, first_conversation_id: int, first_part_id: int
    ) -> ConversationRows:
        """`count` conversations with consecutive ids, their parts, contact and tag links."""
        out = ConversationRows()
        part_id = first_part_id
        for i in range(count):
            part_id = self._conversation(out, first_conversation_id + i, part_id)
        return out

    def _conversation(self, out: ConversationRows, conversation_id: int, part_id: int) -> int:
        rng = self.rng
        cast = self.cast
        now = self.now
        # Skewed towards recent days, like an inbox that grows.
        age = 60 + int(self.history * rng.random() ** 1.5)
        created = now - age
        contacts = [rng.choice(cast.contacts)]
        if len(cast.contacts) > 1 and rng.random() < 0.1:
            second = rng.choice(cast.contacts)
            if second.id != contacts[0].id:
                contacts.append(second)
        primary = contacts[0]
        topic = rng.choice(TOPICS)
        values = {
            "n": rng.randint(1_000, 99_999),
            "plan": rng.choice(PLANS),
            "first": primary.first_name or "there",
        }
        admin_initiated = rng.random() < 0.1
        target = round(rng.gammavariate(2.0, self.mean_parts / 2.0))
        # A conversation a few minutes old cannot have a long history yet.
        target = min(target, 2 + age // 1_800, 8 * self.mean_parts)

        if admin_initiated:
            sender = self.pick_admin()
            subject, body = rng.choice(OUTBOUND)
            source_type, delivered = "email", "admin_initiated"
            author_type, author_id = "admin", str(sender)
            source_url = None
            story = _Story(self, topic, values, contacts, "closed", False)
            story.helper = sender
            answered = rng.random() < 0.55 and target > 0
            if answered:
                story.contact_reply(self.gap(9.5, 1.5))
                outcome = self._outcome(age)
            else:
                outcome = "untouched"
        else:
            subject = topic.subject if rng.random() < 0.3 else ""
            body = rng.choice(topic.openers)
            source_type = "email" if subject and rng.random() < 0.5 else "conversation"
            delivered = "customer_initiated"
            author_type, author_id = primary.role, primary.id
            source_url = topic.url.format(**values) if source_type == "conversation" else None
            story = _Story(self, topic, values, contacts, "open", True)
            outcome = self._outcome(age)
            if target > 0:
                story.routing()
        if outcome != "untouched":
            while len(story.events) < target - 1:
                story.step()
            story.finish(outcome)

        # Absolute times: squeeze the timeline into the conversation's age if it overruns.
        events = story.events
        total = sum(e.gap for e in events)
        span = min(total, age)
        times: list[int] = []
        elapsed = 0
        for event in events:
            elapsed += event.gap
            times.append(created + (elapsed * span // total if total else 0))
        snooze_wakes: dict[int, int] = {}
        for index, event in enumerate(events):
            if event.kind != SNOOZED:
                continue
            if index + 1 < len(events) and events[index + 1].kind == TIMER_UNSNOOZE:
                snooze_wakes[index] = times[index + 1]
            else:
                snooze_wakes[index] = times[index] + event.snooze_for
        if events and events[-1].kind == SNOOZED:
            last = len(events) - 1
            if snooze_wakes[last] <= now:
                # A snooze never outlives its timer: either it was long enough to still
                # be running (a recent one), or the timer woke the conversation.
                if age < 7 * DAY and rng.random() < 0.6:
                    snooze_wakes[last] = now + rng.choice(SNOOZE_SECONDS)
                else:
                    events.append(
                        _Event(TIMER_UNSNOOZE, "bot", str(cast.bot_id), 0, state="open")
                    )
                    times.append(snooze_wakes[last])

        source = Source(
            author_type=author_type, author_id=author_id, created_at=created, delivered_as=delivered
        )
        workspace_id = self.workspace_id
        parts: list[PartRow] = []
        add_part = parts.append
        for position, event in enumerate(events):
            at = times[position]
            kind = event.kind
            add_part(
                PartRow(
                    part_id, workspace_id, conversation_id, position, kind, event.body,
                    at, at, at, event.author_type, event.author_id, event.assigned_to_type,
                    event.assigned_to_id, snooze_wakes.get(position) if kind == SNOOZED else None,
                    event.state, event.attachments or _EMPTY_LIST_JSON, None, False,
                )
            )  # fmt: skip
            part_id += 1
        out.parts += parts

        timeline = cast_type(Sequence[Part], parts)  # see PartRow
        derived = derive_state(source, timeline)
        statistics = compute_statistics(source, timeline, now)
        closed = derived.state == "closed"

        rating: Record = (None, None, None, None, None, None)
        last_admin_reply = next(
            (p for p in reversed(parts) if p.part_type == COMMENT and p.author_type == "admin"),
            None,
        )
        if closed and last_admin_reply is not None and rng.random() < 0.3:
            rated_at = min(now, derived.last_part_at + self.gap(7.0, 1.5))
            rating = (
                rng.choice((1, 2, 3, 4, 4, 5, 5, 5, 5, 5)),
                rng.choice(REMARKS) if rng.random() < 0.4 else None,
                rated_at,
                rated_at,
                primary.id,
                int(last_admin_reply.author_id),
            )

        source_subject, source_body = subject.format(**values), body.format(**values)
        # Drawn in this order: title, read, priority, custom attributes.
        title = (subject or topic.subject).format(**values) if rng.random() < 0.2 else None
        # Closed ones were mostly read by someone; fresh waiting ones mostly not.
        read = rng.random() < (0.9 if closed else 0.3)
        priority = "priority" if rng.random() < 0.08 else "not_priority"
        custom = (
            rng.choice(_CUSTOM_ATTRIBUTES_JSON) if rng.random() < 0.3 else _EMPTY_OBJECT_JSON
        )
        # In CONVERSATION_COLUMNS order.
        out.conversations.append(
            (
                conversation_id, workspace_id, created, derived.last_part_at, title, read,
                priority, None, custom, str(SOURCE_ID_OFFSET + conversation_id), source_type,
                delivered, source_subject, source_body, author_type, author_id, source_url,
                _EMPTY_LIST_JSON, False, fold(source_subject),
                search_body(body, values),
                None, None, None, None, *rating,
                derived.state, derived.open, derived.waiting_since, derived.snoozed_until,
                assignee_column(derived.admin_assignee_id),
                assignee_column(derived.team_assignee_id), _json(list(derived.teammate_ids)),
                derived.first_contact_reply_at, _json(statistics.to_dict()), len(parts),
            )
        )  # fmt: skip

        for contact in contacts:
            out.contacts.append((conversation_id, contact.id, workspace_id, created))
        self._tag(out, conversation_id, topic, created, parts)
        return part_id

    def _tag(
        self,
        out: ConversationRows,
        conversation_id: int,
        topic: _Topic,
        created: int,
        parts: list[PartRow],
    ) -> None:
        rng = self.rng
        if not self.cast.tags:
            return
        roll = rng.random()
        if roll < 0.4:
            return
        how_many = 1 if roll < 0.8 else 2 if roll < 0.95 else 3
        chosen: list[int] = []
        for name in topic.tags:
            if name in self._tag_ids and len(chosen) < how_many and rng.random() < 0.7:
                chosen.append(self._tag_ids[name])
        while len(chosen) < min(how_many, len(self.cast.tags)):
            tag_id = rng.choice(self.cast.tags)[0]
            if tag_id not in chosen:
                chosen.append(tag_id)
        by_admins = [p for p in parts if p.author_type == "admin"]
        for tag_id in chosen:
            if by_admins:
                moment = rng.choice(by_admins)
                applied_at, applied_by = moment.created_at, int(moment.author_id)
            else:
                applied_at, applied_by = created, self.pick_admin()
            out.tags.append((conversation_id, tag_id, self.workspace_id, applied_at, applied_by))


def generate_conversations(
    rng: random.Random,
    workspace_id: int,
    now: int,
    cast: Cast,
    count: int,
    *,
    first_conversation_id: int = 1,
    first_part_id: int = 1,
    mean_parts: int = 10,
) -> ConversationRows:
    """`count` conversations with realistic timelines and derived columns, as table rows."""
    generator = ConversationGenerator(rng, workspace_id, now, cast, mean_parts=mean_parts)
    return generator.batch(
        count, first_conversation_id=first_conversation_id, first_part_id=first_part_id
    )
