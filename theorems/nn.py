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

from lrbias.claims.nn import (
    Grid,
    NNClaim,
    Results,
    Rival,
    combine,
    each,
    every_run,
    in_own_window,
    per_grid,
)
from lrbias.claims.nn_entries import nn_group
from lrbias.nn import phenomena
from lrbias.nn.config import OFFLINE_DATASETS, RunConfig
from lrbias.verdict import Check, fail, holds, inconclusive

if TYPE_CHECKING:
    from lrbias.nn.trainer import RunResult

PAPER_INIT = (6.0, 20.0)
"""The paper's unbalanced start: ‖W1‖_F = 6, ‖W2‖_F = 20 (the output layer is the larger), used by the
authors for every CIFAR-10 run and here for every grid."""

SEEDS = (0, 1, 2)
"""Every grid runs on each of these seeds (init and Lanczos start); a claim passes only when it holds on all."""

EOS_STEPS = 6000
"""Steps of the edge-of-stability grids (tanh at 0.5·2/S0 reached 2/h only around step 1,600–2,000)."""
BN_STEPS = 10000
"""Steps of the BatchNorm grids (slower to settle: the issue's mnist1d run was still at 0.869 after 10,000)."""
CATAPULT_STEPS = 3000
"""Steps of the catapult / balancing / limit-below-the-edge grid (the catapult is over within a few hundred)."""

BASE = RunConfig(n=1000, width=200, seed=0, sharpness_every=50, init_norms=PAPER_INIT)

EOS_FRACTIONS = (0.2, 0.5)
"""EoS claims: h at these fractions of the window (1, m*) of the measured bracket."""
CATAPULT_FRACTIONS = (0.2, 0.5, 0.8)
"""Catapult, balancing and the limit below the edge: h at these fractions of (m_c, m*)."""
CUBIC_FRACTIONS = (0.2, 0.5, 0.8)
"""No EoS for relu³: three h across (1, m*), so the sharpness slope has a span of h to be fitted on."""


def _grids(name: str, window: str, fractions: tuple[float, ...], lr_from: dict | None = None,
           **fields: object) -> tuple[Grid, ...]:
    """The grid ``name`` on each offline dataset and seed (named ``name#s<seed>@dataset``), its h placed
    at ``fractions`` of ``window`` of the measured bracket (of the config changed by ``lr_from``, if given)."""
    out = []
    for ds in OFFLINE_DATASETS:
        for seed in SEEDS:
            base = replace(BASE, dataset=ds, seed=seed, **fields)  # type: ignore[arg-type]
            source = None if lr_from is None else replace(base, **lr_from)
            out.append(Grid(f"{name}#s{seed}@{ds}", base, window=window, fractions=fractions, lr_from=source))
    return tuple(out)


TANH = _grids("tanh-mse", "eos", EOS_FRACTIONS, activation="tanh", loss="mse", steps=EOS_STEPS,
              sharpness_every=100)
HUBER = _grids("relu-huber", "eos", EOS_FRACTIONS, activation="relu", loss="huber", steps=EOS_STEPS,
               sharpness_every=100)
UNBALANCED = _grids("relu-mse-unbalanced", "catapult", CATAPULT_FRACTIONS, activation="relu", loss="mse",
                    steps=CATAPULT_STEPS)
CUBIC = _grids("cubic-mse-unbalanced", "eos", CUBIC_FRACTIONS, activation="cubic", loss="mse", steps=EOS_STEPS,
               sharpness_every=100)
CUBIC_BN = _grids("cubic-bn-mse-unbalanced", "eos", EOS_FRACTIONS, activation="cubic", norm="bn", loss="mse",
                  steps=BN_STEPS, sharpness_every=200)
CUBIC_BN_SAME_H = _grids("cubic-bn-mse-same-h", "eos", CUBIC_FRACTIONS, lr_from={"norm": "none"}, activation="cubic",
                         norm="bn", loss="mse", steps=BN_STEPS, sharpness_every=200)
"""BatchNorm at the same absolute h as the matching no-BN grid (the authors' protocol), from the no-BN bracket."""
PAPER_GRIDS = (*TANH, *HUBER, *UNBALANCED, *CUBIC, *CUBIC_BN, *CUBIC_BN_SAME_H)
DEFAULT_INIT = tuple(Grid(g.name.replace("#", "-default-init#"), replace(g.base, init_norms=None), g.multiples,
                          g.window, g.fractions, None if g.lr_from is None else replace(g.lr_from, init_norms=None))
                     for g in PAPER_GRIDS)
"""Every grid from PyTorch's default init (‖W1‖_F > ‖W2‖_F): a named variant (``lrbias nn-grid --init default``)."""

