"""The official Node client, intercom-client 7.0.3, against a real `parlour serve` process."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from parlour.core.clock import system_clock
from parlour.db.session import Database
from tests.conftest import IN_CI
from tests.contract.intercom_spec import assert_valid, response_schema_name
from tests.e2e.server import running_server
from tests.factories import Workspace, make_admin, make_contact, make_tag, make_team, make_workspace

pytestmark = pytest.mark.e2e

NODE_DIR = Path(__file__).resolve().parent / "node"
SCRIPT = NODE_DIR / "conversations.mjs"
NPM_TIMEOUT = 300
SCRIPT_TIMEOUT = 120

# Every public method of `client.conversations` in 7.0.3; a new client version that adds one
# fails the test until the script covers it.
CONVERSATION_METHODS = {
    "attachContactAsAdmin",
    "convertToTicket",
    "create",
    "deleteConversation",
    "detachContactAsAdmin",
    "find",
    "list",
    "manage",
    "redactConversationPart",
    "reply",
    "runAssignmentRules",
    "search",
    "update",
}

# The 2.14 operation whose 200 response each client method returns.
OPERATIONS = {
    "conversations.create": ("/conversations", "post"),
    "conversations.list": ("/conversations", "get"),
    "conversations.search": ("/conversations/search", "post"),
    "conversations.find": ("/conversations/{conversation_id}", "get"),
    "conversations.update": ("/conversations/{conversation_id}", "put"),
    "conversations.deleteConversation": ("/conversations/{conversation_id}", "delete"),
    "conversations.reply": ("/conversations/{conversation_id}/reply", "post"),
    "conversations.manage": ("/conversations/{conversation_id}/parts", "post"),
    "conversations.attachContactAsAdmin": ("/conversations/{conversation_id}/customers", "post"),
    "conversations.detachContactAsAdmin": (
        "/conversations/{conversation_id}/customers/{contact_id}",
        "delete",
    ),
    "conversations.redactConversationPart": ("/conversations/redact", "post"),
    "tags.tagConversation": ("/conversations/{conversation_id}/tags", "post"),
    "tags.untagConversation": ("/conversations/{conversation_id}/tags/{tag_id}", "delete"),
}
# run_assignment_rules is deprecated and left out of the 2.14 description; it answers the
# conversation model, like the other conversation writes.
FIXED_SCHEMAS = {"conversations.runAssignmentRules": "conversation"}

Bodies = dict[str, Any]  # step name -> the object the client returned


def _tool(name: str) -> str:
    """The path of `name`, else skip (fail under CI=true, which must run this test)."""
    path = shutil.which(name)
    if path is None:
        message = f"`{name}` is not on PATH: the Node client e2e test needs node and npm"
        if IN_CI:
            pytest.fail(f"{message} (CI=true requires them)", pytrace=False)
        pytest.skip(f"{message}; install Node.js 18+ to run it")
    return path


def _installed_matches_lock() -> bool:
    """Whether node_modules holds exactly the versions package-lock.json pins."""
    lock = json.loads((NODE_DIR / "package-lock.json").read_text())
    for location, entry in lock["packages"].items():
        if not location:
            continue  # the root project itself
        manifest = NODE_DIR / location / "package.json"
        if not manifest.is_file():
            return False
        if json.loads(manifest.read_text()).get("version") != entry.get("version"):
            return False
    return True


@pytest.fixture(scope="session")
def node() -> str:
    """The node executable, with the locked intercom-client installed beside the script."""
    node_path = _tool("node")
    npm_path = _tool("npm")
    if _installed_matches_lock():
        return node_path
    command = [npm_path, "ci", "--no-audit", "--no-fund"]
    try:
        done = subprocess.run(
            command, cwd=NODE_DIR, capture_output=True, text=True, timeout=NPM_TIMEOUT
        )
    except subprocess.TimeoutExpired:
        pytest.fail(
            f"`{' '.join(command)}` in {NODE_DIR} took over {NPM_TIMEOUT}s: "
            "is the npm registry reachable (npm config get registry)?",
            pytrace=False,
        )
    if done.returncode != 0:
        pytest.fail(
            f"`{' '.join(command)}` in {NODE_DIR} exited {done.returncode} "
            f"(the npm registry must be reachable):\n{done.stdout}\n{done.stderr}",
            pytrace=False,
        )
    if not _installed_matches_lock():
        pytest.fail(f"npm ci did not install what {NODE_DIR}/package-lock.json pins")
    return node_path


@pytest.fixture(scope="module")
def world(
    database_url: str, db: Database, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Workspace, dict[str, str]]]:
    """A served workspace with admins, a team, a user, a lead and a tag; (base, ws, ids)."""
    now = system_clock()  # the server runs on the real clock
    ws = make_workspace(db, now=now, name="Node client")
    router = make_admin(db, ws, now=now, name="Robin Router")
    ids = {
        "admin": str(make_admin(db, ws, now=now, name="Sam Admin")),
        "assignee": str(make_admin(db, ws, now=now, name="Alex Assignee")),
        "router": str(router),
        # Robin alone in the team: the rules can only pick Robin, who was never assigned.
        "team": str(make_team(db, ws, now=now, admin_ids=[router], name="Billing")),
        "user": make_contact(db, ws, now=now, email="pat@example.com", name="Pat"),
        "lead": make_contact(db, ws, now=now, role="lead"),
        "tag": str(make_tag(db, ws, now=now, name="Escalated")),
    }
    with running_server(database_url, tmp_path_factory.mktemp("node")) as base:
        yield base, ws, ids


def _run_script(node: str, base: str, token: str, ids: dict[str, str], tmp: Path) -> Any:
    """Run conversations.mjs and return its JSON report."""
    fixtures = tmp / "fixtures.json"
    fixtures.write_text(json.dumps(ids))
    try:
        done = subprocess.run(
            [node, str(SCRIPT), base, token, str(fixtures)],
            cwd=NODE_DIR,
            capture_output=True,
            text=True,
            timeout=SCRIPT_TIMEOUT,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"{SCRIPT.name} took over {SCRIPT_TIMEOUT}s; stderr:\n{exc.stderr}")
    if done.returncode != 0:
        pytest.fail(f"{SCRIPT.name} exited {done.returncode}:\n{done.stderr}{done.stdout[-2000:]}")
    return json.loads(done.stdout)


def _validate(step: dict[str, Any]) -> None:
    """The step's body validates against the 2.14 schema of its operation."""
    if "error" in step:
        assert_valid("error", step["error"])
        return
    assert step["status"] == 200, step
    method = step["method"]
    if method in FIXED_SCHEMAS:
        schema = FIXED_SCHEMAS[method]
    else:
        path, verb = OPERATIONS[method]
        schema = response_schema_name(path, verb, "200")
    body = step["response"]
    assert_valid(schema, body)
    for item in body.get("conversations") or []:
        assert_valid("conversation_list_item", item)
    for part in (body.get("conversation_parts") or {}).get("conversation_parts") or []:
        assert_valid("conversation_part", part)


