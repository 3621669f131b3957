"""Statistics of a batched sweep: the generic conclusions of batch claims.

Each builder takes the claim's constants and returns a :class:`~lrbias.claims.entry.Statistic`:
a function of one :class:`~lrbias.gd.BatchResult` returning ``(Check, deciding rows)``; the
rows are what :func:`lrbias.claims.sweeps.precise_batch` re-runs at high precision before a
counterexample is reported.  The built-in catalogue, ``lrbias.api`` and TOML variant files
(through :data:`STATISTICS`) all use these.

Every statistic counts the *open* runs (budget spent, :func:`lrbias.claims.sweeps.open_runs`)
both ways, for the claim and against it (:func:`both_ways`): a verdict the two countings
disagree on is inconclusive, says so with both figures, and sets ``undecided_can_flip`` so that
:func:`lrbias.claims.sweeps.to_decision` follows the open runs with a larger budget.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from lrbias.claims.entry import Statistic
from lrbias.claims.sweeps import converged, open_runs
from lrbias.gd import BatchResult, Outcome
from lrbias.losses.families import get_family
from lrbias.verdict import Check, holds, inconclusive

__all__ = ["EDGE_BAND", "MIN_CONVERGED", "ON_MINIMISERS", "STATISTICS", "both_ways", "catapulted", "edge_runs",
           "edge_statistic", "eos_runs", "eos_share_at_most", "final_gap_at_most_initial", "imbalance_bound",
           "imbalance_shrinks", "kappa_of", "median_bounds", "median_ratio_at_least", "minimiser_bound",
           "on_minimisers", "share_bounds", "share_converged"]

EDGE_BAND = 0.95
"""A converged run is *at the edge of stability* when S∞·h/2 ≥ this (and κ > 2); DESIGN.md gives the
measured distributions it is read from."""

MIN_CONVERGED = 20
"""Fewer converged runs than this: a statistic over the converged runs is inconclusive."""

ON_MINIMISERS = 1e-8
"""A run whose final point has |x∞y∞ − 1| below this ended on the minimiser set (raw, whatever its label)."""


def on_minimisers(b: BatchResult, distance: float = ON_MINIMISERS) -> np.ndarray:
    """Mask of runs whose final point is within ``distance`` of xy = 1, from the raw final point."""
    with np.errstate(invalid="ignore"):
        gap = np.abs(b.x * b.y - 1)
    return np.isfinite(gap) & (gap < distance)


def eos_runs(b: BatchResult, eos: float = 0.7) -> np.ndarray:
    """Mask of runs that converged at the edge of stability (S∞·h/2 ≥ ``eos``)."""
    with np.errstate(invalid="ignore"):
        return converged(b) & (b.ratio >= eos)


def _none() -> np.ndarray:
    return np.array([], int)


Counting = Callable[[bool], tuple[bool, float, dict[str, Any]]]
"""(open runs counted for the claim?) -> (holds, margin, figures)."""


def both_ways(count: Counting, left: int) -> Check:
    """The check of a statistic whose ``left`` open runs are counted for the claim and against it.

    Agreeing countings decide (pass: the margin counted against, the smaller room; fail: the
    margin counted for, the smaller violation), with ``undecided_can_flip`` False; disagreeing
    ones give an inconclusive check naming both figures, with ``undecided_can_flip`` True.
    """
    ok_against, margin_against, against = count(False)
    if not left:
        return holds(ok_against, margin_against, **against, undecided_can_flip=False)
    ok_for, margin_for, for_ = count(True)
    both = {**against, **{f"{k}_if_open_runs_favour": v for k, v in for_.items()}}
    if ok_against == ok_for:
        return holds(ok_for, margin_against if ok_for else margin_for, **both, undecided_can_flip=False)
    return inconclusive(f"the {left} open runs, counted both ways, flip it: {_figure(against)} counted against "
                        f"the claim, {_figure(for_)} counted for it", **both, undecided_can_flip=True)


def _figure(figures: dict[str, Any]) -> str:
    name, value = next(iter(figures.items()))
    return f"{name} {value:.4g}" if isinstance(value, float) else f"{name} {value}"


def _too_few(conv: int, left: int) -> Check:
    """Fewer than MIN_CONVERGED converged runs: open runs could supply the rest (flippable) or not."""
    return inconclusive("too few converged runs", converged=conv, undecided_can_flip=conv + left >= MIN_CONVERGED)


def kappa_of(b: BatchResult) -> np.ndarray:
    """Per run κ = h·ℓ″(1)·(x0² + y0²), the step against the 2/L threshold of the start's norm."""
    return b.C * get_family(b.family).curvature


