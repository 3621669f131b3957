"""Statistical (batch) claims: cases drawn by Hypothesis, their decision on sweeps, and the builders.

A batch case is a :class:`~lrbias.claims.sweeps.Case` (spec, κ, seed, n): the sweep of
:func:`lrbias.claims.sweeps.sweep`.  ``n`` is the profile's ``sweep_starts``, drawn into the case
(:func:`sized`), so a conclusion is a pure function of its case and a replay command rebuilds the
same sweep.  :func:`decide` evaluates a :class:`~lrbias.claims.entry.Statistic` on the float64
sweep *at convergence*: it climbs the budget ladder (:func:`lrbias.claims.sweeps.to_decision`)
until the open runs, counted both ways, cannot flip the verdict, up to
:data:`~lrbias.claims.sweeps.CAP` steps; :func:`confirm` re-decides the deciding rows of the sweep at
the rung where it was decided through the tiers; :func:`rebudget` at a multiple of a fixed budget
(claims decided at convergence have none); :func:`batch_claim` builds an entry from a statistic (the catalogue,
``lrbias.api`` and TOML variants use it).

Claims that compare sweeps (two κ of one family, a family against a reference family, a list of
families, or a sweep at one fixed step h) are a :class:`Compared`: which sweeps a case reads
(:class:`Sweep`, from the combinators :func:`two_kappas`, :func:`against_reference`,
:func:`across_families`, :func:`one_sweep`, :func:`at_fixed_step`), a check over those sweeps and
the rows of each that decide it; :func:`compared_claim` builds its entry with the same decide /
confirm / rebudget rules.  Both builders are keyword-only and rebuild an entry for another start
distribution from their own arguments (``restart``).
"""

from __future__ import annotations

import contextvars
import dataclasses
import functools
import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

import numpy as np
from hypothesis import strategies as st

from lrbias.claims.entry import Conclusion, Entry, Hypotheses, Mutant, Statistic
from lrbias.claims.frontier import Frontier
from lrbias.claims.profiles import Profile
from lrbias.claims.starts import get_starts
from lrbias.claims.sweeps import (
    CAP,
    STEPS,
    Case,
    converged,
    coverage_line,
    fixed_step_sweep,
    precise_batch,
    replay,
    sweep,
    to_decision,
    undecided,
)
from lrbias.errors import InvalidArgument
from lrbias.gd import BatchResult, Outcome
from lrbias.losses.families import get_family
from lrbias.verdict import Check

__all__ = ["BUILT_IN_STARTS", "Compared", "Rival", "Sweep", "across_families", "against_reference", "at_fixed_step",
           "batch_claim", "cases", "compared_claim", "confirm", "counted", "decide", "frontier_predicate", "kappas",
           "one_sweep", "rebudget", "sized", "starts_sentence", "two_kappas", "variant_source"]

VARIANT_SOURCE: contextvars.ContextVar[str | None] = contextvars.ContextVar("lrbias_variant_source", default=None)
"""The variant file being loaded (set by :mod:`lrbias.claims.variants`): the builders record it as
the entry's ``source``, which its replay commands load first."""


def variant_source() -> str | None:
    """The variant file being loaded now, if any (the default ``source`` of the builders)."""
    return VARIANT_SOURCE.get()

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


def cases(families: st.SearchStrategy[str] | Sequence[str], lo: float,
          hi: float) -> Callable[[Profile], st.SearchStrategy[Case]]:
    """:class:`Case` (spec, κ, seed, n) batch cases: spec from ``families`` (a strategy or a list of specs),
    κ log-uniform in [lo, hi], n the profile's sweep size."""
    drawn = families if isinstance(families, st.SearchStrategy) else st.sampled_from(list(families))
    inner = st.tuples(drawn, kappas(lo, hi), st.integers(0, 2**16))

    def for_profile(profile: Profile) -> st.SearchStrategy[Case]:
        n = profile.sweep_starts
        return inner.map(lambda c: Case(*c, n))
    return for_profile


def _case_sweep(case: Case, starts: str = "box", steps: int = STEPS) -> BatchResult:
    spec, kappa, seed, n = case
    return sweep(spec, float(kappa), int(seed), int(n), starts, steps)


