"""Teams: `GET /teams`; created by the CLI."""
