"""Run one catalogue entry: search, confirm, decide.

1. **search** (:func:`lrbias.claims.search.search`): an adversarial Hypothesis search driven by
   ``target()`` on the margin; a failure is shrunk to a minimal case.
2. **confirm** (:func:`confirm_failure`, :func:`recheck_near_boundary`): a failure is re-decided at
   high precision (the entry's ``confirm``) before it is reported, and so is a float pass that
   came within :data:`NEAR_BOUNDARY` of failing.
3. **decide** (:func:`decide_failure`, :func:`decide_search`): the tri-state verdict.  A float
   counterexample that high precision does not confirm makes the verdict ``inconclusive``, as do
   a flaky search, too many undecided cases, no case at all, or a pass whose worst margin is
   negative (the conclusion contradicts itself: see :data:`MARGIN_SLACK`).
4. **budget** (:func:`budget_check`): a pass or a fail counts only if the deciding cases (the
   counterexample, or the closest case to failing and the case with the most undecided runs)
   get the same verdict with the step budget multiplied by :data:`BUDGET_FACTOR`; otherwise
   the verdict is ``inconclusive`` (budget-sensitive), with both figures recorded.  A case whose
   share of undecided runs is at most :data:`UNDECIDED_BOUND` cannot change and is not re-run
   (unless runs were judged where the budget stopped them, as NN runs are).
5. **rival** (:func:`run_rival`): the entry's nearby false statement, searched until refuted and
   its counterexample confirmed at high precision.

The profile is an argument: it sets the example budget and resolves the entry's hypotheses.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from lrbias.claims.entry import Conclusion, Entry, Mutant, resolve
from lrbias.claims.profiles import Profile
from lrbias.claims.search import Search, run_counts, search
from lrbias.serial import json_safe
from lrbias.verdict import Check, Verdict

__all__ = ["BUDGET_FACTOR", "MARGIN_SLACK", "NEAR_BOUNDARY", "UNDECIDED_BOUND", "Counterexample", "EntryResult",
           "budget_check", "confirm_failure", "decide_failure", "decide_search", "evidence", "recheck_near_boundary",
           "run_entry", "run_rival"]

NEAR_BOUNDARY = 1e-6
"""A passing margin below this is re-checked at high precision before the pass is reported."""

MARGIN_SLACK = 1e-9
"""A pass whose worst margin is below −MARGIN_SLACK contradicts itself (a margin is how far a case
is from failing): the verdict is inconclusive and a note names the conclusion's inconsistency."""

BUDGET_FACTOR = 4
"""A verdict counts only if it is the same with the step budget multiplied by this."""

UNDECIDED_BOUND = 0.0
"""A deciding case with at most this share of undecided runs needs no re-run at the larger budget
(its runs all ended before the budget, so a larger one cannot change them)."""


@dataclass
class Counterexample:
    """A shrunk failing case, its measured margin, and whether high precision confirmed it."""

    case: Any
    margin: float
    detail: dict
    confirmed: bool | None
    confirmation: dict | None
    replay: str | None


@dataclass
class EntryResult:
    """The outcome of one entry's search (JSON-safe through :meth:`as_dict`)."""

    id: str
    title: str
    provenance: str
    verdict: str
    examples: int
    inconclusive: int
    worst_margin: float | None
    worst_case: Any
    counterexample: Counterexample | None
    seed: int
    elapsed_s: float
    mutant: str | None = None
    notes: list[str] = field(default_factory=list)
    inconclusive_reasons: dict[str, int] = field(default_factory=dict)
    coverage: list[str] = field(default_factory=list)  # what each high-precision confirmation's tiers confirmed
    budget: dict | None = None
    evidence: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        """JSON-safe dictionary under the policy of :mod:`lrbias.serial` (NaN → null, ±∞ → "inf"/"-inf")."""
        return json_safe(asdict(self))


def _as_record(check: Check) -> dict:
    return {"verdict": str(check.verdict), "margin": check.margin, **dict(check.detail)}


def confirm_failure(case: Any, check: Check, confirm: Conclusion | None,
                    replay: Callable[[Any], str] | None = None) -> Counterexample:
    """The counterexample of a failing ``case``, re-decided by ``confirm`` when there is one."""
    confirmation = confirmed = None
    if confirm is not None:
        conf = confirm(case)
        confirmation, confirmed = _as_record(conf), conf.verdict == Verdict.FAIL
    return Counterexample(case, check.margin, dict(check.detail), confirmed, confirmation,
                          replay(case) if replay else None)