def counted(check: Check, batch: BatchResult) -> Check:
    """``check`` with the population behind it: runs, open (undecided) runs and their share, start
    distribution and budget (the rung reached, ``steps``, and the cap: the same for a fixed budget)."""
    return _counted_all(check, [batch])


def at_convergence(statistic: Statistic, case: Case, starts: str = "box", cap: int = CAP) -> Check:
    """``statistic`` on the sweep of ``case`` at the first rung where its open runs cannot flip it."""
    def at(steps: int) -> Check:
        batch = _case_sweep(case, starts, steps)
        return counted(statistic(batch)[0], batch)
    return to_decision(at, cap)


def decide(statistic: Statistic, starts: str = "box", steps: int | None = None) -> Conclusion:
    """The conclusion ``statistic`` gives on the float64 sweep of a case from ``starts``: at convergence
    (:func:`at_convergence`), or at a fixed budget of ``steps``."""
    def conclusion(case: Case) -> Check:
        if steps is None:
            return at_convergence(statistic, case, starts)
        batch = _case_sweep(case, starts, steps)
        return counted(statistic(batch)[0], batch)
    return conclusion


def confirm(statistic: Statistic, starts: str = "box") -> Conclusion:
    """The conclusion ``statistic`` gives once the case's deciding rows, on its sweep at the rung where it was
    decided, are re-run at high precision."""
    def conclusion(case: Case) -> Check:
        decided = at_convergence(statistic, case, starts)
        batch = _case_sweep(case, starts, int(decided.detail["steps"]))
        _, rows = statistic(batch)
        precise = precise_batch(batch, rows)
        check = counted(statistic(precise)[0], precise)
        return dataclasses.replace(check, detail={**check.detail, "budget_cap": CAP,
                                                  "confirmation": coverage_line(precise)})
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
            proven, tried, why = 0, 0, Counter[str]()
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


