"""Phenomena on neural-network runs: edge of stability, catapult, balancing, divergence.

Each detector maps one :class:`~lrbias.nn.trainer.RunResult` (or a grid of them) to a
:class:`lrbias.verdict.Check`: a tri-state verdict, a margin (positive: holds with that
much room) and the measured figures.  The thresholds are ours (the paper states these claims
qualitatively); every one is a keyword argument and is echoed in the figures.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from lrbias.verdict import Check, fail, holds, inconclusive

if TYPE_CHECKING:
    from lrbias.nn.trainer import RunResult


EOS_BAND = (0.95, 1.05)
"""Tail median of S·h/2 inside this band (and the run did not diverge): EoS.

Calibrated on the authors' stored runs (tests/data/authors_runs, DESIGN.md "EoS detector,
calibrated"): the tail medians of their EoS runs above 2/S0 lie in [0.965, 1.014]."""
BELOW_EOS = 0.9
"""Tail median of S·h/2 at or below this (or a divergence): not EoS.  Between: inconclusive."""
TAIL = 0.25
"""The last window: this fraction of the run's steps."""
WIDEN_TOLERANCE = 0.01
"""Limit below EoS: the tail gap 1 − S·h/2 may shrink by at most this from one h to the next and
must grow by more than this over the grid (the authors' CIFAR-10 ReLU-MSE gaps: 0.010 → 0.067)."""
SLOPE_SPLIT = -0.5
"""Slope of log(final sharpness) against log h: EoS predicts −1 (S = 2/h), an h-independent
sharpness 0; above this midpoint the grid is "not EoS, sharpness independent of h"."""
MIN_H_SPAN = 1.5
"""A sharpness-slope grid needs its settled runs to span at least this ratio of learning rates."""
MIN_GRID_RUNS = 3
"""Settled runs a grid-level detector needs (the widening trend, the sharpness slope)."""

FROZEN = {"EOS_BAND": EOS_BAND, "BELOW_EOS": BELOW_EOS, "TAIL": TAIL, "WIDEN_TOLERANCE": WIDEN_TOLERANCE,
          "SLOPE_SPLIT": SLOPE_SPLIT, "MIN_H_SPAN": MIN_H_SPAN, "MIN_GRID_RUNS": MIN_GRID_RUNS}
"""The detector's rule constants as frozen after calibration on the authors' runs (before any of
our grids was run with them; tests/test_nn_authors_runs.py pins them)."""


def _s0_ratio(run: RunResult) -> float:
    """S0·h/2: the run's learning rate as a multiple of 2/S0 (NaN when S0 was not measured)."""
    return run.meta.get("s0", math.nan) * run.lr / 2


def _tail_values(run: RunResult, tail: float) -> list[float]:
    """The top sharpness at the measurements in the last ``tail`` fraction of the run (finite only)."""
    first = run.steps_run * (1 - tail)
    return [s for t, s in zip(run.sharpness_steps, run.top_sharpness, strict=True)
            if t >= first and math.isfinite(s)]


def _tail_ratios(run: RunResult, tail: float) -> list[float]:
    """S·h/2 at the sharpness measurements in the last ``tail`` fraction of the run (finite only)."""
    return [s * run.lr / 2 for s in _tail_values(run, tail)]


def tail_ratio(run: RunResult, tail: float = TAIL) -> float:
    """Median of S·h/2 over the last ``tail`` of the run (NaN without a finite measurement)."""
    ratios = _tail_ratios(run, tail)
    return statistics.median(ratios) if ratios else math.nan


def tail_sharpness(run: RunResult, tail: float = TAIL) -> float:
    """Median of the top sharpness S over the last ``tail`` of the run (NaN without a finite measurement)."""
    values = _tail_values(run, tail)
    return statistics.median(values) if values else math.nan


