"""The official python-intercom SDK against a real `parlour serve` process over HTTP."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import httpx
import pytest
from intercom import Intercom

from parlour.db.session import Database
from tests.conftest import TEST_NOW
from tests.e2e.server import parlour, running_server
from tests.factories import Workspace, make_workspace

pytestmark = pytest.mark.e2e
SEEDED = 45


@pytest.fixture(scope="module")
def server(
    database_url: str, db: Database, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Workspace]]:
    """`parlour serve` on a free port with a seeded workspace; yields (base URL, workspace)."""
    ws = make_workspace(db, now=TEST_NOW, name="E2E")
    env = {**os.environ, "PARLOUR_DATABASE_URL": database_url}
    parlour("seed", "--workspace", ws.app_id, "--count", str(SEEDED), "--seed", "7", env=env)
    with running_server(database_url, tmp_path_factory.mktemp("serve")) as base:
        yield base, ws


@pytest.fixture
def connect() -> Iterator[Callable[..., Intercom]]:
    """Build SDK clients on httpx clients that are closed after the test (no leaked sockets)."""
    opened: list[httpx.Client] = []

    def make(base: str, token: str) -> Intercom:
        http = httpx.Client(timeout=30)
        opened.append(http)
        return Intercom(token=token, base_url=base, httpx_client=http)

    yield make
    for http in opened:
        http.close()


def test_list_auto_paginates_across_pages(
    server: tuple[str, Workspace], connect: Callable[..., Intercom]
) -> None:
    """The SDK's pager follows pages.next through every seeded conversation, newest first."""
    base, ws = server
    client = connect(base, ws.token)
    conversations = list(client.conversations.list(per_page=10))
    ids = [c.id for c in conversations]
    assert len(ids) == SEEDED == len(set(ids))
    updated = [c.updated_at for c in conversations]
    assert updated == sorted(updated, reverse=True)
    assert all(getattr(c, "conversation_parts", None) is None for c in conversations)


def test_find_with_parts(
    server: tuple[str, Workspace], connect: Callable[..., Intercom]
) -> None:
    """find returns the timeline in order; display_as=plaintext strips the HTML."""
    base, ws = server
    client = connect(base, ws.token)
    first = next(iter(client.conversations.list(per_page=5)))
    found = client.conversations.find(conversation_id=first.id)
    assert found.id == first.id
    parts = found.conversation_parts
    assert parts is not None and parts.total_count == len(parts.conversation_parts or [])
    times = [p.created_at for p in parts.conversation_parts or []]
    assert times == sorted(times)
    plain = client.conversations.find(conversation_id=first.id, display_as="plaintext")
    assert plain.source is not None and "<p>" not in (plain.source.body or "")


def test_identify_and_errors(
    server: tuple[str, Workspace], connect: Callable[..., Intercom]
) -> None:
    """identify/list admins work; a missing id is a 404 ApiError, a bad token a 401."""
    base, ws = server
    client = connect(base, ws.token)
    me = client.admins.identify()
    assert me is not None and me.app is not None and me.app.id_code == ws.app_id
    assert client.admins.list().admins
    from intercom.core.api_error import ApiError

    with pytest.raises(ApiError) as caught:
        client.conversations.find(conversation_id="999999999")
    assert caught.value.status_code == 404
    with pytest.raises(ApiError) as unauthorized:
        list(connect(base, "wrong").conversations.list())
    assert unauthorized.value.status_code == 401


def test_search_with_typed_queries(
    server: tuple[str, Workspace], connect: Callable[..., Intercom]
) -> None:
    """search() with the SDK's query models (True arrives as 1) and a dict query.

    python-intercom 5.0.1's search pager re-sends the first page's `pagination` for every
    page (its `get_next` ignores `pages.next`), so iterating it would never end; clients page
    by passing `pages.next.starting_after` back, as Intercom's docs show, and so does this.
    """
    from intercom.core.api_error import ApiError
    from intercom.types import (
        MultipleFilterSearchRequest,
        SingleFilterSearchRequest,
        StartingAfterPaging,
    )

    base, ws = server
    client = connect(base, ws.token)
    expected = sorted(c.id for c in client.conversations.list(per_page=50) if c.open)
    query = MultipleFilterSearchRequest(
        operator="AND",
        value=[
            SingleFilterSearchRequest(field="open", operator="=", value=True),
            SingleFilterSearchRequest(field="created_at", operator=">", value="1306054154"),
        ],
    )
    found: list[str] = []
    pagination = StartingAfterPaging(per_page=7)
    while True:
        pager = client.conversations.search(query=query, pagination=pagination)
        found += [c.id for c in pager.items or [] if c.id is not None]
        pages = pager.response.pages
        assert pager.response.total_count == len(expected)
        if not pager.has_next or pages is None or pages.next is None:
            break
        pagination = StartingAfterPaging(per_page=7, starting_after=pages.next.starting_after)
    assert sorted(found) == expected and len(found) == len(set(found))

    words = client.conversations.search(
        query={"field": "source.body", "operator": "~", "value": "INVOICE"},
        pagination=StartingAfterPaging(per_page=50),
    )
    assert words.items, "the seeded billing conversations mention invoices"
    assert all("invoice" in (c.source.body or "").lower() for c in words.items if c.source)
    with pytest.raises(ApiError) as caught:
        client.conversations.search(query={"field": "nope", "operator": "=", "value": 1})
    assert caught.value.status_code == 400
