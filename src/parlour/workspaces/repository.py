"""Queries for workspaces, tokens and server settings."""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from parlour.db.models import AccessToken, Admin, ServerSetting, Workspace
from parlour.db.prepared import Prepared, PreparedWrite
from parlour.db.session import Reads


class TokenRow(NamedTuple):
    """A live access token and what a request needs of its workspace."""

    token_id: int
    admin_id: int | None
    token_hash: str
    workspace_id: int
    app_id: str
    workspace_name: str
    api_version: str
    data_version: int
    population_version: int


# Every request runs this: compiled once, run on the driver's cursor (`db.prepared`).
_TOKEN_WITH_WORKSPACE = Prepared(
    select(
        AccessToken.id.label("token_id"),
        AccessToken.admin_id,
        AccessToken.token_hash,
        Workspace.id.label("workspace_id"),
        Workspace.app_id,
        Workspace.name.label("workspace_name"),
        Workspace.api_version,
        Workspace.data_version,
        Workspace.population_version,
    )
    .join(Workspace, Workspace.id == AccessToken.workspace_id)
    .where(AccessToken.token_hash == bindparam("token_hash"), AccessToken.revoked_at.is_(None)),
    TokenRow,
)


def token_with_workspace(session: Reads, token_hash: str) -> TokenRow | None:
    """The live token with this hash and its workspace's fields, if any."""
    return _TOKEN_WITH_WORKSPACE.first(session, {"token_hash": token_hash})


def get_workspace(session: Session, workspace_id: int) -> Workspace | None:
    """A workspace by id."""
    return session.get(Workspace, workspace_id)


def get_workspace_by_app_id(session: Session, app_id: str) -> Workspace | None:
    """A workspace by its public app id."""
    return session.scalars(select(Workspace).where(Workspace.app_id == app_id)).first()


def list_workspaces(session: Session) -> list[Workspace]:
    """Every workspace, oldest first."""
    return list(session.scalars(select(Workspace).order_by(Workspace.id)))


def first_admin(session: Session, workspace_id: int) -> Admin | None:
    """The workspace's oldest admin (its owner)."""
    return session.scalars(
        select(Admin).where(Admin.workspace_id == workspace_id).order_by(Admin.id).limit(1)
    ).first()


def add(session: Session, row: object) -> None:
    """Stage a new row and flush it so its id is known."""
    session.add(row)
    session.flush()


def revoke_token(session: Session, workspace_id: int, token_id: int, now: int) -> bool:
    """Mark a token revoked; False if there was no live token with that id."""
    result = session.execute(
        update(AccessToken)
        .where(
            AccessToken.id == token_id,
            AccessToken.workspace_id == workspace_id,
            AccessToken.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def list_tokens(session: Session, workspace_id: int) -> list[AccessToken]:
    """A workspace's tokens, oldest first."""
    return list(
        session.scalars(
            select(AccessToken)
            .where(AccessToken.workspace_id == workspace_id)
            .order_by(AccessToken.id)
        )
    )


def get_setting(session: Session, key: str) -> str | None:
    """A server setting's value."""
    row = session.get(ServerSetting, key)
    return None if row is None else row.value


# Every conversation write runs one of these: built once, run on the driver (`Prepared`).
_BUMP = {
    population: PreparedWrite(
        update(Workspace)
        .where(Workspace.id == bindparam("workspace_id"))
        .values(
            data_version=Workspace.data_version + 1,
            **({"population_version": Workspace.population_version + 1} if population else {}),
        )
    )
    for population in (False, True)
}


def bump_data_version(session: Session, workspace_id: int, *, population: bool = False) -> None:
    """Mark the workspace's conversations changed, invalidating cached counts.

    `population`: conversations were created or deleted, which also changes the
    unfiltered count.
    """
    _BUMP[population].execute(session, {"workspace_id": workspace_id})


def lock(session: Session, workspace_id: int) -> None:
    """Row-lock the workspace until the transaction ends (PostgreSQL `FOR NO KEY UPDATE`).

    Writes that check a workspace-wide uniqueness (contact emails and external ids, tag
    names) take it before reading, so two such checks never interleave. Conversation writes
    take the same row (`bump_data_version`) before touching contact or tag rows; taking it
    first everywhere keeps one lock order, so these writes queue instead of deadlocking.
    SQLite needs nothing: its write transactions already run one at a time.
    """
    session.execute(
        select(Workspace.id).where(Workspace.id == workspace_id).with_for_update(key_share=True)
    )
