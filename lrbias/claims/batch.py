"""Shared machinery for the batch (statistical) claims: cases, sweeps and their confirmation.

A batch case is (spec, κ, seed): a sweep of ``n`` starts drawn from ``seed`` with
h = κ / (ℓ″(1)(x0² + y0²)), i.e. C = κ/ℓ″(1); κ > 2 is beyond the 2/L threshold of the start's
norm.  ``precise_batch`` re-runs the runs that decide a statistic (and the float-artefact
suspects) at adaptive precision and substitutes their outcomes, which is how a batch
counterexample is confirmed before it is reported.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import numpy as np
from hypothesis import strategies as st

from lrbias.gd import BatchResult, Outcome, Settings, run_auto, run_batch, suspects
from lrbias.gd.sampling import Range, starts_box
from lrbias.losses.families import get_family

STEPS = 5000
BOX = Range(0.5, 4.0)
SETTINGS = Settings(max_steps=STEPS)
CONFIRM_RUNS = 24

Case = tuple[str, float, int]


def kappas(lo: float, hi: float) -> st.SearchStrategy[float]:
    """κ drawn log-uniformly in [lo, hi]."""
    return st.floats(math.log(lo), math.log(hi)).map(math.exp)


def cases(families: st.SearchStrategy[str], lo: float, hi: float) -> st.SearchStrategy[Case]:
    """(spec, κ, seed) batch cases."""
    return st.tuples(families, kappas(lo, hi), st.integers(0, 2**16))


@functools.lru_cache(maxsize=64)
def sweep(spec: str, kappa: float, seed: int, n: int) -> BatchResult:
    """n box starts with random signs (seeded), run to a decision at step κ/(ℓ″(1) q0)."""
    fam = get_family(spec)
    x0, y0 = starts_box(n, BOX, BOX, seed, random_signs=True)
    return run_batch(fam, x0, y0, C=kappa / fam.curvature, settings=SETTINGS, seed=seed)


def precise_batch(batch: BatchResult, rows: np.ndarray | None = None) -> BatchResult:
    """A copy of ``batch`` whose deciding rows (and float-artefact suspects) were re-run in mpmath.

    ``rows`` are the runs that decide the statistic; up to CONFIRM_RUNS of them, plus suspects,
    are re-run with ``run_auto``; their outcome, final point and sharpness are replaced.
    """
    fam = get_family(batch.family)
    out = BatchResult(**{k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in vars(batch).items()})
    chosen: list[int] = [] if rows is None else [int(i) for i in np.atleast_1d(rows)[:CONFIRM_RUNS]]
    union = np.zeros(len(batch), dtype=bool)
    for m in suspects(batch).values():
        union |= m
    chosen += [int(i) for i in np.flatnonzero(union)[:CONFIRM_RUNS] if int(i) not in chosen]
    for i in chosen:
        rec = run_auto(fam, float(batch.x0[i]), float(batch.y0[i]), float(batch.h[i]), batch.settings,
                       start_dps=30, max_dps=120)
        out.outcome[i] = Outcome.parse(rec.outcome)
        out.x[i] = np.nan if rec.x is None else rec.x
        out.y[i] = np.nan if rec.y is None else rec.y
        out.sharpness[i] = np.nan if rec.sharpness is None else rec.sharpness
        if rec.fmax_ratio is not None:
            out.fmax_ratio[i] = rec.fmax_ratio
    out.meta = {**batch.meta, "precise_rows": chosen}
    return out


def converged(batch: BatchResult) -> np.ndarray:
    """Mask of converged runs."""
    return batch.mask(Outcome.CONVERGED)


def replay(case: Case) -> str:
    """A one-line command that rebuilds exactly this batch (same sampler, seed, size and budget)."""
    from lrbias.claims.profiles import active_profile

    spec, kappa, seed = case
    n = active_profile().sweep_starts
    return (f"python -c \"from lrbias.claims.batch import sweep; "
            f"b = sweep({spec!r}, {float(kappa)!r}, {int(seed)}, {n}); print(b.shares())\"")


def batch_entry_functions(statistic: Callable[[BatchResult], tuple], n_of_profile: Callable[[], int]):
    """(conclusion, confirm) for a statistic mapping a batch to (Check, deciding rows)."""

    def conclusion(case: Case):
        spec, kappa, seed = case
        check, _ = statistic(sweep(spec, float(kappa), int(seed), n_of_profile()))
        return check

    def confirm(case: Case):
        spec, kappa, seed = case
        batch = sweep(spec, float(kappa), int(seed), n_of_profile())
        _, rows = statistic(batch)
        check, _ = statistic(precise_batch(batch, rows))
        return check

    return conclusion, confirm
