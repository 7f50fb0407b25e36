"""What the demo workspace's people and conversations say: names, topics, texts, values.

Data, not logic: the generators (`people`, `story`, `generator`) draw from these tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

DAY = 86_400
OPERATOR_NAME = "Operator"
OPERATOR_JOB_TITLE = "Bot"

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
class Topic:
    """Copy for one kind of support request; `{n}` and `{plan}` are filled per conversation."""

    subject: str
    openers: tuple[str, ...]
    follow_ups: tuple[str, ...]
    replies: tuple[str, ...]
    notes: tuple[str, ...]
    tags: tuple[str, ...]
    url: str


TOPICS = (
    Topic(
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
    Topic(
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
    Topic(
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
    Topic(
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
    Topic(
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
    Topic(
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
    Topic(
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
    Topic(
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
CUSTOM_ATTRIBUTES_JSON = tuple(orjson.dumps(a).decode() for a in CUSTOM_ATTRIBUTES)
SCREENSHOT_JSON = orjson.dumps([SCREENSHOT]).decode()