def edge_runs(b: BatchResult, band: float = EDGE_BAND) -> np.ndarray:
    """Mask of runs that converged at the edge of stability: κ > 2 and S∞·h/2 ≥ ``band``.

    Below κ = 2 a converged run has S∞·h/2 ≤ κ/2 < 1 by plain stable convergence from a start
    already inside the stable region, so it is not counted whatever its ratio.
    """
    with np.errstate(invalid="ignore"):
        return converged(b) & (b.ratio >= band) & (kappa_of(b) > 2)


def catapulted(b: BatchResult) -> np.ndarray:
    """Mask of the converged runs whose loss rose above its start at some step (f_max > f0): a catapult."""
    with np.errstate(invalid="ignore"):
        return converged(b) & (b.fmax_ratio > 1)


def share_bounds(b: BatchResult, mask: np.ndarray) -> tuple[float, float]:
    """The share of all runs of ``b`` in ``mask``, with the open runs counted out and in: (low, high)."""
    n = max(len(b), 1)
    k = int(np.count_nonzero(mask))
    return k / n, (k + int(open_runs(b).sum())) / n


def median_bounds(values: np.ndarray, left: int) -> tuple[float, float]:
    """The median of ``values`` with ``left`` more values at −∞ and at +∞: (low, high)."""
    return _median_bounds(values, left, False), _median_bounds(values, left, True)


def share_converged(threshold: float) -> Statistic:
    """At least ``threshold`` of the runs converge; deciding rows: the runs that did not."""
    def statistic(b: BatchResult) -> tuple:
        conv, left = converged(b), int(open_runs(b).sum())
        n = max(len(b), 1)

        def count(favour: bool) -> tuple:
            share = (int(conv.sum()) + (left if favour else 0)) / n
            return share >= threshold, share - threshold, {"share": share}

        check = both_ways(count, left)
        return Check(check.verdict, check.margin, {**check.detail, "n": len(b), "outcomes": b.shares()}), \
            np.flatnonzero(~conv)
    return statistic


def _median_bounds(values: np.ndarray, left: int, favour: bool) -> float:
    """The median of ``values`` with ``left`` more values at +∞ (``favour``) or −∞."""
    fill = np.full(left, np.inf if favour else -np.inf)
    return float(np.median(np.concatenate([values, fill])))


def median_ratio_at_least(level: float) -> Statistic:
    """The median limiting ratio S∞·h/2 of the converged runs is at least ``level``.

    Open runs are counted as converging far above (for) or far below (against) the median.
    Deciding rows: the converged runs, nearest the median first.
    """
    def statistic(b: BatchResult) -> tuple:
        conv, left = converged(b), int(open_runs(b).sum())
        if conv.sum() < MIN_CONVERGED:
            return _too_few(int(conv.sum()), left), _none()
        ratios = b.ratio[conv]

        def count(favour: bool) -> tuple:
            med = _median_bounds(ratios, left, favour)
            return med >= level, med - level, {"median_ratio": med}

        check = both_ways(count, left)
        med = float(np.median(ratios))
        order = np.flatnonzero(conv)[np.argsort(np.abs(ratios - med))]
        return Check(check.verdict, check.margin, {**check.detail, "converged": int(conv.sum()),
                                                   "q05": float(np.quantile(ratios, 0.05))}), order
    return statistic


