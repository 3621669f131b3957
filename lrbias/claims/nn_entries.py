"""The neural-network claims as catalogue entries: the adapter from an :class:`~lrbias.claims.nn.NNClaim`.

An NN claim's single case is its grid names; its conclusion trains the grids once per process
(:func:`lrbias.claims.nn.trained_grid`) and decides the claim on them; its mutant "the loss
vanishes" (every run ends below 1e-6 of its starting loss) must be refuted by the measured runs;
its rival is decided on the trained grids and confirmed by re-training the refuting runs in
float64 (:func:`lrbias.claims.nn.confirm_rival`); its budget check re-trains the grids with a
multiple of their steps.  :func:`nn_group` declares a whole group of NN claims.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

from hypothesis import strategies as st

from lrbias.claims.entry import Conclusion, Entry, Mutant
from lrbias.claims.group import Group
from lrbias.claims.nn import NNClaim, Results, Rival, confirm_rival, longer, trained_grid
from lrbias.verdict import Check, holds

__all__ = ["NN_ENGINE", "nn_entry", "nn_group"]

NN_ENGINE = "torch (CPU, float32, HVP-Lanczos sharpness)"


def _results(claim: NNClaim) -> Results:
    return {g.name: trained_grid(g) for g in claim.grids}


def _loss_vanishes(claim: NNClaim) -> Conclusion:
    def check(_case: object) -> Check:
        runs = [r for g in claim.grids for r in trained_grid(g)]
        ratios = [r.history["loss"][-1] / r.history["loss"][0] for r in runs]
        worst = max(ratios) if all(math.isfinite(v) for v in ratios) else math.inf
        return holds(worst < 1e-6, -math.log10(worst / 1e-6) if math.isfinite(worst) else -math.inf,
                     final_over_start=worst)
    return check


def _rival(rival: Rival) -> Mutant:
    """The rival as the catalogue searches it: decided on the trained grids, confirmed in float64."""
    def trained() -> Results:
        return {g.name: trained_grid(g) for g in rival.grids}
    return Mutant("rival", rival.statement, lambda _case: rival.check(trained()),
                  st.just(tuple(g.name for g in rival.grids)),
                  confirm=lambda _case: confirm_rival(rival, trained()))


def _rebudget(claim: NNClaim) -> Callable[[object, int], Check]:
    """The claim decided on its grids trained with ``factor`` × the steps (the runner's budget check)."""
    def check(_case: object, factor: int) -> Check:
        return claim.check({g.name: trained_grid(longer(g, int(factor))) for g in claim.grids})
    return check


def nn_entry(claim: NNClaim, figures: Sequence[str] = ()) -> Entry:
    """The catalogue entry of ``claim`` (see the module docstring)."""
    return Entry(
        id=claim.id,
        title=claim.title,
        statement=claim.statement + (f" Thresholds (ours): {claim.thresholds}." if claim.thresholds else ""),
        latex="",
        provenance=claim.provenance,
        hypotheses=st.just(tuple(g.name for g in claim.grids)),
        conclusion=lambda _case, c=claim: c.check(_results(c)),
        engine=NN_ENGINE,
        examples_scale=0.0,
        mutants=(Mutant("loss-vanishes", "every run ends below 1e-6 of its starting loss", _loss_vanishes(claim)),),
        assumptions="; ".join(f"{g.name}: {g.describe()}" for g in claim.grids),
        fails_if=claim.fails_if,
        rival=None if claim.rival is None else _rival(claim.rival),
        rebudget=_rebudget(claim),
        figures=tuple(figures),
    )


def nn_group(*, name: str, title: str, claims: Sequence[NNClaim], known_findings: Mapping[str, str] | None = None,
             figures: Sequence[str] = ("nn",)) -> Group:
    """A declared group of NN claims: their entries, the NN figure, their known findings and the claims themselves."""
    claims = tuple(claims)
    return Group(name, title, tuple(nn_entry(c) for c in claims), figures=tuple(figures),
                 known_findings=dict(known_findings or {}), nn_claims=claims)
