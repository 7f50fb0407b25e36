"""`api.protocol.HeadWithBodyProtocol`: a response's head leaves with its first body bytes.

Driven as uvicorn drives it (bytes in through `data_received`, the ASGI app run on the
loop), on a transport that records each write: what a client would receive, and in how
many writes.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from uvicorn.config import Config
from uvicorn.server import ServerState

from parlour.api.protocol import HeadWithBodyProtocol

GET = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"


class Transport(asyncio.Transport):
    """Records every write; closes on demand."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.writes.append(bytes(data))

    def writelines(self, list_of_data: Any) -> None:
        self.write(b"".join(list_of_data))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def get_write_buffer_size(self) -> int:
        return 0


def _answer(*messages: dict[str, Any], error: bool = False) -> Any:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        if scope["method"] == "POST":
            await receive()  # the request's body (answered `100 Continue` first if asked)
        for message in messages:
            await send(message)
        if error:
            raise RuntimeError("after the head")

    return app


def _start(status: int = 200, length: int | None = None) -> dict[str, Any]:
    headers = [(b"content-type", b"text/plain")]
    if length is not None:
        headers.append((b"content-length", str(length).encode()))
    return {"type": "http.response.start", "status": status, "headers": headers}


def _body(data: bytes, more: bool = False) -> dict[str, Any]:
    return {"type": "http.response.body", "body": data, "more_body": more}


def _serve(app: Any, *requests: bytes) -> Transport:
    """Feed `requests` to a connection of the protocol and run until the app is done."""

    async def run() -> Transport:
        config = Config(app=app, http=HeadWithBodyProtocol, log_level="critical")
        config.load()
        protocol = HeadWithBodyProtocol(
            config=config, server_state=ServerState(), app_state={}
        )
        transport = Transport()
        protocol.connection_made(transport)
        for request in requests:
            protocol.data_received(request)
            for _ in range(20):
                await asyncio.sleep(0)
        return transport

    return asyncio.run(run())


def test_head_and_body_leave_in_one_write() -> None:
    transport = _serve(_answer(_start(length=5), _body(b"hello")), GET)
    assert len(transport.writes) == 1
    head, _, body = transport.writes[0].partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"content-length: 5" in head
    assert body == b"hello"


def test_a_streamed_body_leaves_the_head_with_its_first_chunk() -> None:
    app = _answer(_start(), _body(b"one", more=True), _body(b"two", more=True), _body(b""))
    transport = _serve(app, GET)
    assert len(transport.writes) == 3
    assert transport.writes[0].startswith(b"HTTP/1.1 200 OK\r\n")
    assert transport.writes[0].endswith(b"\r\n\r\n3\r\none\r\n")
    assert transport.writes[1:] == [b"3\r\ntwo\r\n", b"0\r\n\r\n"]


def test_a_head_request_is_answered_with_its_head_alone() -> None:
    """uvicorn writes no body for HEAD: the head leaves as the response completes."""
    transport = _serve(
        _answer(_start(length=5), _body(b"hello")), b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    assert len(transport.writes) == 1
    assert transport.writes[0].startswith(b"HTTP/1.1 200 OK\r\n")
    assert transport.writes[0].endswith(b"\r\n\r\n")
    assert not transport.closed


@pytest.mark.parametrize("status", [204, 304])
def test_a_response_without_a_body_is_sent_whole(status: int) -> None:
    transport = _serve(_answer(_start(status), _body(b"")), GET)
    assert b"".join(transport.writes).startswith(f"HTTP/1.1 {status} ".encode())
    assert b"".join(transport.writes).endswith(b"\r\n\r\n")


def test_keep_alive_requests_are_answered_in_order() -> None:
    transport = _serve(_answer(_start(length=2), _body(b"ok")), GET + GET, GET)
    answers = b"".join(transport.writes)
    assert answers.count(b"HTTP/1.1 200 OK") == 3
    assert len(transport.writes) == 3
    assert all(write.endswith(b"\r\n\r\nok") for write in transport.writes)


def test_a_connection_closing_after_the_answer_gets_it_whole_first() -> None:
    request = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    transport = _serve(_answer(_start(length=2), _body(b"ok")), request)
    assert transport.closed
    assert b"".join(transport.writes).endswith(b"\r\n\r\nok")
    assert b"connection: close" in transport.writes[0]


def test_an_app_failing_after_its_head_leaves_the_head_then_closes() -> None:
    transport = _serve(_answer(_start(length=5), error=True), GET)
    assert transport.closed
    assert b"".join(transport.writes).startswith(b"HTTP/1.1 200 OK\r\n")


def test_continue_is_sent_at_once_and_the_answer_after_it() -> None:
    """`100 Continue` (written while the request is read) is not taken for the head."""
    request = (
        b"POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n"
    )
    transport = _serve(_answer(_start(length=2), _body(b"ok")), request, b"hi")
    assert transport.writes[0] == b"HTTP/1.1 100 Continue\r\n\r\n"
    assert transport.writes[1].startswith(b"HTTP/1.1 200 OK\r\n")
    assert transport.writes[1].endswith(b"\r\n\r\nok")
    assert len(transport.writes) == 2
