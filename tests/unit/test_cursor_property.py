"""Property tests of the signed cursor codec (`core/cursor.py`).

Any cursor round-trips; anything else a client can send — a tampered, truncated or
extended token, one signed with another secret or for another workspace, a payload that
is signed but malformed, any string at all — is the codec's one error, a 400
`parameter_invalid` naming `starting_after`, and never another exception.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from parlour.core.cursor import _HEADER, _VERSION, Cursor, CursorCodec, _b64
from parlour.errors import ParameterInvalid

SECRET = b"test-secret-key-for-cursors"
CODEC = CursorCodec(SECRET)
INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
JSON_SCALARS = st.one_of(
    st.none(), st.booleans(), INT64, st.floats(allow_nan=False, allow_infinity=False), st.text()
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
CURSORS = st.builds(
    Cursor,
    workspace_id=INT64,
    query=st.dictionaries(st.text(max_size=20), JSON_VALUES, max_size=5),
    sort_value=INT64,
    last_id=INT64,
    page=INT64,
    ties=st.integers(min_value=0, max_value=2**32 - 1),
)


def _refused(token: str, workspace_id: int, codec: CursorCodec = CODEC) -> None:
    with pytest.raises(ParameterInvalid) as caught:
        codec.decode(token, workspace_id=workspace_id)
    assert caught.value.field == "starting_after"
    assert caught.value.message == "starting_after is not a valid cursor"


def _refused_or_same(token: str, cursor: Cursor) -> None:
    """Base64 ignores a last character's unused bits: such a token *is* the same cursor."""
    try:
        decoded = CODEC.decode(token, workspace_id=cursor.workspace_id)
    except ParameterInvalid as error:
        assert error.field == "starting_after"
        return
    assert decoded == cursor, token


@settings(max_examples=150)
@given(cursor=CURSORS)
def test_any_cursor_round_trips(cursor: Cursor) -> None:
    token = CODEC.encode(cursor)
    assert token.isascii() and len(token.split(".")) == 2
    if len(token) <= 4096:
        assert CODEC.decode(token, workspace_id=cursor.workspace_id) == cursor
    else:
        _refused(token, cursor.workspace_id)  # the codec's length limit


@settings(max_examples=150)
@given(cursor=CURSORS, other=INT64)
def test_another_workspace_is_refused(cursor: Cursor, other: int) -> None:
    if other != cursor.workspace_id:
        _refused(CODEC.encode(cursor), other)


@settings(max_examples=150)
@given(cursor=CURSORS, secret=st.binary(min_size=1, max_size=200))
def test_another_secret_is_refused(cursor: Cursor, secret: bytes) -> None:
    """Any secret, longer than BLAKE2b's 64-byte key too, signs cursors only it accepts."""
    if secret != SECRET:
        _refused(CursorCodec(secret).encode(cursor), cursor.workspace_id)
    own = CursorCodec(secret)
    assert own.decode(own.encode(cursor), workspace_id=cursor.workspace_id) == cursor


@settings(max_examples=150)
@given(cursor=CURSORS, data=st.data())
def test_any_tampering_is_refused(cursor: Cursor, data: st.DataObject) -> None:
    token = CODEC.encode(cursor)
    position = data.draw(st.integers(min_value=0, max_value=len(token) - 1), label="position")
    replacement = data.draw(st.characters(), label="replacement")
    kind = data.draw(st.sampled_from(["replace", "truncate", "insert", "delete", "append"]))
    if kind == "replace":
        tampered = token[:position] + replacement + token[position + 1 :]
    elif kind == "truncate":
        tampered = token[:position]
    elif kind == "insert":
        tampered = token[:position] + replacement + token[position:]
    elif kind == "delete":
        tampered = token[:position] + token[position + 1 :]
    else:
        tampered = token + data.draw(st.text(min_size=1, max_size=8), label="suffix")
    if tampered != token:
        _refused_or_same(tampered, cursor)


@settings(max_examples=150)
@given(cursor=CURSORS, query=st.dictionaries(st.text(max_size=10), JSON_VALUES, max_size=3))
def test_payload_swapped_between_tokens_is_refused(cursor: Cursor, query: dict[str, Any]) -> None:
    """Another query's payload under this token's signature (a cut-and-paste forgery)."""
    mine = CODEC.encode(cursor)
    theirs = CODEC.encode(Cursor(cursor.workspace_id, query, 0, 0, 1))
    forged = theirs.partition(".")[0] + "." + mine.partition(".")[2]
    if forged != mine:
        _refused_or_same(forged, cursor)


def _signed(payload: bytes) -> str:
    return f"{_b64(payload)}.{_b64(CODEC.sign(payload))}"


HEADERS = st.builds(
    _HEADER.pack,
    st.sampled_from([_VERSION, 0, 1, 3, 255]),
    st.sampled_from([1, 2, 0, -1]),
    INT64,
    INT64,
    INT64,
    st.integers(min_value=0, max_value=2**32 - 1),
)


@settings(max_examples=300)
@given(payload=st.one_of(
    st.binary(max_size=80),
    st.builds(orjson.dumps, JSON_VALUES),  # the JSON payload of an earlier format
    st.builds(lambda head, tail: head + tail, HEADERS, st.binary(max_size=40)),
    st.builds(lambda head, q: head + orjson.dumps(q), HEADERS, JSON_VALUES),
    st.builds(lambda head, n: head[:n], HEADERS, st.integers(0, _HEADER.size - 1)),
))  # fmt: skip
@example(payload=_HEADER.pack(_VERSION, 1, 1, 1, 1, 1) + b"[1]")
@example(payload=_HEADER.pack(_VERSION, 1, 1, 1, 1, 1) + b'"ab"')
@example(payload=_HEADER.pack(_VERSION, 1, 1, 1, 1, 1) + b"\xff{}")
@example(payload=_HEADER.pack(_VERSION, 1, 1, 1, 1, 1) + b"{}")
def test_signed_but_malformed_payloads_never_raise_anything_else(payload: bytes) -> None:
    """Even a payload signed with the server's own key cannot make decode fail oddly."""
    token = _signed(payload)
    try:
        cursor = CODEC.decode(token, workspace_id=1)
    except ParameterInvalid as error:
        assert error.field == "starting_after"
        return
    assert isinstance(cursor, Cursor) and cursor.workspace_id == 1
    assert all(isinstance(v, int) for v in (cursor.sort_value, cursor.last_id, cursor.page))
    assert isinstance(cursor.query, dict) and isinstance(cursor.ties, int)


@settings(max_examples=150)
@given(token=st.one_of(
    st.text(max_size=200),
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=",
            max_size=200),
    st.builds(lambda n: "A" * n + "." + "A" * 22, st.integers(0, 5000)),
))  # fmt: skip
@example(token="." * 5000)
@example(token="é.é")
@example(token="A.")
@example(token=".A")
def test_any_string_is_refused_cleanly(token: str) -> None:
    _refused(token, 1)
