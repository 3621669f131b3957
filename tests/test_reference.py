"""The engine against an independent float64 reference (tests/reference_gd.py), one long-budget cell per family.

The reference is a plain step-at-a-time loop with hand-written derivatives, its own sampler and its
own rules; it draws its own starts (another seed), so the comparison is between two samples of the
same distribution: each share (converged; converged at the edge, κ > 2 and S∞h/2 ≥ 0.95) must agree
within Newcombe's interval for a difference of two proportions built from Wilson intervals at
z = 3.29 (99.9% each; 8 comparisons).  A perturbed engine (its step 15% longer) fails it.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from reference_gd import Reference, difference_interval, reference_sweep

from lrbias.claims.starts import get_starts
from lrbias.claims.statistics import edge_runs
from lrbias.claims.sweeps import open_runs, sweep
from lrbias.gd import BatchResult, Outcome, Settings, run_batch, step_loop
from lrbias.losses.families import get_family

N = 300
STEPS = 20_000      # a rung of the budget ladder (sweeps.ladder), long enough that these cells leave few runs open
Z = 3.29
CELLS = [("softplus-pair:a=1/2", 4.0), ("logcosh", 3.0), ("square", 4.0), ("power:b=3", 1.5)]


@functools.cache
def reference(spec: str, kappa: float) -> Reference:
    return reference_sweep(spec, kappa, N, seed=12345, steps=STEPS)


def counts(b: BatchResult) -> dict[str, int]:
    return {"converged": int(b.mask(Outcome.CONVERGED).sum()), "at_edge": int(edge_runs(b).sum()),
            "open": int(open_runs(b).sum())}


def disagreements(ref: Reference, engine: dict[str, int]) -> list[str]:
    """The shares whose difference interval excludes 0 (empty: the engine agrees with the reference)."""
    out = []
    for name in ("converged", "at_edge"):
        lo, hi = difference_interval(getattr(ref, name), ref.runs, engine[name], N, Z)
        if not lo <= 0 <= hi:
            out.append(f"{name}: reference {getattr(ref, name)}/{ref.runs}, engine {engine[name]}/{N}, "
                       f"difference interval [{lo:.3f}, {hi:.3f}]")
    return out


@pytest.mark.parametrize(("spec", "kappa"), CELLS)
def test_engine_agrees_with_the_independent_reference(spec, kappa):
    ref = reference(spec, kappa)
    engine = counts(sweep(spec, kappa, 0, N, "unbalanced", STEPS))
    assert ref.open <= 0.05 * N and engine["open"] <= 0.05 * N, "the cell is decided in both"
    assert not disagreements(ref, engine)


def test_a_perturbed_engine_disagrees_with_the_reference(monkeypatch):
    real = step_loop.run_chunk

    def longer_step(family, x0, y0, h, *args, **kwargs):
        return real(family, x0, y0, h * 1.15, *args, **kwargs)

    monkeypatch.setattr(step_loop, "run_chunk", longer_step)
    spec, kappa = "square", 4.0
    fam = get_family(spec)
    x0, y0 = get_starts("unbalanced")(N, 0)
    perturbed = run_batch(fam, x0, y0, C=kappa / fam.curvature, settings=Settings(max_steps=STEPS), seed=0)
    found = disagreements(reference(spec, kappa), counts(perturbed))
    assert found and found[0].startswith("converged"), found
