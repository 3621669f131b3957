"""The (κ, start imbalance) phase map: what a start's imbalance |d0|/q0 does at each κ, per family.

From shell starts (q0 fixed, the angle uniform: :mod:`lrbias.claims.starts`) the step h = κ/(ℓ″(1)q0)
is the same for every start, so binning the runs of one sweep by |d0|/q0 = |cos 2θ| isolates the
start imbalance.  Each cell gives the share of its runs that converge, the median limiting ratio
S∞·h/2 of the converged ones and the share that converge at the edge of stability (ratio ≥ 0.7):
the paper's "larger set of initial conditions" for good regularity is the EoS share, compared
across families at equal κ and start distribution.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from lrbias.claims import sweeps
from lrbias.claims.starts import SHELL_Q0, start_imbalance
from lrbias.claims.statistics import eos_runs
from lrbias.gd import BatchResult
from lrbias.losses.families import get_family
from lrbias.losses.regularity import degree_of_regularity

__all__ = ["MAP_BINS", "MAP_FAMILIES", "MAP_KAPPAS", "compute_start_phase_map"]

MAP_FAMILIES = ("softplus-pair:a=0.5", "softplus-pair:a=1", "logcosh", "square", "power:b=3")
MAP_KAPPAS = (1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 6.0, 8.0)
MAP_BINS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)


def _cell(b: BatchResult, rows: np.ndarray) -> dict[str, Any]:
    if not rows.any():
        return {"runs": 0, "converged": None, "ratio_median": None, "eos": None}
    conv = sweeps.converged(b) & rows
    ratios = b.ratio[conv]
    return {"runs": int(rows.sum()), "converged": float(conv.sum() / rows.sum()),
            "ratio_median": float(np.median(ratios)) if ratios.size else None,
            "eos": float((eos_runs(b) & rows).sum() / rows.sum())}


def compute_start_phase_map(n: int = 300, seed: int = 0, families: Sequence[str] = MAP_FAMILIES,
                            kappas: Sequence[float] = MAP_KAPPAS, bins: Sequence[float] = MAP_BINS,
                            starts: str = "shell") -> dict[str, Any]:
    """Per family, a grid [bin][κ] of cells (runs, converged, ratio_median, eos) from one sweep per κ."""
    edges = np.asarray(bins, dtype=float)
    out = []
    for spec in families:
        grid: list[list[dict[str, Any]]] = [[] for _ in range(len(edges) - 1)]
        for kappa in kappas:
            b = sweeps.sweep(spec, float(kappa), seed, n, starts)
            which = np.clip(np.searchsorted(edges, start_imbalance(b.x0, b.y0), side="right") - 1, 0, len(edges) - 2)
            for i in range(len(edges) - 1):
                grid[i].append(_cell(b, which == i))
        out.append({"spec": spec, "dor": degree_of_regularity(get_family(spec)).value, "cells": grid})
    return {"kappas": list(kappas), "bins": list(bins), "n": n, "seed": seed, "starts": starts,
            "q0": SHELL_Q0 if starts == "shell" else None, "steps": sweeps.STEPS, "families": out}