def _parts(conversation: dict[str, Any]) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = conversation["conversation_parts"]["conversation_parts"]
    assert conversation["conversation_parts"]["total_count"] == len(parts)
    return parts


def _contact_ids(conversation: dict[str, Any]) -> list[str]:
    return [c["id"] for c in conversation["contacts"]["contacts"]]


def test_every_conversation_method(
    node: str, world: tuple[str, Workspace, dict[str, str]], tmp_path: Path
) -> None:
    """Each call succeeds, or is refused as Intercom would, in 2.14's shapes and values."""
    base, ws, ids = world
    report = _run_script(node, base, ws.token, ids, tmp_path)

    assert set(report["methods"]) == CONVERSATION_METHODS
    called = {s["method"].split(".", 1)[1] for s in report["steps"]}
    assert called >= CONVERSATION_METHODS | {"tagConversation", "untagConversation"}

    steps: dict[str, dict[str, Any]] = {}
    for step in report["steps"]:
        if step["name"] != "list_iterated":
            _validate(step)
        steps.setdefault(step["name"], step)  # repeated steps are checked by list below
    body = {name: step.get("response") for name, step in steps.items()}

    _check_create_and_find(body, ids)
    _check_replies(body, ids)
    _check_manage(body, ids)
    _check_tags_and_participants(body, ids)
    _check_update_and_redact(body)
    _check_list(report["steps"], body)

    _check_search(report["steps"], body)
    assert steps["convert_to_ticket"]["status"] == 501, steps["convert_to_ticket"]
    assert steps["convert_to_ticket"]["error"]["errors"][0]["code"] == "not_implemented"
    cid = body["create"]["conversation_id"]
    assert body["delete"] == {"id": cid, "object": "conversation", "deleted": True}
    assert steps["find_deleted"]["status"] == 404


def _check_create_and_find(body: Bodies, ids: dict[str, str]) -> None:
    message = body["create"]
    assert message["type"] == "user_message" and message["body"] == "<p>Printer on fire</p>"
    found = body["find"]
    assert found["id"] == message["conversation_id"]
    assert found["state"] == "open" and found["open"] is True
    assert _contact_ids(found) == [ids["user"]]
    assert found["source"]["body"] == "<p>Printer on fire</p>"
    assert body["find_plaintext"]["source"]["body"] == "Printer on fire"


