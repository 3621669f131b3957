"""Cached float64 sweeps for batch claims, and their confirmation through the precision tiers.

A sweep is ``n`` starts drawn from a start distribution (:mod:`lrbias.claims.starts`) with
h = κ / (ℓ″(1)(x0² + y0²)), i.e. C = κ/ℓ″(1).  Budgets climb a ladder: :data:`STEPS`, then ×
:data:`GROWTH` per rung up to :data:`CAP`; a sweep at a rung re-runs only the runs the rung below
left *open* (budget spent: :func:`open_runs`), since a decided run ends at the same step whatever
the budget (converged, diverged, periodic, or stalled at the saddle).  :func:`to_decision` climbs
the ladder until a check no longer depends on the open runs (see DESIGN.md, "Decided at
convergence").  Sweeps are cached per process.  :func:`precise_batch` re-runs the runs
that decide a statistic (and the float-artefact suspects) through the tiers (quad, then mpmath)
and substitutes their outcomes, which is how a batch counterexample is confirmed before it is
reported.  :func:`replay` prints a command that rebuilds a case's sweep.
"""

from __future__ import annotations

import dataclasses
import functools
import shlex
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from lrbias.claims.caching import disk_cached_sweep
from lrbias.claims.starts import get_starts
from lrbias.gd import BatchResult, Outcome, Settings, run_batch, suspects
from lrbias.gd.sampling import Range
from lrbias.losses.families import get_family
from lrbias.verdict import Check

__all__ = ["BOX", "CAP", "CONFIRM_RUNS", "GROWTH", "SETTINGS", "STEPS", "Case", "converged", "coverage_line",
           "fixed_step_sweep", "ladder", "open_runs", "precise_batch", "replay", "sweep", "to_decision", "undecided"]

STEPS = 5000
"""The first rung of the budget ladder."""
CAP = 100_000
"""The last rung: no run is followed beyond this many steps; the runs still open there are counted both ways.

10⁵ (rungs 5,000, 20,000, 80,000, 100,000): the long runs that decided the issue-23 findings (logcosh's
convergence gap closed, the dor ordering failing from unbalanced starts) all settled by 80,000 steps, and
a cap of 10⁶ made chaotic box orbits, which never decide, cost over 13 min of CPU for one smoke entry."""
STALL_RUNGS = 2
"""The climb stops when this many rungs in a row decided none of the open runs (one is not enough: runs
leaving an unstable minimiser at multiplier 1.001 stay open from 5,000 to 20,000 steps, then converge)."""
GROWTH = 4
"""Each rung of the ladder is this many times the one below (re-running the open runs from their
starts costs at most GROWTH/(GROWTH − 1) times the last rung)."""
BOX = Range(0.5, 4.0)
SETTINGS = Settings(max_steps=STEPS)
CONFIRM_RUNS = 24
CONFIRM_BUDGET_S = 20.0   # wall time of one confirmation through the tiers (quad, then mpmath)
CONFIRM_MAX_DPS = 160

class Case(NamedTuple):
    """One batch case: the sweep of ``n`` starts of family ``spec`` at ``kappa`` = C·ℓ″(1), drawn with ``seed``."""

    spec: str
    kappa: float
    seed: int
    n: int


def ladder(cap: int = CAP) -> tuple[int, ...]:
    """The budgets :func:`to_decision` climbs: STEPS, STEPS·GROWTH, ..., the last one ``cap``."""
    rungs = [STEPS]
    while rungs[-1] < cap:
        rungs.append(min(rungs[-1] * GROWTH, cap))
    return tuple(rungs)


@functools.lru_cache(maxsize=192)
def _cached_sweep(spec: str, kappa: float, seed: int, n: int, starts: str, steps: int) -> BatchResult:
    batch = disk_cached_sweep(_swept, spec, kappa, seed, n, starts, steps)
    for array in _arrays(batch).values():
        array.setflags(write=False)
    return batch


def _swept(spec: str, kappa: float, seed: int, n: int, starts: str, steps: int) -> BatchResult:
    fam = get_family(spec)
    if steps > STEPS:
        below = max(r for r in ladder(steps) if r < steps)
        batch = _extended(_cached_sweep(spec, kappa, seed, n, starts, below), steps)
    else:
        x0, y0 = get_starts(starts)(n, seed)
        batch = run_batch(fam, x0, y0, C=kappa / fam.curvature, settings=dataclasses.replace(SETTINGS, max_steps=steps),
                          seed=seed)
    batch.meta["starts"] = starts
    for array in _arrays(batch).values():
        array.setflags(write=False)
    return batch


