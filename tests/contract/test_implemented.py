"""IMPLEMENTED.md matches what the router serves (regenerate it when this fails)."""

from __future__ import annotations

from pathlib import Path

from tests.contract.implemented import served, table

ROOT = Path(__file__).resolve().parents[2]


def test_implemented_table_is_current(sqlite_url: str) -> None:
    expected = table(served(sqlite_url))
    committed = (ROOT / "IMPLEMENTED.md").read_text()
    assert committed == expected, (
        "IMPLEMENTED.md is out of date: run "
        "`.venv/bin/python -m tests.contract.implemented > IMPLEMENTED.md`"
    )


def test_the_table_reports_served_and_unserved_operations(sqlite_url: str) -> None:
    text = table(served(sqlite_url))
    assert "| `GET /conversations` | listConversations | yes |" in text
    assert "| `POST /contacts/merge` | MergeContact | no (501) |" in text
