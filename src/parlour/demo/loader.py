"""Bulk loading of generated demo data: one transaction per chunk, around SQLAlchemy.

Ids are assigned here rather than by the database so parts and links can point at their
conversation before it is inserted; they start after each table's max id, read once at
the start. Seeding therefore assumes nothing else inserts conversations meanwhile.

Conversations are generated in chunks, here or by worker processes (`demo.chunks`), and
inserted one transaction each, triggers replaced per chunk (`demo.bulk`). The seeding
connection also skips foreign key lookups.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

import orjson
from sqlalchemy import JSON, Connection, Table, func, select, text, update

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
    Workspace,
)
from parlour.db.session import Database
from parlour.demo import entries
from parlour.demo.bulk import BULK_PRAGMAS, Inserter, set_pragmas
from parlour.demo.chunks import STAGE, Plan, chunks, default_workers
from parlour.demo.corpus import DAY, OPERATOR_JOB_TITLE, OPERATOR_NAME
from parlour.demo.generator import ConversationGenerator
from parlour.demo.people import (
    HISTORY_DAYS,
    Cast,
    ContactRef,
    PeopleRows,
    Row,
    TeamRef,
    generate_people,
)
from parlour.workspaces import service as workspaces

# Below these a workspace is treated as empty and gets a generated cast of its own.
MIN_ADMINS = 5
MIN_CONTACTS = 5
MIN_TAGS = 5
# Contacts read back as a cast; more would only cost memory, not realism.
MAX_CAST_CONTACTS = 50_000
# Positional placeholders in each driver's own syntax.
_PLACEHOLDER = {"sqlite": "?", "postgresql": "%s"}
SEQUENCED_TABLES = ("conversation", "conversation_part", "admin", "team", "tag")

_conversation: Table = Conversation.__table__  # type: ignore[assignment]
_part: Table = ConversationPart.__table__  # type: ignore[assignment]
_conversation_contact: Table = ConversationContact.__table__  # type: ignore[assignment]
_conversation_tag: Table = ConversationTag.__table__  # type: ignore[assignment]
_admin: Table = Admin.__table__  # type: ignore[assignment]
_team: Table = Team.__table__  # type: ignore[assignment]
_team_member: Table = TeamMember.__table__  # type: ignore[assignment]
_contact: Table = Contact.__table__  # type: ignore[assignment]
_tag: Table = Tag.__table__  # type: ignore[assignment]
_workspace: Table = Workspace.__table__  # type: ignore[assignment]


@dataclass(frozen=True, slots=True)
class DemoWorkspace:
    """What `seed_demo_workspace` made: the workspace and a token to explore it with."""

    workspace_id: int
    app_id: str
    token: str
    owner_admin_id: int
    conversations: int


def _insert(conn: Connection, table: Table, rows: list[Row]) -> None:
    """Executemany straight on the driver, from dicts holding every column of `table`.

    `conn.execute(insert(table), rows)` spends ~12 us per row building bound parameters,
    more than SQLite spends storing the row. Encoding the JSON columns is all its bind
    processors would do for these values, so rows go to the driver as plain tuples.
    """
    if not rows:
        return
    names = [c.name for c in table.columns]
    json_names = {c.name for c in table.columns if isinstance(c.type, JSON)}
    pick = itemgetter(*names)
    if json_names:
        encoders = [_encode_json if n in json_names else None for n in names]
        params = [
            tuple(v if e is None else e(v) for v, e in zip(pick(r), encoders, strict=True))
            for r in rows
        ]
    else:
        params = [pick(r) for r in rows]
    quote = conn.dialect.identifier_preparer.quote
    marker = _PLACEHOLDER[conn.dialect.name]
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)}) "
        f"VALUES ({', '.join(marker for _ in names)})"
    )
    conn.exec_driver_sql(sql, params)


def _encode_json(value: Any) -> str | None:
    # orjson: several times faster than json.dumps on these small values, same JSON meaning.
    return None if value is None else orjson.dumps(value).decode()


def _max_id(conn: Connection, table: Table) -> int:
    return int(conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one())


def _read_cast(conn: Connection, workspace_id: int) -> Cast:
    """The workspace's current people and tags, in id order so a seed replays identically."""
    admins = conn.execute(
        select(_admin.c.id, _admin.c.name, _admin.c.job_title, _admin.c.has_inbox_seat)
        .where(_admin.c.workspace_id == workspace_id)
        .order_by(_admin.c.id)
    ).all()
    bots = [
        a.id
        for a in admins
        if a.name == OPERATOR_NAME and a.job_title == OPERATOR_JOB_TITLE and not a.has_inbox_seat
    ]
    humans = tuple(a.id for a in admins if a.has_inbox_seat and a.id not in bots)
    if not humans:
        humans = tuple(a.id for a in admins)
    members: dict[int, list[int]] = {
        t: []
        for t in conn.execute(
            select(_team.c.id).where(_team.c.workspace_id == workspace_id).order_by(_team.c.id)
        ).scalars()
    }
    for team_id, admin_id in conn.execute(
        select(_team_member.c.team_id, _team_member.c.admin_id)
        .where(_team_member.c.workspace_id == workspace_id)
        .order_by(_team_member.c.team_id, _team_member.c.admin_id)
    ):
        members.setdefault(team_id, []).append(admin_id)
    contacts = tuple(
        ContactRef(c.id, c.role, c.name.split(" ", 1)[0] if c.name else None)
        for c in conn.execute(
            select(_contact.c.id, _contact.c.role, _contact.c.name)
            .where(_contact.c.workspace_id == workspace_id)
            .order_by(_contact.c.id)
            .limit(MAX_CAST_CONTACTS)
        )
    )
    tags = tuple(
        (t.id, t.name)
        for t in conn.execute(
            select(_tag.c.id, _tag.c.name)
            .where(_tag.c.workspace_id == workspace_id)
            .order_by(_tag.c.id)
        )
    )
    return Cast(
        admin_ids=humans,
        bot_id=bots[0] if bots else (humans[0] if humans else 0),
        teams=tuple(TeamRef(t, tuple(m)) for t, m in members.items()),
        contacts=contacts,
        tags=tags,
    )


