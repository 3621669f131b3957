"""The paper's neural-network claims (DESIGN.md, "neural networks") as declarative specs.

Each :class:`NNClaim` names the configuration grids it needs (:class:`Grid`: a base
:class:`RunConfig` and a learning-rate list, trained from one shared initial state) and a
``check(results)`` that maps ``{grid name: [RunResult per lr]}`` to a
:class:`lrbias.claims.core.Check` with the measured figures.  The grids are the settings at
which the claims were observed on the embedded ``digits`` data (n = 1,000, width 200, CPU);
claims sharing a grid share its runs.  A catalogue module wraps these later.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from lrbias.claims.core import Check, Verdict, fail, inconclusive, passed
from lrbias.nn import phenomena
from lrbias.nn.config import NNConfigError, RunConfig

if TYPE_CHECKING:
    from lrbias.nn.trainer import Progress, RunResult

Results = Mapping[str, Sequence["RunResult"]]


@dataclass(frozen=True)
class Grid:
    """A base configuration trained at each learning rate of ``lrs`` from one saved initial state."""

    name: str
    base: RunConfig
    lrs: tuple[float, ...]


@dataclass(frozen=True)
class NNClaim:
    """One neural-network claim: id, statement, provenance, grids, and its check."""

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


def _each(grid: str, detector: Callable[[RunResult], Check]) -> Callable[[Results], Check]:
    def check(results: Results) -> Check:
        return combine(detector(r) for r in results[grid])
    return check


def _balancing(grid: str) -> Callable[[Results], Check]:
    def check(results: Results) -> Check:
        runs = results[grid]
        return combine([*(phenomena.balancing(r) for r in runs), phenomena.balancing_grows_with_lr(runs)])
    return check


BASE = RunConfig(dataset="digits", n=1000, width=200, seed=0, sharpness_every=50)

TANH = Grid("tanh-mse", replace(BASE, activation="tanh", loss="mse", steps=1000), (0.2, 0.4))
HUBER = Grid("relu-huber", replace(BASE, activation="relu", loss="huber", steps=1000), (0.2, 0.4))
UNBALANCED = Grid("relu-mse-unbalanced", replace(BASE, activation="relu", loss="mse", steps=1000,
                                                  init_norms=(6.0, 20.0)), (0.03, 0.033, 0.036))
CUBIC = Grid("cubic-mse", replace(BASE, activation="cubic", loss="mse", steps=1000),
             (0.001, 0.002, 0.004, 0.008))
CUBIC_BN = Grid("cubic-bn-mse", replace(BASE, activation="cubic", norm="bn", loss="mse", steps=1000),
                (0.0005, 0.001))

EOS_BAND = "EoS: tail (last 25% of steps) median of S·h/2 in [0.8, 1.2], and final loss < L0"

CLAIMS: tuple[NNClaim, ...] = (
    NNClaim("nn.eos-bounded-loss", "Huber loss reaches the edge of stability",
            "With a loss of bounded derivative (Huber, δ = 1), full-batch GD on the two-layer ReLU net "
            "drives the sharpness to 2/h and keeps it there.", "paper", (HUBER,),
            _each(HUBER.name, phenomena.edge_of_stability), EOS_BAND),
    NNClaim("nn.eos-bounded-activation", "tanh activation reaches the edge of stability",
            "With a bounded activation (tanh) and MSE, full-batch GD drives the sharpness to 2/h.",
            "paper", (TANH,), _each(TANH.name, phenomena.edge_of_stability), EOS_BAND),
    NNClaim("nn.catapult-mse-relu", "MSE + ReLU from an unbalanced start catapults",
            "From an unbalanced start (‖W1‖ = 6, ‖W2‖ = 20) at h above 2/S0, the MSE loss first rises "
            "well above its start, then falls below it.", "paper", (UNBALANCED,),
            _each(UNBALANCED.name, phenomena.catapult), "loss max ≥ 2·L0, then a loss < L0"),
    NNClaim("nn.balancing-mse-relu", "MSE + ReLU balances the layers, more for larger h",
            "From an unbalanced start the gap |‖W1‖ − ‖W2‖| shrinks, and ends smaller for larger h.",
            "paper", (UNBALANCED,), _balancing(UNBALANCED.name),
            "gap_final < gap_start for each h; gap_final non-increasing in h"),
    NNClaim("nn.limit-below-eos-mse-relu", "MSE + ReLU settles below 2/h",
            "After the catapult, MSE + ReLU converges to a flatter point: final sharpness below 2/h.",
            "paper", (UNBALANCED,), _each(UNBALANCED.name, phenomena.limit_below_eos),
            "final S·h/2 < 1 and final loss < L0"),
    NNClaim("nn.no-eos-cubic", "relu³ without normalisation shows no EoS",
            "With a cubic activation (relu(z)³, bad regularity) and no BatchNorm the sharpness stays far "
            "below 2/h, or GD diverges.", "paper", (CUBIC,),
            _each(CUBIC.name, phenomena.no_edge_of_stability),
            "tail median S·h/2 < 0.8 (below the EoS band), or diverged"),
    NNClaim("nn.bn-restores-eos", "BatchNorm restores EoS for relu³",
            "BatchNorm1d(affine=False) before the cubic activation restores the edge of stability.",
            "paper", (CUBIC_BN,), _each(CUBIC_BN.name, phenomena.edge_of_stability), EOS_BAND),
)


def get_claims(selector: str) -> list[NNClaim]:
    """``'all'`` or a comma-separated list of claim ids."""
    if selector.strip() == "all":
        return list(CLAIMS)
    by_id = {c.id: c for c in CLAIMS}
    wanted = [s.strip() for s in selector.split(",") if s.strip()]
    unknown = [w for w in wanted if w not in by_id]
    if unknown or not wanted:
        raise NNConfigError(f"unknown claim id(s) {', '.join(unknown) or repr(selector)}; accepted: all, "
                            + ", ".join(by_id))
    return [by_id[w] for w in wanted]


def run_grids(claims: Sequence[NNClaim], overrides: Mapping[str, object] | None = None,
              progress: Progress | None = None) -> dict[str, list[RunResult]]:
    """Train every grid the claims need, once each; ``overrides`` replace config fields (e.g. device)."""
    from lrbias.nn.trainer import prepare, train

    out: dict[str, list[RunResult]] = {}
    for claim in claims:
        for grid in claim.grids:
            if grid.name in out:
                continue
            base = replace(grid.base, **(overrides or {}))
            prep = prepare(base)
            runs = []
            for h in grid.lrs:
                if progress is not None:
                    progress(f"[{grid.name}] lr={h:g}, {base.steps} steps")
                runs.append(train(prep, lr=h, progress=progress))
            out[grid.name] = runs
    return out


def check_claims(claims: Sequence[NNClaim], results: Results) -> dict[str, Check]:
    """Each claim's verdict on the trained grids."""
    return {c.id: c.check(results) for c in claims}
