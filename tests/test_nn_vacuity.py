"""The vacuity audit of the neural-network claims: each can fail on a realistic input, and its rival is
refuted by its own runs.

:data:`FAILING` holds, per claim, a change of its protocol a user's experiment could make (another
activation, a learning rate below the edge, another init), trained small (n = 300, width 50, a few
hundred steps, on both embedded datasets) and decided by the claim's *own* check, which must fail.
The rivals themselves are searched, and confirmed in float64, by tests/test_catalogue.py
(``test_rival_is_refuted_within_ci``) on the claims' full grids; here the confirmation machinery is
tested on a small grid, with a rival that must hold as its negative control.
"""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

torch = pytest.importorskip("torch")

from lrbias.claims.nn import Grid, Rival, confirm_rival, every_run, train_grid  # noqa: E402
from lrbias.verdict import Check, Verdict, holds  # noqa: E402
from theorems.nn import NN_CLAIMS  # noqa: E402

pytestmark = [pytest.mark.nn, pytest.mark.usefixtures("one_torch_thread")]

SMALL = {"n": 300, "width": 50, "device": "cpu"}
"""Every failing input is trained at this size: the claims' checks do not depend on it."""

# claim id -> (config changes, multiples of 2/S0, what changed in words)
FAILING = {
    "nn.eos-bounded-loss": ({"activation": "cubic", "steps": 300, "sharpness_every": 50}, (2.0,),
                            "relu³ in place of ReLU"),
    "nn.eos-bounded-activation": ({"activation": "cubic", "steps": 300, "sharpness_every": 50}, (0.7,),
                                  "relu³ in place of tanh"),
    "nn.catapult-mse-relu": ({"steps": 300, "sharpness_every": 0}, (0.5,), "h = 0.5·2/S0, below the edge"),
    "nn.balancing-mse-relu": ({"steps": 300, "sharpness_every": 0}, (0.3, 0.6), "h = 0.3, 0.6·2/S0"),
    "nn.limit-below-eos-mse-relu": ({"steps": 300, "sharpness_every": 50}, (0.3, 0.5, 0.7),
                                    "h = 0.3, 0.5, 0.7·2/S0"),
    "nn.no-eos-cubic": ({"activation": "tanh", "init_norms": None, "steps": 800, "sharpness_every": 50}, (0.7,),
                        "tanh from PyTorch's default init"),
    "nn.bn-restores-eos": ({"steps": 300, "sharpness_every": 50}, (0.3,), "h = 0.3·2/S0"),
}

CLAIMS = {c.id: c for c in NN_CLAIMS}


def _small(grid: Grid, changes: dict, multiples: tuple[float, ...]) -> Grid:
    return Grid(grid.name, replace(grid.base, **{**SMALL, **changes}), multiples)


def test_every_nn_claim_says_what_makes_it_fail_and_has_a_rival():
    assert set(FAILING) == set(CLAIMS)
    for claim in NN_CLAIMS:
        assert claim.fails_if and "tests/test_nn_vacuity.py" in claim.fails_if, claim.id
        assert claim.rival is not None and claim.rival.grids, claim.id


@pytest.mark.parametrize("claim_id", sorted(FAILING))
@pytest.mark.slow  # measured 15-70 s on a loaded 2-core machine
def test_a_realistic_input_makes_the_nn_claim_fail(claim_id):
    claim = CLAIMS[claim_id]
    changes, multiples, why = FAILING[claim_id]
    results = {g.name: train_grid(_small(g, changes, multiples)) for g in claim.grids}
    check = claim.check(results)
    assert check.verdict == Verdict.FAIL, f"{claim_id} on {why}: {check.verdict} {check.detail}"
    assert check.margin < 0


def _loss_ratio_below(limit: float):
    def predicate(run) -> Check:
        ratio = run.history["loss"][-1] / run.history["loss"][0]
        return holds(ratio < limit, math.log(limit / ratio), final_over_start=ratio)
    return predicate


@pytest.mark.slow  # measured 15-70 s on a loaded 2-core machine
def test_confirm_rival_retrains_the_refuting_run_in_float64():
    """A rival the float32 runs refute is refuted again by its deciding run re-trained in float64; a rival
    that holds has nothing to confirm (the negative control)."""
    claim = CLAIMS["nn.catapult-mse-relu"]
    grids = tuple(_small(g, {"steps": 60, "sharpness_every": 0}, (0.5,)) for g in claim.grids)
    results = {g.name: train_grid(g) for g in grids}
    wrong = Rival("the loss ends below 0.1% of its start", grids, every_run(grids, _loss_ratio_below(1e-3)))
    first = wrong.check(results)
    assert first.verdict == Verdict.FAIL and first.detail["deciding"]
    confirmed = confirm_rival(wrong, results)
    assert confirmed.verdict == Verdict.FAIL and confirmed.detail["dtypes"] == ["float64"]
    assert confirmed.detail["confirmation"].startswith("float64 GD and HVPs re-trained")
    assert all(r["verdict"] == "fail" for r in confirmed.detail["runs"])
    right = Rival("the loss ends below its start", grids, every_run(grids, _loss_ratio_below(1.0)))
    assert right.check(results).verdict == Verdict.PASS
    assert confirm_rival(right, results).verdict == Verdict.INCONCLUSIVE
