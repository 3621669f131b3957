"""The adversarial search of one claim: Hypothesis driven by ``target()`` toward small margins.

:func:`search` draws cases, decides each with the conclusion, steers toward failures and stops at
the first failing case (shrunk by Hypothesis to a minimal one unless shrinking is off).  It
returns what it saw as a :class:`Search`; judging that (the verdict) and confirming a failure at
high precision are the runner's steps (:mod:`lrbias.claims.runner`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings, target
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase
from hypothesis.errors import Flaky

from lrbias.claims.entry import Conclusion
from lrbias.verdict import Check, Verdict

__all__ = ["TARGET_CLAMP", "Search", "run_counts", "search"]

TARGET_CLAMP = 1e300


@dataclass
class Search:
    """What one search saw: counts, the closest case to failing, and the failure found, if any.

    ``worst`` is the smallest decided margin (+∞ if none); ``failure`` is the (shrunk) failing
    case with its Check; ``notes`` record a search that could not be trusted (a flaky failure).
    ``runs`` and ``undecided_runs`` add up the GD runs behind the decided cases (from a Check's
    ``runs`` / ``undecided`` detail, when its conclusion reports them); ``most_undecided`` is the
    case with the largest undecided share (share, case), the one a budget check re-runs first.
    """

    examples: int = 0
    inconclusive: int = 0
    worst: float = math.inf
    worst_case: Any = None
    reasons: dict[str, int] = field(default_factory=dict)
    failure: tuple[Any, Check] | None = None
    notes: list[str] = field(default_factory=list)
    worst_detail: dict = field(default_factory=dict)
    runs: int = 0
    undecided_runs: int = 0
    most_undecided: tuple[float, Any] | None = None


class _Found(Exception):
    def __init__(self, case: Any, check: Check) -> None:
        super().__init__(f"counterexample {case!r}")
        self.case = case
        self.check = check


def run_counts(detail: Mapping[str, Any]) -> tuple[int, int]:
    """(runs, undecided runs) behind a check: ``detail['runs']`` is a count (batch claims) or the list of
    run records (NN claims); ``detail['undecided']`` a count, absent when nothing was left undecided."""
    runs = detail.get("runs", 0)
    count = len(runs) if isinstance(runs, list | tuple) else int(runs or 0)
    left = detail.get("undecided", 0)
    return count, (int(left or 0) if isinstance(left, int | float) else 0)


def search(strategy: st.SearchStrategy, conclusion: Conclusion, max_examples: int, seed: int, label: str,
           shrink: bool = True, database: Path | None = None) -> Search:
    """Search ``strategy`` for a case that ``conclusion`` fails, within ``max_examples`` cases.

    ``label`` keys the example database (a failure replays first next time); ``seed`` makes the
    search reproducible.  Inconclusive cases are counted by reason and never steer the search.
    """
    seen = Search()

    def prop(case: Any) -> None:
        check = conclusion(case)
        seen.examples += 1
        if check.verdict == Verdict.INCONCLUSIVE:
            seen.inconclusive += 1
            reason = str(check.detail.get("reason", "undecided"))
            seen.reasons[reason] = seen.reasons.get(reason, 0) + 1
            return
        runs, left = run_counts(check.detail)
        seen.runs += runs
        seen.undecided_runs += left
        if runs and left and (seen.most_undecided is None or left / runs > seen.most_undecided[0]):
            seen.most_undecided = (left / runs, case)
        margin = check.margin
        if math.isfinite(margin):
            target(max(-TARGET_CLAMP, min(TARGET_CLAMP, -margin)), label="closeness to failure")
        if margin < seen.worst:
            seen.worst, seen.worst_case, seen.worst_detail = margin, case, dict(check.detail)
        if check.verdict == Verdict.FAIL:
            raise _Found(case, check)

    prop._hypothesis_internal_add_digest = label.encode()  # type: ignore[attr-defined]
    db = DirectoryBasedExampleDatabase(str(database)) if database is not None else None
    phases = tuple(Phase) if shrink else tuple(p for p in Phase if p != Phase.shrink)
    test = settings(max_examples=max_examples, deadline=None, database=db, print_blob=False,
                    phases=phases, suppress_health_check=list(HealthCheck))(given(strategy)(prop))
    if db is None:
        test = hypothesis_seed(seed)(test)
    else:
        # hypothesis.seed also sets database=None (a seeded run neither replays nor saves examples), which
        # made `--database DIR` a no-op; the same seeding without that override keeps the database.
        test._hypothesis_internal_use_seed = seed  # type: ignore[attr-defined]
    try:
        test()
    except _Found as exc:
        seen.failure = (exc.case, exc.check)
    except Flaky as exc:
        seen.notes.append(f"flaky: a failure did not reproduce on replay ({type(exc).__name__})")
    return seen
