"""Declarative base with a naming convention so migrations name constraints identically."""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import BigInteger, MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base class of every table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    # Epoch seconds and ids outgrow 32-bit INTEGER on PostgreSQL (2038, large ids).
    type_annotation_map: ClassVar[dict[Any, Any]] = {int: BigInteger()}
