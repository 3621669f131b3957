"""The engine's converged runs approach their limit at the rate of the transverse multiplier.

Once |s − 1| is small, a GD step on f(x, y) = ℓ(xy) is a C² map near a fixed point whose transverse
multiplier is 1 − hS∞ (S∞ = ℓ″(1)(x∞² + y∞²)), so the run gains 5 digits of |s − 1| in about
ln(10⁵)/(−ln|1 − hS∞|) steps.  That is calculus about the map, not a claim of the paper: it was the
catalogue entry ``rate.linear-local-convergence`` until the vacuity audit found no realistic input
on which it fails (issue 11), and it is kept here as a test of the engine's convergence rule and of
its recorded limiting sharpness.  Both directions are checked: the bound with slack 1.5 holds,
while a third of that slack, and the gradient-flow rate ln(10⁵)/(hS∞), each fail.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from lrbias.claims.starts import get_starts
from lrbias.gd import Outcome, Settings, run_batch
from lrbias.losses.families import get_family


def rate_gap(spec: str, kappa: float, slack: float = 1.5, gradient_flow: bool = False, n: int = 200,
             seed: int = 0) -> tuple[float, int]:
    """The smallest (bound − extra steps)/bound over the runs converged at tolerances 1e-5 and 1e-10
    (negative: a run was slower than the bound), and the number of such runs.

    extra steps: N(1e-10) − N(1e-5); bound: slack·ln(10⁵)/(−ln|1 − hS∞|) + 20, or with
    ``gradient_flow`` slack·ln(10⁵)/(hS∞) + 20.
    """
    fam = get_family(spec)
    x0, y0 = get_starts("box")(n, seed)
    C = kappa / fam.curvature
    coarse = run_batch(fam, x0, y0, C=C, settings=Settings(tol=1e-5))
    fine = run_batch(fam, x0, y0, C=C, settings=Settings(tol=1e-10))
    both = coarse.mask(Outcome.CONVERGED) & fine.mask(Outcome.CONVERGED)
    hs = 2 * fine.ratio[both]
    with np.errstate(divide="ignore"):
        if gradient_flow:
            predicted = math.log(1e5) / hs
        else:
            rho = np.abs(1 - hs)
            predicted = np.where(rho < 1, math.log(1e5) / -np.log(np.maximum(rho, 1e-300)), np.inf)
    bound = slack * predicted + 20
    extra = (fine.steps[both] - coarse.steps[both]).astype(float)
    return float(np.min((bound - extra) / np.maximum(bound, 1))), int(both.sum())


CASES = [("logcosh", 3.0), ("softplus-pair:a=1/2", 1.0), ("square", 0.5), ("softplus-pair:a=1/4", 6.0)]


@pytest.mark.parametrize(("spec", "kappa"), CASES)
def test_converged_runs_gain_five_digits_at_the_multiplier_rate(spec, kappa):
    gap, runs = rate_gap(spec, kappa)
    assert runs >= 50
    assert gap >= 0, f"{spec} at κ = {kappa}: a converged run was slower than the multiplier allows"


def test_the_rate_bound_is_not_vacuous():
    """A third of the slack fails on an ordinary sweep, and so does the gradient-flow rate near hS∞ = 2."""
    assert rate_gap("logcosh", 3.0, slack=0.5)[0] < 0
    assert rate_gap("logcosh", 3.0, gradient_flow=True)[0] < 0
