"""Statistics of a sweep on hand-made batches: each names its population and its figure.

Skewed data tell a median from a mean; the shares count all runs or the converged ones as
documented; too few converged runs leave the verdict undecided.  Open runs (budget spent) are
counted both ways: a verdict they could flip is inconclusive with both figures, one they cannot
stands; :func:`to_decision` climbs the budget ladder only while they could flip it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import pytest

from lrbias.claims.statistics import (
    EDGE_BAND,
    MIN_CONVERGED,
    edge_statistic,
    eos_share_at_most,
    imbalance_shrinks,
    median_ratio_at_least,
    share_converged,
)
from lrbias.claims.sweeps import CAP, STEPS, ladder, to_decision
from lrbias.gd import stats
from lrbias.gd.outcome import Outcome, Settings
from lrbias.verdict import Check, holds, inconclusive


@dataclass
class FakeBatch:
    """The parts of a BatchResult the statistics read: outcomes (converged, open, else decided otherwise),
    limiting ratios, start and end points, κ (square loss: κ = C)."""

    converged: np.ndarray
    ratio: np.ndarray
    x0: np.ndarray | None = None
    y0: np.ndarray | None = None
    imbalance: np.ndarray | None = None
    open: np.ndarray | None = None
    kappa: float = 3.0
    family: str = "square"
    settings: Settings = field(default_factory=lambda: Settings(max_steps=10))

    @property
    def C(self) -> np.ndarray:
        return np.full(len(self), self.kappa)

    @property
    def steps(self) -> np.ndarray:
        return np.where(self._open(), 10, 3)

    def _open(self) -> np.ndarray:
        return np.zeros(len(self), bool) if self.open is None else self.open

    def mask(self, outcome: Outcome) -> np.ndarray:
        if outcome == Outcome.CONVERGED:
            return self.converged
        if outcome == Outcome.UNDECIDED:
            return self._open()
        return ~self.converged & ~self._open()

    def __len__(self) -> int:
        return len(self.converged)

    def shares(self) -> dict:
        return {"converged": float(self.converged.mean())}


def skewed(n: int = 40) -> FakeBatch:
    """Ratios mostly 0.2 with a few at 5: median 0.2, mean far above it."""
    ratio = np.full(n, 0.2)
    ratio[:5] = 5.0
    return FakeBatch(np.ones(n, bool), ratio)


def test_median_ratio_is_a_median_not_a_mean():
    batch = skewed()
    assert np.mean(batch.ratio) > 0.5
    check, rows = median_ratio_at_least(0.5)(batch)
    assert check.verdict == "fail" and check.detail["median_ratio"] == pytest.approx(0.2)
    assert check.margin == pytest.approx(0.2 - 0.5)
    assert rows[0] >= 5, "nearest the median first"
    assert median_ratio_at_least(0.15)(batch)[0].verdict == "pass"


def test_median_ratio_rows_start_nearest_the_median_not_the_mean():
    """Deciding rows are ordered by distance to the median: with a cluster at 0.6 nearer the mean (0.475)
    than the median bulk (0.2) is, the first row is still one at 0.2."""
    ratio = np.array([0.2] * 21 + [0.6] * 2 + [0.8] * 17)
    assert abs(0.6 - ratio.mean()) < abs(0.2 - ratio.mean())
    _, rows = median_ratio_at_least(0.5)(FakeBatch(np.ones(ratio.size, bool), ratio))
    assert ratio[rows[0]] == 0.2 and list(ratio[rows[:21]]) == [0.2] * 21


def test_median_ratio_counts_only_converged_runs_and_needs_enough_of_them():
    batch = skewed()
    batch.converged[5:] = False  # only the five runs at 5.0 converged
    check, rows = median_ratio_at_least(0.5)(batch)
    assert check.verdict == "inconclusive" and 5 < MIN_CONVERGED and rows.size == 0
    batch = skewed(60)
    batch.converged[30:] = False  # the converged runs: 5 at 5.0 and 25 at 0.2; the others ignored
    batch.ratio[30:] = 100.0
    assert median_ratio_at_least(0.5)(batch)[0].detail["median_ratio"] == pytest.approx(0.2)


def test_phase_cell_median_is_a_median():
    assert stats.median(skewed().ratio) == pytest.approx(0.2)
    assert stats.median(np.array([np.nan, 1.0, 2.0, 30.0])) == pytest.approx(2.0)
    assert stats.median(np.array([np.nan])) is None


def test_share_converged_counts_every_run():
    conv = np.zeros(10, bool)
    conv[:9] = True
    check, rows = share_converged(0.95)(FakeBatch(conv, np.zeros(10)))
    assert check.verdict == "fail" and check.detail["share"] == pytest.approx(0.9) and list(rows) == [9]
    assert share_converged(0.9)(FakeBatch(conv, np.zeros(10)))[0].verdict == "pass"


def test_eos_share_is_a_share_of_all_runs():
    conv = np.ones(10, bool)
    conv[8:] = False
    ratio = np.array([0.97, 0.97, 0.97, 0.1, 0.1, 0.1, 0.1, 0.1, 0.97, 0.97])  # the last two did not converge
    check, rows = eos_share_at_most(0.25)(FakeBatch(conv, ratio))
    assert check.verdict == "fail" and check.detail["eos_share"] == pytest.approx(0.3)
    assert list(rows) == [0, 1, 2]


def test_share_converged_counts_open_runs_both_ways():
    conv, left = np.zeros(10, bool), np.zeros(10, bool)
    conv[:8], left[8] = True, True   # 8 converged, 1 open, 1 diverged: 0.8 or 0.9
    check, _ = share_converged(0.85)(FakeBatch(conv, np.zeros(10), open=left))
    assert check.verdict == "inconclusive" and check.detail["undecided_can_flip"]
    assert check.detail["share"] == pytest.approx(0.8)
    assert check.detail["share_if_open_runs_favour"] == pytest.approx(0.9)
    assert "0.8 counted against" in check.detail["reason"] and "0.9 counted for" in check.detail["reason"]
    settled = share_converged(0.75)(FakeBatch(conv, np.zeros(10), open=left))[0]   # both ways above 0.75
    assert settled.verdict == "pass" and not settled.detail["undecided_can_flip"]
    assert settled.margin == pytest.approx(0.05), "a pass keeps the margin counted against the claim"
    assert share_converged(0.95)(FakeBatch(conv, np.zeros(10), open=left))[0].verdict == "fail"


def test_median_ratio_with_open_runs_is_bounded_both_ways():
    n = 40
    ratio = np.full(n, 0.5)
    ratio[:19] = 1.0                   # 19 of the 36 converged at 1.0: their median 1.0 ...
    left = np.zeros(n, bool)
    left[36:] = True                   # ... but 4 open runs below it would pull it to 0.5
    check, _ = median_ratio_at_least(0.9)(FakeBatch(~left, ratio, open=left))
    assert check.verdict == "inconclusive" and check.detail["undecided_can_flip"]
    assert check.detail["median_ratio"] == 0.5 and check.detail["median_ratio_if_open_runs_favour"] == 1.0
    ratio[:22] = 1.0                   # 22 at 1.0 of 36 converged: 4 open runs cannot pull the median down
    assert median_ratio_at_least(0.9)(FakeBatch(~left, ratio, open=left))[0].verdict == "pass"


def test_edge_statistic_counts_only_kappa_above_two_and_the_band():
    n = 40
    ratio = np.full(n, EDGE_BAND)          # every run exactly at the band's edge
    below = np.nextafter(EDGE_BAND, 0)
    assert edge_statistic(0.5)(FakeBatch(np.ones(n, bool), ratio, kappa=2.5))[0].verdict == "pass"
    check = edge_statistic(0.5)(FakeBatch(np.ones(n, bool), np.full(n, below), kappa=2.5))[0]
    assert check.verdict == "fail" and check.detail["edge_share"] == 0.0
    at_two = edge_statistic(0.5)(FakeBatch(np.ones(n, bool), ratio, kappa=2.0))[0]
    assert at_two.verdict == "fail" and at_two.margin == 0.0, "κ = 2 is not above the threshold"
    above_two = edge_statistic(0.5)(FakeBatch(np.ones(n, bool), ratio, kappa=float(np.nextafter(2.0, 3))))[0]
    assert above_two.verdict == "pass"
    half = ratio.copy()
    half[:20] = below                      # exactly half at the edge passes a level of 1/2 ...
    assert edge_statistic(0.5)(FakeBatch(np.ones(n, bool), half))[0].verdict == "pass"
    half[20] = below                       # ... one fewer fails it
    check = edge_statistic(0.5)(FakeBatch(np.ones(n, bool), half))[0]
    assert check.verdict == "fail" and check.detail["median_ratio"] == pytest.approx(below)


def test_ladder_climbs_by_growth_to_the_cap():
    rungs = ladder()
    assert rungs[0] == STEPS and rungs[-1] == CAP
    assert all(b == min(4 * a, CAP) for a, b in itertools.pairwise(rungs))


def test_to_decision_climbs_only_while_open_runs_could_flip_the_verdict():
    seen = []

    def check_at(steps: int, settle_at: int = 80_000) -> Check:
        seen.append(steps)
        left = 0 if steps >= settle_at else max(1, 100 - steps // 20_000)
        if left:
            return inconclusive("open runs could flip it", runs=200, undecided=left, undecided_can_flip=True)
        return holds(True, 0.1, runs=200, undecided=0, undecided_can_flip=False)

    check = to_decision(check_at)
    assert seen == [5000, 20000, 80000] and check.verdict == "pass"
    assert check.detail["budget_cap"] == CAP and check.detail["stopped"] == "decided"
    assert check.detail["undecided_share"] == 0
    seen.clear()
    capped = to_decision(lambda s: check_at(s, settle_at=10**9))
    assert seen == list(ladder()) and capped.verdict == "inconclusive" and capped.detail["stopped"] == "cap"
    assert capped.detail["undecided_share"] == pytest.approx(max(1, 100 - CAP // 20_000) / 200)


def test_to_decision_stops_when_two_rungs_in_a_row_decide_no_open_run():
    seen = []

    def stuck(steps: int) -> Check:
        seen.append(steps)
        return inconclusive("open runs could flip it", runs=200, undecided=39, undecided_can_flip=True)

    check = to_decision(stuck)
    assert seen == [5000, 20000, 80000] and check.detail["stopped"] == "no progress"
    assert check.detail["undecided_share"] == pytest.approx(39 / 200)


def test_imbalance_shrinks_compares_end_with_start():
    n = 30
    x0, y0 = np.full(n, 2.0), np.full(n, 1.0)  # |d0| = 3
    end = np.full(n, 1.0)
    end[:6] = 4.0  # six runs grew their imbalance: share shrunk 24/30 = 0.8
    check, rows = imbalance_shrinks(0.9)(FakeBatch(np.ones(n, bool), np.zeros(n), x0, y0, end))
    assert check.verdict == "fail" and check.detail["share_shrunk"] == pytest.approx(0.8)
    assert list(rows) == list(range(6))
