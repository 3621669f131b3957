"""The paper's neural-network claims (lrbias.claims.nn) as catalogue entries (provenance paper).

Each entry's single case is its claim's configuration grid; the grids are trained once per
process (cached) and shared by the claims that use them.  The entries exist only when torch is
installed (the ``nn`` extra).  Mutants: "the loss vanishes" (every run ends below 1e-6 of its
starting loss within the budget), which the measured runs refute.
"""

from __future__ import annotations

import functools
import math

from hypothesis import strategies as st

from lrbias.claims.core import Check, Entry, Mutant, holds
from lrbias.claims.nn import CLAIMS, NNClaim, run_grids

KNOWN_FINDINGS = {
    "nn.bn-restores-eos": "relu³ + BatchNorm did not reach the edge of stability on the grid as tested "
                          "(digits, 1,000 steps); see the README for the settings where it does",
}


@functools.lru_cache(maxsize=16)
def grid_results(grid_name: str):
    """Train one grid (every learning rate from one shared initial state), once per process."""
    claim = next(c for c in CLAIMS if any(g.name == grid_name for g in c.grids))
    grid = next(g for g in claim.grids if g.name == grid_name)
    return run_grids([NNClaim(claim.id, claim.title, claim.statement, claim.provenance, (grid,),
                              claim.check)], overrides={"device": "cpu"})[grid_name]


def _results(claim: NNClaim) -> dict:
    return {g.name: grid_results(g.name) for g in claim.grids}


def _loss_vanishes(claim: NNClaim):
    def check(_case) -> Check:
        runs = [r for g in claim.grids for r in grid_results(g.name)]
        ratios = [r.history["loss"][-1] / r.history["loss"][0] for r in runs]
        worst = max(ratios) if all(math.isfinite(v) for v in ratios) else math.inf
        return holds(worst < 1e-6, -math.log10(worst / 1e-6) if math.isfinite(worst) else -math.inf,
                     final_over_start=worst)
    return check


def _entry(claim: NNClaim) -> Entry:
    return Entry(
        id=claim.id,
        title=claim.title,
        statement=claim.statement + (f" Thresholds (ours): {claim.thresholds}." if claim.thresholds else ""),
        latex="",
        provenance=claim.provenance,
        hypotheses=st.just(tuple(g.name for g in claim.grids)),
        conclusion=lambda _case, c=claim: c.check(_results(c)),
        engine="torch (CPU, float32, HVP-Lanczos sharpness)",
        examples_scale=0.0,
        mutants=(Mutant("loss-vanishes", "every run ends below 1e-6 of its starting loss", _loss_vanishes(claim)),),
        assumptions="; ".join(f"{g.name}: {g.base.activation}/{g.base.loss}/norm {g.base.norm}, "
                              f"lr {', '.join(map(str, g.lrs))}, {g.base.steps} steps, digits n={g.base.n}"
                              for g in claim.grids),
    )


ENTRIES: list[Entry] = [_entry(c) for c in CLAIMS]