def classify_eos(run: RunResult, band: tuple[float, float] = EOS_BAND, below: float = BELOW_EOS,
                 tail: float = TAIL) -> tuple[str, dict]:
    """``'eos'``, ``'not-eos'`` or ``'inconclusive'`` for one run, with the figures behind it.

    eos: the run did not diverge and the median of S·h/2 over its last ``tail`` lies in ``band``.
    not-eos: the run diverged, or that median is at most ``below``.  Everything else (a median in
    (below, band[0]) or above band[1]) is inconclusive: never a pass for either claim.  Two
    earlier rules, "2/h crossed upwards" and "loss falling over the last window", were dropped:
    the authors' own EoS runs contradict them (DESIGN.md, "EoS detector, calibrated").
    """
    lo, hi = band
    figures: dict = {"lr": run.lr, "two_over_lr": 2 / run.lr, "s0": run.meta.get("s0", math.nan),
                     "s0_lr_over_2": _s0_ratio(run), "band": list(band),
                     "below": below, "tail": tail, "outcome": run.outcome}
    if run.outcome == "diverged":
        return "not-eos", {**figures, "why": f"diverged: {run.reason}"}
    ratios = _tail_ratios(run, tail)
    if not ratios:
        return "inconclusive", {**figures, "why": "no finite sharpness measurement in the tail"}
    med = statistics.median(ratios)
    figures.update(ratio_median=med, ratio_min=min(ratios), ratio_max=max(ratios),
                   sharpness_final=run.top_sharpness[-1],
                   lanczos_residual_max=max((r for r in run.meta.get("lanczos_residual", [])
                                             if math.isfinite(r)), default=math.nan))
    if med <= below:
        return "not-eos", {**figures, "why": f"tail median {med:.4g} <= {below}"}
    if lo <= med <= hi:
        return "eos", {**figures, "why": f"tail median {med:.4g} in [{lo}, {hi}]"}
    where = "above the band" if med > hi else f"between {below} and {lo}"
    return "inconclusive", {**figures, "why": f"tail median {med:.4g} {where}"}


def edge_of_stability(run: RunResult, band: tuple[float, float] = EOS_BAND, below: float = BELOW_EOS,
                      tail: float = TAIL) -> Check:
    """The EoS claim on one run: pass when :func:`classify_eos` says ``eos``, fail on ``not-eos``.

    Margin: distance of the tail median to the nearer band edge (pass), or how far below ``below``
    it lies (fail; -inf for a divergence).
    """
    kind, fig = classify_eos(run, band, below, tail)
    med = fig.get("ratio_median", math.nan)
    if kind == "eos":
        return holds(True, min(med - band[0], band[1] - med), **fig, call=kind)
    if kind == "not-eos":
        return fail(-math.inf if run.outcome == "diverged" else med - below, **fig, call=kind)
    return inconclusive(fig["why"], **fig, call=kind)


def no_edge_of_stability(run: RunResult, band: tuple[float, float] = EOS_BAND, below: float = BELOW_EOS,
                         tail: float = TAIL) -> Check:
    """The no-EoS claim on one run: pass on ``not-eos`` (tail median <= ``below``, or diverged),
    fail on ``eos``, inconclusive in between (e.g. a run hovering at 0.92 is near the edge)."""
    kind, fig = classify_eos(run, band, below, tail)
    med = fig.get("ratio_median", math.nan)
    if kind == "not-eos":
        return holds(True, math.inf if run.outcome == "diverged" else below - med, **fig, call=kind)
    if kind == "eos":
        return fail(below - med, **fig, call=kind)
    return inconclusive(fig["why"], **fig, call=kind)


def sharpness_slope(runs: Sequence[RunResult], split: float = SLOPE_SPLIT, min_runs: int = MIN_GRID_RUNS,
                    min_span: float = MIN_H_SPAN, tail: float = TAIL) -> Check:
    """No EoS over a grid: the final sharpness does not follow 2/h but stays (nearly) independent of h.

    Least-squares slope b of log(tail median S) on log h over the settled (non-diverged) runs:
    EoS predicts b = −1 (S = 2/h at every h), an h-independent sharpness b = 0.  Pass (not EoS)
    when b > ``split``, fail when b <= ``split``; inconclusive with fewer than ``min_runs``
    settled runs or when their h span less than a ratio ``min_span``.  Diverged runs are not EoS
    and are listed, not fitted.  A single run's S·h/2 near 1 cannot pass as EoS here: at a fixed
    sharpness, S·h/2 grows in proportion to h and crosses 1 by coincidence.
    """
    ordered = sorted(runs, key=lambda r: r.lr)
    series = [{"lr": r.lr, "s0_lr_over_2": _s0_ratio(r), "outcome": r.outcome,
               "sharpness_tail": tail_sharpness(r, tail), "ratio_median": tail_ratio(r, tail)} for r in ordered]
    settled = [(float(r.lr), float(tail_sharpness(r, tail))) for r in ordered
               if r.outcome != "diverged" and tail_sharpness(r, tail) > 0]   # (h, tail sharpness)
    figures = {"split": split, "min_runs": min_runs, "min_span": min_span, "tail": tail, "series": series}
    if len(settled) < min_runs:
        return inconclusive(f"{len(settled)} settled run(s); need {min_runs}", **figures)
    span = settled[-1][0] / settled[0][0]
    if span < min_span:
        return inconclusive(f"settled runs span h by {span:.3g}x; need {min_span}x", **figures, h_span=span)
    xs = [math.log(h) for h, _ in settled]
    ys = [math.log(s) for _, s in settled]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    slope = sum((a - mx) * (b - my) for a, b in zip(xs, ys, strict=True)) / sum((a - mx) ** 2 for a in xs)
    return holds(slope > split, slope - split, **figures, slope=slope, h_span=span)


