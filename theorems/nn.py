"""The paper's neural-network claims (DESIGN.md, "neural networks") as catalogue entries (provenance paper).

``NN_CLAIMS`` declares each claim with the configuration grids it needs (lrbias.claims.nn.Grid:
a base RunConfig and learning rates as multiples m of 2/S0, S0 the sharpness at the grid's
shared initial state) on *both* embedded datasets: scikit-learn's ``digits`` and the generated
``mnist1d``; a claim passes only when it passes on both.  No grid fixes its multiples in advance:
each is placed at stated fractions of a window bracketed by bisection for its dataset, seed and
initial state (lrbias.nn.bracket: (1, m*) for EoS and relu³ grids, (m_c, m*) for the catapult,
balancing and limit grids), or, for BatchNorm, also at the absolute h of the grid without it; the
bracket is recorded with every run.  Every grid starts from the authors' ‖W1‖_F = 6, ‖W2‖_F = 20;
``DEFAULT_INIT`` names the same grids from PyTorch's default init (``lrbias nn-grid --init
default``).  The full protocol (``lrbias nn-grid``) trains each grid on the seeds ``SEEDS`` at its
``protocol_steps``; the catalogue entries train seed 0 at ``steps``.  The detector and its
thresholds are calibrated on the authors' stored runs (tests/test_nn_authors_runs.py) and frozen.
Each entry's single case is its claim's grid names; the
grids are trained once per process (lrbias.claims.nn.trained_grid) and shared by the claims that
use them.  The entries run only when torch is installed (the ``nn`` extra); the adapter that makes
them entries (mutant "the loss vanishes", rival confirmation, budget check) is
lrbias.claims.nn_entries.
Each claim says which realistic input makes it fail (``fails_if``; tests/test_nn_vacuity.py trains
one) and carries a rival, a nearby plausible but false statement (classical stability, gradient
flow's conserved ‖W2‖² − ‖W1‖², a loss that never overshoots, ...) that the claim's own trained
runs refute, confirmed by re-training the refuting runs in float64 (lrbias.claims.nn.confirm_rival).
``KNOWN_FINDINGS`` lists the claims not observed, with why; ``GROUP`` declares the group (the
entry point ``nn = "theorems.nn:GROUP"``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from lrbias.claims.nn import Grid, NNClaim, Results, Rival, combine, each, every_run, grid_keys, per_grid
from lrbias.claims.nn_entries import nn_group
from lrbias.nn import phenomena
from lrbias.nn.config import OFFLINE_DATASETS, RunConfig
from lrbias.verdict import Check, fail, holds, inconclusive

if TYPE_CHECKING:
    from lrbias.nn.trainer import RunResult

PAPER_INIT = (6.0, 20.0)
"""The paper's unbalanced start: ‖W1‖_F = 6, ‖W2‖_F = 20 (the output layer is the larger)."""

BASE = RunConfig(n=1000, width=200, seed=0, sharpness_every=50, init_norms=PAPER_INIT)
"""Every grid starts from the authors' ‖W1‖_F = 6, ‖W2‖_F = 20 (their CIFAR-10 protocol, Huber and tanh included)."""

SEEDS = (0, 1, 2)
"""The seeds of the full protocol (``lrbias nn-grid``): a claim holds when it holds on every dataset and seed.
The catalogue entries (the report, CI) train seed 0 at the grids' ``steps``."""

EOS_FRACTIONS = (0.2, 0.5)
"""EoS grids: at these fractions of the bracketed window (1, m*), above 2/S0 and below divergence."""
CATAPULT_FRACTIONS = (0.2, 0.5, 0.8)
"""Catapult, balancing and limit grids: at these fractions of the bracketed window (m_c, m*)."""
CUBIC_FRACTIONS = (0.2, 0.5, 0.8)
"""relu³ grids: at these fractions of (1, m*), so h-(in)dependence is read over most of the stable range."""


