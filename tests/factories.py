"""Test data factories: rows written straight to the database, derived columns by the service."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from parlour.conversations.derived import derived_columns
from parlour.conversations.state import Replay
from parlour.conversations.timeline import Part
from parlour.conversations.writes import source_of
from parlour.core.ids import new_contact_id
from parlour.db.models import (
    Admin,
    Contact,
    Conversation,
    ConversationContact,
    ConversationPart,
    ConversationTag,
    Tag,
    Team,
    TeamMember,
)
from parlour.db.session import Database
from parlour.db.unit_of_work import UnitOfWork
from parlour.workspaces import repository as workspace_repo
from parlour.workspaces import service as workspaces

_counter = itertools.count(1)


@dataclass
class Workspace:
    """A workspace made for one test, with a token acting as its owner."""

    id: int
    app_id: str
    token: str
    owner_id: int

    @property
    def headers(self) -> dict[str, str]:
        """Authorization headers for this workspace."""
        return {"Authorization": f"Bearer {self.token}"}


def make_workspace(
    db: Database, *, now: int, name: str = "Test", api_version: str = "2.14"
) -> Workspace:
    """A workspace, its owner admin and a token."""
    n = next(_counter)
    with db.write_session() as session:
        ws, owner = workspaces.create_workspace(
            session,
            name=f"{name} {n}",
            now=now,
            admin_email=f"owner{n}@example.com",
            api_version=api_version,
        )
        token = workspaces.create_token(session, ws, now=now, admin_id=owner.id)
        session.commit()
        return Workspace(id=ws.id, app_id=ws.app_id, token=token, owner_id=owner.id)


def make_admin(db: Database, ws: Workspace, *, now: int, name: str | None = None) -> int:
    """A teammate."""
    n = next(_counter)
    with db.write_session() as session:
        admin = Admin(
            workspace_id=ws.id,
            name=name or f"Admin {n}",
            email=f"admin{n}@example.com",
            job_title="Support",
            created_at=now,
        )
        session.add(admin)
        session.commit()
        return admin.id


def make_team(
    db: Database, ws: Workspace, *, now: int, admin_ids: list[int], name: str = "Support"
) -> int:
    """A team with members."""
    with db.write_session() as session:
        team = Team(workspace_id=ws.id, name=name, created_at=now)
        session.add(team)
        session.flush()
        for admin_id in admin_ids:
            session.add(TeamMember(team_id=team.id, admin_id=admin_id, workspace_id=ws.id))
        session.commit()
        return team.id


def make_contact(
    db: Database,
    ws: Workspace,
    *,
    now: int,
    role: str = "user",
    external_id: str | None = None,
    email: str | None = None,
    name: str | None = None,
) -> str:
    """A user or lead."""
    with db.write_session() as session:
        contact = Contact(
            id=new_contact_id(now),
            workspace_id=ws.id,
            role=role,
            external_id=external_id,
            email=email,
            name=name,
            created_at=now,
            updated_at=now,
            custom_attributes={},
        )
        session.add(contact)
        session.commit()
        return contact.id


def make_tag(db: Database, ws: Workspace, *, now: int, name: str | None = None) -> int:
    """A tag."""
    with db.write_session() as session:
        tag = Tag(workspace_id=ws.id, name=name or f"tag-{next(_counter)}", created_at=now)
        session.add(tag)
        session.commit()
        return tag.id


@dataclass
class Event:
    """One part to add to a conversation's timeline."""

    part_type: str
    author_type: str
    author_id: str | int
    at: int
    body: str | None = None
    assigned_to_type: str | None = None
    assigned_to_id: str | int | None = None
    snoozed_until: int | None = None


def contact_says(contact_id: str, at: int, body: str = "<p>Any news?</p>") -> Event:
    """A contact's reply."""
    return Event("comment", "user", contact_id, at, body)


def admin_says(admin_id: int, at: int, body: str = "<p>Looking into it.</p>") -> Event:
    """A teammate's reply."""
    return Event("comment", "admin", admin_id, at, body)


def note(admin_id: int, at: int, body: str = "<p>Internal</p>") -> Event:
    """A teammate's internal note."""
    return Event("note", "admin", admin_id, at, body)


def close(admin_id: int, at: int) -> Event:
    """A teammate closes the conversation."""
    return Event("close", "admin", admin_id, at)


def reopen(admin_id: int, at: int) -> Event:
    """A teammate opens the conversation again."""
    return Event("open", "admin", admin_id, at)


def snooze(admin_id: int, at: int, until: int) -> Event:
    """A teammate snoozes the conversation."""
    return Event("snoozed", "admin", admin_id, at, snoozed_until=until)


