"""Contacts (users and leads): `GET /contacts/{contact_id}`."""
