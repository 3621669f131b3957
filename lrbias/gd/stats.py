"""The figures of one batched run (:class:`BatchResult`): quantiles, the sweep summary, a phase cell.

Every figure beyond the outcome shares is taken over the converged runs (the others have no
limiting point) and ignores non-finite values; a figure over no values is None, never NaN.
``lrbias sweep`` prints :func:`sweep_summary`; the (κ, dor) phase diagram is a grid of
:func:`phase_cell`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lrbias.gd.artefacts import ArtefactReport
from lrbias.gd.outcome import Outcome
from lrbias.gd.vectorised import BatchResult

QUANTILES = (0.05, 0.5, 0.95)


def _finite(values: np.ndarray) -> np.ndarray:
    return values[np.isfinite(values)]


def quantiles(values: np.ndarray) -> dict[str, float] | None:
    """{"q05", "q50", "q95"} of the finite ``values`` (None when there are none)."""
    values = _finite(np.asarray(values, dtype=float))
    if values.size == 0:
        return None
    q = np.quantile(values, QUANTILES)
    return {"q05": float(q[0]), "q50": float(q[1]), "q95": float(q[2])}


def median(values: np.ndarray) -> float | None:
    """The median of the finite ``values`` (None when there are none)."""
    values = _finite(np.asarray(values, dtype=float))
    return float(np.median(values)) if values.size else None


def imbalance_ratio(batch: BatchResult) -> np.ndarray:
    """|x∞² − y∞²| / |x0² − y0²| per run: how much of the start's imbalance is left (NaN: no value)."""
    with np.errstate(all="ignore"):
        return np.abs(batch.imbalance) / np.abs(batch.x0**2 - batch.y0**2)


def catapult_share(batch: BatchResult) -> float | None:
    """Share of the converged runs whose loss rose above its start (f_max > f0); None if none converged."""
    conv = batch.mask(Outcome.CONVERGED)
    if not conv.any():
        return None
    with np.errstate(invalid="ignore"):
        return float((batch.fmax_ratio[conv] > 1).mean())


def sweep_summary(batch: BatchResult, artefacts: ArtefactReport | None = None) -> dict[str, Any]:
    """The figures of a sweep: outcome shares, quantiles over converged runs, the artefact check."""
    conv = batch.mask(Outcome.CONVERGED)
    return {
        "shares": batch.shares(),
        "ratio_quantiles": quantiles(batch.ratio[conv]),
        "catapult_share": catapult_share(batch),
        "fmax_ratio_quantiles": quantiles(batch.fmax_ratio[conv]),
        "final_imbalance_quantiles": quantiles(np.abs(batch.imbalance[conv])),
        "imbalance_ratio_quantiles": quantiles(imbalance_ratio(batch)[conv]),
        "steps_quantiles": quantiles(batch.steps[conv].astype(float)),
        "float_artefact_check": artefacts.as_dict() if artefacts is not None else None,
    }


def phase_cell(batch: BatchResult, kappa: float) -> dict[str, Any]:
    """One cell of the phase diagram: κ, the outcome shares, the median limiting ratio S∞h/2, the
    catapult share and the median imbalance ratio (over converged runs)."""
    conv = batch.mask(Outcome.CONVERGED)
    return {"kappa": kappa, **batch.shares(),
            "ratio_median": median(batch.ratio[conv]),
            "catapult_share": catapult_share(batch),
            "imbalance_median": median(imbalance_ratio(batch)[conv])}
