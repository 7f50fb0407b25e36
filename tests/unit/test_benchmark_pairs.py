"""`benchmarks/run.py` judges scenarios against the ceiling and each other from alternating
slices."""

from __future__ import annotations

from pathlib import Path

from benchmarks.driver import (
    PAIR_ROUNDS,
    QUANTILE_GRID,
    SLICES,
    Req,
    Result,
    mixture_percentile,
    paired_change,
    parse_wrk,
    quantiles_of,
    run_alternating,
    run_slices,
    wrk_script,
)
from benchmarks.driver import combined as _combined
from benchmarks.report import Row, judge
from benchmarks.scenarios import Scenario, Target, read_through


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


def test_a_pair_and_the_ceiling_run_in_alternating_slices_of_the_same_total_time() -> None:
    loader = FakeLoader(seconds=2 * SLICES)
    bare = ("http://ceiling", Scenario("ceiling", [Req("GET", "/conversations")]))
    first = ("http://x", Scenario("page 1", [Req("GET", "/conversations")]))
    deep = ("http://x", Scenario("page 10,000", [Req("GET", "/conversations?starting_after=x")]))
    ceiling, a, b = run_alternating(loader, "t", [bare, first, deep])  # type: ignore[arg-type]
    assert [name for name, _ in loader.runs] == ["ceiling", "page 1", "page 10,000"] * SLICES
    assert sum(s for name, s in loader.runs if name == "page 1") == 2 * SLICES
    # Drift of 50 req/s per run: alternated, neighbours differ by one step, not by five.
    assert b.rps - a.rps == -50
    assert a.rps - ceiling.rps == -50
    assert a.p99 == 10.0 + 3 * SLICES - 1  # without quantiles: the worst slice's
    assert b.p99 == 10.0 + 3 * SLICES
    assert a.non2xx == SLICES  # every slice's errors count
    assert a.requests == sum(int((1000 - 50 * n) * 2) for n in range(2, 3 * SLICES, 3))


def test_short_runs_still_alternate_twice() -> None:
    loader = FakeLoader(seconds=3)
    first, deep = ("http://x", Scenario("a", [])), ("http://x", Scenario("b", []))
    run_alternating(loader, "t", [first, deep])  # type: ignore[arg-type]
    assert loader.runs == [("a", 1), ("b", 1), ("a", 1), ("b", 1)]


def test_a_page_and_its_deep_page_run_more_rounds_of_the_same_slices() -> None:
    loader = FakeLoader(seconds=2 * SLICES)
    runs = [("http://x", Scenario(name, [])) for name in ("ceiling", "page 1", "deep")]
    slices = run_slices(loader, "t", runs, PAIR_ROUNDS)  # type: ignore[arg-type]
    assert [len(each) for each in slices] == [PAIR_ROUNDS] * 3
    assert [name for name, _ in loader.runs] == ["ceiling", "page 1", "deep"] * PAIR_ROUNDS
    assert {seconds for _, seconds in loader.runs} == {2}  # as long as any scenario's


def _rates(*rps: float) -> list[Result]:
    return [Result(rps=r, p50=1, p99=2, requests=int(r), non2xx=0, socket_errors=0) for r in rps]


def test_the_deep_pages_change_is_the_median_of_its_rounds() -> None:
    first = _rates(1000, 1000, 800, 1000, 1000)
    deep = _rates(950, 940, 960, 500, 930)  # one round disturbed on each side
    assert round(paired_change(first, deep), 3) == -0.06
    # The ratio of the means would have judged the disturbed rounds: -11%.
    assert round(_combined(deep).rps / _combined(first).rps - 1, 2) == -0.11


def test_judge_compares_a_deep_page_by_its_rounds_when_it_has_them() -> None:
    target = Target("x", near="page 1")
    first = Row(Scenario("page 1", []), _rates(1000)[0])
    paired = Row(Scenario("deep", [], target), _rates(850)[0], versus=-0.04)
    alone = Row(Scenario("deep alone", [], target), _rates(850)[0])
    judge([first, paired, alone])
    assert paired.verdict == "PASS" and paired.scenario.name == "deep [-4% vs p1]"
    assert alone.verdict == "FAIL: -15% vs page 1"


def test_read_through_reads_the_file_and_its_wal(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    db.write_bytes(b"a" * 10_000)
    (tmp_path / "x.db-wal").write_bytes(b"b" * 500)
    read, seconds = read_through(db)
    assert read == 10_500
    assert seconds >= 0


def _slice(requests: int, ms: float, tail_ms: float) -> Result:
    """A run whose requests take `ms`, but for its slowest 2% at `tail_ms`."""
    quantiles = tuple((p, ms if p <= 98 else tail_ms) for p in QUANTILE_GRID)
    return Result(rps=requests / 2, p50=ms, p99=tail_ms, requests=requests, non2xx=0,
                  socket_errors=0, quantiles=quantiles)  # fmt: skip


def test_slices_combine_into_the_percentiles_of_all_their_requests() -> None:
    quick, slow = _slice(1000, 2.0, 8.0), _slice(1000, 3.0, 40.0)
    # Of all 2,000 requests, 1% (20) are slower than 8 ms: `slow`'s 20 at 40 ms.
    assert mixture_percentile([quick, slow], 99) == 8.0
    assert mixture_percentile([quick, slow], 99.5) == 40.0
    assert mixture_percentile([quick, slow], 40) == 2.0  # 49% of all take 2 ms
    assert mixture_percentile([quick, slow], 60) == 3.0
    # Weighted by requests: a slice with three times the requests moves the median.
    assert mixture_percentile([_slice(3000, 2.0, 8.0), slow], 60) == 2.0
    alone = _slice(500, 5.0, 9.0)
    assert mixture_percentile([alone, alone], 99) == 9.0


def test_a_pair_reports_the_p99_of_all_its_requests_not_its_worst_slice() -> None:
    combined = _combined([_slice(1000, 2.0, 8.0)] * 4 + [_slice(1000, 3.0, 40.0)])
    assert combined.p99 == 8.0  # the slow slice's tail is 0.4% of all requests
    assert combined.p50 == 2.0
    assert combined.requests == 5000


def test_quantiles_of_sorted_latencies_match_the_grid() -> None:
    latencies = [float(n) for n in range(1, 1001)]
    quantiles = dict(quantiles_of(latencies))
    assert quantiles[50.0] == 501.0
    assert quantiles[99.0] == 991.0
    assert quantiles[100.0] == 1000.0
    assert quantiles_of([]) == ()


def test_wrk_output_carries_the_quantiles_of_the_done_hook() -> None:
    out = (
        "  Latency Distribution\n     50%    1.50ms\n     99%    9.00ms\n"
        "  1000 requests in 2.00s, 1.00MB read\nRequests/sec:    500.00\n"
        "quantile 50 1500\nquantile 99 9000\nquantile 100 12000\n"
    )
    result = parse_wrk(out)
    assert result.quantiles == ((50.0, 1.5), (99.0, 9.0), (100.0, 12.0))
    assert "latency:percentile(p)" in wrk_script([Req("GET", "/")], "t", shuffle=False)
