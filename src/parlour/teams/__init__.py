"""Teams: `GET /teams`."""