def edge_statistic(level: float, band: float = EDGE_BAND) -> Statistic:
    """κ > 2 and at least ``level`` of the converged runs end at the edge (S∞·h/2 ≥ ``band``).

    A sweep with κ ≤ 2 fails (nothing there is at the edge; margin κ − 2 ≤ 0), so no frontier of an
    edge claim contains κ ≤ 2.  Reports the share at the edge (of converged runs and
    of all starts) and the median ratio; open runs are counted at the edge (for) or not (against).
    Deciding rows: the converged runs not at the edge.
    """
    def statistic(b: BatchResult) -> tuple:
        kappa = float(np.median(kappa_of(b)))
        conv, left = converged(b), int(open_runs(b).sum())
        at_edge = edge_runs(b, band)
        with np.errstate(invalid="ignore"):
            median = float(np.median(b.ratio[conv])) if conv.any() else None
        figures = {"edge_share_of_all": float(at_edge.mean()), "median_ratio": median, "kappa": kappa,
                   "converged": int(conv.sum()), "band": band}
        if kappa <= 2:
            return holds(False, kappa - 2, edge_share=0.0, **figures, undecided_can_flip=False,
                         reason="κ ≤ 2: a converged run is inside the stable region, not at its edge"), _none()
        if conv.sum() < MIN_CONVERGED:
            check = _too_few(int(conv.sum()), left)
            return Check(check.verdict, check.margin, {**check.detail, **figures}), _none()

        def count(favour: bool) -> tuple:
            share = (int(at_edge.sum()) + (left if favour else 0)) / (int(conv.sum()) + left)
            return share >= level, share - level, {"edge_share": share}

        check = both_ways(count, left)
        return Check(check.verdict, check.margin, {**check.detail, **figures}), np.flatnonzero(conv & ~at_edge)
    return statistic


def eos_share_at_most(level: float, eos: float = EDGE_BAND) -> Statistic:
    """At most ``level`` of all runs converge at the edge (κ > 2, S∞·h/2 ≥ ``eos``); rows: those runs."""
    def statistic(b: BatchResult) -> tuple:
        conv, left = converged(b), int(open_runs(b).sum())
        at_edge = edge_runs(b, eos)
        n = max(len(b), 1)

        def count(favour: bool) -> tuple:
            share = (int(at_edge.sum()) + (0 if favour else left)) / n
            return share <= level, level - share, {"eos_share": share}

        check = both_ways(count, left)
        return Check(check.verdict, check.margin, {**check.detail, "converged_share": float(conv.mean()),
                                                   "outcomes": b.shares()}), np.flatnonzero(at_edge)
    return statistic


def imbalance_shrinks(level: float, fraction: float = 1.0) -> Statistic:
    """At least ``level`` of converged runs end with |d∞| < fraction · |d0| (d = x² − y²).

    Open runs are counted as converging with a shrunk (for) or a grown (against) imbalance.
    Deciding rows: the converged runs whose imbalance did not shrink enough.
    """
    def statistic(b: BatchResult) -> tuple:
        conv, left = converged(b), int(open_runs(b).sum())
        if conv.sum() < MIN_CONVERGED:
            return _too_few(int(conv.sum()), left), _none()
        d0 = np.abs(b.x0**2 - b.y0**2)[conv]
        shrank = np.abs(b.imbalance[conv]) < fraction * d0

        def count(favour: bool) -> tuple:
            share = (int(shrank.sum()) + (left if favour else 0)) / (int(conv.sum()) + left)
            return share >= level, share - level, {"share_shrunk": share}

        check = both_ways(count, left)
        return Check(check.verdict, check.margin, {**check.detail, "converged": int(conv.sum())}), \
            np.flatnonzero(conv)[~shrank]
    return statistic


def imbalance_bound(slack: float = 1.0) -> Statistic:
    """Every converged run ends with (x∞ − y∞)² ≤ slack · (2/(hℓ″(1)) − 2); rows: tightest first."""
    def statistic(b: BatchResult) -> tuple:
        conv = converged(b)
        if not conv.any():
            return inconclusive("no converged run"), _none()
        return _within_stability_bound(b, conv, slack)
    return statistic


