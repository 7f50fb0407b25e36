"""Tags: `GET /tags`."""