def _extended(base: BatchResult, steps: int) -> BatchResult:
    """``base`` with its open runs (budget spent) re-run from their starts with ``steps`` steps."""
    out = _writable_copy(base)
    out.settings = dataclasses.replace(base.settings, max_steps=steps)
    rows = np.flatnonzero(open_runs(base))
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

    ``steps`` is the step budget; above :data:`STEPS` only the runs left open by the rung of
    :func:`ladder` below it are re-run (the others end at the same step whatever the budget), so
    any budget gives the result of one run at that budget.  Sweeps are cached and shared
    between claims: the arrays of the result are read-only (``precise_batch`` works on a copy)
    and its ``meta`` dictionary is a fresh copy per call.
    """
    cached = _cached_sweep(spec, kappa, seed, n, starts, int(steps))
    return dataclasses.replace(cached, meta=dict(cached.meta))


def open_runs(batch: BatchResult) -> np.ndarray:
    """Mask of the runs still open: the budget ran out before the engine decided them.

    A run that stalled at the saddle (0, 0) is labelled undecided too, but it stopped before the
    budget: it is decided (a fixed point it cannot leave) and is not open.
    """
    return batch.mask(Outcome.UNDECIDED) & (batch.steps >= batch.settings.max_steps)


@functools.lru_cache(maxsize=32)
def _cached_fixed_step(spec: str, factor: float, seed: int, n: int, starts: str, steps: int) -> BatchResult:
    fam = get_family(spec)
    x0, y0 = get_starts(starts)(n, seed)
    batch = run_batch(fam, x0, y0, h=factor / fam.curvature, settings=Settings(max_steps=steps))
    batch.meta["starts"] = starts
    for array in _arrays(batch).values():
        array.setflags(write=False)
    return batch


def fixed_step_sweep(spec: str, factor: float, seed: int, n: int, starts: str = "box",
                     steps: int = STEPS) -> BatchResult:
    """n starts drawn from ``starts`` (seeded), all run with one step h = ``factor``/ℓ″(1) (so h·ℓ″(1) = factor).

    Where :func:`sweep` fixes κ per start, this fixes h: what a claim about a threshold on h·ℓ″(1)
    reads.  Cached and read-only like :func:`sweep`.
    """
    cached = _cached_fixed_step(spec, float(factor), int(seed), int(n), starts, int(steps))
    return dataclasses.replace(cached, meta=dict(cached.meta))


def undecided(batch: BatchResult) -> int:
    """How many runs of ``batch`` are open (spent the step budget undecided)."""
    return int(open_runs(batch).sum())


def to_decision(check_at: Callable[[int], Check], cap: int = CAP) -> Check:
    """``check_at(steps)`` at the first rung of :func:`ladder` where the open runs cannot flip it.

    A check whose detail says ``undecided_can_flip`` (its open runs, counted both ways, give
    different verdicts) is re-decided at the next rung, until it is settled, the cap is reached,
    or STALL_RUNGS rungs in a row decided none of the open runs (they are not converging, diverging
    or cycling at any rate the ladder can see: chaotic orbits, measured in DESIGN.md).  The check returned
    records the budget reached (``steps``), the cap, why the climb stopped (``stopped``) and the
    open runs' share (``undecided_share``).
    """
    check, stopped, seen = None, "cap", []
    for steps in ladder(cap):
        check = check_at(steps)
        seen.append(check.detail.get("undecided"))
        if not check.detail.get("undecided_can_flip"):
            stopped = "decided"
            break
        if len(seen) > STALL_RUNGS and len(set(seen[-STALL_RUNGS - 1:])) == 1:
            stopped = "no progress"
            break
    assert check is not None
    runs = int(check.detail.get("runs") or 0)
    left = int(check.detail.get("undecided") or 0)
    return Check(check.verdict, check.margin, {**check.detail, "budget_cap": cap, "stopped": stopped,
                                               "undecided_share": left / runs if runs else 0.0})


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


def replay(case: Case, starts: str = "box", source: str | None = None) -> str:
    """A one-line command that rebuilds exactly this batch (same sampler, seed, size and budget).

    It uses the public front only (``from lrbias import sweep``).  ``source``: the variant file that
    declares the case's family or start distribution; the command loads it first
    (:func:`lrbias.claims.variants.load_variant_file`), so it works in a new process.
    """
    spec, kappa, seed, n = case
    head = "from lrbias import sweep"
    if source is not None:
        head = f"from lrbias import load_variant_file, sweep; load_variant_file({str(source)!r})"
    code = (f"{head}; b = sweep({spec!r}, {float(kappa)!r}, {int(seed)}, {int(n)}, starts={starts!r}); "
            "print(b.shares())")
    plain = not any(c in code for c in '"$`\\!')
    return f'python -c "{code}"' if plain else f"python -c {shlex.quote(code)}"




def coverage_line(precise: BatchResult) -> str:
    """One line of what the tiers confirmed in ``precise`` (a :func:`precise_batch` result)."""
    c = precise.meta.get("confirmation") or {}
    if not c:
        return "no confirmation"
    return (f"coverage {c['coverage']:.0%} of {c['suspects']} runs: {c['confirmed_by_quad']} by quad, "
            f"{c['escalated']} escalated to mpmath ({c['confirmed_by_mpmath']} confirmed), {len(c['flips'])} flips"
            + (f", {c['skipped']} skipped" if c["skipped"] else "")
            + (f", {c['inconclusive']} inconclusive" if c["inconclusive"] else ""))
