"""The (κ, dor) phase diagram: outcome shares, median limiting ratio, catapult share and balancing
strength per family and κ, from the same batched sweeps the batch claims use."""

from __future__ import annotations

import numpy as np

from lrbias.claims import batch as B
from lrbias.gd import Outcome
from lrbias.losses.families import get_family
from lrbias.losses.regularity import degree_of_regularity

PHASE_FAMILIES = ("softplus-pair:a=0.25", "softplus-pair:a=0.5", "softplus-pair:a=1", "logcosh",
                  "square", "quartic", "power:b=3")
PHASE_KAPPAS = (0.5, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0)


def _median(values: np.ndarray) -> float | None:
    values = values[np.isfinite(values)]
    return float(np.median(values)) if values.size else None


def compute_phase_diagram(n: int = 300, seed: int = 0, families=PHASE_FAMILIES, kappas=PHASE_KAPPAS) -> dict:
    """Rows ordered by dor; each cell summarises one sweep of ``n`` starts."""
    rows = []
    for spec in families:
        dor = degree_of_regularity(get_family(spec)).value
        cells = []
        for kappa in kappas:
            b = B.sweep(spec, float(kappa), seed, n)
            conv = b.mask(Outcome.CONVERGED)
            d0 = np.abs(b.x0**2 - b.y0**2)
            with np.errstate(all="ignore"):
                cells.append({
                    "kappa": kappa, **b.shares(),
                    "ratio_median": _median(b.ratio[conv]),
                    "catapult_share": float((b.fmax_ratio[conv] > 1).mean()) if conv.any() else None,
                    "imbalance_median": _median(np.abs(b.imbalance[conv]) / d0[conv]),
                })
        rows.append({"spec": spec, "dor": dor, "cells": cells})
    rows.sort(key=lambda r: r["dor"])
    return {"kappas": list(kappas), "n": n, "seed": seed, "steps": B.STEPS, "rows": rows}