def decide_failure(counterexample: Counterexample) -> tuple[Verdict, list[str]]:
    """fail, unless high precision passed the case (a float artefact) or could not decide it."""
    verdict = (counterexample.confirmation or {}).get("verdict")
    if verdict == str(Verdict.PASS):
        return Verdict.INCONCLUSIVE, ["float64 counterexample not confirmed at high precision (float artefact)"]
    if verdict == str(Verdict.INCONCLUSIVE):
        return Verdict.INCONCLUSIVE, ["high-precision confirmation was undecided"]
    return Verdict.FAIL, []


def decide_search(seen: Search, inconclusive_limit: float) -> tuple[Verdict, list[str]]:
    """The verdict of a search that found no failure: pass unless it could not be trusted."""
    if seen.notes:
        return Verdict.INCONCLUSIVE, []
    if seen.examples and seen.inconclusive / seen.examples > inconclusive_limit:
        return Verdict.INCONCLUSIVE, [f"{seen.inconclusive} of {seen.examples} cases undecided "
                                      f"(limit {inconclusive_limit:.0%})"]
    if seen.examples == 0:
        return Verdict.INCONCLUSIVE, ["no example was generated"]
    return Verdict.PASS, []


def recheck_near_boundary(seen: Search, confirm: Conclusion, replay: Callable[[Any], str] | None = None
                          ) -> tuple[Verdict, list[str], Counterexample | None]:
    """Re-decide the worst case of a float pass at high precision; a pass stands only if it agrees."""
    conf = confirm(seen.worst_case)
    tiers = f"; {conf.detail['confirmation']}" if "confirmation" in conf.detail else ""
    notes = [f"worst case (margin {seen.worst:.3g}) re-checked at high precision: {conf.verdict}, "
             f"margin {conf.margin:.3g}{tiers}"]
    if conf.verdict == Verdict.FAIL:
        return Verdict.FAIL, notes, Counterexample(seen.worst_case, seen.worst, {}, True, _as_record(conf),
                                                   replay(seen.worst_case) if replay else None)
    if conf.verdict == Verdict.INCONCLUSIVE:
        return Verdict.INCONCLUSIVE, notes, None
    return Verdict.PASS, notes, None


def _recording(confirm: Conclusion | None, coverage: list[str]) -> Conclusion | None:
    """``confirm``, appending each confirmation's tier coverage line (its detail 'confirmation') to ``coverage``."""
    if confirm is None:
        return None
    inner = confirm

    def recorded(case: Any) -> Check:
        conf = inner(case)
        if "confirmation" in conf.detail:
            coverage.append(str(conf.detail["confirmation"]))
        return conf

    return recorded


def _figures(check: Check) -> dict:
    return {"verdict": str(check.verdict), "margin": check.margin,
            **{k: check.detail[k] for k in ("runs", "undecided", "steps") if k in check.detail}}


def budget_check(entry: Entry, cases: list[Any], factor: int = BUDGET_FACTOR) -> dict | None:
    """Re-decide the deciding ``cases`` with ``factor`` × the step budget; None if the entry has no budget.

    Returns {"factor", "cases": [{"case", "at_budget", "at_larger"}], "stable"}: stable when no
    case changed verdict.  A case whose undecided share is at most :data:`UNDECIDED_BOUND`, or whose
    check counted its open runs both ways with the same verdict (``undecided_can_flip`` False), is
    recorded with ``at_larger`` = null (no run can change it), unless its check counts runs judged
    where the budget stopped them (``budget_limited``: NN runs are decided from their trace at the
    last step, and more steps can change that trace).
    """
    if entry.rebudget is None:
        return None
    rows, stable = [], True
    for case in cases:
        base = entry.conclusion(case)
        runs, left = run_counts(base.detail)
        larger = None
        settled = base.detail.get("undecided_can_flip") is False   # open runs counted both ways agree
        if not settled and (not runs or left / runs > UNDECIDED_BOUND or base.detail.get("budget_limited")):
            wide = entry.rebudget(case, factor)
            larger = _figures(wide)
            stable &= wide.verdict == base.verdict
        rows.append({"case": case, "at_budget": _figures(base), "at_larger": larger})
    return {"factor": factor, "cases": rows, "stable": stable}


def _budget_note(record: dict) -> str:
    parts = [f"case {row['case']!r}: {row['at_budget']['verdict']} (margin {row['at_budget']['margin']:.3g}, "
             f"{row['at_budget'].get('undecided', '?')} undecided) at the budget, "
             f"{row['at_larger']['verdict']} (margin {row['at_larger']['margin']:.3g}, "
             f"{row['at_larger'].get('undecided', '?')} undecided) at {record['factor']}x"
             for row in record["cases"]
             if row["at_larger"] and row["at_larger"]["verdict"] != row["at_budget"]["verdict"]]
    return "inconclusive: budget-sensitive: " + "; ".join(parts)


