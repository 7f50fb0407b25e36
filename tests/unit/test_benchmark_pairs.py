"""`benchmarks/run.py` judges a deep page against page 1 from alternating slices."""

from __future__ import annotations

from pathlib import Path

from benchmarks.run import PAIR_SLICES, Req, Result, Scenario, read_through, run_pair


class FakeLoader:
    """Answers each run with the next rate of a machine that slows down as it goes."""

    def __init__(self, seconds: int) -> None:
        self.seconds = seconds
        self.runs: list[tuple[str, int]] = []

    def run(
        self, _base: str, _token: str, scenario: Scenario, seconds: int | None = None
    ) -> Result:
        assert seconds is not None
        self.runs.append((scenario.name, seconds))
        rps = 1000.0 - 50 * len(self.runs)  # drift: every run is slower than the last
        p99 = 10.0 + len(self.runs)
        return Result(rps=rps, p50=2.0, p99=p99, requests=int(rps * seconds), non2xx=1,
                      socket_errors=0)  # fmt: skip


def test_a_pair_runs_in_alternating_slices_of_the_same_total_time() -> None:
    loader = FakeLoader(seconds=8)
    first = Scenario("page 1", [Req("GET", "/conversations")])
    deep = Scenario("page 10,000", [Req("GET", "/conversations?starting_after=x")])
    a, b = run_pair(loader, "http://x", "t", first, deep)  # type: ignore[arg-type]
    assert [name for name, _ in loader.runs] == ["page 1", "page 10,000"] * PAIR_SLICES
    assert sum(s for name, s in loader.runs if name == "page 1") == 8
    # Drift of 50 req/s per run: alternated, the two differ by one step, not by four.
    assert b.rps - a.rps == -50
    assert a.p99 == 10.0 + 2 * PAIR_SLICES - 1  # the worst slice's
    assert b.p99 == 10.0 + 2 * PAIR_SLICES
    assert a.non2xx == PAIR_SLICES  # every slice's errors count
    assert a.requests == sum(int((1000 - 50 * n) * 2) for n in (1, 3, 5, 7))


def test_short_runs_still_alternate_twice() -> None:
    loader = FakeLoader(seconds=3)
    first, deep = Scenario("a", []), Scenario("b", [])
    run_pair(loader, "http://x", "t", first, deep)  # type: ignore[arg-type]
    assert loader.runs == [("a", 1), ("b", 1), ("a", 1), ("b", 1)]


def test_read_through_reads_the_file_and_its_wal(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    db.write_bytes(b"a" * 10_000)
    (tmp_path / "x.db-wal").write_bytes(b"b" * 500)
    read, seconds = read_through(db)
    assert read == 10_500
    assert seconds >= 0
