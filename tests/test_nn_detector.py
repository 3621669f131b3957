"""The frozen EoS detector (calibrated on the authors' runs, tests/test_nn_authors_runs.py) on our runs:
the paper's EoS settings are called EoS, and the relu³ grid's tail sharpness does not follow 2/h.

Slow (nn): trains the digits grids of the two EoS claims and the cubic grid (shared with
test_nn_acceptance.py through lrbias.claims.nn.trained_grid when run in one process).
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from lrbias.claims.nn import trained_grid  # noqa: E402
from lrbias.nn import phenomena  # noqa: E402
from theorems.nn import CUBIC, HUBER, TANH  # noqa: E402

pytestmark = [pytest.mark.nn, pytest.mark.slow, pytest.mark.usefixtures("one_torch_thread")]


@pytest.mark.parametrize("grid", [HUBER[0], TANH[0]], ids=lambda g: g.name)
def test_paper_eos_settings_are_called_eos(grid) -> None:
    for run in trained_grid(grid):
        kind, figures = phenomena.classify_eos(run)
        assert kind == "eos", figures
        assert phenomena.EOS_BAND[0] <= figures["ratio_median"] <= phenomena.EOS_BAND[1]


def test_cubic_sharpness_does_not_follow_2_over_h() -> None:
    """relu³ + MSE from 6/20 on digits, at 0.2, 0.5, 0.8 of (1, m*): no run at the edge, and the tail
    sharpness changes far less than 2/h does across the grid (slope of log S on log h >= -0.5)."""
    runs = trained_grid(CUBIC[0])
    check = phenomena.sharpness_independent_of_lr(runs)
    assert check.verdict.value == "pass", check.detail
    assert all(x["call"] != "eos" for x in check.detail["series"]), check.detail
    # the slope binds: a rule demanding an h-independence stricter than measured fails the same runs
    strict = phenomena.sharpness_independent_of_lr(runs, slope_at_least=check.detail["slope"] + 0.05)
    assert strict.verdict.value == "fail"