def _fill_cast(
    conn: Connection, rng: random.Random, workspace_id: int, now: int, conversations: int
) -> Cast:
    """The cast to generate with, creating admins, teams, contacts and tags a workspace lacks."""
    cast = _read_cast(conn, workspace_id)
    want_admins = len(cast.admin_ids) < MIN_ADMINS
    want_contacts = len(cast.contacts) < MIN_CONTACTS
    want_tags = len(cast.tags) < MIN_TAGS
    if not (want_admins or want_contacts or want_tags):
        return cast
    has_operator = cast.bot_id not in cast.admin_ids and cast.bot_id != 0
    taken_emails = conn.execute(
        select(_admin.c.email).where(_admin.c.workspace_id == workspace_id)
    ).scalars()
    people: PeopleRows = generate_people(
        rng,
        workspace_id,
        now,
        admins=8 if want_admins else 0,
        teams=3 if want_admins and not cast.teams else 0,
        # Roughly four conversations per contact: regulars come back.
        contacts=max(50, min(conversations // 4, 25_000)) if want_contacts else 0,
        tags=12 if want_tags else 0,
        operator=want_admins and not has_operator,
        first_admin_id=_max_id(conn, _admin) + 1,
        first_team_id=_max_id(conn, _team) + 1,
        first_tag_id=_max_id(conn, _tag) + 1,
        member_pool=cast.admin_ids,
        taken_emails=set(taken_emails),
        taken_tag_names={name for _, name in cast.tags},
    )
    _insert(conn, _admin, people.admins)
    _insert(conn, _team, people.teams)
    _insert(conn, _team_member, people.team_members)
    _insert(conn, _contact, people.contacts)
    _insert(conn, _tag, people.tags)
    return _read_cast(conn, workspace_id)


def _advance_sequences(conn: Connection) -> None:
    """Move PostgreSQL's id sequences past the explicitly assigned ids."""
    for table in SEQUENCED_TABLES:
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        )


def seed_conversations(
    db: Database,
    workspace_id: int,
    count: int,
    *,
    now: int,
    seed: int = 0,
    mean_parts: int = 10,
    progress: Callable[[int], None] | None = None,
    workers: int | None = None,
) -> int:
    """Load `count` generated conversations into a workspace; returns how many were loaded.

    `workers`: processes generating chunks meanwhile (default: two for large seeds on a
    machine with two cores or more, none otherwise; they are forked, so not on Windows);
    the data does not depend on it.
    """
    # The workspace is part of the seed so two workspaces never draw the same contact ids.
    stream = f"parlour-demo:{seed}:{workspace_id}"
    rng = random.Random(stream)
    writer = db.engine.execution_options(parlour_write=True)
    with writer.begin() as conn:
        exists = conn.execute(
            select(_workspace.c.id).where(_workspace.c.id == workspace_id)
        ).scalar_one_or_none()
        if exists is None:
            raise ValueError(f"workspace {workspace_id} does not exist")
        cast = _fill_cast(conn, rng, workspace_id, now, count)
        directory = entries.read_directory(conn, workspace_id, {c.id for c in cast.contacts})
        next_conversation = _max_id(conn, _conversation) + 1
        next_part = _max_id(conn, _part) + 1
    plan = Plan(
        generator=ConversationGenerator(rng, workspace_id, now, cast, mean_parts=mean_parts),
        directory=directory,
        stream=stream,
        first_id=next_conversation,
        count=count,
        staged=db.is_sqlite,
    )

    done = 0
    made = chunks(plan, default_workers(count) if workers is None else workers)
    with writer.connect() as conn:
        previous = set_pragmas(conn, BULK_PRAGMAS) if db.is_sqlite else {}
        try:
            if db.is_sqlite:
                conn.connection.dbapi_connection.execute(  # type: ignore[union-attr]
                    f"ATTACH DATABASE ':memory:' AS {STAGE}"
                )
            inserter = Inserter(conn, next_part)
            for chunk in made:
                inserter.insert(chunk)
                done += chunk.count
                if progress is not None:
                    progress(done)
        finally:
            made.close()  # stops the workers if an insert failed
            if db.is_sqlite:
                conn.connection.dbapi_connection.execute(  # type: ignore[union-attr]
                    f"DETACH DATABASE {STAGE}"
                )
            if previous:
                set_pragmas(conn, previous)

    with writer.begin() as conn:
        if conn.dialect.name == "postgresql":
            _advance_sequences(conn)
        # Cached conversation counts key on data_version; the seed changed every count.
        conn.execute(
            update(_workspace)
            .where(_workspace.c.id == workspace_id)
            .values(
                data_version=_workspace.c.data_version + 1,
                population_version=_workspace.c.population_version + 1,
            )
        )
    # A bulk load changes the tables' shape more than anything else: re-plan on new stats.
    db.analyze()
    return done


def seed_demo_workspace(
    db: Database, *, now: int, conversations: int = 300, seed: int = 0, name: str = "Demo"
) -> DemoWorkspace:
    """A new workspace with an owner, a generated team and customers, conversations and a token."""
    founded = now - (HISTORY_DAYS + 10) * DAY
    with db.write_session() as session:
        workspace, owner = workspaces.create_workspace(session, name=name, now=founded)
        token = workspaces.create_token(
            session, workspace, now=now, name="demo", admin_id=owner.id
        )
        session.commit()
        workspace_id, app_id, owner_id = workspace.id, workspace.app_id, owner.id
    loaded = seed_conversations(db, workspace_id, conversations, now=now, seed=seed)
    return DemoWorkspace(
        workspace_id=workspace_id,
        app_id=app_id,
        token=token,
        owner_admin_id=owner_id,
        conversations=loaded,
    )
