"""The EoS detector on real runs: the paper's EoS settings are called EoS, a run hovering at
S·h/2 ≈ 0.93 (relu³ + MSE, unbalanced start, h = 6·2/S0 on digits) is not.

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


def test_run_near_092_is_not_called_eos() -> None:
    run = next(r for r in trained_grid(CUBIC[0]) if r.meta["lr_multiple"] == 6.0)
    kind, figures = phenomena.classify_eos(run)
    assert 0.9 < figures["ratio_median"] < 0.95, figures  # the run the old band [0.8, 1.2] called EoS
    # between BELOW_EOS and the band: near the edge, neither EoS nor clearly below it
    assert phenomena.BELOW_EOS < figures["ratio_median"] < phenomena.EOS_BAND[0], figures
    assert kind == "inconclusive", figures
    assert phenomena.edge_of_stability(run).verdict.value == "inconclusive"
    # the tight band is what separates: under the old loose band the tail median is no longer what is missing
    assert "not tail median in the band" in figures["why"], figures
    assert "not tail median in the band" not in phenomena.classify_eos(run, band=(0.8, 1.2))[1]["why"]