def _check_replies(body: Bodies, ids: dict[str, str]) -> None:
    count = len(_parts(body["find"]))
    comment = body["reply_admin_comment"]
    last = _parts(comment)[-1]
    assert len(_parts(comment)) == count + 1
    assert (last["part_type"], last["author"]["type"], last["author"]["id"]) == (
        "comment", "admin", ids["admin"],
    )
    assert comment["waiting_since"] is None
    assert comment["statistics"]["first_admin_reply_at"] is not None
    note = body["reply_admin_note"]
    assert len(_parts(note)) == count + 2 and _parts(note)[-1]["part_type"] == "note"
    contact = body["reply_contact"]
    last = _parts(contact)[-1]
    assert len(_parts(contact)) == count + 3
    assert (last["part_type"], last["author"]["type"], last["author"]["id"]) == (
        "comment", "user", ids["user"],
    )
    assert last["body"] == "<p>Still on fire</p>" and contact["waiting_since"] is not None


def _check_manage(body: Bodies, ids: dict[str, str]) -> None:
    assert body["assign_admin"]["admin_assignee_id"] == int(ids["assignee"])
    assert _parts(body["assign_admin"])[-1]["part_type"] == "assignment"
    assert body["assign_team"]["team_assignee_id"] == int(ids["team"])
    unassigned = body["unassign_admin"]
    assert unassigned["admin_assignee_id"] is None
    assert unassigned["team_assignee_id"] == int(ids["team"])
    ruled = body["run_assignment_rules"]
    assert ruled["admin_assignee_id"] == int(ids["router"])
    assert ruled["team_assignee_id"] == int(ids["team"])
    assert _parts(ruled)[-1]["part_type"] == "default_assignment"

    snoozed = body["snooze"]
    assert snoozed["state"] == "snoozed" and snoozed["snoozed_until"] > system_clock()
    opened = body["open"]
    assert opened["state"] == "open" and opened["open"] is True
    assert opened["snoozed_until"] is None
    closed = body["close"]
    assert closed["state"] == "closed" and closed["open"] is False
    last = _parts(closed)[-1]
    assert (last["part_type"], last["body"]) == ("close", "<p>Fixed</p>")


def _check_tags_and_participants(body: Bodies, ids: dict[str, str]) -> None:
    tag = body["tag"]
    assert (tag["type"], tag["id"], tag["name"]) == ("tag", ids["tag"], "Escalated")
    assert tag["applied_by"]["id"] == ids["admin"]
    assert [t["id"] for t in body["find_tagged"]["tags"]["tags"]] == [ids["tag"]]
    assert (body["untag"]["id"], body["untag"]["name"]) == (ids["tag"], "Escalated")
    assert body["find_untagged"]["tags"]["tags"] == []

    assert sorted(_contact_ids(body["attach_contact"])) == sorted([ids["user"], ids["lead"]])
    assert _contact_ids(body["detach_contact"]) == [ids["user"]]


def _check_update_and_redact(body: Bodies) -> None:
    updated = body["update"]
    assert updated["read"] is True and updated["title"] == "Printer fire"
    assert updated["custom_attributes"] == {"issue_type": "Hardware"}
    plain = body["update_plaintext"]
    assert plain["custom_attributes"] == {"issue_type": "Hardware", "priority": "High"}
    assert plain["source"]["body"] == "Printer on fire"
    assert all("<p>" not in (p["body"] or "") for p in _parts(plain))

    redacted_id = _parts(body["reply_contact"])[-1]["id"]
    redacted = {p["id"]: p for p in _parts(body["redact_part"])}[redacted_id]
    assert redacted["redacted"] is True and redacted["body"] == ""
    assert body["redact_part"]["source"]["redacted"] is False
    source = body["redact_source"]["source"]
    assert source["redacted"] is True and source["body"] == ""


def _check_search(steps: list[dict[str, Any]], body: Bodies) -> None:
    """`open = true` finds exactly the four open conversations, two a page, via the pager."""
    still_open = {s["response"]["conversation_id"] for s in steps if s["name"] == "create_more"}
    pages = [s["response"] for s in steps if s["name"] == "search_page"]
    assert [len(p["conversations"]) for p in pages] == [2, 2]
    assert all(p["total_count"] == 4 for p in pages)
    found = [c["id"] for p in pages for c in p["conversations"]]
    assert len(found) == len(set(found)) and set(found) == still_open
    assert body["close"]["id"] not in found  # closed earlier: not open


def _check_list(steps: list[dict[str, Any]], body: Bodies) -> None:
    created = [body["create"]["conversation_id"]] + [
        s["response"]["conversation_id"] for s in steps if s["name"] == "create_more"
    ]
    pages = [s["response"] for s in steps if s["name"] == "list_page"]
    assert [len(p["conversations"]) for p in pages] == [2, 2, 1]
    assert all(p["pages"]["next"]["starting_after"] for p in pages[:-1])
    assert "next" not in pages[-1]["pages"]
    listed = [c["id"] for p in pages for c in p["conversations"]]
    assert sorted(listed) == sorted(created)
    assert body["list_iterated"] == listed