def catapult(run: RunResult, factor: float = 2.0) -> Check:
    """Catapult: the loss rises above ``factor``·L0, then falls below L0 (later in the run)."""
    loss = run.history["loss"]
    l0 = loss[0]
    finite = [(v, t) for t, v in enumerate(loss) if math.isfinite(v)]
    peak, t_peak = max(finite)
    after = [v for v in loss[t_peak:] if math.isfinite(v)]
    low = min(after)
    figures = {"lr": run.lr, "s0_lr_over_2": _s0_ratio(run), "factor": factor, "loss_start": l0,
               "loss_max": peak, "step_of_max": t_peak,
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
    figures = {"lr": run.lr, "s0_lr_over_2": _s0_ratio(run), "gap_start": g0, "gap_final": g1,
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


def gap_widens_with_lr(runs: Sequence[RunResult], tolerance: float = WIDEN_TOLERANCE,
                       min_runs: int = MIN_GRID_RUNS, tail: float = TAIL) -> Check:
    """Limit below EoS as a trend: the tail gap 1 − (tail median of S·h/2) grows with h.

    Over the runs sorted by h: every run settles (not diverged, loss below its start), the gap
    never shrinks by more than ``tolerance`` from one h to the next (monotone within the
    tolerance), and it grows by more than ``tolerance`` from the smallest to the largest h.  A
    diverged run or fewer than ``min_runs`` settled runs is inconclusive; a single ratio under 1
    proves nothing here.  (An earlier clause, "the largest h ends at S·h/2 <= 0.9", was dropped:
    the authors' CIFAR-10 runs widen from 0.990 to 0.933 and never go below 0.9.)
    """
    ordered = sorted(runs, key=lambda r: r.lr)
    series: list[dict[str, Any]] = [
        {"lr": r.lr, "s0_lr_over_2": _s0_ratio(r), "outcome": r.outcome, "ratio_median": tail_ratio(r, tail),
         "gap": 1 - tail_ratio(r, tail), "loss_start": r.history["loss"][0], "loss_final": r.history["loss"][-1]}
        for r in ordered]
    figures = {"tolerance": tolerance, "tail": tail, "series": series}
    settled = [x for x in series if x["outcome"] != "diverged" and math.isfinite(x["gap"])
               and x["loss_final"] < x["loss_start"]]
    if len(settled) < len(series) or len(settled) < min_runs:
        return inconclusive(f"{len(series) - len(settled)} run(s) did not settle; need {min_runs} settled runs",
                            **figures)
    gaps = [x["gap"] for x in settled]
    worst_drop = max((a - b for a, b in itertools.pairwise(gaps)), default=0.0)
    growth = gaps[-1] - gaps[0]
    margin = min(tolerance - worst_drop, growth - tolerance)
    return holds(worst_drop <= tolerance and growth > tolerance, margin, **figures,
                 worst_drop=worst_drop, growth=growth)


def divergence(run: RunResult) -> Check:
    """The run diverged (non-finite loss or a loss beyond the bound)."""
    return holds(run.outcome == "diverged", 1.0 if run.outcome == "diverged" else -1.0,
                 lr=run.lr, outcome=run.outcome, reason=run.reason, steps_run=run.steps_run)
