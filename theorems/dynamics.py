"""Claims about whole GD runs: convergence, limiting sharpness, balancing, catapult, rate, ordering.

Batch claims are stated as statistics of a sweep (lrbias.claims.statistics, built into entries by
lrbias.claims.batch.batch_claim) and checked on batches drawn by Hypothesis; every case carries
the profile's sweep size n, so a conclusion is a pure function of its case.  Each reconstructed
claim carries a validity frontier over κ.  The thresholds (shares, quantiles, κ ranges) are ours:
the paper's constants were not available.
"""

from __future__ import annotations

import itertools
import math

import mpmath
import numpy as np
from hypothesis import strategies as st

from lrbias.claims.batch import BOX, CONFIRM_RUNS, STEPS, batch_claim, cases, converged, kappas, sized, sweep
from lrbias.claims.entry import Conclusion, Entry, Mutant
from lrbias.claims.statistics import (
    MIN_CONVERGED,
    eos_share_at_most,
    imbalance_bound,
    imbalance_shrinks,
    median_ratio_at_least,
    share_converged,
)
from lrbias.claims.strategies import GOOD, coordinates, family_specs, softplus_pair_specs
from lrbias.claims.verdict import Check, fail, holds, inconclusive, passed
from lrbias.gd import BatchResult, Outcome, Settings, objective, run_auto, run_batch
from lrbias.gd.sampling import Range, starts_box
from lrbias.losses.families import get_family

VERY_GOOD = softplus_pair_specs().filter(lambda s: eval_a(s) <= 0.75)
BAD = st.sampled_from(["quartic", "power:b=3", "power:b=5"])
ORDERED = ("softplus-pair:a=0.25", "softplus-pair:a=0.5", "softplus-pair:a=1", "square", "quartic", "power:b=3")
FRONTIER_FAMILIES = ("softplus-pair:a=0.25", "softplus-pair:a=0.5", "softplus-pair:a=1", "logcosh", "square")


def eval_a(spec: str) -> float:
    """The parameter a of a softplus-pair spec."""
    return float(get_family(spec).params["a"])


# --- convergence -----------------------------------------------------------------------------

ABOVE_THRESHOLD_SETTINGS = Settings(max_steps=3000)


def _above_threshold_batch(case: tuple) -> tuple[BatchResult, int]:
    """The batch of a (spec, hℓ″(1), seed, n) case: min(n, 200) starts in [0.3, 2]², h = factor / ℓ″(1)."""
    spec, factor, seed, n_starts = case
    fam = get_family(spec)
    n = min(n_starts, 200)
    x0, y0 = starts_box(n, Range(0.3, 2.0), Range(0.3, 2.0), seed)
    return run_batch(fam, x0, y0, h=factor / fam.curvature, settings=ABOVE_THRESHOLD_SETTINGS), n


def no_convergence(case: tuple) -> Check:
    """(spec, hℓ″(1), seed, n): no run of the above-threshold batch converges."""
    factor = case[1]
    res, n = _above_threshold_batch(case)
    conv = int(res.mask(Outcome.CONVERGED).sum())
    if conv:
        return fail(-conv / n, converged=conv, n=n, h_times_curvature=factor)
    return passed(factor - 1, converged=0, n=n, h_times_curvature=factor)


def no_convergence_confirm(case: tuple) -> Check:
    """:func:`no_convergence` with each converged float run re-run at adaptive precision."""
    fam, factor = get_family(case[0]), case[1]
    res, n = _above_threshold_batch(case)
    rows = np.flatnonzero(res.mask(Outcome.CONVERGED))[:CONFIRM_RUNS]
    confirmed = [i for i in rows if run_auto(fam, float(res.x0[i]), float(res.y0[i]), float(res.h[i]),
                                             ABOVE_THRESHOLD_SETTINGS).outcome == "converged"]
    return fail(-len(confirmed) / n, converged_precise=len(confirmed)) if confirmed else passed(factor - 1)


def wrong_no_convergence(case: tuple) -> Check:
    """Mutant: the threshold is h·ℓ″(1) > 1/2 (checks the case at half its factor)."""
    spec, factor, seed, n = case
    return no_convergence((spec, factor * 0.5, seed, n))


