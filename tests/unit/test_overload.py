"""Load shedding: the admission rules, and the edge middleware's 503s around a blocking app."""

from __future__ import annotations

import asyncio
import time

import pytest
from starlette.types import Receive, Scope, Send

from parlour.api.handlers import EdgeMiddleware
from parlour.api.overload import LoadShedder
from tests.unit.asgi import Answer, call


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_admits_up_to_the_cap_then_refuses_until_one_leaves() -> None:
    shedder = LoadShedder(2, 0)
    assert shedder.admit() is not None
    assert shedder.admit() is not None
    assert shedder.admit() is None
    assert (shedder.in_flight, shedder.shed) == (2, 1)
    shedder.release()
    assert shedder.admit() is not None
    assert shedder.in_flight == 2


def test_queue_bound_counts_from_arrival() -> None:
    clock = FakeClock()
    shedder = LoadShedder(0, 250, clock=clock)
    arrived = shedder.admit()
    assert arrived == 100.0
    clock.now += 0.25
    assert not shedder.waited_too_long(arrived)
    clock.now += 0.001
    assert shedder.waited_too_long(arrived)
    assert shedder.shed == 1


def test_zero_turns_each_bound_off() -> None:
    clock = FakeClock()
    shedder = LoadShedder(0, 0, clock=clock)
    assert not shedder.enabled
    for _ in range(1000):
        assert shedder.admit() is not None
    clock.now += 3600
    assert not shedder.waited_too_long(100.0)
    assert LoadShedder(1, 0).enabled and LoadShedder(0, 1).enabled


class BlockingApp:
    """Answers 200 after blocking the event loop, as a handler calling the database does."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.started = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.started += 1
        time.sleep(self.seconds)
        if scope["path"] == "/boom":
            raise RuntimeError("handler failed")
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})


def _edge(app: BlockingApp, max_in_flight: int, max_queue_ms: int) -> EdgeMiddleware:
    return EdgeMiddleware(app, max_body_bytes=4096, max_in_flight=max_in_flight,
                          max_queue_ms=max_queue_ms)


async def _burst(edge: EdgeMiddleware, n: int, path: str = "/") -> list[Answer]:
    return list(await asyncio.gather(
        *(call(edge, path, headers={"X-Request-Id": f"r-{i}"}) for i in range(n))
    ))


def _assert_shed(answer: Answer, reason: str) -> None:
    assert answer.status == 503
    assert answer.headers["retry-after"] == "1"
    assert answer.headers["content-type"].startswith("application/json")
    body = answer.json()
    assert body["type"] == "error.list"
    assert body["request_id"] == answer.headers["x-request-id"]
    assert body["errors"] == [
        {"code": "service_unavailable",
         "message": f"The server is overloaded ({reason}); retry later"}
    ]


def test_requests_beyond_the_cap_get_503_at_once_without_running() -> None:
    app = BlockingApp(0.01)
    edge = _edge(app, max_in_flight=3, max_queue_ms=0)
    answers = asyncio.run(_burst(edge, 10))
    assert [a.status for a in answers] == [200] * 3 + [503] * 7
    for answer in answers[3:]:
        _assert_shed(answer, "too many requests")
    assert [a.headers["x-request-id"] for a in answers] == [f"r-{i}" for i in range(10)]
    assert app.started == 3
    assert (edge.shedder.in_flight, edge.shedder.shed) == (0, 7)
    # Recovered: the slots are free again.
    assert [a.status for a in asyncio.run(_burst(edge, 3))] == [200] * 3


def test_requests_that_waited_too_long_get_503_before_their_handler() -> None:
    app = BlockingApp(0.05)
    edge = _edge(app, max_in_flight=0, max_queue_ms=20)
    answers = asyncio.run(_burst(edge, 4))
    # The first runs at once and blocks the loop 50 ms; the others waited that long.
    assert [a.status for a in answers] == [200, 503, 503, 503]
    for answer in answers[1:]:
        _assert_shed(answer, "queue too long")
    assert app.started == 1
    assert edge.shedder.in_flight == 0


def test_a_failing_handler_frees_its_slot() -> None:
    edge = _edge(BlockingApp(0), max_in_flight=1, max_queue_ms=0)
    answer = asyncio.run(call(edge, "/boom"))
    assert answer.status == 500
    assert answer.json()["errors"][0]["code"] == "server_error"
    assert edge.shedder.in_flight == 0
    assert asyncio.run(call(edge, "/")).status == 200


@pytest.mark.parametrize("limits", [(0, 0), (100, 10_000)])
def test_within_the_bounds_nothing_is_shed(limits: tuple[int, int]) -> None:
    app = BlockingApp(0.002)
    edge = _edge(app, *limits)
    answers = asyncio.run(_burst(edge, 20))
    assert [a.status for a in answers] == [200] * 20
    assert app.started == 20
    assert edge.shedder.shed == 0
