"""A real webhook endpoint for tests: an HTTP server on 127.0.0.1 that records what it gets."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

WAIT = 20.0  # seconds `Receiver.wait_for` waits unless told


@dataclass(frozen=True)
class Received:
    """One POST as it reached the endpoint, and the status it was (to be) answered with."""

    path: str
    headers: dict[str, str]  # lower-cased names
    body: bytes
    at: float  # time.monotonic() on arrival
    answer: int

    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.body)
        return data


class Receiver:
    """A real webhook endpoint. Records each request on arrival, then answers it.

    `fail_first`: the first N requests get 500. `delay`: seconds to wait before answering
    (a slow endpoint). `hold_from`: requests from this number on (1-based) are not answered
    until `release` is set, so a test knows a delivery is in flight for as long as it needs.
    """

    def __init__(self) -> None:
        self.fail_first = 0
        self.delay = 0.0
        self.hold_from: int | None = None
        self.release = threading.Event()
        self._received: list[Received] = []
        self._arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status, hold = receiver._record(self.path, dict(self.headers.items()), body)
                if hold:
                    receiver.release.wait(30)
                if receiver.delay:
                    time.sleep(receiver.delay)
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    pass  # the sender died meanwhile: nobody hears the answer

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def _record(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, bool]:
        """Keep the request; returns the status to answer and whether to hold the answer."""
        with self._arrived:
            number = len(self._received) + 1
            answer = 500 if number <= self.fail_first else 200
            lowered = {k.lower(): v for k, v in headers.items()}
            self._received.append(Received(path, lowered, body, time.monotonic(), answer))
            self._arrived.notify_all()
            return answer, self.hold_from is not None and number >= self.hold_from

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def received(self) -> list[Received]:
        with self._arrived:
            return list(self._received)

    def wait_for(self, count: int, timeout: float = WAIT) -> list[Received]:
        """At least `count` requests, waiting up to `timeout` seconds for them."""
        with self._arrived:
            arrived = self._arrived.wait_for(lambda: len(self._received) >= count, timeout)
            got = list(self._received)
        assert arrived, f"expected {count} webhook requests within {timeout}s, got {len(got)}"
        return got

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    """A started `Receiver`, stopped afterwards."""
    endpoint = Receiver()
    endpoint.start()
    try:
        yield endpoint
    finally:
        endpoint.stop()


def verify(request: Received, secret: str) -> dict[str, Any]:
    """The notification, after checking its signature the way a receiver must."""
    expected = "sha1=" + hmac.new(secret.encode(), request.body, hashlib.sha1).hexdigest()
    assert hmac.compare_digest(request.headers["x-hub-signature"], expected)
    assert request.headers["content-type"] == "application/json"
    return request.json()
