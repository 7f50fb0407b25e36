"""Packaged Alembic migrations, named by date."""
