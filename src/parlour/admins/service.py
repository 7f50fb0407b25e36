"""Admin use cases."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from parlour.admins import repository
from parlour.core.ids import parse_numeric_id
from parlour.db.models import Admin, Workspace
from parlour.db.session import Reads
from parlour.errors import AdminNotFound, NotFound, ParameterInvalid

MAX_TEXT = 255


@dataclass(slots=True)
class AdminView:
    """An admin and the ids of its teams."""

    admin: Admin
    team_ids: list[int]


def list_admins(session: Session, workspace_id: int) -> list[AdminView]:
    """All admins of the workspace with their team ids."""
    admins = repository.list_admins(session, workspace_id)
    teams = repository.team_ids_by_admin(session, workspace_id, [a.id for a in admins])
    return [AdminView(a, teams.get(a.id, [])) for a in admins]


def retrieve_admin(session: Session, workspace_id: int, admin_id: str) -> AdminView:
    """One admin, or 404 `admin_not_found`."""
    numeric = parse_numeric_id(admin_id)
    admin = repository.get_admin(session, workspace_id, numeric) if numeric else None
    if admin is None:
        raise AdminNotFound()
    teams = repository.team_ids_by_admin(session, workspace_id, [admin.id])
    return AdminView(admin, teams.get(admin.id, []))


def admin_id_of(reads: Reads, workspace_id: int, raw: str, *, field: str = "admin_id") -> int:
    """The id of the workspace's admin a request names, else 404 `admin_not_found`."""
    numeric = parse_numeric_id(raw)
    if numeric is None or not repository.admin_exists(reads, workspace_id, numeric):
        raise AdminNotFound(field=field)
    return numeric


def identify(session: Session, workspace_id: int, admin_id: int | None) -> tuple[Admin, Workspace]:
    """The admin a token acts as, with its workspace (`GET /me`)."""
    workspace = repository.get_workspace(session, workspace_id)
    admin = repository.get_admin(session, workspace_id, admin_id) if admin_id else None
    if workspace is None or admin is None:
        raise NotFound("The admin this token acts as no longer exists")
    return admin, workspace


def _required_text(value: str, name: str) -> str:
    cleaned = value.strip()
    if not cleaned:
        raise ParameterInvalid(f"{name} can't be blank", field=name)
    if len(cleaned) > MAX_TEXT or "\x00" in cleaned:
        raise ParameterInvalid(f"{name} must be at most {MAX_TEXT} characters, no NUL", field=name)
    return cleaned


def create_admin(
    session: Session, *, workspace_id: int, now: int, name: str, email: str, job_title: str = ""
) -> AdminView:
    """A new teammate; an email another admin of the workspace has (any case) is refused."""
    name = _required_text(name, "name")
    email = _required_text(email, "email")
    local, at, domain = email.rpartition("@")
    if not (at and local and domain) or any(c.isspace() for c in email):
        raise ParameterInvalid("email is not a valid email address", field="email")
    job_title = job_title.strip()
    if len(job_title) > MAX_TEXT:
        raise ParameterInvalid(
            f"job_title must be at most {MAX_TEXT} characters", field="job_title"
        )
    if repository.get_admin_by_email(session, workspace_id, email) is not None:
        raise ParameterInvalid(f"An admin with email {email} already exists", field="email")
    admin = Admin(
        workspace_id=workspace_id,
        name=name,
        email=email,
        job_title=job_title,
        created_at=now,
    )
    repository.add(session, admin)
    return AdminView(admin, [])
