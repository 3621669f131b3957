"""Statistical (batch) claims: cases drawn by Hypothesis, their decision on a sweep, and the builder.

A batch case is (spec, κ, seed, n): the sweep of :func:`lrbias.claims.sweeps.sweep`.  ``n`` is the
profile's ``sweep_starts``, drawn into the case (:func:`sized`), so a conclusion is a pure function
of its case and a replay command rebuilds the same sweep.  :func:`decide` evaluates a
:class:`~lrbias.claims.entry.Statistic` on the float64 sweep, :func:`confirm` after the tiers
confirmed its deciding rows, :func:`rebudget` at a multiple of the step budget;
:func:`batch_claim` builds an entry from a statistic (the catalogue, ``lrbias.api`` and TOML
variants use it).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np
from hypothesis import strategies as st

from lrbias.claims.entry import Conclusion, Entry, Mutant, Statistic
from lrbias.claims.frontier import Frontier
from lrbias.claims.profiles import Profile
from lrbias.claims.starts import get_starts
from lrbias.claims.sweeps import STEPS, Case, converged, coverage_line, precise_batch, replay, sweep, undecided
from lrbias.gd import BatchResult
from lrbias.losses.families import get_family
from lrbias.verdict import Check

__all__ = ["BUILT_IN_STARTS", "batch_claim", "cases", "confirm", "counted", "decide", "frontier_predicate",
           "kappas", "rebudget", "sized", "starts_sentence"]

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



def final_gap_certificate(starts: str = "box") -> Callable[[Case], dict]:
    """The single-run fact behind a failure of "every converged run ends with (x∞ − y∞)² ≤ (x0 − y0)²",
    proven: the case's worst run is certified converged (:func:`lrbias.gd.certificate.certify`) and the
    enclosure of (x∞ − y∞)² lies above (x0 − y0)² (exact binary start) for the whole ball."""
    from lrbias.claims.statistics import final_gap_at_most_initial

    def certify_case(case: Case) -> dict:
        from lrbias.gd.certificate import CONVERGED, certify
        from lrbias.gd.certificate.intervals import flint_module

        batch = _case_sweep(case, starts)
        _, rows = final_gap_at_most_initial()(batch)
        if not len(rows):
            return {"tier": "float64", "reason": "no converged run to certify"}
        i = int(rows[0])
        x0, y0, h = float(batch.x0[i]), float(batch.y0[i]), float(batch.h[i])
        cert = certify(batch.family, x0, y0, h, width=1e-6)
        run = {"x0": x0, "y0": y0, "h": h, "outcome": cert.outcome, "step": cert.step, "bits": cert.bits}
        if cert.outcome != CONVERGED or "x" not in cert.balls:
            return {"tier": "float64", "reason": f"the deciding run is not certified converged: {cert.reason}",
                    "run": run}
        arb = flint_module().arb
        diff = cert.balls["x"] - cert.balls["y"]
        gap = diff * diff
        start = (arb(x0) - arb(y0)) * (arb(x0) - arb(y0))
        run["final_gap2"], run["initial_gap2"] = gap.str(10, radius=True), start.str(10, radius=True)
        if gap > start:
            return {"tier": "certified", "how": "the deciding run is certified converged (tail certificate at step "
                    f"{cert.step}) and its (x∞ - y∞)² enclosure lies above (x0 - y0)²", "run": run}
        return {"tier": "float64", "reason": "(x∞ - y∞)² > (x0 - y0)² not decided by the enclosures", "run": run}

    return certify_case


def share_converged_certificate(threshold: float) -> Callable[[str], Callable[[Case], dict]]:
    """A failure of "at least ``threshold`` of the runs converge" on a case, proven: enough of the case's
    runs are certified *not* to converge (``certified diverged`` — an escape region — or ``certified
    periodic``) that the converged share is below ``threshold`` whatever the other runs do.  The runs are
    tried in the statistic's order (those float64 did not call converged) until enough are proven."""
    from fractions import Fraction

    def for_starts(starts: str) -> Callable[[Case], dict]:
        def certify_case(case: Case) -> dict:
            from lrbias.gd.certificate import DIVERGED, PERIODIC, certify

            batch = _case_sweep(case, starts)
            n = len(batch)
            need = int(Fraction(n) * (1 - Fraction(str(threshold)))) + 1   # proven > n(1 − threshold)
            proven, tried, why = 0, 0, Counter()
            for i in np.flatnonzero(~converged(batch)):
                x0, y0, h = float(batch.x0[i]), float(batch.y0[i]), float(batch.h[i])
                cert = certify(batch.family, x0, y0, h, width=1e-6, max_steps=4 * STEPS)
                tried += 1
                if cert.outcome in (DIVERGED, PERIODIC):
                    proven += 1
                    if proven >= need:
                        return {"tier": "certified", "how": f"{proven} of the {n} runs are proven not to converge "
                                f"(escape or cycle certificates; {tried} tried), so the converged share is at most "
                                f"{(n - proven) / n:.4g} < {threshold:g}", "proven": proven, "n": n}
                else:
                    why[cert.reason.split("(")[0].strip()[:80]] += 1
            return {"tier": "float64", "reason": f"only {proven} of the {need} runs needed are proven not to "
                    f"converge ({tried} tried; {dict(why.most_common(2))})", "proven": proven, "n": n}
        return certify_case
    return for_starts


