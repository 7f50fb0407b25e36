"""`api.pagination.page_url` encodes a page link's query exactly as `urlencode` does."""

from __future__ import annotations

from urllib.parse import urlencode

from hypothesis import example, given, settings
from hypothesis import strategies as st

from parlour.api.pagination import page_url

TEXT = st.text(alphabet=st.sampled_from("aZ09_.~-+/ =&%?#é\u00a0\U0001f600"), max_size=20)


@settings(max_examples=400)
@given(params=st.dictionaries(TEXT, TEXT, max_size=5))
@example(params={"sort": "updated_at", "starting_after": "AgAA-_x.Yz", "per_page": "20"})
@example(params={"email": "a+b@example.com", "user_id": "x y/z"})
@example(params={"": ""})
def test_page_url_query_is_urlencodes(params: dict[str, str]) -> None:
    assert page_url("https://api.example.com/", "/conversations", params) == (
        f"https://api.example.com/conversations?{urlencode(params)}"
    )