def certify_sample(batch: BatchResult, width: float = 1e-6) -> tuple[list, int]:
    """The certificates of the runs of ``batch`` that are proven (converged, periodic or diverged), and
    how many are not; the statistics below bound their answer over every outcome of the unproven runs.
    ``width``: the relative width the limit enclosures are narrowed to."""
    from lrbias.gd.certificate import NOT_CERTIFIED, certify

    certs, unproven = [], 0
    for i in range(len(batch)):
        cert = certify(batch.family, float(batch.x0[i]), float(batch.y0[i]), float(batch.h[i]), width=width,
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
    """The frontier predicate (spec, κ, n, seed, starts) of ``statistic``, decided at convergence (an
    undecided grid point is inconclusive, never a fail)."""
    def predicate(spec: str, kappa: float, n: int, seed: int, starts: str = "box") -> Check:
        return at_convergence(statistic, Case(spec, float(kappa), int(seed), int(n)), starts)
    return predicate


def budget_sentence(steps: int | None = None) -> str:
    """How a statement's runs are followed: a fixed budget of ``steps``, or (None) to a decision on the ladder."""
    if steps is not None:
        return f"{steps} steps"
    return (f"runs followed to a decision ({STEPS:,} steps, ×4 while the open runs could flip the verdict, "
            f"cap {CAP:,})")


def starts_sentence(starts: str, steps: int | None = None) -> str:
    """The sentence a statement ends with, naming its start distribution and how its runs are followed."""
    return f"Starts: {starts} ({get_starts(starts).description}); {budget_sentence(steps)}."


BUILT_IN_STARTS = ("box", "unbalanced", "shell")


class Rival(NamedTuple):
    """A nearby plausible but false statement the search must refute, as a builder takes it.

    ``statistic``: what decides it (for :func:`batch_claim` a :class:`~lrbias.claims.entry.Statistic`;
    for :func:`compared_claim` a check over the claim's sweeps or a whole :class:`Compared`).  Its
    cases default to the claim's own: ``families`` and ``kappa`` (batch claims) or ``hypotheses``
    replace them.
    """

    statement: str
    statistic: Any
    families: Sequence[str] | st.SearchStrategy[str] | None = None
    kappa: tuple[float, float] | None = None
    hypotheses: Hypotheses | None = None
    certify: Callable[[str], Callable[[Any], dict]] | None = None
    """``certify(starts)`` gives the hook that proves a refuting case (e.g. :func:`final_gap_certificate`)."""


def _specs(families: Sequence[str] | st.SearchStrategy[str]) -> tuple[str, ...] | None:
    """The specs of a list of families (each checked), or None for a strategy."""
    if isinstance(families, st.SearchStrategy):
        return None
    specs = tuple(families)
    for spec in specs:
        get_family(spec)
    return specs


def _statistic_mutants(mutants: Sequence[Mutant], decided: Callable[[Any], Conclusion],
                       owner: str) -> tuple[Mutant, ...]:
    """Builder mutants: a given conclusion is kept, a given statistic is decided on the claim's sweeps."""
    out = []
    for m in mutants:
        if not isinstance(m, Mutant):
            raise InvalidArgument(f"entry {owner}: a mutant must be an lrbias Mutant, not {type(m).__name__}")
        out.append(m if m.statistic is None else Mutant(m.name, m.description, decided(m.statistic), m.hypotheses,
                                                        m.confirm))
    return tuple(out)


def batch_claim(*, id: str, title: str, statement: str, families: Sequence[str] | st.SearchStrategy[str],
                kappa: tuple[float, float], statistic: Statistic, mutants: Sequence[Mutant] = (),
                latex: str = "", provenance: str = "reconstructed", frontier: tuple[float, float] | None = None,
                assumptions: str = "", frontier_families: Sequence[str] | None = None, starts: str = "box",
                frontier_starts: Sequence[str] | None = None, rival: Rival | None = None, fails_if: str = "",
                near: float = 0.05, known_finding: str = "", figures: Sequence[str] = (),
                source: str | None = None) -> Entry:
    """A statistical claim over batched sweeps: ``statistic(BatchResult) -> (Check, deciding rows)``.

    Cases are :class:`Case` (family spec, κ, seed, n) with the spec drawn from ``families`` (a list
    of specs, or a strategy of specs), κ log-uniform in ``kappa`` and n the profile's sweep size;
    each case is a sweep of starts drawn from the start distribution ``starts`` (a name of
    :data:`lrbias.claims.starts.STARTS`, appended to the statement), h = κ / (ℓ″(1)(x0² + y0²)).
    ``mutants``: :class:`~lrbias.claims.entry.Mutant` with a wrong ``statistic``.  ``frontier`` =
    (κ_lo, κ_hi) adds a validity frontier over that range for every family of ``frontier_families``
    (default: ``families``, which must then be a list), for ``starts`` and every name of
    ``frontier_starts``.  ``rival``: a :class:`Rival`, the nearby plausible but false claim the
    search must refute (over its own families and κ range, default the claim's), confirmed at high
    precision.  ``fails_if`` says what would make the claim fail; ``known_finding`` records why the
    claim is known not to hold (see :class:`~lrbias.claims.entry.Entry`); ``figures`` names the
    report's figures that illustrate it; ``source`` the variant file that declares its family (default: the
    file being loaded), which replay commands load first.
    """
    source = source if source is not None else variant_source()
    arguments = dict(id=id, title=title, statement=statement, families=families, kappa=kappa, statistic=statistic,
                     mutants=tuple(mutants), latex=latex, provenance=provenance, frontier=frontier,
                     assumptions=assumptions, frontier_families=frontier_families, frontier_starts=frontier_starts,
                     rival=rival, fails_if=fails_if, near=near, known_finding=known_finding, figures=tuple(figures),
                     source=source)
    get_starts(starts)
    specs = _specs(families)
    scanned = tuple(frontier_families) if frontier_families is not None else specs
    scan = None
    if frontier is not None:
        if scanned is None:
            raise InvalidArgument(f"entry {id}: a frontier over a strategy of families needs frontier_families")
        scanned_starts = (starts, *(s for s in (frontier_starts or ()) if s != starts))
        scan = Frontier(scanned, *frontier, frontier_predicate(statistic), starts=scanned_starts)
    if not assumptions:
        where = f"families {', '.join(specs)}" if specs is not None else "families drawn by the strategy"
        assumptions = f"{where}; κ in [{kappa[0]:g}, {kappa[1]:g}]"
    rival_mutant = None
    if rival is not None:
        hypotheses = rival.hypotheses or cases(rival.families if rival.families is not None else families,
                                               *(rival.kappa or kappa))
        rival_mutant = Mutant("rival", f"{rival.statement} {starts_sentence(starts)}", decide(rival.statistic, starts),
                              hypotheses, confirm=confirm(rival.statistic, starts),
                              certify=rival.certify(starts) if rival.certify is not None else None)

    return Entry(id=id, title=title, statement=f"{statement} {starts_sentence(starts)}", latex=latex,
                 provenance=provenance, hypotheses=cases(families, *kappa), conclusion=decide(statistic, starts),
                 confirm=confirm(statistic, starts), replay=functools.partial(replay, starts=starts, source=source),
                 engine="float64 batch", examples_scale=0.1,
                 mutants=_statistic_mutants(mutants, lambda wrong: decide(wrong, starts), id),
                 shrink=False, assumptions=f"{assumptions}; starts: {starts}; {budget_sentence()}", frontier=scan,
                 fails_if=fails_if, rival=rival_mutant, starts=starts,
                 restart=functools.partial(_rebuild, batch_claim, arguments),
                 rebudget=None, near=near, known_finding=known_finding,
                 figures=tuple(figures))


def _rebuild(builder: Callable[..., Entry], arguments: dict[str, Any], starts: str) -> Entry:
    """The entry ``builder(**arguments)`` builds for the start distribution ``starts``."""
    return builder(**arguments, starts=starts)


# --- claims comparing several sweeps of one case ------------------------------------------------

class Sweep(NamedTuple):
    """One sweep a compared claim reads: ``n`` starts of ``spec`` drawn with ``seed`` at ``kappa`` = C·ℓ″(1)
    (:func:`~lrbias.claims.sweeps.sweep`), or, with ``fixed_h``, all at one step h = ``kappa``/ℓ″(1)
    (:func:`~lrbias.claims.sweeps.fixed_step_sweep`)."""

    spec: str
    kappa: float
    seed: int
    n: int
    fixed_h: bool = False

    def run(self, starts: str, steps: int) -> BatchResult:
        """The (cached) float64 sweep."""
        get = fixed_step_sweep if self.fixed_h else sweep
        return get(self.spec, float(self.kappa), int(self.seed), int(self.n), starts, int(steps))


def _counted_all(check: Check, batches: Sequence[BatchResult]) -> Check:
    """``check`` with the population behind it over ``batches``: runs, open (undecided) runs and their share,
    starts and budget (``steps``; ``budget_cap`` the same, until :func:`to_decision` records its cap)."""
    runs, left = sum(len(b) for b in batches), sum(undecided(b) for b in batches)
    steps = batches[0].settings.max_steps if batches else None
    return Check(check.verdict, check.margin,
                 {**check.detail, "runs": runs, "undecided": left, "undecided_share": left / runs if runs else 0.0,
                  "starts": batches[0].meta.get("starts") if batches else None, "steps": steps, "budget_cap": steps})


def _all_sweeps(batches: Sequence[BatchResult]) -> Iterable[int]:
    return range(len(batches))


@dataclasses.dataclass(frozen=True)
class Compared:
    """A statistic over several sweeps of one case.

    ``sweeps(case)`` lists the :class:`Sweep` the case reads; ``check(batches)`` decides the claim on
    them (in that order); ``rows(batch)`` gives each sweep's deciding runs (most decisive first), which
    a confirmation re-runs through the precision tiers; ``confirmed(batches)`` picks which sweeps are
    confirmed (default: all); ``steps`` is a fixed step budget, or None (the default): each case is
    decided at convergence (:func:`~lrbias.claims.sweeps.to_decision`; a check says whether its open
    runs could flip it through ``undecided_can_flip``, and one that does not say is followed while
    open runs remain).
    """

    sweeps: Callable[[Any], Sequence[Sweep]]
    check: Callable[[Sequence[BatchResult]], Check]
    rows: Callable[[BatchResult], np.ndarray]
    steps: int | None = None
    confirmed: Callable[[Sequence[BatchResult]], Iterable[int]] = _all_sweeps

    def __call__(self, batches: Sequence[BatchResult]) -> Check:
        """The check on already-run sweeps (so a Compared is itself a check over sweeps)."""
        return self.check(batches)

    def with_check(self, check: Callable[[Sequence[BatchResult]], Check]) -> Compared:
        """The same sweeps and deciding rows, decided by ``check`` (a mutant's or a rival's)."""
        return dataclasses.replace(self, check=check)

    def batches(self, case: Any, starts: str, steps: int | None = None) -> list[BatchResult]:
        """The float64 sweeps of ``case`` at ``steps`` (default: the fixed budget, else the first rung)."""
        budget = steps if steps is not None else self.steps if self.steps is not None else STEPS
        return [s.run(starts, budget) for s in self.sweeps(case)]

    def _at(self, case: Any, starts: str, steps: int) -> Check:
        batches = self.batches(case, starts, steps)
        check = _counted_all(self.check(batches), batches)
        if "undecided_can_flip" not in check.detail:
            flips = check.detail["undecided"] > 0   # a check that does not say: open runs might flip it
            check = dataclasses.replace(check, detail={**check.detail, "undecided_can_flip": flips})
        return check

    def decided(self, case: Any, starts: str = "box") -> Check:
        """The check on the sweeps of ``case``: at the fixed budget, or at convergence."""
        if self.steps is not None:
            return _counted_all(self.check(self.batches(case, starts)), self.batches(case, starts))
        return to_decision(functools.partial(self._at, case, starts))

    def decide(self, starts: str = "box") -> Conclusion:
        """The conclusion on the float64 sweeps of a case."""
        return functools.partial(self.decided, starts=starts)

    def confirm(self, starts: str = "box") -> Conclusion:
        """The conclusion once the deciding rows of the chosen sweeps, at the budget where the case was decided,
        are re-run at high precision."""
        def conclusion(case: Any) -> Check:
            batches = self.batches(case, starts, int(self.decided(case, starts).detail["steps"]))
            chosen = set(self.confirmed(batches))
            precise = [precise_batch(b, self.rows(b)) if i in chosen else b for i, b in enumerate(batches)]
            check = _counted_all(self.check(precise), precise)
            lines = "; ".join(coverage_line(precise[i]) for i in sorted(chosen))
            return dataclasses.replace(check, detail={**check.detail, "confirmation": lines})
        return conclusion

    def rebudget(self, starts: str = "box") -> Callable[[Any, int], Check] | None:
        """The conclusion with the fixed step budget multiplied by ``factor`` (None when decided at convergence)."""
        if self.steps is None:
            return None
        fixed = self.steps

        def conclusion(case: Any, factor: int) -> Check:
            batches = self.batches(case, starts, fixed * int(factor))
            return _counted_all(self.check(batches), batches)
        return conclusion



def _default_rows(batch: BatchResult) -> np.ndarray:
    """The converged runs of ``batch`` (the default deciding rows)."""
    return np.flatnonzero(batch.mask(Outcome.CONVERGED))


def one_sweep(check: Callable[[Sequence[BatchResult]], Check],
              rows: Callable[[BatchResult], np.ndarray] = _default_rows) -> Compared:
    """A case :class:`Case` (spec, κ, seed, n) read as its one sweep."""
    return Compared(lambda case: [Sweep(*tuple(case)[:4])], check, rows)


def two_kappas(check: Callable[[Sequence[BatchResult]], Check], factor: float = 2.0,
               rows: Callable[[BatchResult], np.ndarray] = _default_rows) -> Compared:
    """A case (spec, κ, seed, n) read as two sweeps of its family: at κ and at ``factor``·κ."""
    def layout(case: Any) -> list[Sweep]:
        spec, kappa, seed, n = tuple(case)[:4]
        return [Sweep(spec, float(kappa), seed, n), Sweep(spec, float(kappa) * factor, seed, n)]
    return Compared(layout, check, rows)


def against_reference(check: Callable[[Sequence[BatchResult]], Check], reference: str,
                      rows: Callable[[BatchResult], np.ndarray] = _default_rows) -> Compared:
    """A case (spec, κ, seed, n) read as the sweep of the ``reference`` family, then its own, at equal κ and starts."""
    get_family(reference)

    def layout(case: Any) -> list[Sweep]:
        spec, kappa, seed, n = tuple(case)[:4]
        return [Sweep(reference, kappa, seed, n), Sweep(spec, kappa, seed, n)]
    return Compared(layout, check, rows)


def across_families(check: Callable[[Sequence[BatchResult]], Check], families: Sequence[str],
                    rows: Callable[[BatchResult], np.ndarray] = _default_rows) -> Compared:
    """A case (κ, seed, n) read as one sweep per family of ``families``, in that order, at equal κ and starts."""
    specs = _specs(families) or ()

    def layout(case: Any) -> list[Sweep]:
        kappa, seed, n = tuple(case)[:3]
        return [Sweep(spec, kappa, seed, n) for spec in specs]
    return Compared(layout, check, rows)


def at_fixed_step(check: Callable[[Sequence[BatchResult]], Check], rows: Callable[[BatchResult], np.ndarray],
                  max_runs: int, steps: int) -> Compared:
    """A case (spec, h·ℓ″(1), seed, n) read as min(n, ``max_runs``) starts all run at that one step h."""
    def layout(case: Any) -> list[Sweep]:
        spec, factor, seed, n = tuple(case)[:4]
        return [Sweep(spec, factor, seed, min(int(n), max_runs), fixed_h=True)]
    return Compared(layout, check, rows, steps=steps)


def compared_claim(*, id: str, title: str, statement: str, latex: str, provenance: str, hypotheses: Hypotheses,
                   compared: Compared, mutants: Sequence[Mutant] = (), rival: Rival | None = None,
                   assumptions: str, fails_if: str, starts: str = "box", near: float | None = 0.05,
                   examples_scale: float = 0.1, known_finding: str = "", figures: Sequence[str] = ()) -> Entry:
    """A claim decided on several sweeps of each case (a :class:`Compared`), from the start distribution ``starts``.

    The statement and the assumptions get the start distribution and the step budget appended;
    ``mutants`` carry a wrong check over the same sweeps as their ``statistic`` (or a whole
    :class:`Compared`, or a conclusion); ``rival`` likewise, over ``rival.hypotheses`` (default: the
    claim's).  The entry re-runs deciding rows at high precision to confirm, re-decides at larger
    budgets, and is rebuilt for another start distribution from these same arguments.  A case is several
    sweeps, which no one-sweep replay command reproduces: such an entry has no replay, and so (unlike
    :func:`batch_claim`) no ``source`` for one to load.
    """
    arguments = dict(id=id, title=title, statement=statement, latex=latex, provenance=provenance,
                     hypotheses=hypotheses, compared=compared, mutants=tuple(mutants), rival=rival,
                     assumptions=assumptions, fails_if=fails_if, near=near, examples_scale=examples_scale,
                     known_finding=known_finding, figures=tuple(figures))
    get_starts(starts)

    def as_compared(statistic: Any) -> Compared:
        return statistic if isinstance(statistic, Compared) else compared.with_check(statistic)

    rival_mutant = None
    if rival is not None:
        r = as_compared(rival.statistic)
        rival_mutant = Mutant("rival", f"{rival.statement} {starts_sentence(starts, r.steps)}", r.decide(starts),
                              rival.hypotheses, confirm=r.confirm(starts),
                              certify=rival.certify(starts) if rival.certify is not None else None)
    return Entry(id=id, title=title, statement=f"{statement} {starts_sentence(starts, compared.steps)}", latex=latex,
                 provenance=provenance, hypotheses=hypotheses, conclusion=compared.decide(starts),
                 confirm=compared.confirm(starts), engine="float64 batch", examples_scale=examples_scale,
                 shrink=False, mutants=_statistic_mutants(mutants, lambda w: as_compared(w).decide(starts), id),
                 assumptions=f"{assumptions}; starts: {starts}; {budget_sentence(compared.steps)}", fails_if=fails_if,
                 rival=rival_mutant, starts=starts, restart=functools.partial(_rebuild, compared_claim, arguments),
                 rebudget=compared.rebudget(starts), near=near, known_finding=known_finding, figures=tuple(figures))
