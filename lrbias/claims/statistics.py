"""Statistics of a batched sweep: the generic conclusions of batch claims.

Each builder takes the claim's constants and returns a :class:`~lrbias.claims.entry.Statistic`:
a function of one :class:`~lrbias.gd.BatchResult` returning ``(Check, deciding rows)``; the
rows are what :func:`lrbias.claims.sweeps.precise_batch` re-runs at high precision before a
counterexample is reported.  The built-in catalogue, ``lrbias.api`` and TOML variant files
(through :data:`STATISTICS`) all use these.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lrbias.claims.entry import Statistic
from lrbias.claims.sweeps import converged
from lrbias.gd import BatchResult, Outcome
from lrbias.losses.families import get_family
from lrbias.verdict import holds, inconclusive

__all__ = ["MIN_CONVERGED", "ON_MINIMISERS", "STATISTICS", "eos_runs", "eos_share_at_most", "final_gap_at_most_initial",
           "imbalance_bound", "imbalance_shrinks", "median_ratio_at_least", "minimiser_bound", "on_minimisers",
           "share_converged"]

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


def share_converged(threshold: float) -> Statistic:
    """At least ``threshold`` of the runs converge; deciding rows: the runs that did not."""
    def statistic(b: BatchResult) -> tuple:
        conv = converged(b)
        share = float(conv.mean())
        return holds(share >= threshold, share - threshold, share=share, n=len(b),
                     outcomes=b.shares()), np.flatnonzero(~conv)
    return statistic


def median_ratio_at_least(level: float) -> Statistic:
    """The median limiting ratio S∞·h/2 of the converged runs is at least ``level``.

    Deciding rows: the converged runs, nearest the median first.
    """
    def statistic(b: BatchResult) -> tuple:
        conv = converged(b)
        if conv.sum() < MIN_CONVERGED:
            return inconclusive("too few converged runs", converged=int(conv.sum())), _none()
        ratios = b.ratio[conv]
        med = float(np.median(ratios))
        order = np.flatnonzero(conv)[np.argsort(np.abs(ratios - med))]
        return holds(med >= level, med - level, median_ratio=med, converged=int(conv.sum()),
                     q05=float(np.quantile(ratios, 0.05))), order
    return statistic


def eos_share_at_most(level: float, eos: float = 0.7) -> Statistic:
    """At most ``level`` of all runs converge at the edge (S∞·h/2 ≥ ``eos``); rows: those runs."""
    def statistic(b: BatchResult) -> tuple:
        conv = converged(b)
        eos_runs = conv & (b.ratio >= eos)
        share = float(eos_runs.mean())
        return holds(share <= level, level - share, eos_share=share, converged_share=float(conv.mean()),
                     outcomes=b.shares()), np.flatnonzero(eos_runs)
    return statistic


def imbalance_shrinks(level: float, fraction: float = 1.0) -> Statistic:
    """At least ``level`` of converged runs end with |d∞| < fraction · |d0| (d = x² − y²).

    Deciding rows: the converged runs whose imbalance did not shrink enough.
    """
    def statistic(b: BatchResult) -> tuple:
        conv = converged(b)
        if conv.sum() < MIN_CONVERGED:
            return inconclusive("too few converged runs", converged=int(conv.sum())), _none()
        d0 = np.abs(b.x0**2 - b.y0**2)[conv]
        shrank = np.abs(b.imbalance[conv]) < fraction * d0
        share = float(shrank.mean())
        return holds(share >= level, share - level, share_shrunk=share, converged=int(conv.sum())), \
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
    return holds(bool(np.all(gap >= -1e-9)), float(gap[worst]), worst_gap2=float(b.gap2[rows][worst]),
                 bound=float(bound[worst]), **detail), np.flatnonzero(rows)[np.argsort(gap)]


def minimiser_bound(slack: float = 1.0) -> Statistic:
    """Every run that ends on the minimiser set (raw |x∞y∞ − 1| < ON_MINIMISERS, whatever the engine's
    label) ends with (x∞ − y∞)² ≤ slack · (2/(hℓ″(1)) − 2); rows: tightest first.

    The engine labels a run converged only at a stable minimiser, so this reads the final point,
    not the label: a run the budget left sitting at an unstable minimiser fails it.
    """
    def statistic(b: BatchResult) -> tuple:
        near = on_minimisers(b)
        if not near.any():
            return inconclusive("no run ended on the minimiser set"), _none()
        unlabelled = int(np.count_nonzero(b.outcome[near] != Outcome.CONVERGED))
        return _within_stability_bound(b, near, slack, on_minimisers=int(near.sum()), not_labelled_converged=unlabelled)
    return statistic


def final_gap_at_most_initial() -> Statistic:
    """Every converged run ends with (x∞ − y∞)² ≤ (x0 − y0)²; rows: the worst first."""
    def statistic(b: BatchResult) -> tuple:
        conv = converged(b)
        if not conv.any():
            return inconclusive("no converged run"), _none()
        gap = (b.x0 - b.y0)[conv] ** 2 - b.gap2[conv]
        worst = int(np.argmin(gap))
        return holds(bool(np.all(gap >= 0)), float(gap[worst]), worst_final_gap2=float(b.gap2[conv][worst]),
                     initial_gap2=float(((b.x0 - b.y0)[conv] ** 2)[worst])), np.flatnonzero(conv)[np.argsort(gap)]
    return statistic


STATISTICS = {
    "median-ratio-at-least": median_ratio_at_least,
    "share-converged-at-least": share_converged,
    "imbalance-shrinks": imbalance_shrinks,
    "eos-share-at-most": eos_share_at_most,
}
"""Statistics by the name a TOML variant file gives (``statistic = NAME``, ``level = x``)."""
