"""Batch (statistical) claims: cases, cached sweeps, their confirmation, and the one builder.

A batch case is (spec, κ, seed, n): a sweep of ``n`` starts drawn from ``seed`` with
h = κ / (ℓ″(1)(x0² + y0²)), i.e. C = κ/ℓ″(1); κ > 2 is beyond the 2/L threshold of the start's
norm.  Where the starts come from is the entry's start distribution (:mod:`lrbias.claims.starts`,
stated in its statement), and the step budget is :data:`STEPS`; a sweep at a multiple of the
budget re-runs only the runs the budget left undecided (a decided run ends at the same step
whatever the budget), which is how the runner's budget check re-decides a case (:func:`rebudget`).
``n`` is the profile's ``sweep_starts``, drawn into the case (:func:`sized`), so a conclusion
is a pure function of its case and a replay command rebuilds the same sweep.
``precise_batch`` re-runs the runs that decide a statistic (and the float-artefact suspects)
through the precision tiers (quad, then mpmath) and substitutes their outcomes, which is how a batch counterexample is
confirmed before it is reported.  :func:`batch_claim` builds an entry from a
:class:`~lrbias.claims.entry.Statistic`; the catalogue, ``lrbias.api`` and TOML variants use it.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable, Sequence

import numpy as np
from hypothesis import strategies as st

from lrbias.claims.entry import Conclusion, Entry, Mutant, Statistic
from lrbias.claims.frontier import Frontier
from lrbias.claims.profiles import Profile
from lrbias.claims.starts import get_starts
from lrbias.claims.verdict import Check
from lrbias.gd import BatchResult, Outcome, Settings, run_batch, suspects
from lrbias.gd.sampling import Range
from lrbias.losses.families import get_family

__all__ = ["BOX", "BUILT_IN_STARTS", "CONFIRM_RUNS", "SETTINGS", "STEPS", "Case", "batch_claim", "cases", "confirm",
           "converged", "counted", "decide", "frontier_predicate", "kappas", "precise_batch", "rebudget", "replay",
           "sized", "starts_sentence", "sweep", "undecided"]

STEPS = 5000
BOX = Range(0.5, 4.0)
SETTINGS = Settings(max_steps=STEPS)
CONFIRM_RUNS = 24
CONFIRM_BUDGET_S = 20.0   # wall time of one confirmation through the tiers (quad, then mpmath)
CONFIRM_MAX_DPS = 160

Case = tuple[str, float, int, int]
"""(family spec, κ, seed, n starts)."""


def kappas(lo: float, hi: float) -> st.SearchStrategy[float]:
    """κ drawn log-uniformly in [lo, hi]."""
    return st.floats(math.log(lo), math.log(hi)).map(math.exp)


def sized(strategy: st.SearchStrategy[tuple]) -> Callable[[Profile], st.SearchStrategy[tuple]]:
    """Hypotheses appending the profile's sweep size to each drawn tuple: (*case, n).

    The size is appended by ``map``, so the draws (and hence the cases found for a seed) are
    the same whatever the profile.
    """
    def for_profile(profile: Profile) -> st.SearchStrategy[tuple]:
        n = profile.sweep_starts
        return strategy.map(lambda case: (*case, n))
    return for_profile


def cases(families: st.SearchStrategy[str], lo: float, hi: float) -> Callable[[Profile], st.SearchStrategy[Case]]:
    """(spec, κ, seed, n) batch cases: spec from ``families``, κ log-uniform in [lo, hi]."""
    return sized(st.tuples(families, kappas(lo, hi), st.integers(0, 2**16)))


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
    return (f"python -c \"from lrbias.claims.batch import sweep; "
            f"b = sweep({spec!r}, {float(kappa)!r}, {int(seed)}, {int(n)}, starts={starts!r}); print(b.shares())\"")


def _case_sweep(case: Case, starts: str = "box", steps: int = STEPS) -> BatchResult:
    spec, kappa, seed, n = case
    return sweep(spec, float(kappa), int(seed), int(n), starts, steps)


def counted(check: Check, batch: BatchResult) -> Check:
    """``check`` with the population behind it: runs, undecided runs, start distribution and budget."""
    return Check(check.verdict, check.margin, {**check.detail, "runs": len(batch), "undecided": undecided(batch),
                                               "starts": batch.meta.get("starts"),
                                               "steps": batch.settings.max_steps})


def decide(statistic: Statistic, starts: str = "box", steps: int = STEPS) -> Conclusion:
    """The conclusion ``statistic`` gives on the float64 sweep of a case (from ``starts``, ``steps`` budget)."""
    def conclusion(case: Case) -> Check:
        batch = _case_sweep(case, starts, steps)
        return counted(statistic(batch)[0], batch)
    return conclusion


def confirm(statistic: Statistic, starts: str = "box") -> Conclusion:
    """The conclusion ``statistic`` gives once the case's deciding rows are re-run at high precision."""
    def conclusion(case: Case) -> Check:
        batch = _case_sweep(case, starts)
        _, rows = statistic(batch)
        precise = precise_batch(batch, rows)
        check = counted(statistic(precise)[0], precise)
        return dataclasses.replace(check, detail={**check.detail, "confirmation": coverage_line(precise)})
    return conclusion