def assign(admin_id: int, at: int, to_type: str, to_id: int | None) -> Event:
    """A teammate assigns the conversation to an admin or team (None unassigns)."""
    return Event(
        "assignment", "admin", admin_id, at, assigned_to_type=to_type, assigned_to_id=to_id
    )


@dataclass
class ConversationSpec:
    """Options for `make_conversation`."""

    created_at: int
    contact_id: str | None = None
    admin_initiated_by: int | None = None
    events: list[Event] = field(default_factory=list)
    tag_ids: list[int] = field(default_factory=list)
    title: str | None = None
    body: str = "<p>Hello, I need <b>help</b> &amp; advice.</p>"
    subject: str = ""
    read: bool = False
    priority: str = "not_priority"
    custom_attributes: dict[str, Any] = field(default_factory=dict)
    source_type: str = "conversation"
    source_url: str | None = None
    # (score, remark, teammate id): a rating by the conversation's contact, at creation.
    rating: tuple[int, str | None, int | None] | None = None


def make_conversation(db: Database, ws: Workspace, spec: ConversationSpec, *, now: int) -> int:
    """A conversation with its timeline; derived columns computed by the service."""
    with db.write_session() as session:
        if spec.admin_initiated_by is not None:
            author_type, author_id, delivered = (
                "admin",
                str(spec.admin_initiated_by),
                "admin_initiated",
            )
        else:
            assert spec.contact_id is not None
            author_type, author_id, delivered = "user", spec.contact_id, "customer_initiated"
        last = max([spec.created_at] + [e.at for e in spec.events])
        row = Conversation(
            workspace_id=ws.id,
            created_at=spec.created_at,
            updated_at=last,
            title=spec.title,
            read=spec.read,
            priority=spec.priority,
            custom_attributes=dict(spec.custom_attributes),
            source_id=str(next(_counter) + 400_000_000),
            source_type=spec.source_type,
            source_delivered_as=delivered,
            source_subject=spec.subject,
            source_body=spec.body,
            source_author_type=author_type,
            source_author_id=author_id,
            source_url=spec.source_url,
            source_attachments=[],
            source_redacted=False,
            state="open",
            open=True,
            teammate_ids=[],
            statistics={},
            part_count=0,
        )
        if spec.rating is not None:
            score, remark, teammate = spec.rating
            row.rating, row.rating_remark, row.rating_teammate_id = score, remark, teammate
            row.rating_created_at = row.rating_updated_at = spec.created_at
            row.rating_contact_id = spec.contact_id
        session.add(row)
        session.flush()
        parts: list[ConversationPart] = []
        for position, event in enumerate(spec.events):
            part = ConversationPart(
                workspace_id=ws.id,
                conversation_id=row.id,
                position=position,
                part_type=event.part_type,
                body=event.body,
                created_at=event.at,
                updated_at=event.at,
                notified_at=event.at,
                author_type=event.author_type,
                author_id=str(event.author_id),
                assigned_to_type=event.assigned_to_type,
                assigned_to_id=None if event.assigned_to_id is None else str(event.assigned_to_id),
                snoozed_until=event.snoozed_until,
                state="open",
                attachments=[],
                redacted=False,
            )
            parts.append(part)
            session.add(part)
        refresh_derived(row, parts, now)
        if spec.contact_id is not None:
            session.add(
                ConversationContact(
                    conversation_id=row.id,
                    contact_id=spec.contact_id,
                    workspace_id=ws.id,
                    added_at=spec.created_at,
                )
            )
        for tag_id in spec.tag_ids:
            session.add(
                ConversationTag(
                    conversation_id=row.id,
                    tag_id=tag_id,
                    workspace_id=ws.id,
                    applied_at=spec.created_at,
                    applied_by_id=ws.owner_id,
                )
            )
        workspace_repo.bump_data_version(session, ws.id)
        session.flush()
        # Written behind the write model's back: its commit renders the list entry whole.
        UnitOfWork.of(session, db.pipeline).render_whole(row.id)
        session.commit()
        return row.id


def refresh_derived(row: Conversation, parts: list[ConversationPart], now: int) -> None:
    """Set each part's state and every derived column of `row` by the rules every write
    follows (`state.Replay`, `derived.derived_columns`), from its stored timeline."""
    replay = Replay(source_of(row))
    timeline = []
    for part in parts:
        part.state = replay.step(
            part.part_type, part.author_type, part.author_id, part.created_at,
            part.assigned_to_type, part.assigned_to_id, part.snoozed_until,
        )  # fmt: skip
        timeline.append(
            Part(
                part.part_type, part.author_type, part.author_id, part.created_at,
                part.assigned_to_type, part.assigned_to_id, part.snoozed_until,
            )
        )  # fmt: skip
    _, columns = derived_columns(source_of(row), timeline, now)
    for name, value in columns.items():
        setattr(row, name, value)
