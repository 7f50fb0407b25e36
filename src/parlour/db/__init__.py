"""Storage: engine and sessions, every table, and the packaged migrations."""
