"""One pagination helper for every cursor-paged list (moto's `@paginate` idea).

A list pages by keyset: a page is the `per_page` rows after the last one shown, in the
list's order, and its cursor (`core.cursor`: signed, bound to the workspace) carries that
position and the list's query. The helper does the three things every list must do alike:

1. `start`: check a client's `starting_after` is a cursor of *this* list (the list's
   `read` turns the cursor's query into its own, or refuses it with its 400) and give the
   position to fetch after, and the page number;
2. the list fetches `per_page + 1` rows after it (`fetch_size`): the one more tells
   whether a next page exists;
3. `finish`: keep `per_page` rows and sign the next page's cursor from the last one.

`paginate` runs the three for a list that needs nothing more (search, contacts); the
conversation list calls `start` and `finish` itself, around its numbered 1.x pages and
its runs of ties. A string row id (a contact's) travels in the signed query as `after`:
the cursor's binary position holds a 64-bit integer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, NamedTuple, TypeVar

from parlour.core.cursor import Cursor, CursorCodec

Q = TypeVar("Q")
R = TypeVar("R")

Key = tuple[int, int | str]
"""A row's position in its list's order: (sort value, id)."""


class After(NamedTuple):
    """Where a page starts: after the row at (`value`, `row_id`).

    `ties`: how many rows with `value` ended the page before, when the row after it had
    that value too (see `core.cursor.Cursor.ties`); lists that seek on (value, id) in one
    statement ignore it.
    """

    value: int
    row_id: int | str
    ties: int


class Start(NamedTuple, Generic[Q]):
    """A page's start: the cursor's query as the list reads it (None without a cursor),
    the position after which to fetch (None: the first page) and the page's number."""

    query: Q | None
    after: After | None
    page: int


class Page(NamedTuple, Generic[R]):
    """The rows of a page, its number, and the next page's cursor (None on the last)."""

    rows: list[R]
    page: int
    next_cursor: str | None


FIRST = Start[Any](None, None, 1)


def start(
    codec: CursorCodec,
    token: str | None,
    *,
    workspace_id: int,
    read: Callable[[dict[str, Any]], Q],
) -> Start[Q]:
    """Where the page `token` asks for starts; a cursor of another list or workspace is a
    400 `parameter_invalid` (`read` refuses another list's query with its own message)."""
    if not token:
        return FIRST
    cursor = codec.decode(token, workspace_id=workspace_id)
    query = read(cursor.query)
    row_id = cursor.query.get("after", cursor.last_id)
    return Start(query, After(cursor.sort_value, row_id, cursor.ties), cursor.page)


def fetch_size(per_page: int) -> int:
    """How many rows to fetch for a page: one more than it shows."""
    return per_page + 1


def finish(
    codec: CursorCodec,
    rows: list[R],
    *,
    workspace_id: int,
    per_page: int,
    start: Start[Any],
    query: dict[str, Any],
    key: Callable[[R], Key],
    count_ties: bool = False,
) -> Page[R]:
    """The page of the first `per_page` of `rows` (fetched `fetch_size`), and its cursor.

    `key` gives a row's (sort value, id): an `operator.attrgetter` keeps it off the
    interpreter's call path. `query` is what the next cursor carries (the list's kind and
    query, as `start`'s `read` expects it back). `count_ties` counts the run of equal sort
    values the page ends with, for lists that seek a value once and skip what they know
    (SQLite's list pages).
    """
    shown = rows[:per_page]
    if len(rows) <= per_page:
        return Page(shown, start.page, None)
    last_value, last_id = key(shown[-1])
    ties = 1
    if count_ties:
        ties = _ties(shown, key, last_value, key(rows[per_page])[0], start.after)
    if isinstance(last_id, str):
        query, last_id = {**query, "after": last_id}, 0
    cursor = Cursor(workspace_id, query, last_value, last_id, start.page + 1, ties)
    return Page(shown, start.page, codec.encode(cursor))


def _ties(
    shown: list[R], key: Callable[[R], Key], last: int, following: int, after: After | None
) -> int:
    """How many rows up to the page's last have its value, if the next row has it too (0
    if not: the usual case, found without looking at the page's other rows). A page that
    is one run adds the count its own cursor carried for that value."""
    if following != last:
        return 0
    if key(shown[0])[0] == last:  # the whole page is one run
        before = after.ties if after is not None and after.value == last else 0
        return len(shown) + before
    # The page is in sort order, so it ends with its run of `last`: from the first.
    values = [value for value, _ in map(key, shown)]
    return len(values) - values.index(last)


def paginate(
    codec: CursorCodec,
    token: str | None,
    *,
    workspace_id: int,
    per_page: int,
    read: Callable[[dict[str, Any]], Q],
    query: dict[str, Any],
    fetch: Callable[[After | None, int], Sequence[R]],
    key: Callable[[R], Key],
) -> Page[R]:
    """`start`, fetch `per_page + 1` rows after its position, `finish`: a whole page."""
    begun = start(codec, token, workspace_id=workspace_id, read=read)
    rows = list(fetch(begun.after, fetch_size(per_page)))
    return finish(
        codec, rows, workspace_id=workspace_id, per_page=per_page, start=begun, query=query,
        key=key,
    )  # fmt: skip
