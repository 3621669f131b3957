"""The ingredients of the catapult law (lrbias.claims.catapult.catapult_law), checked on exact GD steps.

The law max f ≥ f0 + ½ℓ″(1)(κ_b − 2)² rests on computed facts: the start's base κ_b is invariant
under a step to first order, two steps from E = κ − 2 − 2Hu = 0 lower E by 4H(1 − H)u² (the drift
G of the flip normal form), and the first-order slope a_ℓ that sets the entry's κ range.  The
first two are checked in mpmath on the GD map itself, the slope on exact runs, so a wrong
projection, drift or slope in the derivation fails a test.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

from lrbias.claims.catapult import (
    CATAPULT_KAPPAS,
    CATAPULT_SHARE,
    CATAPULT_WORST_SLOPE,
    base_kappa,
    catapult_law,
    catapult_slope,
    peak_excess,
)
from lrbias.gd import Outcome, Settings, objective, run_batch
from lrbias.losses.families import get_family


def _state(s, q):
    """(x, y) with xy = s and x² + y² = q."""
    a, b = mpmath.sqrt(q + 2 * s), mpmath.sqrt(q - 2 * s)
    return (a + b) / 2, (a - b) / 2


def test_a_start_on_a_minimiser_is_its_own_base():
    t = np.array([0.5, 1.0, 2.5])
    hc = 2.1 / (t * t + 1 / t**2)
    assert np.allclose(base_kappa(t, 1 / t, hc), 2.1, rtol=0, atol=1e-14)


@pytest.mark.parametrize("spec", ["logcosh", "pseudo-huber", "softplus-pair:a=1/2"])
def test_the_base_kappa_is_unchanged_by_a_step_to_first_order(spec):
    fam = get_family(spec)
    with mpmath.workdps(40):
        c = fam.mp.d2(mpmath.mpf(1))
        hc = mpmath.mpf("0.6")
        h, u0 = hc / c, mpmath.mpf("1e-6")
        x, y = _state(1 + u0, mpmath.mpf("2.3") / hc)
        x1, y1 = objective.gd_step(fam, x, y, h, "mpmath")
        before = base_kappa(np.array([float(x)]), np.array([float(y)]), np.array([float(hc)]))[0]
        kappa1 = hc * (x1 * x1 + y1 * y1)
        after = kappa1 - 4 * hc * hc * (x1 * y1 - 1) / kappa1
        naive = hc * (x * x + y * y) - kappa1  # κ itself moves by about 4Hu0 = 1.4e-6
    assert abs(float(after) - before) < 1e-10
    assert abs(float(naive)) > 1e-6


@pytest.mark.parametrize("spec", ["logcosh", "pseudo-huber", "huber:delta=1"])
@pytest.mark.parametrize("big_h", [0.2, 0.5, 0.8])
def test_two_steps_lower_the_normal_form_kappa_by_4H_1_minus_H_u_squared(spec, big_h):
    fam = get_family(spec)
    with mpmath.workdps(50):
        c = fam.mp.d2(mpmath.mpf(1))
        hc = mpmath.sqrt(mpmath.mpf(big_h))
        h, u = hc / c, mpmath.mpf("1e-5")
        big = hc * hc

        def e_of(x, y):
            return hc * (x * x + y * y) - 2 - 2 * big * (x * y - 1)

        x, y = _state(1 + u, (2 + 2 * big * u) / hc)  # E = 0
        for _ in range(2):
            x, y = objective.gd_step(fam, x, y, h, "mpmath")
        drift = e_of(x, y) / (u * u)
    assert float(drift) == pytest.approx(-4 * big_h * (1 - big_h), rel=1e-3)


def test_the_worst_first_order_slope_among_the_good_families_is_pseudo_hubers():
    slopes = {spec: catapult_slope(spec) for spec in
              ("huber:delta=1", "softplus-pair:a=1", "softplus-pair:a=1/16", "logcosh", "pseudo-huber")}
    assert slopes["huber:delta=1"] == pytest.approx(4 / 3 - 1 / math.sqrt(2))
    assert max(slopes.values()) == pytest.approx(CATAPULT_WORST_SLOPE) == slopes["pseudo-huber"]
    kappa_hi = CATAPULT_KAPPAS[1]
    assert CATAPULT_WORST_SLOPE * (kappa_hi - 2) <= 1 - CATAPULT_SHARE < CATAPULT_WORST_SLOPE * (kappa_hi - 1.99)


@pytest.mark.parametrize("spec", ["huber:delta=1", "logcosh", "pseudo-huber"])
def test_the_first_order_slope_matches_an_exact_run_at_H_one_half(spec):
    """At H = 1/2 and κ_b − 2 = ε = 0.005 a run's peak over f0 + ℓ″(1)ε² is 1 − a_ℓε up to O(ε²).

    The slopes differ by up to 2.7 between these families (0.013 here), the tolerance is 25ε²."""
    fam, eps, u0 = get_family(spec), 0.005, 1e-6
    c, kappa = fam.curvature, 2 + eps
    q = kappa * math.sqrt(2)  # t² + 1/t², so that H = (κ/q)² = 1/2
    t = math.sqrt((q + math.sqrt(q * q - 4)) / 2)
    x0, y0, h = np.array([t * (1 + u0)]), np.array([1 / t]), np.array([kappa / (c * q)])
    res = run_batch(fam, x0, y0, h=h, settings=Settings(max_steps=100_000))
    assert res.outcome[0] == Outcome.CONVERGED
    f0, kappa_b, _ = catapult_law(res)
    e = float(kappa_b[0]) - 2
    peak_over_law = (peak_excess(res)[0] - f0[0]) / (c * e * e)
    assert peak_over_law == pytest.approx(1 - catapult_slope(spec) * e, abs=25 * eps**2)


def test_the_peak_of_a_start_within_1e_7_of_a_minimiser_is_not_read_through_its_float64_ratio():
    """f0 ≈ 5e-16 is at the rounding of ℓ(1) ≈ 0.98: the float64 ratio fmax/f0 is off, the peak is not
    (a 40-digit mpmath run of the same start agrees)."""
    fam = get_family("softplus-pair:a=1/16")
    q = 2.12 * math.sqrt(2)
    t = math.sqrt((q + math.sqrt(q * q - 4)) / 2)
    x0, y0, h = t * (1 + 2e-7), 1 / t, 2.12 / (fam.curvature * q)
    res = run_batch(fam, np.array([x0]), np.array([y0]), h=np.array([h]))
    f0, _, _ = catapult_law(res)
    assert abs(res.fmax[0] / res.fmax_ratio[0] / f0[0] - 1) > 0.01  # the engine's float64 f0
    with mpmath.workdps(40):
        x, y, step = mpmath.mpf(x0), mpmath.mpf(y0), mpmath.mpf(h)
        top = fam.mp.loss(x * y)
        for _ in range(int(res.steps[0])):
            x, y = objective.gd_step(fam, x, y, step, "mpmath")
            top = max(top, fam.mp.loss(x * y))
        exact = float(top - fam.mp.loss(mpmath.mpf(1)))
    assert peak_excess(res)[0] == pytest.approx(exact, rel=1e-8)
