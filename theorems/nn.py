"""The paper's neural-network claims (DESIGN.md, "neural networks") as catalogue entries (provenance paper).

``NN_CLAIMS`` declares each claim with the configuration grids it needs (lrbias.claims.nn.Grid:
a base RunConfig and learning rates as multiples m of 2/S0, S0 the sharpness at the grid's
shared initial state) on *both* embedded datasets: scikit-learn's ``digits`` and the generated
``mnist1d``; a claim passes only when it passes on both.  The grids were fixed from the paper's
protocol before any verdict was looked at (no retuning until a claim passes); their multiples,
steps and the EoS band are justified in DESIGN.md ("NN claims: grids and the EoS detector").
Grids testing the paper's unbalanced setting start from ‖W1‖_F = 6, ‖W2‖_F = 20 (output layer
larger, as in the paper); ``DEFAULT_INIT`` names the same grids from PyTorch's default init
(``lrbias nn-grid --init default``).  Each entry's single case is its claim's grid names; the
grids are trained once per process (lrbias.claims.nn.trained_grid) and shared by the claims that
use them.  The entries run only when torch is installed (the ``nn`` extra).  Mutants: "the loss
vanishes" (every run ends below 1e-6 of its starting loss), which the measured runs refute.
``KNOWN_FINDINGS`` lists the claims not observed, with why.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

from hypothesis import strategies as st

from lrbias.claims.entry import Conclusion, Entry, Mutant
from lrbias.claims.nn import Grid, NNClaim, Results, combine, each, per_grid, trained_grid
from lrbias.claims.verdict import Check, holds
from lrbias.nn import phenomena
from lrbias.nn.config import OFFLINE_DATASETS, RunConfig

PAPER_INIT = (6.0, 20.0)
"""The paper's unbalanced start: ‖W1‖_F = 6, ‖W2‖_F = 20 (the output layer is the larger)."""

BASE = RunConfig(n=1000, width=200, seed=0, sharpness_every=50)


def _grids(name: str, multiples: tuple[float, ...], **fields: object) -> tuple[Grid, ...]:
    """The grid ``name`` on each offline dataset (named ``name@dataset``)."""
    return tuple(Grid(f"{name}@{ds}", replace(BASE, dataset=ds, **fields), multiples)  # type: ignore[arg-type]
                 for ds in OFFLINE_DATASETS)


TANH = _grids("tanh-mse", (0.5, 0.7), activation="tanh", loss="mse", steps=1500, sharpness_every=75)
HUBER = _grids("relu-huber", (1.4, 2.0), activation="relu", loss="huber", steps=1500, sharpness_every=75)
UNBALANCED = _grids("relu-mse-unbalanced", (1.8, 2.0, 2.2), activation="relu", loss="mse", steps=1000,
                    init_norms=PAPER_INIT)
CUBIC = _grids("cubic-mse-unbalanced", (0.8, 2.0, 6.0), activation="cubic", loss="mse", steps=1500,
               sharpness_every=75, init_norms=PAPER_INIT)
CUBIC_BN = _grids("cubic-bn-mse-unbalanced", (0.8, 2.0), activation="cubic", norm="bn", loss="mse",
                  steps=2000, sharpness_every=100, init_norms=PAPER_INIT)
UNBALANCED_GRIDS = (*UNBALANCED, *CUBIC, *CUBIC_BN)
DEFAULT_INIT = tuple(Grid(g.name.replace("-unbalanced", "-default-init"), replace(g.base, init_norms=None),
                          g.multiples) for g in UNBALANCED_GRIDS)
"""The unbalanced grids from PyTorch's default init (where ‖W1‖_F > ‖W2‖_F): a named variant."""

lo, hi = phenomena.EOS_BAND
EOS_TEST = (f"EoS: median of S·h/2 over the last {phenomena.TAIL:.0%} of steps in [{lo}, {hi}], 2/h reached "
            f"from below, mean loss of the last window below the window before; not EoS: tail median "
            f"<= {phenomena.BELOW_EOS} or diverged; in between: inconclusive; on digits and mnist1d")


def _balancing(grid: str) -> Callable[[Results], Check]:
    """Every run of ``grid`` balances, and the final gap does not grow with h."""
    def check(results: Results) -> Check:
        runs = results[grid]
        return combine([*(phenomena.balancing(r) for r in runs), phenomena.balancing_grows_with_lr(runs)])
    return check


def _gap_trend(grid: str) -> Callable[[Results], Check]:
    def check(results: Results) -> Check:
        return phenomena.gap_widens_with_lr(results[grid])
    return check


