"""The float-artefact check: re-run the float64 verdicts that sit near a boundary in mpmath.

A float64 verdict is suspect when the run ends near a boundary of the decision rules: the
ratio S∞·h/2 within ``ratio_band`` of 1 (edge of the stability cap), a start within
``line_rtol`` of an invariant line y = ±x (where rounding alone can leave or keep the line),
a huge transient (|s| beyond ``transient`` along the way, where float64 loses the small terms),
or an undecided run.  Each suspect is re-run with adaptive precision (``run_auto``) and the
outcomes are compared.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..families import Family
from .batched import BatchResult
from .outcome import Outcome, Settings
from .scalar import run_auto


@dataclass
class ArtefactReport:
    """How many suspects were re-run, how many agreed, and the flips (index, float, precise)."""

    suspects: int
    checked: int
    agreements: int
    flips: list[dict] = field(default_factory=list)
    reasons: dict[str, int] = field(default_factory=dict)
    skipped: int = 0

    def as_dict(self) -> dict:
        """JSON-safe dictionary."""
        return {"suspects": self.suspects, "checked": self.checked, "agreements": self.agreements,
                "flips": self.flips, "reasons": self.reasons, "skipped": self.skipped}


def suspects(batch: BatchResult, ratio_band: float = 1e-3, line_rtol: float = 1e-8,
             transient: float = 1e8) -> dict[str, np.ndarray]:
    """Boolean masks (shape (n,)) of the runs near each boundary."""
    scale = np.abs(batch.x0) + np.abs(batch.y0)
    with np.errstate(invalid="ignore"):
        near_cap = batch.mask(Outcome.CONVERGED) & (np.abs(batch.ratio - 1) < ratio_band)
    near_line = (np.minimum(np.abs(batch.x0 - batch.y0), np.abs(batch.x0 + batch.y0)) <= line_rtol * scale)
    huge = np.nan_to_num(batch.smax, nan=np.inf) > transient
    undecided = batch.mask(Outcome.UNDECIDED)
    return {"ratio-near-1": near_cap, "near-invariant-line": near_line, "huge-transient": huge & ~batch.mask(Outcome.DIVERGED),
            "undecided": undecided}


def float_artefact_check(family: Family, batch: BatchResult, limit: int = 200,
                         settings: Settings | None = None, budget_s: float = 30.0,
                         **suspect_kw) -> ArtefactReport:
    """Re-run up to ``limit`` suspects of ``batch`` at adaptive precision and count the flips.

    Suspects are taken in order of the boundary they sit on (ratio near 1, near an invariant
    line, huge transient, then undecided, the costliest to re-run); once ``budget_s`` seconds
    are spent the rest are counted as ``skipped``, never as agreements.
    """
    masks = suspects(batch, **suspect_kw)
    order: list[int] = []
    seen = np.zeros(len(batch), dtype=bool)
    for m in masks.values():
        new = np.flatnonzero(m & ~seen)
        order.extend(int(i) for i in new)
        seen |= m
    st = settings or batch.settings
    report = ArtefactReport(len(order), 0, 0, reasons={k: int(m.sum()) for k, m in masks.items()})
    started = time.perf_counter()
    for i in order[:limit]:
        if time.perf_counter() - started > budget_s:
            break
        report.checked += 1
        precise = run_auto(family, float(batch.x0[i]), float(batch.y0[i]), float(batch.h[i]), st)
        float_outcome = str(Outcome(int(batch.outcome[i])))
        if precise.outcome == float_outcome:
            report.agreements += 1
        else:
            report.flips.append({"index": int(i), "x0": float(batch.x0[i]), "y0": float(batch.y0[i]),
                                 "h": float(batch.h[i]), "float64": float_outcome,
                                 "precise": precise.outcome, "precision": precise.precision,
                                 "reason": precise.reason})
    report.skipped = report.suspects - report.checked
    return report
