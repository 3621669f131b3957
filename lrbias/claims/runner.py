"""Run one catalogue entry: an adversarial Hypothesis search driven by ``target()`` on the margin.

Every failure found is shrunk by Hypothesis to a minimal case and then confirmed at high
precision (the entry's ``confirm``) before it is reported as a counterexample; a float
counterexample that high precision does not confirm makes the verdict ``inconclusive``.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import HealthCheck, Phase, given, settings, target
from hypothesis import seed as hypothesis_seed
from hypothesis.database import DirectoryBasedExampleDatabase
from hypothesis.errors import Flaky

from lrbias.claims.core import Check, Entry, Mutant, Verdict
from lrbias.claims.profiles import Profile, use_profile

TARGET_CLAMP = 1e300
NEAR_BOUNDARY = 1e-6  # a passing margin below this is re-checked at high precision


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

    def as_dict(self) -> dict:
        """JSON-safe dictionary (no NaN, tuples as lists, numpy scalars as Python numbers)."""
        return jsonable(asdict(self))


def jsonable(value: Any) -> Any:
    """Convert a nested value into JSON-safe types; non-finite floats become strings."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (np.floating, float)):
        v = float(value)
        if math.isnan(v):
            return None
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return v
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, (str, int, bool)) or value is None:
        return value
    return str(value)


class _Found(Exception):
    def __init__(self, case: Any, check: Check) -> None:
        super().__init__(f"counterexample {case!r}")
        self.case = case
        self.check = check


def run_entry(entry: Entry, profile: Profile, seed: int = 0, mutant: Mutant | None = None,
              database: Path | None = None) -> EntryResult:
    """Search for a counterexample to ``entry`` (or to one of its mutants) within ``profile``."""
    conclusion = mutant.conclusion if mutant else entry.conclusion
    strategy = mutant.hypotheses if mutant and mutant.hypotheses is not None else entry.hypotheses
    n_examples = max(1, round(profile.max_examples * entry.examples_scale))
    stats: dict[str, Any] = {"examples": 0, "inconclusive": 0, "worst": math.inf, "worst_case": None,
                             "reasons": {}}

    def prop(case: Any) -> None:
        check = conclusion(case)
        stats["examples"] += 1
        if check.verdict == Verdict.INCONCLUSIVE:
            stats["inconclusive"] += 1
            reason = str(check.detail.get("reason", "undecided"))
            stats["reasons"][reason] = stats["reasons"].get(reason, 0) + 1
            return
        margin = check.margin
        if math.isfinite(margin):
            target(max(-TARGET_CLAMP, min(TARGET_CLAMP, -margin)), label="closeness to failure")
        if margin < stats["worst"]:
            stats["worst"], stats["worst_case"] = margin, case
        if check.verdict == Verdict.FAIL:
            raise _Found(case, check)

    prop._hypothesis_internal_add_digest = (entry.id + "/" + (mutant.name if mutant else "")).encode()
    db = DirectoryBasedExampleDatabase(str(database)) if database is not None else None
    phases = tuple(Phase) if entry.shrink else tuple(p for p in Phase if p != Phase.shrink)
    test = settings(max_examples=n_examples, deadline=None, database=db, print_blob=False,
                    phases=phases, suppress_health_check=list(HealthCheck))(given(strategy)(prop))
    test = hypothesis_seed(seed)(test)

    started = time.perf_counter()
    found: _Found | None = None
    notes: list[str] = []
    try:
        with use_profile(profile):
            test()
    except _Found as exc:
        found = exc
    except Flaky as exc:
        notes.append(f"flaky: a failure did not reproduce on replay ({type(exc).__name__})")

    counterexample = None
    if found is not None:
        verdict = Verdict.FAIL
        confirmation = None
        confirmed = None
        if entry.confirm is not None and mutant is None:
            with use_profile(profile):
                conf = entry.confirm(found.case)
            confirmation = {"verdict": str(conf.verdict), "margin": conf.margin, **dict(conf.detail)}
            confirmed = conf.verdict == Verdict.FAIL
            if conf.verdict == Verdict.PASS:
                verdict = Verdict.INCONCLUSIVE
                notes.append("float64 counterexample not confirmed at high precision (float artefact)")
            elif conf.verdict == Verdict.INCONCLUSIVE:
                verdict = Verdict.INCONCLUSIVE
                notes.append("high-precision confirmation was undecided")
        with use_profile(profile):
            replay = entry.replay(found.case) if entry.replay else None
        counterexample = Counterexample(found.case, found.check.margin, dict(found.check.detail),
                                        confirmed, confirmation, replay)
    elif notes:
        verdict = Verdict.INCONCLUSIVE
    elif stats["examples"] and stats["inconclusive"] / stats["examples"] > entry.inconclusive_limit:
        verdict = Verdict.INCONCLUSIVE
        notes.append(f"{stats['inconclusive']} of {stats['examples']} cases undecided "
                     f"(limit {entry.inconclusive_limit:.0%})")
    elif stats["examples"] == 0:
        verdict = Verdict.INCONCLUSIVE
        notes.append("no example was generated")
    else:
        verdict = Verdict.PASS

    worst = stats["worst"] if math.isfinite(stats["worst"]) else None
    if (verdict == Verdict.PASS and worst is not None and worst < NEAR_BOUNDARY
            and entry.confirm is not None and mutant is None):
        # a float pass this close to the boundary is only reported once high precision agrees
        with use_profile(profile):
            conf = entry.confirm(stats["worst_case"])
        notes.append(f"worst case (margin {worst:.3g}) re-checked at high precision: {conf.verdict}, "
                     f"margin {conf.margin:.3g}")
        if conf.verdict == Verdict.FAIL:
            verdict = Verdict.FAIL
            counterexample = Counterexample(stats["worst_case"], worst, {}, True,
                                            {"verdict": str(conf.verdict), "margin": conf.margin,
                                             **dict(conf.detail)},
                                            entry.replay(stats["worst_case"]) if entry.replay else None)
        elif conf.verdict == Verdict.INCONCLUSIVE:
            verdict = Verdict.INCONCLUSIVE
    return EntryResult(entry.id, entry.title, entry.provenance, str(verdict), stats["examples"],
                       stats["inconclusive"], worst, stats["worst_case"], counterexample, seed,
                       round(time.perf_counter() - started, 3), mutant.name if mutant else None,
                       notes, stats["reasons"])
