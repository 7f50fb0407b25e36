"""Assignment rules: balanced and round-robin choice among a team's available members."""

from __future__ import annotations

import pytest

from parlour.conversations.routing import BALANCED, ROUND_ROBIN, Candidate, choose_assignee


def c(admin_id: int, open_assigned: int = 0, last: int | None = None, away: bool = False
      ) -> Candidate:
    """A candidate."""
    return Candidate(admin_id, away, open_assigned, last)


@pytest.mark.parametrize(
    ("method", "members", "limit", "expected"),
    [
        (BALANCED, [c(1, 3), c(2, 1), c(3, 2)], None, 2),
        (None, [c(1, 3), c(2, 1), c(3, 2)], None, 2),
        (BALANCED, [c(1, 1, last=50), c(2, 1, last=10)], None, 2),
        (BALANCED, [c(1, 1, last=50), c(2, 1, last=None)], None, 2),
        (BALANCED, [c(5, 0), c(4, 0)], None, 4),
        (BALANCED, [c(1, 0, away=True), c(2, 4)], None, 2),
        (BALANCED, [c(1, 5), c(2, 6)], 5, None),
        (BALANCED, [c(1, 5), c(2, 4)], 5, 2),
        (ROUND_ROBIN, [c(1, 0, last=30), c(2, 9, last=10), c(3, 0, last=20)], None, 2),
        (ROUND_ROBIN, [c(1, 0, last=30), c(2, 0, last=None)], None, 2),
        (ROUND_ROBIN, [c(1, 0, last=30), c(2, 0, last=10, away=True)], None, 1),
        (ROUND_ROBIN, [], None, None),
        (BALANCED, [c(1, away=True)], None, None),
    ],
    ids=[
        "fewest-open", "default-is-balanced", "tie-least-recent", "tie-never-assigned-first",
        "tie-lowest-id", "away-skipped", "all-at-limit", "under-limit",
        "rr-least-recent", "rr-never-first", "rr-away-skipped", "nobody", "only-away",
    ],
)
def test_choose_assignee(
    method: str | None, members: list[Candidate], limit: int | None, expected: int | None
) -> None:
    """The rule picks who its documentation says."""
    assert choose_assignee(method, members, limit) == expected
