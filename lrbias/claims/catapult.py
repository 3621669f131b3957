"""The catapult law: the mathematics behind the claim "catapult from a sharp minimiser" (theorems/dynamics.py).

A start within 0.1% of a minimiser that is unstable for h projects (along the unstable eigenvector)
onto a minimiser of local κ_b; the flip normal form predicts the run's peak excess loss from κ_b
(:func:`catapult_law`), with a first-order correction slope a_ℓ per family (:func:`catapult_slope`).
:func:`catapult_on` checks a batch against a share of the law; :func:`catapult_check` and
:func:`catapult_confirm` decide a case (float64, then with the runs closest to the bound re-run
through the precision tiers); :func:`rise_check` is the rival's "every run rises k-fold".
tests/test_catapult_law.py checks the projection, the drift and the slope on exact GD steps.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np

from lrbias.claims.sweeps import STEPS, precise_batch, undecided
from lrbias.gd import BatchResult, Outcome, Settings, run_batch
from lrbias.losses.families import get_family
from lrbias.verdict import Check, holds, inconclusive

__all__ = ["CATAPULT_KAPPAS", "CATAPULT_SHARE", "CATAPULT_STARTS", "CATAPULT_WORST_SLOPE", "base_kappa",
           "catapult_batch", "catapult_check", "catapult_confirm", "catapult_law", "catapult_on", "catapult_slope",
           "closest_first", "excess_kappa", "peak_excess", "rise_check", "rise_confirm", "rise_on"]

CATAPULT_STARTS = "near-minimiser"
CATAPULT_SHARE = 0.5
"""The share of the leading-order peak the entry claims (ours: an allowance for the O(κ − 2) terms)."""
CATAPULT_WORST_SLOPE = 4 - 1 / math.sqrt(2)
"""The largest first-order slope (:func:`catapult_slope`) among the good families: pseudo-Huber's, ℓ⁗/ℓ″ = −3
at 1 (Huber 0, softplus-pair a in (0, 1] from −1.51 to −0.5, logcosh −2)."""
CATAPULT_KAPPAS = (2.02, 2 + math.floor(100 * (1 - CATAPULT_SHARE) / CATAPULT_WORST_SLOPE) / 100)
"""Local κ range: from 2.02 (κ − 2 several times the largest start offset |x0y0 − 1| ≈ 3e-3) to where the worst
first-order correction reaches the allowance, slope·(κ − 2) = 1 − share, rounded down: 2.15."""


def catapult_batch(case: tuple, steps: int = STEPS) -> BatchResult:
    """(spec, local κ, seed, n): min(n, 300) starts within 0.1% of minimisers (t, 1/t), t = e^u, u uniform in
    [−1, 1], each run at the step that gives its minimiser the local κ hℓ″(1)(t² + 1/t²) = κ."""
    spec, kappa_local, seed, n_starts = case
    fam = get_family(spec)
    rng = np.random.default_rng(seed)
    n = min(n_starts, 300)
    t = np.exp(rng.uniform(-1, 1, n))
    x0, y0 = t * (1 + 1e-3 * rng.standard_normal(n)), 1 / t
    h = kappa_local / (fam.curvature * (t * t + 1 / t**2))
    return run_batch(fam, x0, y0, h=h, settings=Settings(max_steps=steps))


def excess_kappa(kappa_b: np.ndarray) -> np.ndarray:
    """max(κ_b − 2, 0): how far the minimiser a start projects onto is past the flip bifurcation.

    A start whose κ_b ≤ 2 projects onto a *stable* minimiser and has no catapult to predict; the
    signed (κ_b − 2)² would ask it for a rise anyway (a perturbed start at κ ≈ 2 does that).
    """
    return np.maximum(np.asarray(kappa_b) - 2, 0.0)


def base_kappa(x0: np.ndarray, y0: np.ndarray, hc: np.ndarray) -> np.ndarray:
    """κ_b: the local κ of the minimiser a start (x0, y0) projects onto along the unstable eigenvector.

    ``hc`` is hℓ″(1).  With u0 = x0y0 − 1, κ0 = hc(x0² + y0²) and H = hc², the linearised step
    u ↦ (1 − κ)u, κ ↦ κ − 4Hu has the eigenvector (1, 4H/κ0) of 1 − κ0, so κ_b = κ0 − 4Hu0/κ0
    (unchanged by a step, to first order in u0).
    """
    kappa0 = hc * (x0 * x0 + y0 * y0)
    return kappa0 - 4 * hc * hc * (x0 * y0 - 1) / kappa0


def catapult_slope(spec: str) -> float:
    """a_ℓ = 4/3 − 1/√2 − 8ℓ⁗(1)/(9ℓ″(1)): the peak at H = 1/2 is f0 + ℓ″(1)ε²(1 − a_ℓε + O(ε²)), ε = κ_b − 2.

    From the one-step normal form (coordinates v = u − Hv²/2 + …, E = ε − 2Hv + HvE + …, in which
    κ_b is E to second order): v ↦ −v(1 + E + (2B − H)v²), E ↦ E − 2H(1 − H)v² − H(5H − 1)Ev²,
    B = ℓ⁗(1)/(6ℓ″(1)).  The flow interpolating its square, integrated from E = ε to E = 0, multiplies
    the peak v² by 1 + ε(16B/3 − 4/3) at H = 1/2, and the larger of two consecutive |u| adds ε/√2.
    """
    fam = get_family(spec)
    with mpmath.workdps(30):
        one = mpmath.mpf(1)
        ratio = mpmath.diff(fam.mp.d2, one, 2) / fam.mp.d2(one)
    return 4 / 3 - 1 / math.sqrt(2) - 8 * float(ratio) / 9


def catapult_law(res: BatchResult) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per run: (start excess f0, the start's base κ_b, the leading-order peak f0 + ℓ″(1)(κ_b − 2)²).

    With u = xy − 1, κ = hℓ″(1)(x² + y²) and H = (hℓ″(1))², GD maps u ↦ (1 − κ)u + O(u²) and
    κ ↦ κ − 4Hu + O(u²) (from x ± y ↦ (x ± y)(1 ∓ hℓ′)), so a start (u0, κ0) is the minimiser of local
    κ_b = κ0 − 4Hu0/κ0 plus u0 times the unstable eigenvector (1, 4H/κ0).  At κ_b = 2 + ε, in
    normal-form coordinates v = u + O(u²), E = κ − 2 − 2Hu + O(u²), two steps map v ↦ (1 + 2E)v + O(v³)
    and E ↦ E − Gv², G = 4H(1 − H) ≤ 1 (ℓ‴(1) = 0 for the symmetric good families; ℓ⁗(1) enters at
    O(v³)).  For v ~ ε the averaged flow conserves v² + 2E²/G: v grows until E = 0, where
    v² = u0² + 2ε²/G; so max f ≈ f0 + ℓ″(1)ε²/G ≥ f0 + ℓ″(1)ε², with equality at H = 1/2.  The
    next order multiplies the worst case by 1 − a_ℓε (:func:`catapult_slope`).
    """
    fam = get_family(res.family)
    with mpmath.workdps(30):
        one = mpmath.mpf(1)
        base = fam.mp.loss(one)
        f0 = np.array([float(fam.mp.loss(mpmath.mpf(float(x)) * mpmath.mpf(float(y))) - base)
                       for x, y in zip(res.x0, res.y0, strict=True)])
    kappa_b = base_kappa(res.x0, res.y0, res.h * fam.curvature)
    return f0, kappa_b, f0 + fam.curvature * excess_kappa(kappa_b) ** 2


