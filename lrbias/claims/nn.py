"""Machinery of the neural-network claims: grids, claim specs, combining checks, training grids.

An :class:`NNClaim` names the configuration grids it needs (:class:`Grid`: a base
:class:`~lrbias.nn.config.RunConfig` and a learning-rate list, trained from one shared initial
state) and a ``check(results)`` mapping ``{grid name: [RunResult per lr]}`` to a
:class:`~lrbias.claims.verdict.Check`.  The claims themselves (the paper's, with their grids)
are catalogue content: ``theorems/nn.py`` lists them in ``NN_CLAIMS``, and
:func:`catalogue_claims` finds every such list through the catalogue's entry points, so
``lrbias nn-grid`` and the report see exactly the claims the catalogue runs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from lrbias.claims.verdict import Check, Verdict, fail, inconclusive, passed
from lrbias.nn.config import NNConfigError, RunConfig

if TYPE_CHECKING:
    from lrbias.nn.trainer import Progress, RunResult

__all__ = ["Grid", "NNClaim", "Results", "catalogue_claims", "check_claims", "combine", "each", "get_claims",
           "grid_results", "run_grids", "train_grid", "trained_grid"]

Results = Mapping[str, Sequence["RunResult"]]


@dataclass(frozen=True)
class Grid:
    """A base configuration trained at each learning rate of ``lrs`` from one saved initial state."""

    name: str
    base: RunConfig
    lrs: tuple[float, ...]


@dataclass(frozen=True)
class NNClaim:
    """One neural-network claim: id, statement, provenance, grids, its check and its thresholds (text)."""

    id: str
    title: str
    statement: str
    provenance: str
    grids: tuple[Grid, ...]
    check: Callable[[Results], Check]
    thresholds: str = ""


def combine(checks: Iterable[Check], **detail: object) -> Check:
    """All of ``checks``: fail if any fails, inconclusive if any is, else pass (margin: the smallest)."""
    checks = list(checks)
    per_run = [{"verdict": str(c.verdict), "margin": c.margin, **c.detail} for c in checks]
    margin = min((c.margin for c in checks), default=math.inf)
    if any(c.verdict == Verdict.FAIL for c in checks):
        return fail(margin, runs=per_run, **detail)
    if not checks or any(c.verdict == Verdict.INCONCLUSIVE for c in checks):
        return inconclusive("an undecided run" if checks else "no runs", runs=per_run, **detail)
    return passed(margin, runs=per_run, **detail)


def each(grid: str, detector: Callable[[RunResult], Check]) -> Callable[[Results], Check]:
    """A claim check: ``detector`` holds on every run of ``grid`` (:func:`combine` of the runs)."""
    def check(results: Results) -> Check:
        return combine(detector(r) for r in results[grid])
    return check


def catalogue_claims() -> tuple[NNClaim, ...]:
    """The NN claims of the installed catalogue: every entry-point module's ``NN_CLAIMS``, in catalogue order."""
    from lrbias.claims.catalogue import module_attribute

    return tuple(c for claims in module_attribute("NN_CLAIMS") for c in claims)


def get_claims(selector: str, claims: Sequence[NNClaim] | None = None) -> list[NNClaim]:
    """``'all'`` or a comma-separated list of claim ids, among ``claims`` (default: the catalogue's)."""
    known = list(catalogue_claims() if claims is None else claims)
    if selector.strip() == "all":
        return known
    by_id = {c.id: c for c in known}
    wanted = [s.strip() for s in selector.split(",") if s.strip()]
    unknown = [w for w in wanted if w not in by_id]
    if unknown or not wanted:
        raise NNConfigError(f"unknown claim id(s) {', '.join(unknown) or repr(selector)}; accepted: all, "
                            + ", ".join(by_id))
    return [by_id[w] for w in wanted]


def train_grid(grid: Grid, overrides: Mapping[str, Any] | None = None,
               progress: Progress | None = None) -> list[RunResult]:
    """Train ``grid`` at each of its learning rates from one prepared initial state."""
    from lrbias.nn.trainer import prepare, train

    base = replace(grid.base, **(overrides or {}))
    prep = prepare(base)
    runs = []
    for h in grid.lrs:
        if progress is not None:
            progress(f"[{grid.name}] lr={h:g}, {base.steps} steps")
        runs.append(train(prep, lr=h, progress=progress))
    return runs


def run_grids(claims: Sequence[NNClaim], overrides: Mapping[str, Any] | None = None,
              progress: Progress | None = None) -> dict[str, list[RunResult]]:
    """Train every grid the claims need, once each; ``overrides`` replace config fields (e.g. device)."""
    out: dict[str, list[RunResult]] = {}
    for claim in claims:
        for grid in claim.grids:
            if grid.name not in out:
                out[grid.name] = train_grid(grid, overrides, progress)
    return out


def check_claims(claims: Sequence[NNClaim], results: Results) -> dict[str, Check]:
    """Each claim's verdict on the trained grids."""
    return {c.id: c.check(results) for c in claims}


_TRAINED: dict[str, tuple[RunResult, ...]] = {}


def trained_grid(grid: Grid) -> tuple[RunResult, ...]:
    """``grid`` trained on the CPU, once per process (claims sharing a grid, and the report, share its runs)."""
    key = repr(grid)
    if key not in _TRAINED:
        _TRAINED[key] = tuple(train_grid(grid, overrides={"device": "cpu"}))
    return _TRAINED[key]


def grid_results(name: str) -> tuple[RunResult, ...]:
    """The trained runs (:func:`trained_grid`) of the catalogue grid called ``name``."""
    for claim in catalogue_claims():
        for grid in claim.grids:
            if grid.name == name:
                return trained_grid(grid)
    raise NNConfigError(f"no grid {name!r} in the catalogue's NN claims")
