"""The float-artefact check: confirm the float64 verdicts that sit near a boundary at higher precision.

A float64 verdict is suspect when the run ends near a boundary of the decision rules: the
ratio S∞·h/2 within ``ratio_band`` of 1 (edge of the stability cap), a start within
``line_rtol`` of an invariant line y = ±x (where rounding alone can leave or keep the line),
a huge transient (the largest excess loss ℓ(s) − ℓ(1) along the run beyond its value at
|s| = ``transient``, so |s| passed ``transient``, where float64 loses the small terms),
or an undecided run.  Every suspect goes through the tiers of :mod:`lrbias.gd.tiers`: all are
re-run in quad (binary128, batched); those where float64 and quad disagree (same outcome;
converged runs also the same final point, :func:`agree`) are escalated to mpmath ``auto``.  A
confirmed verdict that differs from float64's is a *flip*.  Suspects are taken in that order of
kinds (undecided runs last: they cost the whole step budget) until ``budget_s`` seconds are
spent (``limit`` bounds the mpmath escalations); the rest are counted as ``skipped``, never as
agreements.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lrbias.gd.outcome import Outcome, Settings
from lrbias.gd.vectorised import BatchResult
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
    coverage: dict[str, Any] = field(default_factory=dict)
    tiers: list[str] = field(default_factory=list)

    @property
    def flipped(self) -> list[int]:
        """Batch indices whose float64 verdict did not survive high precision."""
        return [f["index"] for f in self.flips]

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe dictionary."""
        return {"suspects": self.suspects, "checked": self.checked, "agreements": self.agreements,
                "flipped": self.flipped, "flips": self.flips, "reasons": self.reasons,
                "skipped": self.skipped, "inconclusive": self.inconclusive, "coverage": self.coverage}


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
                         max_dps: int = CHECK_MAX_DPS,
                         progress: Callable[[int, int], None] | None = None,
                         **suspect_kw: float) -> ArtefactReport:
    """Confirm every suspect of ``batch`` through the tiers (:func:`lrbias.gd.tiers.confirm`).

    The quad tier re-runs every suspect, batched; at most ``limit`` of them (those float64 and
    quad disagree on) are escalated to mpmath ``auto`` (up to ``max_dps`` digits), within
    ``budget_s`` seconds for the whole check.  The tiers compare final points to
    :func:`lrbias.gd.tiers.point_rtol` of the coarser number type.  A run whose
    mpmath precisions never agreed counts as ``inconclusive`` (neither agreement nor flip);
    ``report.coverage`` holds the tiers' figures.  ``progress(done, total)`` is called as the
    tiers advance.
    """
    from lrbias.gd import tiers

    masks = suspects(batch, **suspect_kw)
    order: list[int] = []
    seen = np.zeros(len(batch), dtype=bool)
    for m in masks.values():
        new = np.flatnonzero(m & ~seen)
        order.extend(int(i) for i in new)
        seen |= m
    st = settings or batch.settings
    report = ArtefactReport(len(order), reasons={k: int(m.sum()) for k, m in masks.items()})
    fast = batch.records(np.asarray(order, dtype=np.int64)) if order else []
    cov, results = tiers.confirm(family, [float(batch.x0[i]) for i in order], [float(batch.y0[i]) for i in order],
                                 [float(batch.h[i]) for i in order], fast, st, budget_s=budget_s,
                                 max_dps=max_dps, progress=progress, escalation_limit=limit)
    for flip in cov.flips:
        flip["index"] = order[flip["index"]]
    report.checked = cov.confirmed + cov.inconclusive
    report.agreements = cov.confirmed - len(cov.flips)
    report.inconclusive = cov.inconclusive
    report.flips = cov.flips
    report.skipped = report.suspects - report.checked
    report.coverage = cov.as_dict()
    report.tiers = [r.tier for r in results]
    return report