NN_CLAIMS: tuple[NNClaim, ...] = (
    NNClaim("nn.eos-bounded-loss", "Huber loss reaches the edge of stability",
            "With a loss of bounded derivative (Huber, δ = 1), full-batch GD on the two-layer ReLU net "
            "drives the sharpness up to 2/h and keeps it there.", "paper", HUBER,
            per_grid(HUBER, lambda g: each(g, phenomena.edge_of_stability)), EOS_TEST),
    NNClaim("nn.eos-bounded-activation", "tanh activation reaches the edge of stability",
            "With a bounded activation (tanh) and MSE, full-batch GD drives the sharpness up to 2/h.",
            "paper", TANH, per_grid(TANH, lambda g: each(g, phenomena.edge_of_stability)), EOS_TEST),
    NNClaim("nn.catapult-mse-relu", "MSE + ReLU from an unbalanced start catapults",
            "From the unbalanced start (‖W1‖ = 6, ‖W2‖ = 20) at h above 2/S0, the MSE loss first rises "
            "well above its start, then falls below it.", "paper", UNBALANCED,
            per_grid(UNBALANCED, lambda g: each(g, phenomena.catapult)),
            "loss max ≥ 2·L0, then a loss < L0, on every run of the grid, on digits and mnist1d"),
    NNClaim("nn.balancing-mse-relu", "MSE + ReLU balances the layers, more for larger h",
            "From the unbalanced start the gap |‖W1‖ − ‖W2‖| shrinks, and ends smaller for larger h.",
            "paper", UNBALANCED, per_grid(UNBALANCED, _balancing),
            "gap_final < gap_start for each h; gap_final non-increasing in h; on digits and mnist1d"),
    NNClaim("nn.limit-below-eos-mse-relu", "MSE + ReLU settles below 2/h, further below for larger h",
            "After the catapult, MSE + ReLU from the unbalanced start converges to a flatter point: the "
            "tail gap 1 − S·h/2 below the edge grows with h.", "paper", UNBALANCED,
            per_grid(UNBALANCED, _gap_trend),
            "tail gap 1 − median S·h/2 (last 25%) non-decreasing in h within 0.01, growing by more than "
            f"0.01 over the grid, largest h at tail median <= {phenomena.BELOW_EOS}; every run settles; "
            "on digits and mnist1d"),
    NNClaim("nn.no-eos-cubic", "relu³ without normalisation shows no EoS",
            "With a cubic activation (relu(z)³, bad regularity) from the unbalanced start and no "
            "BatchNorm, the sharpness stays clearly below 2/h, or GD diverges.", "paper", CUBIC,
            per_grid(CUBIC, lambda g: each(g, phenomena.no_edge_of_stability)),
            f"every run not EoS (tail median <= {phenomena.BELOW_EOS}, or diverged) under the EoS test; "
            "a run between is inconclusive"),
    NNClaim("nn.bn-restores-eos", "BatchNorm restores EoS for relu³",
            "BatchNorm1d(affine=False) before the cubic activation, from the unbalanced start, restores "
            "the edge of stability.", "paper", CUBIC_BN,
            per_grid(CUBIC_BN, lambda g: each(g, phenomena.edge_of_stability)), EOS_TEST),
)

KNOWN_FINDINGS: dict[str, str] = {
    "nn.eos-bounded-loss": "passes on digits (tail S·h/2 0.9995, 1.0003); inconclusive on mnist1d, where the "
                           "sharpness hovers above 2/h (tail 1.073, 1.132)",
    "nn.eos-bounded-activation": "passes on digits (1.010, 1.024); inconclusive on mnist1d: at m = 0.5 the "
                                 "sharpness is still climbing after 1,500 steps (tail 0.909)",
    "nn.catapult-mse-relu": "passes on digits (loss max/start 6.5-20); on mnist1d every h of the grid "
                            "(m = 1.8-2.2) diverges",
    "nn.balancing-mse-relu": "passes on digits; inconclusive on mnist1d (every run diverges)",
    "nn.limit-below-eos-mse-relu": "fails on digits: the tail gap stays at 0.008-0.011 with no growth in h "
                                   "(the runs settle within 1% of 2/h); inconclusive on mnist1d (diverged)",
    "nn.no-eos-cubic": "passes on mnist1d; inconclusive on digits: at m = 6 the run sits at tail 0.929, "
                       "near the edge, drifting down",
    "nn.bn-restores-eos": "fails on both datasets under the paper's protocol: tail S·h/2 0.26-0.56",
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
        assumptions="; ".join(f"{g.name}: {g.describe()}" for g in claim.grids),
    )


ENTRIES: list[Entry] = [_entry(c) for c in NN_CLAIMS]