def peak_excess(res: BatchResult) -> np.ndarray:
    """max f of each run: the engine's float64 peak excess loss ℓ(s) − ℓ(1), of order ℓ″(1)(κ_b − 2)² ≥ 9e-6
    here and so free of rounding to about 1e-10 (tests/test_catapult_law.py compares one with 40 digits).  Never a
    rise ratio times f0: a start within 1e-7 of a minimiser has f0 at float64's rounding of ℓ(1), and
    its float64 ratio is off by up to tens of percent (the quad tier takes ℓ(1) in binary128).  The
    tiers re-run the deciding rows to confirm their outcome."""
    return np.asarray(res.fmax)


def catapult_on(res: BatchResult, share: float = CATAPULT_SHARE) -> Check:
    """Every converged run reaches max f ≥ f0 + share·ℓ″(1)(κ_b − 2)²; margin log10 of the smallest
    max f over that bound."""
    conv = res.mask(Outcome.CONVERGED)
    if conv.sum() < 5:
        return inconclusive("fewer than 5 runs converged", converged=int(conv.sum()))
    f0, kappa_b, _ = catapult_law(res)
    fmax = peak_excess(res)[conv]
    bound = f0[conv] + share * get_family(res.family).curvature * excess_kappa(kappa_b[conv]) ** 2
    over = fmax / bound
    i = int(np.argmin(over))
    return holds(bool(over[i] >= 1), math.log10(over[i]), converged=int(conv.sum()), min_over_bound=float(over[i]),
                 median_over_bound=float(np.median(over)), kappa_b_at_min=float(kappa_b[conv][i]),
                 min_rise=float((fmax / f0[conv]).min()), runs=len(res), undecided=undecided(res))