def _grids(name: str, window: str, fractions: tuple[float, ...], protocol_steps: int, **fields: object
           ) -> tuple[Grid, ...]:
    """The grid ``name`` on each offline dataset (named ``name@dataset``), placed in its bracketed ``window``."""
    return tuple(Grid(f"{name}@{ds}", replace(BASE, dataset=ds, **fields), window=window,  # type: ignore[arg-type]
                      fractions=fractions, protocol_steps=protocol_steps)
                 for ds in OFFLINE_DATASETS)


TANH = _grids("tanh-mse", "edge", EOS_FRACTIONS, 6000, activation="tanh", loss="mse", steps=1500,
              sharpness_every=75)
HUBER = _grids("relu-huber", "edge", EOS_FRACTIONS, 6000, activation="relu", loss="huber", steps=1500,
               sharpness_every=75)
UNBALANCED = _grids("relu-mse-unbalanced", "catapult", CATAPULT_FRACTIONS, 3000, activation="relu", loss="mse",
                    steps=1000)
CUBIC = _grids("cubic-mse-unbalanced", "edge", CUBIC_FRACTIONS, 8000, activation="cubic", loss="mse", steps=1500,
               sharpness_every=75)
CUBIC_BN = _grids("cubic-bn-mse-unbalanced", "edge", EOS_FRACTIONS, 10000, activation="cubic", norm="bn",
                  loss="mse", steps=2000, sharpness_every=100)
CUBIC_BN_SAME_H = tuple(Grid(g.name.replace("cubic-bn", "cubic-bn-same-h"), g.base, same_h_as=plain,
                             protocol_steps=g.protocol_steps) for g, plain in zip(CUBIC_BN, CUBIC, strict=True))
"""BatchNorm at the absolute h of the relu³ grid without it (the authors' protocol: one h with and without BN)."""
ALL_GRIDS = (*TANH, *HUBER, *UNBALANCED, *CUBIC, *CUBIC_BN, *CUBIC_BN_SAME_H)
DEFAULT_INIT = tuple(replace(g, name=f"{g.name.replace('-unbalanced', '')}-default-init",
                             base=replace(g.base, init_norms=None),
                             same_h_as=None if g.same_h_as is None else replace(
                                 g.same_h_as, name=f"{g.same_h_as.name.replace('-unbalanced', '')}-default-init",
                                 base=replace(g.same_h_as.base, init_norms=None)))
                     for g in ALL_GRIDS)
"""Every grid from PyTorch's default init (where ‖W1‖_F > ‖W2‖_F): a named variant (``nn-grid --init default``)."""

lo, hi = phenomena.EOS_BAND
EOS_TEST = (f"EoS: median of S·h/2 over the last {phenomena.TAIL:.0%} of steps in [{lo}, {hi}]; not EoS: tail "
            f"median <= {phenomena.BELOW_EOS} or diverged; in between: inconclusive (the detector calibrated on "
            "the authors' stored runs); on digits and mnist1d")


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


# --- rivals: per-run statements (pass: the rival holds on that run) ----------------------------

NO_TRACE = {"sharpness_every": 0}
"""Confirmation overrides for a rival that reads no sharpness trace (start and end are still measured)."""


def _below_edge(run: RunResult) -> Check:
    """The run diverged or its tail median S·h/2 is at most BELOW_EOS (the sharpness stays clearly below 2/h)."""
    if run.outcome == "diverged":
        return holds(True, math.inf, outcome=run.outcome)
    tail = phenomena.tail_ratio(run)
    if not math.isfinite(tail):
        return inconclusive("no finite sharpness in the tail", outcome=run.outcome)
    return holds(tail <= phenomena.BELOW_EOS, phenomena.BELOW_EOS - tail, tail_ratio=tail)


def _bounded_overshoot(run: RunResult) -> Check:
    """The run diverged, or its loss never reached twice its start."""
    loss = [v for v in run.history["loss"] if math.isfinite(v)]
    if run.outcome == "diverged":
        return holds(True, math.inf, outcome=run.outcome)
    rise = max(loss) / loss[0]
    return holds(rise < 2.0, math.log(2.0 / rise), loss_max_over_start=rise)


