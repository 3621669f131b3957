"""The (κ, dor) phase diagram: outcome shares, median limiting ratio, catapult share and balancing
strength per family and κ, from the same batched sweeps the batch claims use (box starts)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lrbias.claims import sweeps
from lrbias.gd.stats import phase_cell
from lrbias.losses.families import get_family
from lrbias.losses.regularity import degree_of_regularity

PHASE_FAMILIES = ("softplus-pair:a=0.25", "softplus-pair:a=0.5", "softplus-pair:a=1", "logcosh",
                  "square", "quartic", "power:b=3")
PHASE_KAPPAS = (0.5, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0)


def compute_phase_diagram(n: int = 300, seed: int = 0, families: Sequence[str] = PHASE_FAMILIES,
                          kappas: Sequence[float] = PHASE_KAPPAS) -> dict[str, Any]:
    """Rows ordered by dor; each cell (:func:`lrbias.gd.stats.phase_cell`) summarises one sweep of ``n`` starts."""
    rows: list[dict[str, Any]] = []
    for spec in families:
        dor = degree_of_regularity(get_family(spec)).value
        cells = [phase_cell(sweeps.sweep(spec, float(kappa), seed, n), kappa) for kappa in kappas]
        rows.append({"spec": spec, "dor": dor, "cells": cells})
    rows.sort(key=lambda r: r["dor"])
    return {"kappas": list(kappas), "n": n, "seed": seed, "steps": sweeps.STEPS, "starts": "box", "rows": rows}
