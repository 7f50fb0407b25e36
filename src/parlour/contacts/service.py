"""Contact use cases: read, list by cursor, create, update, delete."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from parlour.admins import repository as admins_repo
from parlour.contacts import repository
from parlour.core import paging
from parlour.core.cursor import CursorCodec
from parlour.core.ids import is_contact_id, new_contact_id
from parlour.db.models import Contact, Tag
from parlour.db.session import Reads, orm_session
from parlour.errors import (
    Conflict,
    NotFound,
    OwnerInvalid,
    ParameterInvalid,
    ParameterNotFound,
    UserNotFound,
)
from parlour.workspaces import repository as workspace_repo

ROLES = ("user", "lead")


@dataclass(frozen=True, slots=True)
class ContactRef:
    """How a request names a contact: Intercom id, external id (`user_id`) or email."""

    intercom_user_id: str | None = None
    user_id: str | None = None
    email: str | None = None


def find_contact(session: Reads, workspace_id: int, ref: ContactRef) -> Contact | None:
    """The contact a request names, by Intercom's rule; every lookup by identifier uses it.

    Intercom names a contact by one identifier (its request bodies are a `oneOf` of them):
    `intercom_user_id` (the contact's own id, a user or a lead), `user_id` (the external
    id you gave a user) or `email`. Where a request gives several, the first of those three
    decides and the others are not read. An email matches without regard to case. Where
    several contacts carry the external id or email (a user and the leads it once was),
    the user comes first, then the oldest. An id that is not a contact id finds nobody.
    """
    if ref.intercom_user_id is not None and not is_contact_id(ref.intercom_user_id):
        return None
    return repository.find(
        orm_session(session),
        workspace_id,
        contact_id=ref.intercom_user_id,
        external_id=ref.user_id,
        email=ref.email,
    )
# Marks this module's cursors, so a cursor of another list is refused rather than misread.
_CURSOR_LIST = "contacts"


@dataclass(slots=True)
class ContactView:
    """A contact and its tags."""

    contact: Contact
    tags: list[Tag]


@dataclass(frozen=True, slots=True)
class ContactFields:
    """The writable fields a request gave, already type-checked; `given` names those present.

    A field in `given` whose value is None is cleared (where it can be).
    """

    given: frozenset[str] = frozenset()
    role: str | None = None
    external_id: str | None = None
    email: str | None = None
    phone: str | None = None
    name: str | None = None
    avatar: str | None = None
    signed_up_at: int | None = None
    last_seen_at: int | None = None
    owner_id: int | None = None
    unsubscribed_from_emails: bool | None = None
    custom_attributes: dict[str, Any] | None = None


@dataclass(slots=True)
class ContactPage:
    """One page of contacts, the total, and the cursor of the next page (if any)."""

    views: list[ContactView]
    page: int
    total: int
    next_cursor: str | None


def retrieve_contact(session: Session, workspace_id: int, contact_id: str) -> ContactView:
    """One contact of the workspace, or 404 `not_found`."""
    contact = _contact(session, workspace_id, contact_id)
    return ContactView(contact, repository.tags_of(session, workspace_id, contact.id))


def _contact(session: Session, workspace_id: int, contact_id: str) -> Contact:
    contact = (
        repository.get_contact(session, workspace_id, contact_id)
        if is_contact_id(contact_id)
        else None
    )
    if contact is None:
        raise NotFound()
    return contact


def list_contacts(
    session: Session,
    *,
    workspace_id: int,
    per_page: int,
    starting_after: str | None,
    codec: CursorCodec,
) -> ContactPage:
    """A page of the workspace's contacts, oldest first, by keyset on (created_at, id)."""

    def read(query: dict[str, Any]) -> None:
        after = query.get("after")
        if query.get("list") != _CURSOR_LIST or not (
            isinstance(after, str) and is_contact_id(after)
        ):
            raise ParameterInvalid("starting_after is not a valid cursor", field="starting_after")

    def fetch(after: paging.After | None, limit: int) -> list[Contact]:
        position = None if after is None else (after.value, str(after.row_id))
        return repository.page(session, workspace_id, after=position, limit=limit)

    found = paging.paginate(
        codec,
        starting_after,
        workspace_id=workspace_id,
        per_page=per_page,
        read=read,
        query={"list": _CURSOR_LIST},
        fetch=fetch,
        key=lambda contact: (contact.created_at, contact.id),
    )
    tags = repository.tags_by_contact(session, workspace_id, [r.id for r in found.rows])
    return ContactPage(
        views=[ContactView(r, tags.get(r.id, [])) for r in found.rows],
        page=found.page,
        total=repository.count(session, workspace_id),
        next_cursor=found.next_cursor,
    )


def _check_role(role: str | None) -> None:
    if role is not None and role not in ROLES:
        raise ParameterInvalid("role must be user or lead", field="role")


def _check_owner(session: Session, workspace_id: int, fields: ContactFields) -> None:
    if fields.owner_id is not None and not admins_repo.admin_exists(
        session, workspace_id, fields.owner_id
    ):
        raise OwnerInvalid(field="owner_id")