def _within_stability_bound(b: BatchResult, rows: np.ndarray, slack: float, **detail: Any) -> tuple:
    """The runs ``rows`` (a mask) against (x∞ − y∞)² ≤ slack · (2/(hℓ″(1)) − 2): the check, margin the
    tightest run's room, and the rows tightest first."""
    bound = slack * (2 / (b.h[rows] * get_family(b.family).curvature) - 2)
    gap = bound - b.gap2[rows]
    worst = int(np.argmin(gap))
    # an open run that converges later does so at a stable minimiser, inside the bound: it cannot flip it
    return holds(bool(np.all(gap >= -1e-9)), float(gap[worst]), worst_gap2=float(b.gap2[rows][worst]),
                 bound=float(bound[worst]), **detail, undecided_can_flip=False), np.flatnonzero(rows)[np.argsort(gap)]


def minimiser_bound(slack: float = 1.0) -> Statistic:
    """Every run that ends on the minimiser set (raw |x∞y∞ − 1| < ON_MINIMISERS, whatever the engine's
    label) ends with (x∞ − y∞)² ≤ slack · (2/(hℓ″(1)) − 2); rows: tightest first.

    The engine labels a run converged only at a stable minimiser, so this reads the final point,
    not the label: a run the budget left sitting at an unstable minimiser breaks the bound.  Such
    a run is open (it may still leave), so a violation by open runs only is inconclusive and
    flippable: followed to a decision, the run leaves (or the cap is stated).
    """
    def statistic(b: BatchResult) -> tuple:
        near = on_minimisers(b)
        if not near.any():
            return inconclusive("no run ended on the minimiser set", undecided_can_flip=bool(open_runs(b).any())), \
                _none()
        unlabelled = int(np.count_nonzero(b.outcome[near] != Outcome.CONVERGED))
        check, rows = _within_stability_bound(b, near, slack, on_minimisers=int(near.sum()),
                                              not_labelled_converged=unlabelled)
        bound = slack * (2 / (b.h * get_family(b.family).curvature) - 2)
        with np.errstate(invalid="ignore"):
            violators = near & (b.gap2 - bound > 1e-9)
        if violators.any() and not (violators & ~open_runs(b)).any():
            return inconclusive(f"only open runs ({int(violators.sum())}), sitting on unstable minimisers, break "
                                "the bound: they may still leave", **{**check.detail, "undecided_can_flip": True}), rows
        return check, rows
    return statistic


def final_gap_at_most_initial() -> Statistic:
    """Every converged run ends with (x∞ − y∞)² ≤ (x0 − y0)²; rows: the worst first."""
    def statistic(b: BatchResult) -> tuple:
        conv = converged(b)
        if not conv.any():
            return inconclusive("no converged run"), _none()
        gap = (b.x0 - b.y0)[conv] ** 2 - b.gap2[conv]
        worst = int(np.argmin(gap))
        left = int(open_runs(b).sum())
        ok = bool(np.all(gap >= 0))
        figures = {"worst_final_gap2": float(b.gap2[conv][worst]),
                   "initial_gap2": float(((b.x0 - b.y0)[conv] ** 2)[worst])}
        rows = np.flatnonzero(conv)[np.argsort(gap)]
        if ok and left:   # an open run may still converge anywhere: counted against, the claim could fail
            return inconclusive(f"holds on the converged runs; the {left} open runs could break it", **figures,
                                undecided_can_flip=True), rows
        return holds(ok, float(gap[worst]), **figures, undecided_can_flip=False), rows
    return statistic


STATISTICS = {
    "median-ratio-at-least": median_ratio_at_least,
    "edge-share-at-least": edge_statistic,
    "share-converged-at-least": share_converged,
    "imbalance-shrinks": imbalance_shrinks,
    "eos-share-at-most": eos_share_at_most,
}
"""Statistics by the name a TOML variant file gives (``statistic = NAME``, ``level = x``)."""
