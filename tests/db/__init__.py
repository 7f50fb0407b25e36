"""Tests of the storage layer (`parlour.db`): sessions, prepared statements, locks, migrations."""
