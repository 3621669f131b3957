"""The (κ, dor) phase diagram: outcome shares, median limiting ratio, catapult share and balancing
strength per family and κ, from the same batched sweeps the batch claims use (box starts).

The families are the catalogue's: each group declares the rows it adds (``Group.phase_families``,
:func:`phase_families`), so a variant's families get their rows."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from lrbias.claims import sweeps
from lrbias.claims.group import Group
from lrbias.gd.stats import phase_cell
from lrbias.losses.families import get_family
from lrbias.losses.regularity import degree_of_regularity

PHASE_KAPPAS = (0.5, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0)


def phase_families(groups: Iterable[Group]) -> tuple[str, ...]:
    """The phase-diagram rows the groups declare, each once, in catalogue order."""
    return tuple(dict.fromkeys(f for g in groups for f in g.phase_families))


def compute_phase_diagram(families: Sequence[str], n: int = 300, seed: int = 0,
                          kappas: Sequence[float] = PHASE_KAPPAS) -> dict[str, Any]:
    """Rows ordered by dor; each cell (:func:`lrbias.gd.stats.phase_cell`) summarises one sweep of ``n`` starts."""
    rows: list[dict[str, Any]] = []
    for spec in families:
        dor = degree_of_regularity(get_family(spec)).value
        cells = [phase_cell(sweeps.sweep(spec, float(kappa), seed, n), kappa) for kappa in kappas]
        rows.append({"spec": spec, "dor": dor, "cells": cells})
    rows.sort(key=lambda r: r["dor"])
    return {"kappas": list(kappas), "n": n, "seed": seed, "steps": sweeps.STEPS, "starts": "box", "rows": rows}