def evidence(entry: Entry, seen: Search, budget: dict | None) -> dict:
    """How strongly the search tested the entry: closest margin, runs, undecided share, budget."""
    worst = seen.worst if math.isfinite(seen.worst) else None
    return {"closest_margin": worst, "near": entry.near,
            "weakly_tested": None if entry.near is None else worst is None or worst >= entry.near,
            "runs_per_case": run_counts(seen.worst_detail)[0] if seen.worst_detail else None,
            "runs": seen.runs, "undecided_share": seen.undecided_runs / seen.runs if seen.runs else None,
            "starts": entry.starts, "budget_stable": None if budget is None else budget["stable"],
            **{key: seen.worst_detail[key] for key in ("budget_cap", "steps", "stopped")
               if key in seen.worst_detail}}


def run_entry(entry: Entry, profile: Profile, seed: int = 0, mutant: Mutant | None = None,
              database: Path | None = None) -> EntryResult:
    """Search for a counterexample to ``entry`` (or to one of its mutants) within ``profile``.

    A mutant's failures are reported as found: confirmation is for the entry's own claim (or a
    mutant's own ``confirm``, which a rival has); budget checks are for the entry's own claim.
    """
    hypotheses = mutant.hypotheses if mutant and mutant.hypotheses is not None else entry.hypotheses
    coverage: list[str] = []
    confirm = _recording(entry.confirm, coverage) if mutant is None else mutant.confirm
    started = time.perf_counter()
    seen = search(resolve(hypotheses, profile), mutant.conclusion if mutant else entry.conclusion,
                  max_examples=max(1, round(profile.max_examples * entry.examples_scale)), seed=seed,
                  label=entry.id + "/" + (mutant.name if mutant else ""), shrink=entry.shrink, database=database)
    notes = list(seen.notes)
    counterexample = None
    if seen.failure is not None:
        counterexample = confirm_failure(*seen.failure, confirm, entry.replay)
        verdict, more = decide_failure(counterexample)
    else:
        verdict, more = decide_search(seen, entry.inconclusive_limit)
    notes += more
    worst = seen.worst if math.isfinite(seen.worst) else None
    if verdict == Verdict.PASS and seen.worst < -MARGIN_SLACK:
        verdict = Verdict.INCONCLUSIVE
        notes.append(f"every case passed but the worst margin is {seen.worst:.3g} < 0: the conclusion's "
                     f"margin contradicts its verdict (a margin is how far a case is from failing)")
    elif verdict == Verdict.PASS and worst is not None and worst < NEAR_BOUNDARY and confirm is not None:
        verdict, more, counterexample = recheck_near_boundary(seen, confirm, entry.replay)
        notes += more
    budget = None
    if mutant is None and verdict in (Verdict.PASS, Verdict.FAIL):
        deciding = [counterexample.case] if counterexample is not None else [seen.worst_case]
        if seen.most_undecided is not None and seen.most_undecided[1] not in deciding:
            deciding.append(seen.most_undecided[1])
        budget = budget_check(entry, [c for c in deciding if c is not None])
        if budget is not None and not budget["stable"]:
            verdict = Verdict.INCONCLUSIVE
            notes.append(_budget_note(budget))
    return EntryResult(entry.id, entry.title, entry.provenance, str(verdict), seen.examples, seen.inconclusive,
                       worst, seen.worst_case, counterexample, seed, round(time.perf_counter() - started, 3),
                       mutant.name if mutant else None, notes, seen.reasons, coverage, budget,
                       evidence(entry, seen, budget) if mutant is None else {})


def run_rival(entry: Entry, profile: Profile, seed: int = 0, database: Path | None = None) -> dict | None:
    """Search the entry's rival; {"statement", "refuted", "verdict", "counterexample"} (None without a rival).

    ``refuted`` is True only for a counterexample confirmed at high precision.
    """
    if entry.rival is None:
        return None
    result = run_entry(entry, profile, seed=seed, mutant=entry.rival, database=database)
    ce = result.counterexample
    return json_safe({"statement": entry.rival.description, "verdict": result.verdict,
                      "refuted": bool(result.verdict == str(Verdict.FAIL) and ce is not None and ce.confirmed),
                      "examples": result.examples, "elapsed_s": result.elapsed_s,
                      "counterexample": None if ce is None else asdict(ce)})
