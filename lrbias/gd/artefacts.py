"""The float-artefact check: re-run the float64 verdicts that sit near a boundary in mpmath.

A float64 verdict is suspect when the run ends near a boundary of the decision rules: the
ratio S∞·h/2 within ``ratio_band`` of 1 (edge of the stability cap), a start within
``line_rtol`` of an invariant line y = ±x (where rounding alone can leave or keep the line),
a huge transient (the largest excess loss ℓ(s) − ℓ(1) along the run beyond its value at
|s| = ``transient``, so |s| passed ``transient``, where float64 loses the small terms),
or an undecided run.  Each suspect is re-run with adaptive precision (:func:`run_auto`) and
compared with :func:`agree` (same outcome; converged runs also the same final point).  A
disagreement is a *flip*.  Suspects are re-run in that order of kinds (undecided runs last:
they cost the whole step budget) until ``limit`` runs or ``budget_s`` seconds are spent;
the rest are counted as ``skipped``, never as agreements.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lrbias.gd.batch import BatchResult
from lrbias.gd.outcome import Outcome, Settings
from lrbias.gd.scalar import agree, run_auto
from lrbias.losses.families import Family, get_family

CHECK_MAX_DPS = 400


@dataclass
class ArtefactReport:
    """Counts of suspects, re-runs and agreements; ``flips`` lists each disagreement.

    ``flipped`` is the list of batch indices whose float64 verdict flipped; ``reasons`` counts
    suspects per kind (a run may be of several kinds); ``skipped`` suspects were not re-run.
    """

    suspects: int
    checked: int = 0
    agreements: int = 0
    flips: list[dict[str, Any]] = field(default_factory=list)
    reasons: dict[str, int] = field(default_factory=dict)
    skipped: int = 0
    inconclusive: int = 0

    @property
    def flipped(self) -> list[int]:
        """Batch indices whose float64 verdict did not survive high precision."""
        return [f["index"] for f in self.flips]

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe dictionary."""
        return {"suspects": self.suspects, "checked": self.checked, "agreements": self.agreements,
                "flipped": self.flipped, "flips": self.flips, "reasons": self.reasons,
                "skipped": self.skipped, "inconclusive": self.inconclusive}


def suspects(batch: BatchResult, ratio_band: float = 1e-3, line_rtol: float = 1e-8,
             transient: float = 1e8) -> dict[str, np.ndarray]:
    """Boolean masks (shape (n,)) of the runs near each boundary, keyed by kind."""
    scale = np.abs(batch.x0) + np.abs(batch.y0)
    with np.errstate(invalid="ignore"):
        near_cap = batch.mask(Outcome.CONVERGED) & (np.abs(batch.ratio - 1) < ratio_band)
    near_line = np.minimum(np.abs(batch.x0 - batch.y0), np.abs(batch.x0 + batch.y0)) <= line_rtol * scale
    fam = get_family(batch.family)
    with np.errstate(all="ignore"):
        far = float(np.max(fam.np.loss(np.array([-transient, transient])))) - fam.min_value
        huge = (np.nan_to_num(batch.fmax, nan=np.inf) > far) & ~batch.mask(Outcome.DIVERGED)
    return {"near-invariant-line": near_line, "ratio-near-1": near_cap, "huge-transient": huge,
            "undecided": batch.mask(Outcome.UNDECIDED)}


def float_artefact_check(family: Family, batch: BatchResult, limit: int = 200,
                         budget_s: float | None = 30.0, settings: Settings | None = None,
                         max_dps: int = CHECK_MAX_DPS, rtol: float = 1e-6,
                         progress: Callable[[int, int], None] | None = None,
                         **suspect_kw: float) -> ArtefactReport:
    """Re-run suspects of ``batch`` at adaptive precision (up to ``max_dps`` digits) and count flips.

    A precise re-run that stays undecided because its precisions never agreed counts as
    ``inconclusive`` (neither agreement nor flip).  ``progress(checked, to_check)`` is called
    after each re-run.
    """
    masks = suspects(batch, **suspect_kw)
    order: list[int] = []
    seen = np.zeros(len(batch), dtype=bool)
    for m in masks.values():
        new = np.flatnonzero(m & ~seen)
        order.extend(int(i) for i in new)
        seen |= m
    st = settings or batch.settings
    report = ArtefactReport(len(order), reasons={k: int(m.sum()) for k, m in masks.items()})
    started = time.perf_counter()
    for i in order:
        if report.checked >= limit or (budget_s is not None
                                       and time.perf_counter() - started > budget_s):
            break
        report.checked += 1
        if progress is not None:
            progress(report.checked - 1, min(limit, report.suspects))
        precise = run_auto(family, float(batch.x0[i]), float(batch.y0[i]), float(batch.h[i]), st,
                           max_dps=max_dps)
        if precise.extra.get("precision_disagreement"):
            report.inconclusive += 1
            continue
        fast = batch.records(i)[0]
        if agree(fast, precise, rtol):
            report.agreements += 1
        else:
            report.flips.append({"index": i, "x0": fast.x0, "y0": fast.y0, "h": fast.h,
                                 "float64": fast.outcome, "float64_point": [fast.x, fast.y],
                                 "precise": precise.outcome, "precise_point": [precise.x, precise.y],
                                 "precision": precise.precision, "reason": precise.reason})
    report.skipped = report.suspects - report.checked
    if progress is not None and report.suspects:
        progress(report.checked, report.checked)
    return report