def coverage_line(precise: BatchResult) -> str:
    """One line of what the tiers confirmed in ``precise`` (a :func:`precise_batch` result)."""
    c = precise.meta.get("confirmation") or {}
    if not c:
        return "no confirmation"
    return (f"coverage {c['coverage']:.0%} of {c['suspects']} runs: {c['confirmed_by_quad']} by quad, "
            f"{c['escalated']} escalated to mpmath ({c['confirmed_by_mpmath']} confirmed), {len(c['flips'])} flips"
            + (f", {c['skipped']} skipped" if c["skipped"] else "")
            + (f", {c['inconclusive']} inconclusive" if c["inconclusive"] else ""))


def rebudget(statistic: Statistic, starts: str = "box") -> Callable[[Case, int], Check]:
    """The conclusion of ``statistic`` on a case with the step budget multiplied by ``factor``."""
    def conclusion(case: Case, factor: int) -> Check:
        batch = _case_sweep(case, starts, STEPS * int(factor))
        return counted(statistic(batch)[0], batch)
    return conclusion


def frontier_predicate(statistic: Statistic) -> Callable[[str, float, int, int, str], Check]:
    """The frontier predicate (spec, κ, n, seed, starts) of ``statistic``."""
    def predicate(spec: str, kappa: float, n: int, seed: int, starts: str = "box") -> Check:
        return statistic(sweep(spec, float(kappa), seed, n, starts))[0]
    return predicate


def starts_sentence(starts: str) -> str:
    """The sentence a statement ends with, naming its start distribution."""
    return f"Starts: {starts} ({get_starts(starts).description}); {STEPS} steps."


BUILT_IN_STARTS = ("box", "unbalanced", "shell")


def batch_claim(id: str, title: str, statement: str, families: Sequence[str] | st.SearchStrategy[str],
                kappa: tuple[float, float], statistic: Statistic,
                mutants: Sequence[tuple[str, str, Statistic]] = (), latex: str = "",
                provenance: str = "reconstructed", frontier: tuple[float, float] | None = None,
                assumptions: str = "", frontier_families: Sequence[str] | None = None, *,
                starts: str = "box", frontier_starts: Sequence[str] | None = None,
                rival: tuple[str, Statistic] | None = None,
                rival_cases: tuple[Sequence[str] | st.SearchStrategy[str], tuple[float, float]] | None = None,
                fails_if: str = "", near: float = 0.05) -> Entry:
    """A statistical claim over batched sweeps: ``statistic(BatchResult) -> (Check, deciding rows)``.

    Cases are (family spec, κ, seed, n) with the spec drawn from ``families`` (a list of specs,
    or a strategy of specs), κ log-uniform in ``kappa`` and n the profile's sweep size; each case
    is a sweep of starts drawn from the start distribution ``starts`` (a name of
    :data:`lrbias.claims.starts.STARTS`, appended to the statement), h = κ / (ℓ″(1)(x0² + y0²)).
    ``mutants`` are (name, description, wrong statistic).  ``frontier`` = (κ_lo, κ_hi) adds a
    validity frontier over that range for every family of ``frontier_families`` (default:
    ``families``, which must then be a list), for ``starts`` and every name of ``frontier_starts``.
    ``rival`` = (statement, statistic): a nearby plausible but false claim the search must refute
    (over ``rival_cases`` = (families, κ range), default the claim's own), confirmed at high
    precision.  ``fails_if`` says what would make the claim fail.
    """
    get_starts(starts)
    if isinstance(families, st.SearchStrategy):
        specs = None
        drawn = families
    else:
        specs = tuple(families)
        for spec in specs:
            get_family(spec)
        drawn = st.sampled_from(list(specs))
    scanned = tuple(frontier_families) if frontier_families is not None else specs
    scan = None
    if frontier is not None:
        if scanned is None:
            raise ValueError(f"entry {id}: a frontier over a strategy of families needs frontier_families")
        scanned_starts = (starts, *(s for s in (frontier_starts or ()) if s != starts))
        scan = Frontier(scanned, *frontier, frontier_predicate(statistic), starts=scanned_starts)
    if not assumptions:
        where = f"families {', '.join(specs)}" if specs is not None else "families drawn by the strategy"
        assumptions = f"{where}; κ in [{kappa[0]:g}, {kappa[1]:g}]"
    assumptions = f"{assumptions}; starts: {starts}; {STEPS} steps"
    rival_mutant = None
    if rival is not None:
        r_families, r_kappa = rival_cases if rival_cases is not None else (families, kappa)
        r_drawn = r_families if isinstance(r_families, st.SearchStrategy) else st.sampled_from(list(r_families))
        rival_mutant = Mutant("rival", f"{rival[0]} {starts_sentence(starts)}", decide(rival[1], starts),
                              cases(r_drawn, *r_kappa), confirm=confirm(rival[1], starts))

    def restart(name: str) -> Entry:
        return batch_claim(id, title, statement, families, kappa, statistic, mutants, latex, provenance, frontier,
                           assumptions.split("; starts: ")[0], frontier_families, starts=name,
                           frontier_starts=frontier_starts, rival=rival, rival_cases=rival_cases,
                           fails_if=fails_if, near=near)

    return Entry(id=id, title=title, statement=f"{statement} {starts_sentence(starts)}", latex=latex,
                 provenance=provenance, hypotheses=cases(drawn, *kappa), conclusion=decide(statistic, starts),
                 confirm=confirm(statistic, starts), replay=functools.partial(replay, starts=starts),
                 engine="float64 batch", examples_scale=0.1,
                 mutants=tuple(Mutant(name, text, decide(wrong, starts)) for name, text, wrong in mutants),
                 shrink=False, assumptions=assumptions, frontier=scan, fails_if=fails_if, rival=rival_mutant,
                 starts=starts, restart=restart, rebudget=rebudget(statistic, starts), near=near)
