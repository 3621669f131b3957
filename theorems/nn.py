"""The paper's neural-network claims (DESIGN.md, "neural networks") as catalogue entries (provenance paper).

``NN_CLAIMS`` declares each claim with the configuration grids it needs (lrbias.claims.nn.Grid:
a base RunConfig and a learning-rate list, trained from one shared initial state) and a check
on the trained runs; the grids are the settings at which the claims were observed on the
embedded ``digits`` data (n = 1,000, width 200, CPU).  Each entry's single case is its claim's
grid names; the grids are trained once per process (lrbias.claims.nn.trained_grid) and shared
by the claims that use them.  The entries run only when torch is installed (the ``nn`` extra).
Mutants: "the loss vanishes" (every run ends below 1e-6 of its starting loss within the
budget), which the measured runs refute.  ``KNOWN_FINDINGS`` lists the claims not observed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

from hypothesis import strategies as st

from lrbias.claims.entry import Conclusion, Entry, Mutant
from lrbias.claims.nn import Grid, NNClaim, Results, combine, each, trained_grid
from lrbias.claims.verdict import Check, holds
from lrbias.nn import phenomena
from lrbias.nn.config import RunConfig

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


def _balancing(grid: str) -> Callable[[Results], Check]:
    """Every run of ``grid`` balances, and the final gap does not grow with h."""
    def check(results: Results) -> Check:
        runs = results[grid]
        return combine([*(phenomena.balancing(r) for r in runs), phenomena.balancing_grows_with_lr(runs)])
    return check


NN_CLAIMS: tuple[NNClaim, ...] = (
    NNClaim("nn.eos-bounded-loss", "Huber loss reaches the edge of stability",
            "With a loss of bounded derivative (Huber, δ = 1), full-batch GD on the two-layer ReLU net "
            "drives the sharpness to 2/h and keeps it there.", "paper", (HUBER,),
            each(HUBER.name, phenomena.edge_of_stability), EOS_BAND),
    NNClaim("nn.eos-bounded-activation", "tanh activation reaches the edge of stability",
            "With a bounded activation (tanh) and MSE, full-batch GD drives the sharpness to 2/h.",
            "paper", (TANH,), each(TANH.name, phenomena.edge_of_stability), EOS_BAND),
    NNClaim("nn.catapult-mse-relu", "MSE + ReLU from an unbalanced start catapults",
            "From an unbalanced start (‖W1‖ = 6, ‖W2‖ = 20) at h above 2/S0, the MSE loss first rises "
            "well above its start, then falls below it.", "paper", (UNBALANCED,),
            each(UNBALANCED.name, phenomena.catapult), "loss max ≥ 2·L0, then a loss < L0"),
    NNClaim("nn.balancing-mse-relu", "MSE + ReLU balances the layers, more for larger h",
            "From an unbalanced start the gap |‖W1‖ − ‖W2‖| shrinks, and ends smaller for larger h.",
            "paper", (UNBALANCED,), _balancing(UNBALANCED.name),
            "gap_final < gap_start for each h; gap_final non-increasing in h"),
    NNClaim("nn.limit-below-eos-mse-relu", "MSE + ReLU settles below 2/h",
            "After the catapult, MSE + ReLU converges to a flatter point: final sharpness below 2/h.",
            "paper", (UNBALANCED,), each(UNBALANCED.name, phenomena.limit_below_eos),
            "final S·h/2 < 1 and final loss < L0"),
    NNClaim("nn.no-eos-cubic", "relu³ without normalisation shows no EoS",
            "With a cubic activation (relu(z)³, bad regularity) and no BatchNorm the sharpness stays far "
            "below 2/h, or GD diverges.", "paper", (CUBIC,),
            each(CUBIC.name, phenomena.no_edge_of_stability),
            "tail median S·h/2 < 0.8 (below the EoS band), or diverged"),
    NNClaim("nn.bn-restores-eos", "BatchNorm restores EoS for relu³",
            "BatchNorm1d(affine=False) before the cubic activation restores the edge of stability.",
            "paper", (CUBIC_BN,), each(CUBIC_BN.name, phenomena.edge_of_stability), EOS_BAND),
)

KNOWN_FINDINGS = {
    "nn.bn-restores-eos": "relu³ + BatchNorm did not reach the edge of stability on the grid as tested "
                          "(digits, 1,000 steps); see the README for the settings where it does",
}


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


ENTRIES: list[Entry] = [_entry(c) for c in NN_CLAIMS]