def named_contact(session: Reads, workspace_id: int, ref: ContactRef) -> Contact:
    """The contact a request names (`find_contact`), else 404 "User Not Found"."""
    contact = find_contact(session, workspace_id, ref)
    if contact is None:
        raise UserNotFound()
    return contact


def _refuse_duplicate(
    session: Session,
    workspace_id: int,
    *,
    email: str | None,
    external_id: str | None,
    except_id: str | None = None,
) -> None:
    """409 when another user already has this email or external id (leads may share them)."""
    for ref in (ContactRef(email=email), ContactRef(user_id=external_id)):
        existing = find_contact(session, workspace_id, ref)
        if existing is not None and existing.role == "user" and existing.id != except_id:
            raise Conflict(
                f"A contact matching those details already exists with id={existing.id}"
            )


def create_contact(
    session: Session, *, workspace_id: int, now: int, fields: ContactFields
) -> ContactView:
    """A new user (default) or lead; a second user with the same email or external id is 409."""
    if fields.email is None and fields.external_id is None and fields.role is None:
        raise ParameterNotFound("One of email, external_id or role is required", field="email")
    _check_role(fields.role)
    _check_owner(session, workspace_id, fields)
    role = fields.role or "user"
    identified = fields.email is not None or fields.external_id is not None
    if identified:
        # Uniqueness is checked under the workspace lock so two creates cannot both pass.
        workspace_repo.lock(session, workspace_id)
        if role == "user":
            _refuse_duplicate(
                session, workspace_id, email=fields.email, external_id=fields.external_id
            )
    contact = Contact(
        id=new_contact_id(now),
        workspace_id=workspace_id,
        role=role,
        external_id=fields.external_id,
        email=fields.email,
        phone=fields.phone,
        name=fields.name,
        avatar_url=fields.avatar,
        owner_id=fields.owner_id,
        unsubscribed_from_emails=bool(fields.unsubscribed_from_emails),
        custom_attributes=dict(fields.custom_attributes or {}),
        created_at=now,
        updated_at=now,
        signed_up_at=fields.signed_up_at,
        last_seen_at=fields.last_seen_at,
    )
    repository.add(session, contact)
    if identified:
        # Conversation lists filter by email and external id: cached counts must go.
        workspace_repo.bump_data_version(session, workspace_id)
    return ContactView(contact, [])


_PLAIN_FIELDS = {
    "phone": "phone",
    "name": "name",
    "avatar": "avatar_url",
    "signed_up_at": "signed_up_at",
    "last_seen_at": "last_seen_at",
    "owner_id": "owner_id",
}


def _folded(email: str | None) -> str | None:
    return None if email is None else email.lower()


def update_contact(
    session: Session, *, workspace_id: int, now: int, contact_id: str, fields: ContactFields
) -> ContactView:
    """Change the fields given (null clears); custom attributes are merged, not replaced."""
    contact = _contact(session, workspace_id, contact_id)
    given = fields.given
    if "role" in given and fields.role is None:
        raise ParameterInvalid("role must be user or lead", field="role")
    _check_role(fields.role)
    _check_owner(session, workspace_id, fields)
    role = fields.role or contact.role
    email = fields.email if "email" in given else contact.email
    external_id = fields.external_id if "external_id" in given else contact.external_id
    becomes_user = role == "user" and contact.role != "user"
    identity_changed = (
        email != contact.email or external_id != contact.external_id or role != contact.role
    )
    if identity_changed:
        workspace_repo.lock(session, workspace_id)
        if role == "user":
            # Only what is new for this user can collide (a case-only email change cannot).
            new_email = becomes_user or _folded(email) != _folded(contact.email)
            new_external = becomes_user or external_id != contact.external_id
            _refuse_duplicate(
                session,
                workspace_id,
                email=email if new_email else None,
                external_id=external_id if new_external else None,
                except_id=contact.id,
            )
    contact.role = role
    contact.email = email
    contact.external_id = external_id
    for name, column in _PLAIN_FIELDS.items():
        if name in given:
            setattr(contact, column, getattr(fields, name))
    if fields.unsubscribed_from_emails is not None:
        contact.unsubscribed_from_emails = fields.unsubscribed_from_emails
    if fields.custom_attributes:
        contact.custom_attributes = {**contact.custom_attributes, **fields.custom_attributes}
    if given:
        contact.updated_at = max(contact.updated_at, now)
    session.flush()
    if identity_changed:
        # Conversation lists filter by email and external id: cached counts must go.
        workspace_repo.bump_data_version(session, workspace_id)
    return ContactView(contact, repository.tags_of(session, workspace_id, contact.id))


def delete_contact(session: Session, *, workspace_id: int, contact_id: str) -> Contact:
    """Delete a contact with its tag and conversation links; returns the row as it was."""
    contact = _contact(session, workspace_id, contact_id)
    # The workspace row first, as conversation writes take it, then the contact.
    workspace_repo.lock(session, workspace_id)
    repository.delete_contact(session, contact)
    workspace_repo.bump_data_version(session, workspace_id)
    return contact
