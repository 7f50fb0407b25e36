"""`core.paging`: one helper pages every list; cursors are the list's own and exact."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parlour.core import paging
from parlour.core.cursor import CursorCodec
from parlour.errors import ParameterInvalid
from tests.unit.timelines import PROPERTY

CODEC = CursorCodec(b"test")
WORKSPACE = 7


def _read_kind(kind: str) -> Any:
    def read(query: dict[str, Any]) -> None:
        if query.get("kind") != kind:
            raise ParameterInvalid("not this list's", field="starting_after")

    return read


def _pages(rows: list[tuple[int, Any]], per_page: int, kind: str = "a") -> list[list[Any]]:
    """Every page of `rows` (sorted by (value, id)) through the helper, by cursor."""
    pages: list[list[Any]] = []
    token = None
    while True:

        def fetch(after: paging.After | None, limit: int) -> list[tuple[int, Any]]:
            found = [r for r in rows if after is None or r > (after.value, after.row_id)]
            return found[:limit]

        page = paging.paginate(
            CODEC, token, workspace_id=WORKSPACE, per_page=per_page, read=_read_kind(kind),
            query={"kind": kind}, fetch=fetch, key=lambda r: r,
        )  # fmt: skip
        pages.append(page.rows)
        assert page.page == len(pages)
        if page.next_cursor is None:
            return pages
        token = page.next_cursor


@PROPERTY
@given(
    ids=st.lists(st.integers(1, 10_000), unique=True, max_size=40),
    per_page=st.integers(1, 7),
    strings=st.booleans(),
)
def test_pages_cover_every_row_once_in_order(ids: list[int], per_page: int, strings: bool) -> None:
    rows = sorted((i % 5, f"{i:024x}" if strings else i) for i in ids)
    pages = _pages(rows, per_page)
    assert [r for page in pages for r in page] == rows
    assert all(len(page) == per_page for page in pages[:-1])
    assert len(pages[-1]) <= per_page


def test_a_string_id_travels_in_the_signed_query() -> None:
    rows = [(1, "a" * 24), (2, "b" * 24)]
    page = paging.paginate(
        CODEC, None, workspace_id=WORKSPACE, per_page=1, read=_read_kind("c"),
        query={"kind": "c"}, fetch=lambda after, limit: rows[:limit], key=lambda r: r,
    )  # fmt: skip
    assert page.next_cursor is not None
    cursor = CODEC.decode(page.next_cursor, workspace_id=WORKSPACE)
    assert cursor.query == {"kind": "c", "after": "a" * 24} and cursor.last_id == 0
    begun = paging.start(CODEC, page.next_cursor, workspace_id=WORKSPACE, read=lambda q: q)
    assert begun.after == paging.After(1, "a" * 24, 1) and begun.page == 2


def test_another_lists_cursor_is_refused_by_the_list() -> None:
    page = paging.paginate(
        CODEC, None, workspace_id=WORKSPACE, per_page=1, read=_read_kind("a"),
        query={"kind": "a"}, fetch=lambda after, limit: [(1, 1), (2, 2)][:limit],
        key=lambda r: r,
    )  # fmt: skip
    assert page.next_cursor is not None
    with pytest.raises(ParameterInvalid, match="not this list's"):
        paging.start(CODEC, page.next_cursor, workspace_id=WORKSPACE, read=_read_kind("b"))
    with pytest.raises(ParameterInvalid):  # another workspace's: like garbage
        paging.start(CODEC, page.next_cursor, workspace_id=8, read=_read_kind("a"))


@pytest.mark.parametrize(
    ("values", "following", "before", "ties"),
    [
        ([1, 2, 3], 4, 0, 0),  # the next row has another value: no run to carry
        ([1, 2, 3], 3, 0, 1),  # the page ends with one row of a run
        ([1, 3, 3], 3, 0, 2),
        ([3, 3, 3], 3, 0, 3),  # the whole page is the run...
        ([3, 3, 3], 3, 4, 7),  # ...which began on the pages before
    ],
)
def test_ties_count_the_run_a_page_ends_with(
    values: list[int], following: int, before: int, ties: int
) -> None:
    rows = [(v, n) for n, v in enumerate([*values, following])]
    start = paging.Start(None, paging.After(3, 0, before) if before else None, 2)
    page = paging.finish(
        CODEC, rows, workspace_id=WORKSPACE, per_page=len(values), start=start,
        query={"kind": "a"}, key=lambda r: r, count_ties=True,
    )  # fmt: skip
    assert page.next_cursor is not None
    assert CODEC.decode(page.next_cursor, workspace_id=WORKSPACE).ties == ties