# --- balancing -------------------------------------------------------------------------------

def stronger_balancing(factor: float = 2.0, strict: float = 1.0) -> Conclusion:
    """Median |d∞|/|d0| at κ·factor is below (strict ×) the median at κ."""
    def check(case: tuple) -> Check:
        spec, kappa, seed, n = case
        meds = []
        for k in (kappa, kappa * factor):
            b = sweep(spec, float(k), int(seed), int(n))
            conv = converged(b)
            if conv.sum() < MIN_CONVERGED:
                return inconclusive("too few converged runs", kappa=k)
            d0 = np.abs(b.x0**2 - b.y0**2)[conv]
            meds.append(float(np.median(np.abs(b.imbalance[conv]) / d0)))
        return holds(meds[1] < strict * meds[0], math.log(strict * meds[0] / meds[1]),
                     median_ratio_at_kappa=meds[0], median_ratio_at_double=meds[1])
    return check


# --- catapult --------------------------------------------------------------------------------

def catapult_check(case: tuple, rise: float = 10.0, flatter: float = 1.0, precise: bool = False) -> Check:
    """(spec, local κ, seed, n): min(n, 300) starts by sharp minimisers rise ≥ ``rise``-fold, then end flatter."""
    spec, kappa_local, seed, n_starts = case
    fam = get_family(spec)
    rng = np.random.default_rng(seed)
    n = min(n_starts, 300)
    t = np.exp(rng.uniform(-1, 1, n))
    x0, y0 = t * (1 + 1e-3 * rng.standard_normal(n)), 1 / t
    h = kappa_local / (fam.curvature * (t * t + 1 / t**2))
    res = run_batch(fam, x0, y0, h=h, settings=Settings(max_steps=STEPS))
    conv = res.mask(Outcome.CONVERGED)
    if conv.sum() < 5:
        return inconclusive("fewer than 5 runs converged", converged=int(conv.sum()))
    rises = res.fmax_ratio[conv]
    ratios = res.ratio[conv] / flatter
    margin = min(math.log10(float(rises.min()) / rise), 1 - float(ratios.max()))
    return holds(bool(rises.min() >= rise and ratios.max() < 1), margin, converged=int(conv.sum()),
                 min_rise=float(rises.min()), max_ratio=float(res.ratio[conv].max()))


# --- rate ------------------------------------------------------------------------------------

def rate_check(case: tuple, slack: float = 1.5) -> Check:
    """(spec, κ, seed, n): the steps from |s − 1| < 1e-5 to 1e-10 are within the linear-rate bound."""
    spec, kappa, seed, n_starts = case
    fam = get_family(spec)
    n = min(n_starts, 200)
    x0, y0 = starts_box(n, BOX, BOX, seed, random_signs=True)
    C = kappa / fam.curvature
    coarse = run_batch(fam, x0, y0, C=C, settings=Settings(max_steps=STEPS, tol=1e-5))
    fine = run_batch(fam, x0, y0, C=C, settings=Settings(max_steps=STEPS, tol=1e-10))
    both = coarse.mask(Outcome.CONVERGED) & fine.mask(Outcome.CONVERGED)
    if both.sum() < 5:
        return inconclusive("fewer than 5 runs converged at both tolerances")
    rho = np.abs(1 - 2 * fine.ratio[both])
    with np.errstate(divide="ignore"):
        predicted = np.where(rho < 1, math.log(1e5) / -np.log(np.maximum(rho, 1e-300)), np.inf)
    extra = (fine.steps[both] - coarse.steps[both]).astype(float)
    bound = slack * predicted + 20
    gap = bound - extra
    worst = int(np.argmin(gap))
    return holds(bool(np.all(gap >= 0)), float(gap[worst] / max(bound[worst], 1)),
                 extra_steps=float(extra[worst]), predicted=float(predicted[worst]),
                 multiplier=float(rho[worst]), runs=int(both.sum()))


# --- regularity ordering ---------------------------------------------------------------------

