"""Webhook tests drive conversations with the shared `Inbox` harness."""

from tests.conversations.conftest import inbox, movable  # noqa: F401  (re-exported fixtures)
