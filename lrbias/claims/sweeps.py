"""Cached float64 sweeps for batch claims, and their confirmation through the precision tiers.

A sweep is ``n`` starts drawn from a start distribution (:mod:`lrbias.claims.starts`) with
h = κ / (ℓ″(1)(x0² + y0²)), i.e. C = κ/ℓ″(1); the step budget is :data:`STEPS`, and a sweep at a
multiple of it re-runs only the runs the budget left undecided (a decided run ends at the same
step whatever the budget).  Sweeps are cached per process.  :func:`precise_batch` re-runs the runs
that decide a statistic (and the float-artefact suspects) through the tiers (quad, then mpmath)
and substitutes their outcomes, which is how a batch counterexample is confirmed before it is
reported.  :func:`replay` prints a command that rebuilds a case's sweep.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np

from lrbias.claims.starts import get_starts
from lrbias.gd import BatchResult, Outcome, Settings, run_batch, suspects
from lrbias.gd.sampling import Range
from lrbias.losses.families import get_family

__all__ = ["BOX", "CONFIRM_RUNS", "SETTINGS", "STEPS", "Case", "converged", "coverage_line", "precise_batch",
           "replay", "sweep", "undecided"]

STEPS = 5000
BOX = Range(0.5, 4.0)
SETTINGS = Settings(max_steps=STEPS)
CONFIRM_RUNS = 24
CONFIRM_BUDGET_S = 20.0   # wall time of one confirmation through the tiers (quad, then mpmath)
CONFIRM_MAX_DPS = 160

Case = tuple[str, float, int, int]
"""(family spec, κ, seed, n starts)."""



@functools.lru_cache(maxsize=96)
def _cached_sweep(spec: str, kappa: float, seed: int, n: int, starts: str, steps: int) -> BatchResult:
    fam = get_family(spec)
    if steps > STEPS:
        batch = _extended(_cached_sweep(spec, kappa, seed, n, starts, STEPS), steps)
    else:
        x0, y0 = get_starts(starts)(n, seed)
        batch = run_batch(fam, x0, y0, C=kappa / fam.curvature, settings=dataclasses.replace(SETTINGS, max_steps=steps),
                          seed=seed)
    batch.meta["starts"] = starts
    for array in _arrays(batch).values():
        array.setflags(write=False)
    return batch


def _extended(base: BatchResult, steps: int) -> BatchResult:
    """``base`` with its undecided runs re-run from their starts with ``steps`` steps."""
    out = _writable_copy(base)
    out.settings = dataclasses.replace(base.settings, max_steps=steps)
    rows = np.flatnonzero(base.mask(Outcome.UNDECIDED))
    if rows.size:
        more = run_batch(get_family(base.family), base.x0[rows], base.y0[rows], h=base.h[rows],
                         settings=out.settings, seed=base.seed)
        for name, array in _arrays(more).items():
            if name not in ("x0", "y0", "h", "C"):
                getattr(out, name)[rows] = array
    out.meta = {**base.meta, "rerun_rows": int(rows.size)}
    return out


def _arrays(batch: BatchResult) -> dict[str, np.ndarray]:
    """The array fields of ``batch`` by name."""
    values = {f.name: getattr(batch, f.name) for f in dataclasses.fields(batch)}
    return {k: v for k, v in values.items() if isinstance(v, np.ndarray)}


def sweep(spec: str, kappa: float, seed: int, n: int, starts: str = "box", steps: int = STEPS) -> BatchResult:
    """n starts drawn from the start distribution ``starts`` (seeded), run to a decision at step κ/(ℓ″(1) q0).

    ``steps`` is the step budget; above :data:`STEPS` only the runs left undecided at STEPS are
    re-run (the others end at the same step whatever the budget).  Sweeps are cached and shared
    between claims: the arrays of the result are read-only (``precise_batch`` works on a copy)
    and its ``meta`` dictionary is a fresh copy per call.
    """
    cached = _cached_sweep(spec, kappa, seed, n, starts, int(steps))
    return dataclasses.replace(cached, meta=dict(cached.meta))


def undecided(batch: BatchResult) -> int:
    """How many runs of ``batch`` spent the step budget undecided."""
    return int(batch.mask(Outcome.UNDECIDED).sum())


def _writable_copy(batch: BatchResult) -> BatchResult:
    out = dataclasses.replace(batch, meta=dict(batch.meta))
    for name, array in _arrays(batch).items():
        setattr(out, name, array.copy())
    return out


def precise_batch(batch: BatchResult, rows: np.ndarray | None = None) -> BatchResult:
    """A copy of ``batch`` whose deciding rows and float-artefact suspects were confirmed by the tiers.

    ``rows`` are the runs that decide the statistic; up to CONFIRM_RUNS of them, plus every
    suspect, go through :func:`lrbias.gd.tiers.confirm` (quad for all, batched; mpmath where
    float64 and quad disagree) within CONFIRM_BUDGET_S seconds.  A confirmed run's outcome,
    final point and sharpness are replaced; an inconclusive one becomes undecided; a skipped one
    keeps its float64 verdict and lowers the coverage, which ``meta['confirmation']`` records.
    """
    from lrbias.gd import tiers

    fam = get_family(batch.family)
    out = _writable_copy(batch)
    chosen: list[int] = [] if rows is None else [int(i) for i in np.atleast_1d(rows)[:CONFIRM_RUNS]]
    union = np.zeros(len(batch), dtype=bool)
    for m in suspects(batch).values():
        union |= m
    chosen += [int(i) for i in np.flatnonzero(union) if int(i) not in chosen]
    fast = batch.records(np.asarray(chosen, dtype=np.int64)) if chosen else []
    cov, results = tiers.confirm(fam, [float(batch.x0[i]) for i in chosen], [float(batch.y0[i]) for i in chosen],
                                 [float(batch.h[i]) for i in chosen], fast, batch.settings,
                                 budget_s=CONFIRM_BUDGET_S, max_dps=CONFIRM_MAX_DPS)
    for i, res in zip(chosen, results, strict=True):
        rec = res.final
        if res.tier == "inconclusive":
            out.outcome[i] = Outcome.UNDECIDED
        if rec is None:
            continue
        out.outcome[i] = Outcome.parse(rec.outcome)
        out.x[i] = np.nan if rec.x is None else rec.x
        out.y[i] = np.nan if rec.y is None else rec.y
        out.sharpness[i] = np.nan if rec.sharpness is None else rec.sharpness
        if rec.fmax_ratio is not None:
            out.fmax_ratio[i] = rec.fmax_ratio
    for flip in cov.flips:
        flip["index"] = chosen[flip["index"]]
    out.meta = {**batch.meta, "precise_rows": chosen, "confirmation": cov.as_dict()}
    return out


def converged(batch: BatchResult) -> np.ndarray:
    """Mask of converged runs."""
    return batch.mask(Outcome.CONVERGED)


def replay(case: Case, starts: str = "box") -> str:
    """A one-line command that rebuilds exactly this batch (same sampler, seed, size and budget)."""
    spec, kappa, seed, n = case
    return (f"python -c \"from lrbias.claims.statistical import sweep; "
            f"b = sweep({spec!r}, {float(kappa)!r}, {int(seed)}, {int(n)}, starts={starts!r}); print(b.shares())\"")




def coverage_line(precise: BatchResult) -> str:
    """One line of what the tiers confirmed in ``precise`` (a :func:`precise_batch` result)."""
    c = precise.meta.get("confirmation") or {}
    if not c:
        return "no confirmation"
    return (f"coverage {c['coverage']:.0%} of {c['suspects']} runs: {c['confirmed_by_quad']} by quad, "
            f"{c['escalated']} escalated to mpmath ({c['confirmed_by_mpmath']} confirmed), {len(c['flips'])} flips"
            + (f", {c['skipped']} skipped" if c["skipped"] else "")
            + (f", {c['inconclusive']} inconclusive" if c["inconclusive"] else ""))
