"""Statistics of a sweep on hand-made batches: each names its population and its figure.

Skewed data tell a median from a mean; the shares count all runs or the converged ones as
documented; too few converged runs leave the verdict undecided.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from lrbias.claims.statistics import (
    MIN_CONVERGED,
    eos_share_at_most,
    imbalance_shrinks,
    median_ratio_at_least,
    share_converged,
)
from lrbias.gd import stats
from lrbias.gd.outcome import Outcome


@dataclass
class FakeBatch:
    """The parts of a BatchResult the statistics read: outcomes, limiting ratios, start and end points."""

    converged: np.ndarray
    ratio: np.ndarray
    x0: np.ndarray | None = None
    y0: np.ndarray | None = None
    imbalance: np.ndarray | None = None

    def mask(self, outcome: Outcome) -> np.ndarray:
        return self.converged if outcome == Outcome.CONVERGED else ~self.converged

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
    ratio = np.array([0.9, 0.9, 0.9, 0.1, 0.1, 0.1, 0.1, 0.1, 0.9, 0.9])  # the last two did not converge
    check, rows = eos_share_at_most(0.25)(FakeBatch(conv, ratio))
    assert check.verdict == "fail" and check.detail["eos_share"] == pytest.approx(0.3)
    assert list(rows) == [0, 1, 2]


def test_imbalance_shrinks_compares_end_with_start():
    n = 30
    x0, y0 = np.full(n, 2.0), np.full(n, 1.0)  # |d0| = 3
    end = np.full(n, 1.0)
    end[:6] = 4.0  # six runs grew their imbalance: share shrunk 24/30 = 0.8
    check, rows = imbalance_shrinks(0.9)(FakeBatch(np.ones(n, bool), np.zeros(n), x0, y0, end))
    assert check.verdict == "fail" and check.detail["share_shrunk"] == pytest.approx(0.8)
    assert list(rows) == list(range(6))
