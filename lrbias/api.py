"""The public API for users' own theory variants (the same one the built-in catalogue uses).

A variant file imports from here, declares families with :func:`register_family` and lists its
claims in ``ENTRIES``; ``lrbias check --variants FILE`` runs them beside the built-in ones.
See ``examples/huber_like_eos.py`` and the README's tutorial.
"""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import strategies as st

from lrbias.claims import batch, strategies
from lrbias.claims.core import Check, Entry, Mutant, Verdict, fail, holds, inconclusive, passed
from lrbias.claims.frontier import Frontier
from lrbias.claims.profiles import active_profile
from lrbias.gd import objective
from lrbias.losses.families import Family, get_family, register_family
from lrbias.losses.regularity import degree_of_regularity
from theorems.dynamics import (
    imbalance_shrinks,
    median_ratio_at_least,
    share_converged,
)

STATISTICS = {
    "median-ratio-at-least": median_ratio_at_least,
    "share-converged-at-least": share_converged,
    "imbalance-shrinks": imbalance_shrinks,
}


def batch_claim(id: str, title: str, statement: str, families: Sequence[str], kappa: tuple[float, float],
                statistic, mutants: Sequence[tuple[str, str, object]] = (), latex: str = "",
                provenance: str = "reconstructed", frontier: tuple[float, float] | None = None,
                assumptions: str = "") -> Entry:
    """A statistical claim over batched sweeps: ``statistic(BatchResult) -> (Check, deciding rows)``.

    Cases are (family spec, κ, seed) with the spec drawn from ``families`` and κ log-uniform in
    ``kappa``; each case is a sweep of the active profile's size over the box [0.5, 4]² with random
    signs, h = κ / (ℓ″(1)(x0² + y0²)).  ``mutants`` are (name, description, wrong statistic).
    ``frontier`` = (κ_lo, κ_hi) adds a validity frontier over that range for every family.
    """
    for spec in families:
        get_family(spec)
    hypotheses = batch.cases(st.sampled_from(list(families)), *kappa)

    def n() -> int:
        return active_profile().sweep_starts

    conclusion, confirm = batch.batch_entry_functions(statistic, n)
    muts = tuple(Mutant(name, description, batch.batch_entry_functions(wrong, n)[0])
                 for name, description, wrong in mutants)

    def predicate(spec: str, k: float, size: int, seed: int) -> Check:
        return statistic(batch.sweep(spec, float(k), seed, size))[0]

    return Entry(id=id, title=title, statement=statement, latex=latex, provenance=provenance,
                 hypotheses=hypotheses, conclusion=conclusion, confirm=confirm, replay=batch.replay,
                 engine="float64 batch", examples_scale=0.1, mutants=muts, shrink=False,
                 assumptions=assumptions or f"families {', '.join(families)}; κ in [{kappa[0]:g}, {kappa[1]:g}]",
                 frontier=Frontier(tuple(families), *frontier, predicate) if frontier else None)


__all__ = ["STATISTICS", "Check", "Entry", "Family", "Frontier", "Mutant", "Verdict", "batch_claim",
           "degree_of_regularity", "fail", "get_family", "holds", "imbalance_shrinks", "inconclusive",
           "median_ratio_at_least", "objective", "passed", "register_family", "share_converged",
           "strategies"]