lo, hi = phenomena.EOS_BAND
EOS_TEST = (f"EoS: median of S·h/2 over the last {phenomena.TAIL:.0%} of steps in [{lo}, {hi}] (calibrated on the "
            f"authors' stored runs); not EoS: tail median <= {phenomena.BELOW_EOS} or diverged; in between: "
            f"inconclusive; h at fractions {EOS_FRACTIONS} of the measured window (1, m*); on digits and mnist1d, "
            f"seeds {SEEDS}")


def _slope(grid: str) -> Callable[[Results], Check]:
    """No EoS on ``grid``: the final sharpness does not follow 2/h (slope of log S on log h above the split)."""
    def check(results: Results) -> Check:
        return phenomena.sharpness_slope(results[grid])
    return check


def _eos_in_own_window(grid: str) -> Callable[[Results], Check]:
    """EoS on every run of ``grid`` whose h lies below its own configuration's m* (the others are listed as skipped)."""
    def check(results: Results) -> Check:
        runs = results[grid]
        inside = [r for r in runs if in_own_window(r)]
        skipped = [{"lr": r.lr, "own_multiple": r.meta.get("own_multiple"), "outcome": r.outcome}
                   for r in runs if not in_own_window(r)]
        if not inside:
            return inconclusive("no run of the grid lies below its own m*", skipped=skipped)
        return combine((phenomena.edge_of_stability(r) for r in inside), skipped_beyond_own_m_star=skipped)
    return check


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
    """BatchNorm changes nothing: at each dataset and multiple in both grids, the tail S·h/2 with
    BatchNorm is within ``within`` of the tail without it."""
    def check(results: Results) -> Check:
        pairs, rows = [], []
        for g_bn, g_plain in zip(bn, plain, strict=True):
            plain_runs = {r.meta.get("lr_multiple"): r for r in results.get(g_plain.name, ())}
            for r in results.get(g_bn.name, ()):
                m = r.meta.get("lr_multiple")
                other = plain_runs.get(m)
                if other is None:
                    continue
                a, b = phenomena.tail_ratio(r), phenomena.tail_ratio(other)
                margin = within - abs(a - b) if math.isfinite(a) and math.isfinite(b) else math.nan
                rows.append({"lr_multiple": m, "dataset": g_bn.dataset, "tail_with_bn": a, "tail_without": b,
                             "margin": margin})
                pairs.append((margin, [[g_bn.name, m], [g_plain.name, m]]))
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
            rival=Rival("Classical stability: with tanh at h above 2/S0, GD diverges or settles where the sharpness "
                        "is clearly below 2/h (tail median S·h/2 <= 0.9).", TANH, every_run(TANH, _below_edge))),
    NNClaim("nn.catapult-mse-relu", "MSE + ReLU from an unbalanced start catapults",
            "From the unbalanced start (‖W1‖ = 6, ‖W2‖ = 20) at h above 2/S0, the MSE loss first rises "
            "well above its start, then falls below it.", "paper", UNBALANCED,
            per_grid(UNBALANCED, lambda g: each(g, phenomena.catapult)),
            f"loss max ≥ 2·L0, then a loss < L0, on every run; h at fractions {CATAPULT_FRACTIONS} of the measured "
            f"window (m_c, m*); on digits and mnist1d, seeds {SEEDS}",
            fails_if="h = 0.5·2/S0, below the edge: the loss falls from the first step and never rises "
                     "(tests/test_nn_vacuity.py)",
            rival=Rival("No catapult: from the unbalanced start at h above 2/S0, GD diverges or keeps its loss below "
                        "twice its start (a bounded overshoot).", UNBALANCED, every_run(UNBALANCED, _bounded_overshoot),
                        NO_TRACE)),
    NNClaim("nn.balancing-mse-relu", "MSE + ReLU balances the layers, more for larger h",
            "From the unbalanced start the gap |‖W1‖ − ‖W2‖| shrinks, and ends smaller for larger h.",
            "paper", UNBALANCED, per_grid(UNBALANCED, _balancing),
            f"gap_final < gap_start for each h; gap_final non-increasing in h; h at fractions {CATAPULT_FRACTIONS} of "
            f"(m_c, m*); on digits and mnist1d, seeds {SEEDS}",
            fails_if="h = 0.3 and 0.6·2/S0, below the edge: the layer gap grows by about 6% (tests/test_nn_vacuity.py)",
            rival=Rival("GD behaves like gradient flow, which conserves ‖W2‖² − ‖W1‖² on this bias-free ReLU net: "
                        "on every run that does not diverge it changes by less than 5%.", UNBALANCED,
                        every_run(UNBALANCED, _conserves_layer_imbalance), NO_TRACE)),
    NNClaim("nn.limit-below-eos-mse-relu", "MSE + ReLU settles below 2/h, further below for larger h",
            "After the catapult, MSE + ReLU from the unbalanced start converges to a flatter point: the "
            "tail gap 1 − S·h/2 below the edge grows with h.", "paper", UNBALANCED,
            per_grid(UNBALANCED, _gap_trend),
            f"tail gap 1 − median S·h/2 (last 25%) non-decreasing in h within {phenomena.WIDEN_TOLERANCE}, growing "
            f"by more than {phenomena.WIDEN_TOLERANCE} over the grid; every run settles; h at fractions "
            f"{CATAPULT_FRACTIONS} of (m_c, m*); on digits and mnist1d, seeds {SEEDS}",
            fails_if="h = 0.3, 0.5, 0.7·2/S0, below the edge: the sharpness stays near S0, so the gap "
                     "1 − S·h/2 shrinks as h grows (tests/test_nn_vacuity.py)",
            rival=Rival("The catapult does not flatten: a run from the unbalanced start that settles ends at least "
                        "as sharp as it started (final sharpness >= S0).", UNBALANCED,
                        every_run(UNBALANCED, _no_flattening), NO_TRACE)),
    NNClaim("nn.no-eos-cubic", "relu³ without normalisation shows no EoS",
            "With a cubic activation (relu(z)³, bad regularity) from the unbalanced start and no "
            "BatchNorm, the sharpness does not follow 2/h: it settles at a value independent of h, or GD "
            "diverges.", "paper", CUBIC, per_grid(CUBIC, _slope),
            f"slope of log(tail median S) on log h over the settled runs > {phenomena.SLOPE_SPLIT} (EoS gives −1, an "
            f"h-independent sharpness 0); >= {phenomena.MIN_GRID_RUNS} settled runs spanning h by "
            f">= {phenomena.MIN_H_SPAN}x, else inconclusive; h at fractions {CUBIC_FRACTIONS} of (1, m*); "
            f"on digits and mnist1d, seeds {SEEDS}",
            fails_if="tanh (bounded, good regularity) from PyTorch's default init at h = 0.7, 1, 1.4·2/S0: the "
                     "sharpness follows 2/h (tests/test_nn_vacuity.py)",
            rival=Rival("Bad regularity leaves no stable large step: relu³ from the unbalanced start diverges at every "
                        "h above 2/S0.", CUBIC, every_run(CUBIC, _diverges_above_edge), NO_TRACE)),
    NNClaim("nn.bn-restores-eos", "BatchNorm restores EoS for relu³",
            "BatchNorm1d(affine=False) before the cubic activation, from the unbalanced start, restores "
            "the edge of stability.", "paper", CUBIC_BN + CUBIC_BN_SAME_H,
            per_grid(CUBIC_BN + CUBIC_BN_SAME_H, _eos_in_own_window),
            EOS_TEST + f"; with BatchNorm both at fractions {EOS_FRACTIONS} of its own (1, m*) and at the absolute h "
            f"of the no-BN grid (fractions {CUBIC_FRACTIONS} of the no-BN (1, m*)), the latter counted where h lies "
            "below the BatchNorm m*",
            fails_if="h = 0.3·2/S0 over 300 steps: the sharpness stays far below 2/h (tests/test_nn_vacuity.py)",
            rival=Rival("BatchNorm changes nothing: with and without it, relu³ from the unbalanced start settles at "
                        "the same tail S·h/2 (within 0.05) at each h.", CUBIC_BN_SAME_H + CUBIC,
                        _same_tail_with_and_without(CUBIC_BN_SAME_H, CUBIC))),
)

