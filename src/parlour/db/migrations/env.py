"""Alembic environment: runs on the connection handed in by `parlour.db.migrate`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from parlour.db import models  # noqa: F401  (registers every table)
from parlour.db.base import Base
from parlour.db.text_search import include_object

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite can only ALTER through table rebuilds
        compare_type=True,
        include_object=include_object,  # FTS5 tables and pg_trgm indexes: not in the models
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as conn:
        _run(conn)
