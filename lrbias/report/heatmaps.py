"""Heat maps of the (κ, start imbalance |d0|/q0) phase map, one figure per family, beside the (κ, dor) diagram.

Each figure has three panels over κ (columns) and |d0|/q0 bins (rows): the share of starts that
converge, the median limiting ratio S∞·h/2 of the converged runs, and the share that converge at
the edge of stability.  The data come from ``extras["start_phase_map"]``
(:func:`lrbias.claims.phasemap.compute_start_phase_map`).
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable
from typing import Any

import numpy as np

from lrbias.report.figures import _svg, plt

__all__ = ["figure_jobs", "start_phase_figure"]

PANELS = (("converged", "share converged", "viridis"),
          ("ratio_median", "median S∞·h/2 (1 = edge)", "magma"),
          ("eos", "share at the edge (S∞·h/2 ≥ 0.7)", "cividis"))


def _grid(cells: list[list[dict]], key: str) -> np.ndarray:
    return np.array([[np.nan if c[key] is None else c[key] for c in row] for row in cells], dtype=float)


def start_phase_figure(phase_map: dict[str, Any], index: int) -> tuple[str, str]:
    """The three heat maps of family ``index`` of ``phase_map``; (svg, alt)."""
    fam = phase_map["families"][index]
    kappas, bins = phase_map["kappas"], phase_map["bins"]
    labels = [f"{lo:g}–{hi:g}" for lo, hi in itertools.pairwise(bins)]
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.4), sharey=True, layout="constrained")
    for ax, (key, title, cmap) in zip(axes, PANELS, strict=True):
        data = _grid(fam["cells"], key)
        im = ax.imshow(data, aspect="auto", cmap=cmap, vmin=0, vmax=1, origin="lower")
        ax.set_xticks(range(len(kappas)), [f"{k:g}" for k in kappas])
        ax.set_yticks(range(len(labels)), labels)
        ax.set(xlabel="κ = C·ℓ″(1)", title=title)
        ax.grid(False)
        for i in range(data.shape[0]):
            for j in range(data.shape[1]):
                if np.isfinite(data[i, j]):
                    ax.text(j, i, f"{data[i, j]:.2f}", ha="center", va="center", fontsize=7.5,
                            color="w" if data[i, j] < 0.6 else "k")
        fig.colorbar(im, ax=ax, shrink=0.8)
    axes[0].set_ylabel("start imbalance |d0|/q0")
    fig.suptitle(f"{fam['spec']} (dor {fam['dor']:.3g}), {phase_map['starts']} starts", fontsize=10)
    alt = (f"Heat maps for {fam['spec']} over kappa and the start imbalance |d0|/q0 ({phase_map['starts']} starts, "
           f"{phase_map['n']} per kappa): share converged, median limiting ratio, share at the edge of stability.")
    return _svg(fig), alt


def figure_jobs(extras: dict[str, Any]) -> list[tuple[str, str, Callable[[], tuple[str, str]]]]:
    """(name, caption, draw) for each family of the start phase map (none when it was not computed)."""
    phase_map = extras.get("start_phase_map")
    if not phase_map:
        return []
    q0 = f", q0 = {phase_map['q0']:g}" if phase_map.get("q0") else ""
    return [(f"start-map-{i}",
             f"{fam['spec']}: share converged, median ratio and share at the edge over (κ, |d0|/q0), "
             f"{phase_map['starts']} starts{q0}, {phase_map['n']} runs per κ, {phase_map['steps']} steps. "
             "Compare the right panel across families at equal κ: the measure of starts that reach the edge.",
             functools.partial(start_phase_figure, phase_map, i))
            for i, fam in enumerate(phase_map["families"])]
