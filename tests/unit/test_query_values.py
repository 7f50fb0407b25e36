"""`conversations.router.query_values` reads a query string exactly as Starlette does."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st
from starlette.requests import Request

from parlour.conversations.router import query_values

QUERY_TEXT = st.text(alphabet=st.sampled_from("ab=&%+2F0x.-_~;é "), max_size=40)


@settings(max_examples=400)
@given(text=QUERY_TEXT)
@example(text="starting_after=eyJpIjo0.T2MrNY-_&sort=updated_at")
@example(text="a&&b=&=c&d=e=f")
@example(text="email=a%2Bb%40x.io&name=a+b")
@example(text="")
def test_query_values_are_starlettes_last_values(text: str) -> None:
    raw = text.encode("latin-1", "replace")
    request = Request({"type": "http", "query_string": raw, "headers": []})
    assert query_values(request) == dict(request.query_params)
