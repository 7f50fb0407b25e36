"""Tags: `GET /tags`, `POST /tags` (create or rename), `GET /tags/{id}`, `DELETE /tags/{id}`."""