def _conserves_layer_imbalance(run: RunResult, within: float = 0.05) -> Check:
    """A settled run keeps D = ‖W2‖² − ‖W1‖² (gradient flow's invariant for this bias-free ReLU net) within 5%."""
    if run.outcome == "diverged":
        return inconclusive("run diverged", outcome=run.outcome)
    w1, w2 = run.history["w1"], run.history["w2"]
    d0, d1 = w2[0] ** 2 - w1[0] ** 2, w2[-1] ** 2 - w1[-1] ** 2
    change = abs(d1 / d0 - 1)
    return holds(change <= within, within - change, imbalance_start=d0, imbalance_final=d1, relative_change=change)


def _no_flattening(run: RunResult) -> Check:
    """A settled run ends at least as sharp as it started: final sharpness ≥ S0."""
    s0, s_end = run.top_sharpness[0], run.top_sharpness[-1]
    if run.outcome == "diverged" or not (math.isfinite(s0) and math.isfinite(s_end)):
        return inconclusive("run diverged or its sharpness was not measured", outcome=run.outcome)
    return holds(s_end >= s0, math.log(s_end / s0), sharpness_start=s0, sharpness_final=s_end)


def _diverges_above_edge(run: RunResult) -> Check:
    """A run at h above 2/S0 diverges (runs at or below 2/S0 are outside the statement)."""
    if run.meta.get("lr_multiple", math.inf) <= 1:
        return holds(True, math.inf, applies=False)
    return holds(run.outcome == "diverged", 1.0 if run.outcome == "diverged" else -1.0,
                 outcome=run.outcome, tail_ratio=phenomena.tail_ratio(run))


def _same_tail_with_and_without(bn: tuple[Grid, ...], plain: tuple[Grid, ...], within: float = 0.05
                                ) -> Callable[[Results], Check]:
    """BatchNorm changes nothing: at each dataset, seed and h in both grids (the same absolute h), the tail
    S·h/2 with BatchNorm is within ``within`` of the tail without it."""
    def check(results: Results) -> Check:
        pairs, rows = [], []
        for g_bn, g_plain in zip(bn, plain, strict=True):
            for key in grid_keys(results, g_bn.name):
                other_key = g_plain.name + key[len(g_bn.name):]
                for r in results[key]:
                    # the same h up to S0's precision: a float64 re-training re-measures both S0s (~1e-6 apart)
                    other = next((o for o in results.get(other_key, ()) if math.isclose(o.lr, r.lr, rel_tol=1e-4)),
                                 None)
                    if other is None:
                        continue
                    a, b = phenomena.tail_ratio(r), phenomena.tail_ratio(other)
                    margin = within - abs(a - b) if math.isfinite(a) and math.isfinite(b) else math.nan
                    rows.append({"lr": r.lr, "grid": key, "dataset": g_bn.dataset, "tail_with_bn": a,
                                 "tail_without": b, "margin": margin})
                    pairs.append((margin, [[key, r.meta.get("lr_multiple")],
                                           [other_key, other.meta.get("lr_multiple")]]))
        decided = [p for p in pairs if math.isfinite(p[0])]
        if decided and min(decided)[0] < 0:
            margin, deciding = min(decided, key=lambda p: p[0])
            return fail(margin, runs=rows, deciding=deciding)
        if not pairs or len(decided) < len(pairs):
            return inconclusive("a pair without a finite tail ratio" if pairs else "no pair of runs", runs=rows)
        return holds(True, min(p[0] for p in decided), runs=rows)
    return check