def catapult_check(case: tuple, share: float = CATAPULT_SHARE, steps: int = STEPS) -> Check:
    """(spec, local κ, seed, n): min(n, 300) starts by sharp minimisers; every converged run's peak
    excess loss exceeds its start's by at least ``share``·ℓ″(1)(κ_b − 2)²."""
    return catapult_on(catapult_batch(case, steps), share)


def closest_first(b: BatchResult) -> np.ndarray:
    """The converged runs of ``b``, closest to the law's bound first (the rows a confirmation re-runs)."""
    conv = np.flatnonzero(b.mask(Outcome.CONVERGED))
    _, _, law = catapult_law(b)
    return conv[np.argsort(peak_excess(b)[conv] / law[conv])]


def catapult_confirm(case: tuple, share: float = CATAPULT_SHARE) -> Check:
    """:func:`catapult_check` with the converged runs closest to the bound re-run at adaptive precision."""
    b = catapult_batch(case)
    return catapult_on(precise_batch(b, closest_first(b)), share)


def rise_on(res: BatchResult, rise: float) -> Check:
    """Every converged run of ``res`` raised its loss at least ``rise``-fold; margin log10(min rise / rise)."""
    conv = res.mask(Outcome.CONVERGED)
    if conv.sum() < 5:
        return inconclusive("fewer than 5 runs converged", converged=int(conv.sum()))
    rises = res.fmax_ratio[conv]
    low = float(rises.min())
    return holds(bool(low >= rise), math.log10(low / rise), converged=int(conv.sum()), min_rise=low,
                 median_rise=float(np.median(rises)), max_ratio=float(res.ratio[conv].max()),
                 runs=len(res), undecided=undecided(res))


def rise_check(case: tuple, rise: float) -> Check:
    """(spec, local κ, seed, n): every converged run from the near-minimiser starts rises ≥ ``rise``-fold."""
    return rise_on(catapult_batch(case), rise)


def rise_confirm(case: tuple, rise: float) -> Check:
    """:func:`rise_check` with the converged runs of smallest rise re-run at adaptive precision."""
    b = catapult_batch(case)
    conv = np.flatnonzero(b.mask(Outcome.CONVERGED))
    return rise_on(precise_batch(b, conv[np.argsort(b.fmax_ratio[conv])]), rise)
