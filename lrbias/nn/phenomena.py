"""Phenomena on neural-network runs: edge of stability, catapult, balancing, divergence.

Each detector maps one :class:`~lrbias.nn.trainer.RunResult` (or a grid of them) to a
:class:`lrbias.claims.verdict.Check`: a tri-state verdict, a margin (positive: holds with that
much room) and the measured figures.  The thresholds are ours (the paper states these claims
qualitatively); every one is a keyword argument and is echoed in the figures.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Sequence
from typing import TYPE_CHECKING

from lrbias.claims.verdict import Check, fail, holds, inconclusive

if TYPE_CHECKING:
    from lrbias.nn.trainer import RunResult


def _tail_ratios(run: RunResult, tail: float) -> list[float]:
    """S·h/2 at the sharpness measurements in the last ``tail`` fraction of the run (finite only)."""
    first = run.steps_run * (1 - tail)
    return [s * run.lr / 2 for t, s in zip(run.sharpness_steps, run.top_sharpness, strict=True)
            if t >= first and math.isfinite(s)]


def edge_of_stability(run: RunResult, band: tuple[float, float] = (0.8, 1.2), tail: float = 0.25) -> Check:
    """EoS: the median of S·h/2 over the last ``tail`` of training lies in ``band`` (2/h reached)
    while training still works (final loss below the initial loss).

    A diverged run fails (it never settles at 2/h); no finite measurement is inconclusive.
    """
    lo, hi = band
    figures = {"lr": run.lr, "two_over_lr": 2 / run.lr, "band": list(band), "tail": tail,
               "outcome": run.outcome}
    if run.outcome == "diverged":
        return fail(-math.inf, **figures, reason=run.reason)
    ratios = _tail_ratios(run, tail)
    if not ratios:
        return inconclusive("no finite sharpness measurement in the tail", **figures)
    med = statistics.median(ratios)
    inside = sum(lo <= r <= hi for r in ratios) / len(ratios)
    loss = run.history["loss"]
    trained = loss[-1] < loss[0]
    margin = min(med - lo, hi - med) if trained else -abs(math.log(loss[-1] / loss[0]))
    return holds(lo <= med <= hi and trained, margin, **figures, ratio_median=med,
                 loss_start=loss[0], loss_final=loss[-1], loss_fell=trained,
                 ratio_min=min(ratios), ratio_max=max(ratios), share_in_band=inside,
                 sharpness_final=run.top_sharpness[-1])


def no_edge_of_stability(run: RunResult, far_below: float = 0.8, tail: float = 0.25) -> Check:
    """No EoS: the run diverges, or the tail median of S·h/2 stays below ``far_below``.

    The default 0.8 is the lower edge of the EoS band of :func:`edge_of_stability`: "no EoS" is
    its complement for runs that settle.
    """
    figures = {"lr": run.lr, "two_over_lr": 2 / run.lr, "far_below": far_below, "outcome": run.outcome}
    if run.outcome == "diverged":
        return holds(True, math.inf, **figures, reason=run.reason)
    ratios = _tail_ratios(run, tail)
    if not ratios:
        return inconclusive("no finite sharpness measurement in the tail", **figures)
    med = statistics.median(ratios)
    return holds(med < far_below, far_below - med, **figures, ratio_median=med,
                 sharpness_final=run.top_sharpness[-1])


def catapult(run: RunResult, factor: float = 2.0) -> Check:
    """Catapult: the loss rises above ``factor``·L0, then falls below L0 (later in the run)."""
    loss = run.history["loss"]
    l0 = loss[0]
    finite = [(v, t) for t, v in enumerate(loss) if math.isfinite(v)]
    peak, t_peak = max(finite)
    after = [v for v in loss[t_peak:] if math.isfinite(v)]
    low = min(after)
    figures = {"lr": run.lr, "factor": factor, "loss_start": l0, "loss_max": peak, "step_of_max": t_peak,
               "loss_max_over_start": peak / l0, "loss_min_after_max": low, "loss_final": loss[-1],
               "outcome": run.outcome}
    if run.outcome == "diverged":
        return fail(-math.inf, **figures, reason=run.reason)
    rose = peak >= factor * l0
    fell = low < l0
    rise = math.log(peak / (factor * l0))
    margin = min(rise, math.log(l0 / low)) if low > 0 else rise
    return holds(rose and fell, margin, **figures, rose=rose, fell_below_start=fell)


def norm_gaps(run: RunResult) -> tuple[float, float]:
    """|‖W1‖_F − ‖W2‖_F| at the start and at the last logged state."""
    h = run.history
    return abs(h["w1"][0] - h["w2"][0]), abs(h["w1"][-1] - h["w2"][-1])


def balancing(run: RunResult, shrink: float = 1.0) -> Check:
    """Balancing: the norm gap |‖W1‖ − ‖W2‖| ends below ``shrink`` × its start value.

    Diverged runs are inconclusive: balancing is a statement about runs that settle.
    """
    g0, g1 = norm_gaps(run)
    figures = {"lr": run.lr, "gap_start": g0, "gap_final": g1,
               "gap_final_over_start": g1 / g0 if g0 else math.nan,
               "shrink": shrink, "outcome": run.outcome}
    if run.outcome == "diverged":
        return inconclusive("run diverged", **figures)
    return holds(g1 < shrink * g0, shrink * g0 - g1, **figures)


def balancing_grows_with_lr(runs: Sequence[RunResult], min_runs: int = 2) -> Check:
    """Over a learning-rate grid, the final norm gap is non-increasing in h (non-diverged runs)."""
    kept = sorted((r for r in runs if r.outcome != "diverged"), key=lambda r: r.lr)
    series = [(r.lr, norm_gaps(r)[1]) for r in kept]
    figures = {"lr_and_final_gap": series, "diverged_lrs": [r.lr for r in runs if r.outcome == "diverged"]}
    if len(kept) < min_runs:
        return inconclusive(f"fewer than {min_runs} non-diverged runs", **figures)
    steps = [b[1] - a[1] for a, b in itertools.pairwise(series)]
    worst = max(steps)
    return holds(worst <= 0, -worst, **figures)


def limit_below_eos(run: RunResult, below: float = 1.0) -> Check:
    """The run settles with final S·h/2 < ``below`` (a flatter limit than 2/h), loss below its start."""
    s = run.summary()
    figures = {"lr": run.lr, "below": below, "ratio_final": s["ratio_final"],
               "sharpness_final": s["sharpness_final"],
               "two_over_lr": 2 / run.lr, "loss_final": s["loss_final"], "loss_start": s["loss_start"],
               "outcome": run.outcome}
    if run.outcome == "diverged":
        return fail(-math.inf, **figures, reason=run.reason)
    if not math.isfinite(s["ratio_final"]) or not s["loss_final"] < s["loss_start"]:
        return inconclusive("no finite final sharpness, or the loss did not fall below its start", **figures)
    return holds(s["ratio_final"] < below, below - s["ratio_final"], **figures)


def divergence(run: RunResult) -> Check:
    """The run diverged (non-finite loss or a loss beyond the bound)."""
    return holds(run.outcome == "diverged", 1.0 if run.outcome == "diverged" else -1.0,
                 lr=run.lr, outcome=run.outcome, reason=run.reason, steps_run=run.steps_run)