NN_CLAIMS: tuple[NNClaim, ...] = (
    NNClaim("nn.eos-bounded-loss", "Huber loss reaches the edge of stability",
            "With a loss of bounded derivative (Huber, δ = 1), full-batch GD on the two-layer ReLU net "
            "drives the sharpness up to 2/h and keeps it there.", "paper", HUBER,
            per_grid(HUBER, lambda g: each(g, phenomena.edge_of_stability)), EOS_TEST,
            fails_if="relu³ in place of ReLU (bad regularity), Huber at h = 2·2/S0: the sharpness settles well "
                     "below 2/h (tests/test_nn_vacuity.py)",
            rival=Rival("Classical stability: with Huber at h above 2/S0, GD diverges or settles where the sharpness "
                        "is clearly below 2/h (tail median S·h/2 <= 0.9).", HUBER, every_run(HUBER, _below_edge))),
    NNClaim("nn.eos-bounded-activation", "tanh activation reaches the edge of stability",
            "With a bounded activation (tanh) and MSE, full-batch GD drives the sharpness up to 2/h.",
            "paper", TANH, per_grid(TANH, lambda g: each(g, phenomena.edge_of_stability)), EOS_TEST,
            fails_if="relu³ in place of tanh (unbounded, bad regularity) at h = 0.7·2/S0: the sharpness falls far "
                     "below 2/h (tests/test_nn_vacuity.py)",
            rival=Rival("Classical stability for tanh: at h above 2/S0, GD diverges or settles where the sharpness "
                        "is clearly below 2/h (tail median S·h/2 <= 0.9).", TANH, every_run(TANH, _below_edge))),
    NNClaim("nn.catapult-mse-relu", "MSE + ReLU from an unbalanced start catapults",
            "From the unbalanced start (‖W1‖ = 6, ‖W2‖ = 20) at h above 2/S0, the MSE loss first rises "
            "well above its start, then falls below it.", "paper", UNBALANCED,
            per_grid(UNBALANCED, lambda g: each(g, phenomena.catapult)),
            "loss max ≥ 2·L0, then a loss < L0, on every run of the grid, on digits and mnist1d",
            fails_if="h = 0.5·2/S0, below the edge: the loss falls from the first step and never rises "
                     "(tests/test_nn_vacuity.py)",
            rival=Rival("No catapult: from the unbalanced start at h above 2/S0, GD diverges or keeps its loss below "
                        "twice its start (a bounded overshoot).", UNBALANCED, every_run(UNBALANCED, _bounded_overshoot),
                        NO_TRACE)),
    NNClaim("nn.balancing-mse-relu", "MSE + ReLU balances the layers, more for larger h",
            "From the unbalanced start the gap |‖W1‖ − ‖W2‖| shrinks, and ends smaller for larger h.",
            "paper", UNBALANCED, per_grid(UNBALANCED, _balancing),
            "gap_final < gap_start for each h; gap_final non-increasing in h; on digits and mnist1d",
            fails_if="h = 0.3 and 0.6·2/S0, below the edge: the layer gap grows by about 6% (tests/test_nn_vacuity.py)",
            rival=Rival("GD behaves like gradient flow, which conserves ‖W2‖² − ‖W1‖² on this bias-free ReLU net: "
                        "on every run that does not diverge it changes by less than 5%.", UNBALANCED,
                        every_run(UNBALANCED, _conserves_layer_imbalance), NO_TRACE)),
    NNClaim("nn.limit-below-eos-mse-relu", "MSE + ReLU settles below 2/h, further below for larger h",
            "After the catapult, MSE + ReLU from the unbalanced start converges to a flatter point: the "
            "tail gap 1 − S·h/2 below the edge grows with h.", "paper", UNBALANCED,
            per_grid(UNBALANCED, _gap_trend),
            "tail gap 1 − median S·h/2 (last 25%) non-decreasing in h within 0.01, growing by more than "
            f"0.01 over the grid, largest h at tail median <= {phenomena.BELOW_EOS}; every run settles; "
            "on digits and mnist1d",
            fails_if="h = 0.3, 0.5, 0.7·2/S0, below the edge: the sharpness stays near S0, so the gap "
                     "1 − S·h/2 shrinks as h grows (tests/test_nn_vacuity.py)",
            rival=Rival("The catapult does not flatten: a run from the unbalanced start that settles ends at least "
                        "as sharp as it started (final sharpness >= S0).", UNBALANCED,
                        every_run(UNBALANCED, _no_flattening), NO_TRACE)),
    NNClaim("nn.no-eos-cubic", "relu³ without normalisation shows no EoS",
            "With a cubic activation (relu(z)³, bad regularity) from the unbalanced start and no "
            "BatchNorm, GD shows no edge of stability: the final sharpness does not follow 2/h (it barely "
            "depends on h), or GD diverges.", "paper", CUBIC,
            per_grid(CUBIC, lambda g: lambda results: phenomena.sharpness_independent_of_lr(results[g])),
            f"no run EoS under the EoS test, and the tail sharpness does not follow 2/h: the slope of log S "
            f"on log h is >= {phenomena.SLOPE_AT_LEAST} (at the edge it is -1); diverged runs are not EoS",
            fails_if="tanh (bounded, good regularity) from PyTorch's default init at h = 0.7·2/S0: the run "
                     "reaches the edge of stability (tests/test_nn_vacuity.py)",
            rival=Rival("Bad regularity leaves no stable large step: relu³ from the unbalanced start diverges at every "
                        "h above 2/S0.", CUBIC, every_run(CUBIC, _diverges_above_edge), NO_TRACE)),
    NNClaim("nn.bn-restores-eos", "BatchNorm restores EoS for relu³",
            "BatchNorm1d(affine=False) before the cubic activation, from the unbalanced start, restores "
            "the edge of stability, both in its own bracketed window and at the absolute h of the grid without "
            "BatchNorm (the authors' protocol).", "paper", CUBIC_BN + CUBIC_BN_SAME_H,
            per_grid(CUBIC_BN + CUBIC_BN_SAME_H, lambda g: each(g, phenomena.edge_of_stability)), EOS_TEST,
            fails_if="h = 0.3·2/S0 over 300 steps: the sharpness stays far below 2/h (tests/test_nn_vacuity.py)",
            rival=Rival("BatchNorm changes nothing: with and without it, relu³ from the unbalanced start settles at "
                        "the same tail S·h/2 (within 0.05) at each h.", CUBIC_BN_SAME_H + CUBIC,
                        _same_tail_with_and_without(CUBIC_BN_SAME_H, CUBIC))),
)

