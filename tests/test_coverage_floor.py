"""The branch-coverage floor (`fail_under` in pyproject.toml) only goes up.

`./scripts/test` fails a whole run whose branch coverage is below the floor; this test
fails a change that lowers the floor below any value pyproject.toml ever had in git.
"""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _floor(text: str) -> float:
    report = tomllib.loads(text).get("tool", {}).get("coverage", {}).get("report", {})
    return float(report.get("fail_under", 0))


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout


def test_the_coverage_floor_never_goes_down() -> None:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: no history to compare with")
    current = _floor((ROOT / "pyproject.toml").read_text())
    commits = _git("log", "--format=%H", "-n", "200", "--", "pyproject.toml").split()
    earlier = {c: _floor(_git("show", f"{c}:pyproject.toml")) for c in commits}
    highest = max(earlier.values(), default=0.0)
    assert current >= highest, (
        f"fail_under {current} is below {highest}, the floor of an earlier commit"
    )
    assert current > 0, "the suite runs with a coverage floor"