def ordering_check(case: tuple, tolerance: float = 0.05, reverse: bool = False) -> Check:
    """(κ, seed, n): the EoS share does not rise (beyond ``tolerance``) along :data:`ORDERED`."""
    kappa, seed, n = case
    shares = []
    for spec in (reversed(ORDERED) if reverse else ORDERED):
        b = sweep(spec, float(kappa), int(seed), int(n))
        shares.append(float((converged(b) & (b.ratio >= 0.5)).mean()))
    rises = [later - earlier for earlier, later in itertools.pairwise(shares)]
    worst = max(rises)
    return holds(worst <= tolerance, tolerance - worst, eos_shares=dict(zip(ORDERED, shares, strict=True)))


# --- exact: linear stability of minimisers ---------------------------------------------------

def stability_criterion(case: tuple, threshold: float = 2.0) -> Check:
    """Jacobian J of the GD map at (t, 1/t), by mpmath differentiation, vs the criterion hS < threshold.

    The minimisers form a curve of fixed points, so J has the eigenvalue 1 along it; the other
    (transverse) multiplier is det J, and the minimiser is linearly stable iff |det J| < 1.
    """
    spec, t, kappa = case
    fam = get_family(spec)
    with mpmath.workdps(40):
        x = mpmath.mpf(t)
        y = 1 / x
        h = mpmath.mpf(kappa) / (fam.mp.d2(mpmath.mpf(1)) * (x * x + y * y))  # so that hS = kappa
        jac = [[mpmath.diff(lambda a, b, i=i: objective.gd_step(fam, a, b, h, "mpmath")[i], (x, y), order)
                for order in ((1, 0), (0, 1))] for i in (0, 1)]
        transverse = jac[0][0] * jac[1][1] - jac[0][1] * jac[1][0]
    stable = abs(transverse) < 1
    agrees = stable == (kappa < threshold)
    margin = abs(kappa - threshold) if agrees else -abs(kappa - threshold)
    return holds(agrees, margin, transverse_multiplier=float(transverse), h_times_S=kappa)


