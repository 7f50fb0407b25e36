"""Signed keyset cursors: opaque to clients, tamper-proof, bound to one workspace.

A cursor carries the query it was issued for, the sort key of the last row returned, and
the next page's number; it is signed (HMAC-SHA256) so a client can neither forge a
position nor point it at another workspace.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

import orjson

from parlour.errors import ParameterInvalid

_SIGNATURE_BYTES = 16


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where the next page starts: after (`sort_value`, `last_id`) of query `query`."""

    workspace_id: int
    query: dict[str, Any]
    sort_value: int
    last_id: int
    page: int
    # False when the row after `last_id` had another sort value: no row with `sort_value`
    # followed, so the next page need not look for the rest of its ties.
    ties: bool = True


class CursorCodec:
    """Encodes cursors as `base64url(json).base64url(hmac)` and checks them on the way back."""

    def __init__(self, secret: bytes) -> None:
        # Keyed once: copying a keyed HMAC costs a third of keying a new one per cursor.
        self._keyed = hmac.new(secret, digestmod=hashlib.sha256)

    def _sign(self, payload: bytes) -> bytes:
        mac = self._keyed.copy()
        mac.update(payload)
        return mac.digest()[:_SIGNATURE_BYTES]

    def encode(self, cursor: Cursor) -> str:
        """An opaque, tamper-proof token for `cursor`."""
        fields = {
            "w": cursor.workspace_id,
            "q": cursor.query,
            "v": cursor.sort_value,
            "i": cursor.last_id,
            "p": cursor.page,
        }
        if not cursor.ties:
            fields["t"] = 0
        payload = orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)
        return f"{_b64(payload)}.{_b64(self._sign(payload))}"

    def decode(self, token: str, *, workspace_id: int) -> Cursor:
        """The cursor behind `token`, or 400 `parameter_invalid` naming `starting_after`."""
        body, dot, signature = token.partition(".")
        if not dot or len(token) > 4096:
            raise _invalid()
        try:
            payload = _unb64(body)
            given = _unb64(signature)
        except (binascii.Error, ValueError):
            raise _invalid() from None
        if not hmac.compare_digest(given, self._sign(payload)):
            raise _invalid()
        try:
            data = orjson.loads(payload)
            cursor = Cursor(
                workspace_id=int(data["w"]),
                query=dict(data["q"]),
                sort_value=int(data["v"]),
                last_id=int(data["i"]),
                page=int(data["p"]),
                ties=bool(data.get("t", 1)),
            )
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            raise _invalid() from None
        if cursor.workspace_id != workspace_id:
            # Signed by us but for another tenant: treat exactly like garbage.
            raise _invalid()
        return cursor


def _invalid() -> ParameterInvalid:
    return ParameterInvalid("starting_after is not a valid cursor", field="starting_after")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    if not text.isascii():
        raise ValueError("non-ascii")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