NOT_DECIDED = ("not yet decided on the bracketed three-seed grids (issue 24): the full run takes about 6 h on a "
               "shared 2-core CPU and did not fit the session; the earlier fixed-grid figures no longer apply")

KNOWN_FINDINGS: dict[str, str] = {
    "nn.limit-below-eos-mse-relu": "fails on 5 of 6 (dataset, seed), every h inside (m_c, m*): on digits (seeds "
                                   "0-2) the tail gap 1 - S·h/2 stays at 0.007-0.015 without growth; on mnist1d "
                                   "seeds 0, 1 it shrinks (0.037 -> 0.021, 0.039 -> 0.025), seed 2 widens (0.033 -> "
                                   "0.052); the authors' MNIST runs do not widen either (docs/nn-bracketed-results.md)",
    "nn.eos-bounded-loss": "inconclusive: digits seeds 0-2 at the edge (tails 1.007-1.010); on mnist1d the larger h "
                           "(0.5 of (1, m*), m = 5.5-6.3) hovers just above 2/h (1.045, 1.051, 1.058), seeds 1 and 2 "
                           "above the band [0.95, 1.05] (docs/nn-bracketed-results.md)",
    "nn.eos-bounded-activation": NOT_DECIDED,
    "nn.no-eos-cubic": NOT_DECIDED,
    "nn.bn-restores-eos": NOT_DECIDED,
}
"""Claims not observed on the bracketed grids, with why; catapult and balancing hold on all 6 (dataset, seed)."""


GROUP = nn_group(name="nn", title="Neural networks", claims=NN_CLAIMS, known_findings=KNOWN_FINDINGS)
"""The declared group: the NN entries (lrbias.claims.nn_entries), the NN figure, the known findings."""
