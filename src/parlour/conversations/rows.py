"""Whole conversations as records: one by id, many by id, their parts, what they show.

The reads every conversation answer shares (list pages that lack a stored entry, retrieve,
search pages, a write's answer, the stored entries themselves): prepared statements that
return typed records (`db.models.ConversationRecord`, `PartRecord`), and the related rows
rendering needs (`Related`), loaded in one query per kind.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from sqlalchemy import BindParameter, bindparam, select

from parlour.db.models import (
    Admin,
    Contact,
    Conversation,
    ConversationContact,
    ConversationPart,
    ConversationRecord,
    ConversationTag,
    PartRecord,
    SlaPolicy,
    Tag,
)
from parlour.db.prepared import Prepared
from parlour.db.session import Reads

MAX_PARTS_RETURNED = 500
"""Intercom shows at most the 500 newest parts of a conversation."""

CONVERSATION = Conversation.__table__
PART = ConversationPart.__table__


class RelatedContact(NamedTuple):
    """A contact of a conversation, as its entry shows it."""

    conversation_id: int
    id: str
    external_id: str | None


class RelatedTag(NamedTuple):
    """A tag of a conversation, and who applied it when."""

    conversation_id: int
    id: int
    name: str
    applied_at: int
    applied_by_id: int | None


class Person(NamedTuple):
    """An author (admin or contact) as a part or source shows it."""

    id: int | str
    name: str | None
    email: str | None


class PolicyName(NamedTuple):
    """An SLA policy as `sla_applied` shows it."""

    id: int
    name: str


@dataclass(slots=True)
class Related:
    """What a page of conversations refers to, loaded in one query per kind.

    Each value is a plain record of only the columns rendering needs: building ORM objects
    (and decoding their JSON columns) for these was most of a list page's cost.
    """

    contacts: dict[int, list[RelatedContact]] = field(default_factory=dict)
    tags: dict[int, list[RelatedTag]] = field(default_factory=dict)
    admins: dict[str, Person] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)
    sla_policies: dict[int, PolicyName] = field(default_factory=dict)


_CONVERSATION_ID: BindParameter[int] = bindparam("conversation_id")
_WORKSPACE: BindParameter[int] = bindparam("workspace_id")
_IDS: BindParameter[list[int]] = bindparam("ids", expanding=True)

_ONE = Prepared(
    select(CONVERSATION).where(
        CONVERSATION.c.id == _CONVERSATION_ID, CONVERSATION.c.workspace_id == _WORKSPACE
    ),
    ConversationRecord,
)
_BY_IDS = select(CONVERSATION).where(CONVERSATION.c.id.in_(_IDS))
_READ_BY_IDS = Prepared(_BY_IDS, ConversationRecord)
_BY_IDS_LOCKED = Prepared(_BY_IDS.order_by(CONVERSATION.c.id).with_for_update(), ConversationRecord)
_NEWEST_PARTS = Prepared(
    select(PART)
    .where(PART.c.conversation_id == _CONVERSATION_ID, PART.c.workspace_id == _WORKSPACE)
    .order_by(PART.c.position.desc())
    .limit(bindparam("limit")),
    PartRecord,
)
_PARTS_BEFORE = Prepared(
    select(PART)
    .where(
        PART.c.conversation_id == _CONVERSATION_ID,
        PART.c.workspace_id == _WORKSPACE,
        PART.c.position < bindparam("end"),
    )
    .order_by(PART.c.position.desc())
    .limit(bindparam("limit")),
    PartRecord,
)


def read_row(reads: Reads, workspace_id: int, conversation_id: int) -> ConversationRecord | None:
    """One conversation of this workspace (for reading, not changing)."""
    return _ONE.first(reads, {"conversation_id": conversation_id, "workspace_id": workspace_id})


def rows_by_id(reads: Reads, ids: Sequence[int], *, lock: bool = False) -> list[ConversationRecord]:
    """The conversations with these ids (any workspace), in no order.

    `lock` takes their row locks first (PostgreSQL; in id order), so what is read next
    cannot change before the transaction ends.
    """
    statement = _BY_IDS_LOCKED if lock else _READ_BY_IDS
    found: list[ConversationRecord] = []
    for start in range(0, len(ids), 500):
        found += statement.all(reads, {"ids": list(ids[start : start + 500])})
    return found


def rows_in_order(reads: Reads, ids: Sequence[int]) -> list[ConversationRecord]:
    """The conversations with these ids, in this order (those that still exist)."""
    found = {row.id: row for row in rows_by_id(reads, ids)}
    return [found[i] for i in ids if i in found]


def read_parts(
    reads: Reads,
    workspace_id: int,
    conversation_id: int,
    *,
    before: int | None = None,
    limit: int = MAX_PARTS_RETURNED,
) -> list[PartRecord]:
    """The most recent `limit` parts, oldest first (Intercom returns at most 500).

    `before`: only parts at positions below it, the parts a write left (it answers after
    its commit, when later parts may exist).
    """
    params = {"conversation_id": conversation_id, "workspace_id": workspace_id, "limit": limit}
    if before is None:
        newest = _NEWEST_PARTS.all(reads, params)
    else:
        newest = _PARTS_BEFORE.all(reads, {**params, "end": before})
    newest.reverse()
    return newest


_RELATED_CONTACTS = Prepared(
    select(ConversationContact.conversation_id, Contact.id, Contact.external_id)
    .join(Contact, Contact.id == ConversationContact.contact_id)
    .where(
        ConversationContact.workspace_id == _WORKSPACE,
        ConversationContact.conversation_id.in_(_IDS),
    )
    .order_by(ConversationContact.added_at, Contact.id),
    RelatedContact,
)
_RELATED_TAGS = Prepared(
    select(
        ConversationTag.conversation_id,
        Tag.id,
        Tag.name,
        ConversationTag.applied_at,
        ConversationTag.applied_by_id,
    )
    .join(Tag, Tag.id == ConversationTag.tag_id)
    .where(ConversationTag.workspace_id == _WORKSPACE, ConversationTag.conversation_id.in_(_IDS))
    .order_by(ConversationTag.applied_at, Tag.id),
    RelatedTag,
)
_RELATED_ADMINS = Prepared(
    select(Admin.id, Admin.name, Admin.email).where(
        Admin.workspace_id == _WORKSPACE, Admin.id.in_(bindparam("ids", expanding=True))
    ),
    Person,
)
_RELATED_PEOPLE = Prepared(
    select(Contact.id, Contact.name, Contact.email).where(
        Contact.workspace_id == _WORKSPACE, Contact.id.in_(bindparam("ids", expanding=True))
    ),
    Person,
)
_RELATED_POLICIES = Prepared(
    select(SlaPolicy.id, SlaPolicy.name).where(
        SlaPolicy.workspace_id == _WORKSPACE, SlaPolicy.id.in_(_IDS)
    ),
    PolicyName,
)


def load_related(
    reads: Reads,
    workspace_id: int,
    conversations: Sequence[ConversationRecord],
    part_rows: Sequence[PartRecord] = (),
) -> Related:
    """Contacts, tags, authors and SLA policies for these conversations and parts."""
    related = Related()
    ids = [c.id for c in conversations]
    if not ids and not part_rows:
        return related

    def params(keys: Iterable[int | str]) -> dict[str, object]:
        return {"workspace_id": workspace_id, "ids": list(keys)}

    if ids:
        contacts: dict[int, list[RelatedContact]] = defaultdict(list)
        for contact in _RELATED_CONTACTS.all(reads, params(ids)):
            contacts[contact.conversation_id].append(contact)
        related.contacts = dict(contacts)
        tags: dict[int, list[RelatedTag]] = defaultdict(list)
        for tag in _RELATED_TAGS.all(reads, params(ids)):
            tags[tag.conversation_id].append(tag)
        related.tags = dict(tags)

    admin_ids: set[int] = set()
    contact_ids: set[str] = set()
    authors = [(c.source_author_type, c.source_author_id) for c in conversations]
    authors += [(p.author_type, p.author_id) for p in part_rows]
    for author_type, author_id in authors:
        if author_type in ("admin", "bot"):
            if author_id.isdigit():
                admin_ids.add(int(author_id))
        elif author_type in ("user", "lead", "contact"):
            contact_ids.add(author_id)
    if admin_ids:
        related.admins = {str(a.id): a for a in _RELATED_ADMINS.all(reads, params(admin_ids))}
    if contact_ids:
        related.people = {str(c.id): c for c in _RELATED_PEOPLE.all(reads, params(contact_ids))}
    policy_ids = {c.sla_policy_id for c in conversations if c.sla_policy_id is not None}
    if policy_ids:
        related.sla_policies = {p.id: p for p in _RELATED_POLICIES.all(reads, params(policy_ids))}
    return related
