"""The `parlour` command line: help, db upgrade, workspaces, tokens, seed, webhooks."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from parlour.api.protocol import HeadWithBodyProtocol
from parlour.app import create_app
from parlour.cli import app
from tests.conftest import make_settings
from tests.webhook_receiver import running_receiver, verify

runner = CliRunner()


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


def test_help_lists_every_command() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("serve", "db", "workspaces", "tokens", "seed"):
        assert command in result.output


def test_workspace_token_lifecycle(url: str) -> None:
    assert runner.invoke(app, ["db", "upgrade", "--database-url", url]).exit_code == 0
    created = runner.invoke(app, ["workspaces", "create", "Acme", "--database-url", url])
    assert created.exit_code == 0, created.output
    first_token = created.output.strip().splitlines()[-1]
    listed = runner.invoke(app, ["workspaces", "list", "--database-url", url])
    app_id = listed.output.split("\t")[0]
    second = runner.invoke(app, ["tokens", "create", "--workspace", app_id, "--name", "ci",
                                 "--database-url", url])
    assert second.exit_code == 0
    second_token = second.output.strip().splitlines()[-1]
    api = create_app(make_settings(url))
    with TestClient(api) as client:
        for token in (first_token, second_token):
            me = client.get("/me", headers={"Authorization": f"Bearer {token}"})
            assert me.status_code == 200 and me.json()["app"]["id_code"] == app_id
        tokens = runner.invoke(
            app, ["tokens", "list", "--workspace", app_id, "--database-url", url]
        )
        token_id = tokens.output.splitlines()[1].split("\t")[0]
        revoked = runner.invoke(app, ["tokens", "revoke", token_id, "--workspace", app_id,
                                      "--database-url", url])
        assert revoked.exit_code == 0
        gone = client.get("/me", headers={"Authorization": f"Bearer {second_token}"})
        assert gone.status_code == 401


def test_unknown_workspace_and_version_are_refused(url: str) -> None:
    missing = runner.invoke(app, ["tokens", "create", "--workspace", "nope", "--database-url", url])
    assert missing.exit_code == 1 and "No workspace" in missing.output
    bad = runner.invoke(app, ["workspaces", "create", "X", "--api-version", "9.9",
                              "--database-url", url])
    assert bad.exit_code == 2


def test_seed_loads_conversations(url: str) -> None:
    runner.invoke(app, ["workspaces", "create", "Seeded", "--database-url", url])
    app_id = runner.invoke(app, ["workspaces", "list", "--database-url", url]).output.split("\t")[0]
    result = runner.invoke(app, ["seed", "--workspace", app_id, "-n", "50", "--database-url", url])
    assert result.exit_code == 0, result.output
    assert "Loaded 50 conversations" in result.output


def _new_workspace(url: str) -> tuple[str, str]:
    created = runner.invoke(app, ["workspaces", "create", "Team Co", "--database-url", url])
    assert created.exit_code == 0, created.output
    token = created.output.strip().splitlines()[-1]
    app_id = runner.invoke(app, ["workspaces", "list", "--database-url", url]).output.split("\t")[0]
    return app_id, token


def test_help_lists_admins_and_teams() -> None:
    result = runner.invoke(app, ["--help"])
    assert "admins" in result.output and "teams" in result.output
    for group in ("admins", "teams"):
        sub = runner.invoke(app, [group, "--help"])
        assert sub.exit_code == 0 and "create" in sub.output and "list" in sub.output


def test_admins_and_teams_create(url: str) -> None:
    app_id, token = _new_workspace(url)
    common = ["--workspace", app_id, "--database-url", url]
    ciaran = runner.invoke(
        app, ["admins", "create", "--name", "Ciaran Lee", "--email", "ciaran@example.com",
              "--job-title", "Support", *common]
    )
    assert ciaran.exit_code == 0, ciaran.output
    ciaran_id = ciaran.output.strip().splitlines()[-1]
    sam = runner.invoke(
        app, ["admins", "create", "--name", "Sam", "--email", "sam@example.com", *common]
    )
    sam_id = sam.output.strip().splitlines()[-1]
    listed = runner.invoke(app, ["admins", "list", *common]).output.splitlines()
    assert f"{ciaran_id}\tCiaran Lee\tciaran@example.com" in listed
    team = runner.invoke(
        app, ["teams", "create", "--name", "Billing", "--admin", ciaran_id, "--admin", sam_id,
              "--admin", sam_id, "--distribution-method", "round_robin",
              "--assignment-limit", "5", *common]
    )
    assert team.exit_code == 0, team.output
    team_id = team.output.strip().splitlines()[-1]
    empty = runner.invoke(app, ["teams", "create", "--name", "Empty", *common])
    assert empty.exit_code == 0, empty.output
    teams_listed = runner.invoke(app, ["teams", "list", *common]).output.splitlines()
    assert teams_listed[0] == f"{team_id}\tBilling\t{ciaran_id},{sam_id}"
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(make_settings(url))) as client:
        one = client.get(f"/admins/{ciaran_id}", headers=headers).json()
        assert (one["name"], one["email"], one["job_title"]) == (
            "Ciaran Lee", "ciaran@example.com", "Support"
        )
        assert one["team_ids"] == [int(team_id)]
        teams = client.get("/teams", headers=headers).json()["teams"]
        billing = next(t for t in teams if t["id"] == team_id)
        assert billing["admin_ids"] == [int(ciaran_id), int(sam_id)]
        assert billing["distribution_method"] == "round_robin"
        assert billing["assignment_limit"] == 5


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["admins", "create", "--name", "Dup", "--email", "OWNER@example.com"], "already exists"),
        (["admins", "create", "--name", " ", "--email", "x@example.com"], "name can't be blank"),
        (["admins", "create", "--name", "X", "--email", "nope"], "not a valid email"),
        (["teams", "create", "--name", "T", "--admin", "999999"], "Admin not found: 999999"),
        (["teams", "create", "--name", "T", "--admin", str(2**64)], "Admin not found"),
        (["teams", "create", "--name", "T", "--distribution-method", "random"], "round_robin"),
        (["teams", "create", "--name", ""], "name must be"),
    ],
)
def test_admins_and_teams_refuse_bad_input(url: str, args: list[str], message: str) -> None:
    app_id, _ = _new_workspace(url)
    result = runner.invoke(app, [*args, "--workspace", app_id, "--database-url", url])
    assert result.exit_code == 1, result.output
    assert message in " ".join(result.output.split())
    listed = runner.invoke(app, ["teams", "list", "--workspace", app_id, "--database-url", url])
    assert listed.output == ""


def test_admins_and_teams_need_a_known_workspace(url: str) -> None:
    for args in (
        ["admins", "create", "--name", "A", "--email", "a@example.com"],
        ["teams", "create", "--name", "T"],
        ["admins", "list"],
        ["teams", "list"],
    ):
        result = runner.invoke(app, [*args, "--workspace", "nope", "--database-url", url])
        assert result.exit_code == 1 and "No workspace" in result.output


def test_sla_rules_and_snooze_wakeup_commands(url: str, tmp_path: Path) -> None:
    made = runner.invoke(app, ["workspaces", "create", "Acme", "--database-url", url])
    assert made.exit_code == 0
    app_id = runner.invoke(app, ["workspaces", "list", "--database-url", url]).output.split("\t")[0]
    hours = tmp_path / "hours.json"
    hours.write_text('{"timezone": "Europe/Dublin", "hours": {"monday": [["09:00", "17:00"]]}}')
    created = runner.invoke(app, ["sla", "create", "--workspace", app_id, "--name", "Gold",
                                  "--first-reply", "600", "--office-hours", f"@{hours}",
                                  "--apply-to-new", "--database-url", url])
    assert created.exit_code == 0, created.output
    rule_id = created.output.strip().splitlines()[-1]
    listed = runner.invoke(app, ["sla", "list", "--workspace", app_id, "--database-url", url])
    assert listed.output.strip() == f"{rule_id}\tGold\t600\t-\t-\tnew"
    duplicate = runner.invoke(app, ["sla", "create", "--workspace", app_id, "--name", "gold",
                                    "--time-to-close", "60", "--database-url", url])
    assert duplicate.exit_code == 1 and "already exists" in duplicate.output
    for bad in (["--office-hours", "{"], ["--office-hours", '{"hours": {}}'], []):
        refused = runner.invoke(app, ["sla", "create", "--workspace", app_id, "--name", "X",
                                      *bad, "--database-url", url])
        assert refused.exit_code != 0, bad
    archived = runner.invoke(app, ["sla", "archive", rule_id, "--workspace", app_id,
                                   "--database-url", url])
    assert archived.exit_code == 0
    listed = runner.invoke(app, ["sla", "list", "--workspace", app_id, "--database-url", url])
    assert listed.output.strip().endswith("\tarchived")
    assert runner.invoke(app, ["sla", "archive", "999", "--workspace", app_id,
                               "--database-url", url]).exit_code == 1
    woken = runner.invoke(app, ["conversations", "wake-snoozed", "--database-url", url])
    assert woken.exit_code == 0 and "Woke 0" in woken.output
    rendered = runner.invoke(app, ["conversations", "render-summaries", "--database-url", url])
    assert rendered.exit_code == 0 and "Stored 0 conversation list entries" in rendered.output


def test_webhooks_commands(url: str) -> None:
    """create, list, a real write, deliveries, deliver to a real endpoint, replay, delete."""
    app_id, token = _new_workspace(url)
    common = ["--workspace", app_id, "--database-url", url]
    with running_receiver() as receiver:
        hook = receiver.url("/hook")
        created = runner.invoke(app, ["webhooks", "create", "--url", hook, "--topic",
                                      "conversation.user.created", "--topic",
                                      "conversation.admin.closed", *common])
        assert created.exit_code == 0, created.output
        subscription_id, secret = created.output.strip().split("\t")
        assert subscription_id.isdigit() and len(secret) >= 32  # generated
        chosen = runner.invoke(app, ["webhooks", "create", "--url", "https://example.com/x",
                                     "--topic", "conversation.deleted", "--secret",
                                     "my-own-secret", *common])
        assert chosen.exit_code == 0 and chosen.output.strip().endswith("\tmy-own-secret")
        other_id = chosen.output.split("\t")[0]
        for bad, message in (
            (["--url", hook, "--topic", "conversation.exploded"], "Unknown topics"),
            (["--url", "ftp://example.com/x", "--topic", "conversation.deleted"], "url must"),
            (["--url", "/relative", "--topic", "conversation.deleted"], "url must"),
            (["--url", hook, "--topic", "conversation.deleted", "--secret", "short"], "secret"),
            (["--url", hook], "--topic"),
        ):
            refused = runner.invoke(app, ["webhooks", "create", *bad, *common])
            assert refused.exit_code != 0, bad
            assert message in " ".join(refused.output.split()), refused.output
        listed = runner.invoke(app, ["webhooks", "list", *common])
        assert listed.output.splitlines() == [
            f"{subscription_id}\t{hook}\tconversation.user.created,conversation.admin.closed",
            f"{other_id}\thttps://example.com/x\tconversation.deleted",
        ]
        assert runner.invoke(app, ["webhooks", "delete", other_id, *common]).exit_code == 0

        headers = {"Authorization": f"Bearer {token}"}
        with TestClient(create_app(make_settings(url))) as client:
            contact = client.post("/contacts", json={"email": "pat@example.com"},
                                  headers=headers).json()["id"]
            started = client.post("/conversations", headers=headers,
                                  json={"from": {"type": "user", "id": contact}, "body": "Hi"})
            cid = started.json()["conversation_id"]

        def deliveries(*extra: str) -> list[list[str]]:
            result = runner.invoke(app, ["webhooks", "deliveries", *extra, *common])
            assert result.exit_code == 0, result.output
            return [line.split("\t") for line in result.output.splitlines()]

        [pending] = deliveries("--status", "pending")
        delivery_id, status, attempts, topic, notification_id, error = pending
        assert (status, attempts, topic, error) == ("pending", "0", "conversation.user.created", "")
        assert notification_id.startswith("notif_")
        assert deliveries("--status", "delivered") == []
        assert runner.invoke(app, ["webhooks", "deliveries", "--status", "lost",
                                   *common]).exit_code == 1

        sent = runner.invoke(app, ["webhooks", "deliver", "--database-url", url])
        assert sent.exit_code == 0, sent.output
        assert "Delivered 1, retrying 0, dead 0." in sent.output
        [request] = receiver.received()
        body = verify(request, secret)
        assert request.path == "/hook"
        assert (body["id"], body["topic"]) == (notification_id, "conversation.user.created")
        assert body["app_id"] == app_id and body["data"]["item"]["id"] == cid
        assert deliveries() == [[delivery_id, "delivered", "1", topic, notification_id, ""]]

        again = runner.invoke(app, ["webhooks", "deliver", "--database-url", url])
        assert "Delivered 0, retrying 0, dead 0." in again.output  # nothing due
        receiver.fail_first = 2  # the next request gets a 500
        replayed = runner.invoke(app, ["webhooks", "replay", delivery_id, *common])
        assert replayed.exit_code == 0, replayed.output
        assert deliveries("--status", "pending")[0][:3] == [delivery_id, "pending", "0"]
        failed = runner.invoke(app, ["webhooks", "deliver", "--database-url", url])
        assert "Delivered 0, retrying 1, dead 0." in failed.output
        assert deliveries() == [[delivery_id, "pending", "1", topic, notification_id, "HTTP 500"]]
        assert [verify(r, secret)["id"] for r in receiver.received()] == [notification_id] * 2
        for unknown in ("999999", "abc"):
            missing = runner.invoke(app, ["webhooks", "replay", unknown, *common])
            assert missing.exit_code == 1 and "not found" in missing.output

    deleted = runner.invoke(app, ["webhooks", "delete", subscription_id, *common])
    assert deleted.exit_code == 0, deleted.output
    assert runner.invoke(app, ["webhooks", "list", *common]).output == ""
    assert deliveries() == []  # its deliveries went with it
    assert runner.invoke(app, ["webhooks", "delete", subscription_id, *common]).exit_code == 1
    nowhere = runner.invoke(app, ["webhooks", "list", "--workspace", "nope",
                                  "--database-url", url])
    assert nowhere.exit_code == 1 and "No workspace" in nowhere.output


@pytest.mark.parametrize(
    ("level", "access_log"),
    [("info", True), ("debug", True), ("warning", False), ("error", False)],
)
def test_serve_logs_each_request_only_where_the_level_prints_it(
    url: str, monkeypatch: pytest.MonkeyPatch, level: str, access_log: bool
) -> None:
    """Access lines are INFO: above it uvicorn's access log is off, not formatted unseen."""
    import uvicorn

    started: dict[str, object] = {}
    monkeypatch.setenv("PARLOUR_DATABASE_URL", url)  # serve sets it for its workers
    monkeypatch.setattr(uvicorn, "run", lambda target, **options: started.update(options))
    result = runner.invoke(app, ["serve", "--database-url", url, "--log-level", level])
    assert result.exit_code == 0, result.output
    assert started["log_level"] == level
    assert started["access_log"] is access_log
    assert started["workers"] == 1
    assert started["http"] is HeadWithBodyProtocol  # one write a response
