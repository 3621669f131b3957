"""The NN detector, calibrated on the authors' stored runs and frozen (DESIGN.md, "the NN detector").

The fixture tests/data/authors_runs.json holds 94 runs of github.com/zhenghaoxu-gatech/edge-of-stability
(written by tools/authors_runs.py; labels ours, set before the detector was re-fitted).  The detector
must call the labelled EoS runs EoS, the runs that plateau below 2/h not EoS, their ReLU + MSE
grid on CIFAR-10 "below the edge, widening with h", their MNIST one not widening, and their relu³
grids "no EoS: the sharpness does not follow 2/h".  Each constant is also shown to bind: moved past
the nearest authors' run, the calibration fails.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

pytest.importorskip("torch")

from lrbias.nn import phenomena
from lrbias.nn.authors import load_runs
from lrbias.verdict import Verdict

pytestmark = pytest.mark.nn

FIXTURE = Path(__file__).parent / "data" / "authors_runs.json"
RUNS = load_runs(FIXTURE)


def _labelled(label: str):
    return [a for a in RUNS if a.label == label]


def _grids(label: str) -> dict[str, list]:
    grids: dict[str, list] = defaultdict(list)
    for a in _labelled(label):
        grids[a.group].append(a.run)
    return dict(grids)


def test_fixture_names_its_source() -> None:
    data = json.loads(FIXTURE.read_text())
    assert data["source"] == "github.com/zhenghaoxu-gatech/edge-of-stability"
    assert len(data["commit"]) == 40 and int(data["commit"], 16) >= 0
    assert len(RUNS) == 94 and all(a.id.startswith(("cifar10-1k/", "mnist/")) for a in RUNS)
    assert {a.label for a in RUNS} == {"eos", "below", "widening", "not-widening", "cubic", None}


def test_the_frozen_constants() -> None:
    """Frozen after calibration: changing one must come with a new calibration (and this test)."""
    assert phenomena.EOS_BAND == (0.95, 1.05)
    assert phenomena.BELOW_EOS == 0.9
    assert phenomena.TAIL == 0.25
    assert phenomena.SLOPE_AT_LEAST == -0.5


@pytest.mark.parametrize("label, call", [("eos", "eos"), ("below", "not-eos")])
def test_each_labelled_run_is_called_as_labelled(label: str, call: str) -> None:
    wrong = [(a.id, phenomena.classify_eos(a.run)[1]["why"]) for a in _labelled(label)
             if phenomena.classify_eos(a.run)[0] != call]
    assert not wrong, wrong
    assert len(_labelled(label)) >= 7


def test_the_band_and_the_below_line_bind_on_the_authors_runs() -> None:
    """0.965 (their tanh + MSE on CIFAR-10 at h = 3e-4) is the lowest EoS tail, 0.897 the highest plateau
    below the edge: a band starting at 0.97, or a below-line at 0.89, misreads one of their runs."""
    eos_tails = [phenomena.tail_ratio(a.run) for a in _labelled("eos")]
    below_tails = [phenomena.tail_ratio(a.run) for a in _labelled("below")]
    assert phenomena.EOS_BAND[0] <= min(eos_tails) < 0.97 and max(eos_tails) <= phenomena.EOS_BAND[1]
    assert 0.89 < max(below_tails) <= phenomena.BELOW_EOS
    assert any(phenomena.classify_eos(a.run, band=(0.97, 1.05))[0] != "eos" for a in _labelled("eos"))
    assert any(phenomena.classify_eos(a.run, below=0.89)[0] != "not-eos" for a in _labelled("below"))


def test_relu_mse_widens_on_cifar_and_not_on_mnist() -> None:
    (cifar,) = _grids("widening").values()
    check = phenomena.gap_widens_with_lr(cifar)
    assert check.verdict == Verdict.PASS, check.detail
    assert [round(x["ratio_median"], 3) for x in check.detail["series"]] == [0.99, 0.985, 0.976, 0.961, 0.933]
    (mnist,) = _grids("not-widening").values()
    assert phenomena.gap_widens_with_lr(mnist).verdict == Verdict.FAIL
    # the clause this replaced, "the largest h ends at or below 0.9", would fail the CIFAR-10 grid
    assert check.detail["series"][-1]["ratio_median"] > phenomena.BELOW_EOS


def test_cubic_sharpness_does_not_follow_2_over_h_and_eos_grids_do() -> None:
    for group, runs in _grids("cubic").items():
        check = phenomena.sharpness_independent_of_lr(runs)
        assert check.verdict == Verdict.PASS, (group, check.detail)
    slopes = []
    for group, runs in _grids("eos").items():
        if len(runs) >= 4:
            check = phenomena.sharpness_independent_of_lr(runs)
            assert check.verdict == Verdict.FAIL, group
            slopes.append(check.detail["slope"])
    assert len(slopes) >= 6 and all(-1.1 < s < -0.9 for s in slopes), slopes  # S = 2/h: slope -1
    (cifar_cubic,) = [runs for group, runs in _grids("cubic").items() if group.startswith("cifar")]
    slope = phenomena.sharpness_independent_of_lr(cifar_cubic).detail["slope"]
    assert 0.1 < slope < 0.3, slope
    # the threshold binds: moved above their relu³ slope, the calibration fails
    assert phenomena.sharpness_independent_of_lr(cifar_cubic, slope_at_least=slope + 0.01).verdict == Verdict.FAIL
