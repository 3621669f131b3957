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
"""Tail median of S·h/2 inside this band (with 2/h reached from below, loss falling): EoS."""
BELOW_EOS = 0.9
"""Tail median of S·h/2 at or below this (or a divergence): not EoS.  Between: inconclusive."""
TAIL = 0.25
"""The last window: this fraction of the run's steps."""


def _s0_ratio(run: RunResult) -> float:
    """S0·h/2: the run's learning rate as a multiple of 2/S0 (NaN when S0 was not measured)."""
    return run.meta.get("s0", math.nan) * run.lr / 2


def _tail_ratios(run: RunResult, tail: float) -> list[float]:
    """S·h/2 at the sharpness measurements in the last ``tail`` fraction of the run (finite only)."""
    first = run.steps_run * (1 - tail)
    return [s * run.lr / 2 for t, s in zip(run.sharpness_steps, run.top_sharpness, strict=True)
            if t >= first and math.isfinite(s)]


def tail_ratio(run: RunResult, tail: float = TAIL) -> float:
    """Median of S·h/2 over the last ``tail`` of the run (NaN without a finite measurement)."""
    ratios = _tail_ratios(run, tail)
    return statistics.median(ratios) if ratios else math.nan


def _reached_from_below(run: RunResult) -> bool:
    """The trace crosses 2/h upwards: a measurement with S·h/2 < 1, then a later one with S·h/2 >= 1.

    (A first version asked for a value under the band's lower edge first; sampled every 75
    steps it missed the catapult dip of Huber + ReLU, 1.4 → 0.951 → 1.012, so it judged a
    sampling artefact.  The crossing of 2/h itself is what "reached from below" says.)
    """
    seen_below = False
    for s in run.top_sharpness:
        if not math.isfinite(s):
            continue
        r = s * run.lr / 2
        if r < 1:
            seen_below = True
        elif seen_below:
            return True
    return False


def _loss_falling(run: RunResult, tail: float) -> tuple[bool, float, float]:
    """Mean loss over the last window below the mean over the window before it (EoS: non-monotone,
    falling on average); returns (falling, mean before, mean last)."""
    loss = [v for v in run.history["loss"] if math.isfinite(v)]
    w = max(1, int(len(loss) * tail))
    last, before = loss[-w:], loss[-2 * w:-w] or loss[:1]
    m_last, m_before = statistics.fmean(last), statistics.fmean(before)
    return m_last < m_before, m_before, m_last


def classify_eos(run: RunResult, band: tuple[float, float] = EOS_BAND, below: float = BELOW_EOS,
                 tail: float = TAIL) -> tuple[str, dict]:
    """``'eos'``, ``'not-eos'`` or ``'inconclusive'`` for one run, with the figures behind it.

    eos: the tail median of S·h/2 lies in ``band``, the trace reached 2/h from below (a measurement
    with S·h/2 < 1 followed by one at or above 1), and the loss still falls on average (mean
    over the last window below the window before).  not-eos: the run diverged, or the tail median
    is at most ``below``.  Everything else (a tail median in (below, band[0]) or above band[1],
    or in the band without the other two signs) is inconclusive: never a pass for either claim.
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
    from_below = _reached_from_below(run)
    falling, m_before, m_last = _loss_falling(run, tail)
    figures.update(ratio_median=med, ratio_min=min(ratios), ratio_max=max(ratios),
                   reached_from_below=from_below, loss_falling=falling, loss_mean_before=m_before,
                   loss_mean_last=m_last, sharpness_final=run.top_sharpness[-1],
                   lanczos_residual_max=max((r for r in run.meta.get("lanczos_residual", [])
                                             if math.isfinite(r)), default=math.nan))
    if med <= below:
        return "not-eos", {**figures, "why": f"tail median {med:.4g} <= {below}"}
    if lo <= med <= hi and from_below and falling:
        return "eos", {**figures, "why": f"tail median {med:.4g} in [{lo}, {hi}], reached from below, loss falling"}
    missing = [w for w, ok in (("tail median in the band", lo <= med <= hi), ("reached from below", from_below),
                               ("loss falling", falling)) if not ok]
    return "inconclusive", {**figures, "why": f"tail median {med:.4g}: not " + ", not ".join(missing)}


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


def gap_widens_with_lr(runs: Sequence[RunResult], tolerance: float = 0.01, min_runs: int = 3,
                       tail: float = TAIL) -> Check:
    """Limit below EoS as a trend: the tail gap 1 − (tail median of S·h/2) grows with h.

    Over the runs sorted by h: every run settles (not diverged, loss below its start), the gap
    never shrinks by more than ``tolerance`` from one h to the next (monotone within the
    tolerance), and it grows by more than ``tolerance`` from the smallest to the largest h, and
    the largest-h run ends below EoS (tail median <= :data:`BELOW_EOS`).  A diverged run or fewer
    than ``min_runs`` settled runs is inconclusive; a single ratio under 1 proves nothing here.
    """
    ordered = sorted(runs, key=lambda r: r.lr)
    series: list[dict[str, Any]] = [
        {"lr": r.lr, "s0_lr_over_2": _s0_ratio(r), "outcome": r.outcome, "ratio_median": tail_ratio(r, tail),
         "gap": 1 - tail_ratio(r, tail), "loss_start": r.history["loss"][0], "loss_final": r.history["loss"][-1]}
        for r in ordered]
    figures = {"tolerance": tolerance, "tail": tail, "below": BELOW_EOS, "series": series}
    settled = [x for x in series if x["outcome"] != "diverged" and math.isfinite(x["gap"])
               and x["loss_final"] < x["loss_start"]]
    if len(settled) < len(series) or len(settled) < min_runs:
        return inconclusive(f"{len(series) - len(settled)} run(s) did not settle; need {min_runs} settled runs",
                            **figures)
    gaps = [x["gap"] for x in settled]
    worst_drop = max((a - b for a, b in itertools.pairwise(gaps)), default=0.0)
    growth = gaps[-1] - gaps[0]
    end_below = settled[-1]["ratio_median"] <= BELOW_EOS
    margin = min(tolerance - worst_drop, growth - tolerance, BELOW_EOS - settled[-1]["ratio_median"])
    return holds(worst_drop <= tolerance and growth > tolerance and end_below, margin, **figures,
                 worst_drop=worst_drop, growth=growth, largest_h_below=end_below)


def divergence(run: RunResult) -> Check:
    """The run diverged (non-finite loss or a loss beyond the bound)."""
    return holds(run.outcome == "diverged", 1.0 if run.outcome == "diverged" else -1.0,
                 lr=run.lr, outcome=run.outcome, reason=run.reason, steps_run=run.steps_run)
