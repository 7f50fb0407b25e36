"""Admins (teammates): `GET /me`, `GET /admins`, `GET /admins/{admin_id}`; created by the CLI."""