KNOWN_FINDINGS: dict[str, str] = {
    "nn.limit-below-eos-mse-relu": "fails: after the catapult the runs settle just under 2/h and the gap does not "
                                   "widen with h. Catalogue (seed 0): digits tails 0.995, 0.993, 0.995 at m = 1.71, "
                                   "1.99, 2.26 of (m_c, m*) = (1.53, 2.44); mnist1d 0.960, 0.986, 0.982 (the gap "
                                   "shrinks). Full protocol (seeds 0-2, 3,000 steps): the same on all six grids "
                                   "(digits gaps 0.007-0.013, growth <= 0.004; mnist1d gaps 0.024-0.06, not "
                                   "growing). The authors' MNIST grid does not widen either; their CIFAR-10 one does",
    "nn.bn-restores-eos": "fails in BatchNorm's own bracketed window: at 0.2 of (1, m*) on mnist1d the tail stays at "
                          "0.59-0.72 of 2/h after 10,000 steps (seeds 0-2; 0.61 at seed 0 in the catalogue's 2,000), "
                          "and on digits the runs hover above 2/h (1.04-1.13, inconclusive). At the absolute h of the "
                          "relu³ grid without BatchNorm (the authors' protocol) it is at the edge on 5 of 6 "
                          "dataset-seeds (0.953-1.020; digits seed 2: 1.20); the larger no-BN h lie beyond the "
                          "BatchNorm net's own m* and are not run",
}
"""Claims not observed in the catalogue run (seed 0 at the grids' steps), with the full protocol's figures
(``lrbias nn-grid --claims all``: docs/nn.md).  Under the full protocol two more are not observed on every
seed: ``nn.no-eos-cubic`` (digits seeds 1, 2: no run at the edge, tails 0.37-0.86, but the tail sharpness
falls with h, slope -0.84 and -0.55) and ``nn.eos-bounded-loss`` (mnist1d seed 2 at m = 5.44: tail 1.051,
just above the band)."""


GROUP = nn_group(name="nn", title="Neural networks", claims=NN_CLAIMS, known_findings=KNOWN_FINDINGS)
"""The declared group: the NN entries (lrbias.claims.nn_entries), the NN figure, the known findings."""