ENTRIES: list[Entry] = [
    Entry(
        id="stability.linear-criterion",
        title="Linear stability of minimisers",
        statement="A minimiser (t, 1/t) is a linearly stable fixed point of GD exactly when "
                  "h·ℓ″(1)(t² + 1/t²) < 2; hence a run that converges ends with S∞·h/2 ≤ 1.",
        latex=r"\rho\bigl(I - h\nabla^2 f(t,1/t)\bigr) < 1 \iff h\,\ell''(1)\,(t^2+t^{-2}) < 2",
        provenance="exact",
        hypotheses=st.tuples(family_specs(include_nonsmooth=False), coordinates(0.1, 10),
                             st.floats(0.05, 4.0).filter(lambda k: abs(k - 2) > 1e-6)),
        conclusion=stability_criterion,
        confirm=stability_criterion,
        engine="mpmath (Jacobian by numerical differentiation)",
        examples_scale=0.5,
        mutants=(Mutant("threshold-1", "stable iff hS < 1", lambda c: stability_criterion(c, threshold=1.0)),),
        assumptions="C² built-in families; |t| in [0.1, 10]; hS in [0.05, 4]",
    ),
    Entry(
        id="convergence.none-above-threshold",
        title="No convergence when h > 1/ℓ″(1)",
        statement="If h·ℓ″(1) > 1 no minimiser is stable (every minimiser has x² + y² ≥ 2), so GD "
                  "converges from no start.",
        latex=r"h\,\ell''(1) > 1 \;\Rightarrow\; (x_k, y_k) \not\to \{xy = 1\}",
        provenance="exact",
        hypotheses=sized(st.tuples(family_specs(include_nonsmooth=False), st.floats(1.01, 4.0),
                                   st.integers(0, 2**16))),
        conclusion=no_convergence,
        confirm=no_convergence_confirm,
        engine="float64 batch",
        examples_scale=0.2,
        shrink=False,
        mutants=(Mutant("threshold-half", "no convergence when h·ℓ″(1) > 1/2",
                        wrong_no_convergence, sized(st.tuples(st.sampled_from(["square", "logcosh"]),
                                                              st.floats(1.2, 1.9), st.integers(0, 99)))),),
        assumptions="C² built-in families; h·ℓ″(1) in [1.01, 4]; starts in [0.3, 2]²; 3000 steps",
    ),
    batch_claim(
        "convergence.good-regularity-large-lr",
        "Global convergence beyond the 2/L threshold (good regularity)",
        "For dor ≤ 1 and κ = C·ℓ″(1) in [2, 3] (beyond the 2/L threshold of the start's norm), GD "
        "converges from at least 90% of starts in the box [0.5, 4]² (random signs).",
        GOOD, (2.0, 3.0), share_converged(0.9),
        [("share-99", "at least 99% converge", share_converged(0.99))],
        latex=r"\mathrm{dor}\le 1,\ \kappa\in[2,3]:\ \Pr_{x_0}[\text{converged}] \ge 0.9",
        assumptions="softplus-pair (a in (0, 1]), logcosh, pseudo-huber, huber; 5000 steps",
        frontier=(0.5, 32.0), frontier_families=FRONTIER_FAMILIES),
    batch_claim(
        "sharpness.edge-of-stability-good-regularity",
        "Edge of stability for good regularity",
        "For softplus-pair with a ≤ 3/4 and κ in [6, 12], the median limiting ratio S∞·h/2 of the "
        "converged runs is at least 0.7 (close to the edge of stability 1).",
        VERY_GOOD, (6.0, 12.0), median_ratio_at_least(0.7),
        [("median-0.9", "median ratio at least 0.9", median_ratio_at_least(0.9))],
        latex=r"a\le\tfrac34,\ \kappa\in[6,12]:\ \operatorname{median}\ S_\infty h/2 \ge 0.7",
        assumptions="softplus-pair (a in (0, 3/4]); starts in [0.5, 4]²; 5000 steps",
        frontier=(1.0, 32.0), frontier_families=FRONTIER_FAMILIES),
    batch_claim(
        "sharpness.no-edge-of-stability-bad-regularity",
        "No edge of stability for bad regularity",
        "For dor ≥ 4 (quartic, power b = 3, 5) and κ in [1, 16], at most 10% of starts converge "
        "with S∞·h/2 ≥ 0.7: the runs diverge or end well below the edge.",
        BAD, (1.0, 16.0), eos_share_at_most(0.1),
        [("eos-share-0", "no start at all reaches the edge with ratio ≥ 0.05", eos_share_at_most(0.0, eos=0.05))],
        latex=r"\mathrm{dor}\ge 4,\ \kappa\in[1,16]:\ \Pr[\text{converged},\ S_\infty h/2\ge 0.7]\le 0.1",
        provenance="paper", assumptions="quartic, power:b=3, power:b=5; starts in [0.5, 4]²"),
    batch_claim(
        "balancing.imbalance-shrinks",
        "Balancing: the final imbalance is below the initial one",
        "For good regularity and κ in [1, 8], at least 99% of converged runs end with "
        "|x∞² − y∞²| < |x0² − y0²|.",
        GOOD, (1.0, 8.0), imbalance_shrinks(0.99),
        [("halves", "at least 99% end with less than half the initial imbalance",
          imbalance_shrinks(0.99, fraction=0.5))],
        latex=r"\Pr\bigl[|x_\infty^2-y_\infty^2| < |x_0^2-y_0^2|\ \big|\ \text{converged}\bigr] \ge 0.99",
        assumptions="softplus-pair, logcosh, pseudo-huber, huber; starts in [0.5, 4]²",
        frontier=(0.5, 32.0), frontier_families=FRONTIER_FAMILIES),
    batch_claim(
        "balancing.final-imbalance-bound",
        "Balancing bound from stability",
        "Every converged run ends with (x∞ − y∞)² ≤ 2/(h ℓ″(1)) − 2.",
        GOOD, (0.5, 16.0), imbalance_bound(),
        [("half-bound", "(x∞ − y∞)² ≤ (2/(hℓ″(1)) − 2) / 2", imbalance_bound(0.5))],
        latex=r"(x_\infty - y_\infty)^2 \le \frac{2}{h\,\ell''(1)} - 2",
        assumptions="good-regularity families; κ in [0.5, 16]"),
    Entry(
        id="balancing.stronger-for-larger-lr",
        title="Balancing is stronger for larger learning rates",
        statement="For good regularity and κ in [1, 8], doubling κ lowers the median final/initial "
                  "imbalance |x∞² − y∞²| / |x0² − y0²| of converged runs.",
        latex=r"\operatorname{median}\frac{|d_\infty|}{|d_0|}\Big|_{2\kappa} < "
              r"\operatorname{median}\frac{|d_\infty|}{|d_0|}\Big|_{\kappa}",
        provenance="reconstructed",
        hypotheses=cases(GOOD, 1.0, 8.0),
        conclusion=stronger_balancing(),
        engine="float64 batch",
        examples_scale=0.1,
        shrink=False,
        mutants=(Mutant("ten-fold", "doubling κ divides the median by 10",
                        stronger_balancing(strict=0.1)),),
        assumptions="good-regularity families; starts in [0.5, 4]²",
    ),
    Entry(
        id="catapult.unstable-minimiser",
        title="Catapult from a sharp minimiser",
        statement="Started within 0.1% of a minimiser (t, 1/t) that is unstable for h (local κ = "
                  "hℓ″(1)(t² + 1/t²) in [2.2, 6]), every converged run first raises the loss at "
                  "least 10-fold and then ends on a flatter, stable minimiser (S∞·h/2 < 1).",
        latex=r"h S(x_0) \in [2.2, 6] \Rightarrow \max_k f_k \ge 10 f_0,\ S_\infty h/2 < 1",
        provenance="reconstructed",
        hypotheses=sized(st.tuples(GOOD, st.floats(2.2, 6.0), st.integers(0, 2**16))),
        conclusion=catapult_check,
        engine="float64 batch",
        examples_scale=0.1,
        shrink=False,
        mutants=(Mutant("rise-1e9", "the loss rises at least 1e9-fold",
                        lambda c: catapult_check(c, rise=1e9)),),
        assumptions="good-regularity families; t = e^u, u in [-1, 1]; relative perturbation 1e-3",
    ),
    Entry(
        id="rate.linear-local-convergence",
        title="Local linear convergence rate",
        statement="Once close to its limit, a converged run gains 5 more digits of |s − 1| within "
                  "1.5·ln(10⁵)/(−ln|1 − h S∞|) + 20 steps (the transverse multiplier at the limit).",
        latex=r"N(10^{-10}) - N(10^{-5}) \le 1.5\,\frac{\ln 10^5}{-\ln|1-hS_\infty|} + 20",
        provenance="reconstructed",
        hypotheses=cases(GOOD, 0.5, 8.0),
        conclusion=rate_check,
        engine="float64 batch",
        examples_scale=0.1,
        shrink=False,
        mutants=(Mutant("twice-as-fast", "within 0.5·ln(10⁵)/(−ln|1 − hS∞|) + 20 steps",
                        lambda c: rate_check(c, slack=0.5)),),
        assumptions="good-regularity families; κ in [0.5, 8]",
    ),
    Entry(
        id="ordering.eos-share-falls-with-dor",
        title="Regularity ordering",
        statement="At fixed κ in [3, 8], the share of starts that converge with S∞·h/2 ≥ 0.5 does not "
                  "rise (beyond 0.05) along softplus-pair a = 1/4, 1/2, 1, square, quartic, power b = 3 "
                  "(dor 1/4, 1/2, 1, 2, 4, 6).",
        latex=(r"\mathrm{dor}(\ell_1) < \mathrm{dor}(\ell_2) \Rightarrow "
               r"p_{\mathrm{EoS}}(\ell_2) \le p_{\mathrm{EoS}}(\ell_1) + 0.05"),
        provenance="reconstructed",
        hypotheses=sized(st.tuples(kappas(3.0, 8.0), st.integers(0, 2**16))),
        conclusion=ordering_check,
        engine="float64 batch",
        examples_scale=0.1,
        shrink=False,
        mutants=(Mutant("reversed", "the share rises with dor", lambda c: ordering_check(c, reverse=True)),),
        assumptions="the six families listed; starts in [0.5, 4]²",
    ),
]