def certify_sample(batch: BatchResult) -> tuple[list, int]:
    """The certificates of the runs of ``batch`` that are proven (converged, periodic or diverged), and
    how many are not; the statistics below bound their answer over every outcome of the unproven runs."""
    from lrbias.gd.certificate import NOT_CERTIFIED, certify

    certs, unproven = [], 0
    for i in range(len(batch)):
        cert = certify(batch.family, float(batch.x0[i]), float(batch.y0[i]), float(batch.h[i]), width=1e-6,
                       max_steps=4 * STEPS)
        if cert.outcome == NOT_CERTIFIED:
            unproven += 1
        else:
            certs.append(cert)
    return certs, unproven


def median_ratio_certificate(level: float) -> Callable[[str], Callable[[Case], dict]]:
    """A failure of "the median S∞h/2 of the converged runs is at least ``level``", proven: the runs of the
    sample are certified, each unproven run is counted as converged with ratio +inf (the worst case: it
    can only raise the median), and the median of the upper ends of the ratio enclosures is below
    ``level`` (the median is increasing in each element, so that bounds the true median)."""
    def for_starts(starts: str) -> Callable[[Case], dict]:
        def certify_case(case: Case) -> dict:
            from lrbias.claims.statistics import MIN_CONVERGED
            from lrbias.gd.certificate import CONVERGED

            certs, unproven = certify_sample(_case_sweep(case, starts))
            his = [c.ratio.hi for c in certs if c.outcome == CONVERGED]
            if len(his) < MIN_CONVERGED:
                return {"tier": "float64", "reason": f"only {len(his)} runs are certified converged"}
            med = float(np.median(his + [math.inf] * unproven))
            if med < level:
                return {"tier": "certified", "how": f"{len(certs)} runs certified, {unproven} not (counted as "
                        f"converged with ratio +inf); the median ratio of the converged runs is <= {med:.6g} < "
                        f"{level:g}", "n": len(certs) + unproven, "unproven": unproven}
            return {"tier": "float64", "reason": f"the median's upper bound {med:.6g} is not below {level:g}"}
        return certify_case
    return for_starts


def imbalance_shrinks_certificate(level: float, fraction: float = 1.0) -> Callable[[str], Callable[[Case], dict]]:
    """A failure of "at least ``level`` of the converged runs end with |d∞| < fraction·|d0|", proven: the runs
    of the sample are certified, each unproven run is counted as converged and shrunk (the worst case),
    and enough converged runs have a |d∞| enclosure at or above fraction·|d0| (d0 = x0² − y0² exact in
    arb) that the shrunk share is below ``level``."""
    def for_starts(starts: str) -> Callable[[Case], dict]:
        def certify_case(case: Case) -> dict:
            from lrbias.gd.certificate import CONVERGED
            from lrbias.gd.certificate.intervals import flint_module

            arb = flint_module().arb
            certs, unproven = certify_sample(_case_sweep(case, starts))
            conv = [c for c in certs if c.outcome == CONVERGED]
            if not conv:
                return {"tier": "float64", "reason": "no run is certified converged"}
            failing = 0
            for c in conv:
                d0 = abs((arb(c.x0) - arb(c.y0)) * (arb(c.x0) + arb(c.y0)))
                if abs(c.balls["imbalance"]) >= arb(fraction) * d0:
                    failing += 1
            share = (len(conv) - failing + unproven) / (len(conv) + unproven)
            if share < level:
                return {"tier": "certified", "how": f"{len(certs)} runs certified, {unproven} not (counted as "
                        f"converged and shrunk); {failing} of the {len(conv)} certified converged runs are proven "
                        f"to end with |d∞| >= {fraction:g}|d0|, so the shrunk share is at most {share:.4g} < "
                        f"{level:g}", "n": len(certs) + unproven, "unproven": unproven}
            return {"tier": "float64", "reason": f"only {failing} converged runs are proven not to shrink"}
        return certify_case
    return for_starts


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
                fails_if: str = "", near: float = 0.05,
                rival_certify: Callable[[str], Callable[[Case], dict]] | None = None) -> Entry:
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
    precision.  ``fails_if`` says what would make the claim fail.  ``rival_certify(starts)`` gives the
    rival's ``certify`` hook when its refutation is a single-run fact (e.g. :func:`final_gap_certificate`).
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
                              cases(r_drawn, *r_kappa), confirm=confirm(rival[1], starts),
                              certify=rival_certify(starts) if rival_certify is not None else None)

    def restart(name: str) -> Entry:
        return batch_claim(id, title, statement, families, kappa, statistic, mutants, latex, provenance, frontier,
                           assumptions.split("; starts: ")[0], frontier_families, starts=name,
                           frontier_starts=frontier_starts, rival=rival, rival_cases=rival_cases,
                           fails_if=fails_if, near=near, rival_certify=rival_certify)

    return Entry(id=id, title=title, statement=f"{statement} {starts_sentence(starts)}", latex=latex,
                 provenance=provenance, hypotheses=cases(drawn, *kappa), conclusion=decide(statistic, starts),
                 confirm=confirm(statistic, starts), replay=functools.partial(replay, starts=starts),
                 engine="float64 batch", examples_scale=0.1,
                 mutants=tuple(Mutant(name, text, decide(wrong, starts)) for name, text, wrong in mutants),
                 shrink=False, assumptions=assumptions, frontier=scan, fails_if=fails_if, rival=rival_mutant,
                 starts=starts, restart=restart, rebudget=rebudget(statistic, starts), near=near)
