"""Admins (teammates): `GET /me`, `GET /admins`, `GET /admins/{admin_id}`."""
