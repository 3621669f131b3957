"""Catalogue entries: a claim as hypotheses (a Hypothesis strategy) and a conclusion (a predicate).

A conclusion maps one drawn case to a :class:`Check`: a tri-state verdict and a *margin*, how
far the case was from failing (positive: holds with that much room; negative: violated).  The
runner drives Hypothesis toward small margins with ``target()``.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st


class Verdict(enum.StrEnum):
    """pass, fail or inconclusive; inconclusive is never counted as a pass."""

    PASS = "pass"
    FAIL = "fail"
    INCONCLUSIVE = "inconclusive"


PROVENANCES = ("exact", "paper", "reconstructed")


@dataclass(frozen=True)
class Check:
    """The outcome of a conclusion on one case."""

    verdict: Verdict
    margin: float
    detail: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if isinstance(self.margin, float) and math.isnan(self.margin):
            object.__setattr__(self, "margin", -math.inf if self.verdict == Verdict.FAIL else math.inf)


def passed(margin: float, **detail: Any) -> Check:
    """A case where the claim holds, ``margin`` away from failing."""
    return Check(Verdict.PASS, float(margin), detail)


def fail(margin: float, **detail: Any) -> Check:
    """A case that violates the claim by ``-margin``."""
    return Check(Verdict.FAIL, float(margin), detail)


def inconclusive(reason: str, **detail: Any) -> Check:
    """A case that could not be decided (undecided run, budget spent, precision unsettled)."""
    return Check(Verdict.INCONCLUSIVE, math.inf, {"reason": reason, **detail})


def holds(condition: bool, margin: float, **detail: Any) -> Check:
    """pass if condition else fail, with the same margin."""
    return (passed if condition else fail)(margin, **detail)


@dataclass(frozen=True)
class Mutant:
    """A deliberately wrong variant of an entry (an altered constant or inequality).

    The catalogue's search must find a counterexample to it: that is what shows the entry's
    check can fail.  ``conclusion`` replaces the entry's conclusion; ``hypotheses`` optionally
    replaces its strategy.
    """

    name: str
    description: str
    conclusion: Callable[[Any], Check]
    hypotheses: st.SearchStrategy | None = None


@dataclass(frozen=True)
class Entry:
    """One claim of the catalogue.

    ``id`` is stable (``group.short-name``); ``provenance`` is ``exact`` (an identity that must
    hold to working precision), ``paper`` (a qualitative claim of the paper) or
    ``reconstructed`` (our quantitative form of a paper claim; the constants are ours).
    ``hypotheses`` draws cases; ``conclusion(case)`` decides one; ``confirm(case)`` re-decides a
    counterexample at high precision (mpmath) before it is reported; ``replay(case)`` gives a
    one-line command that reproduces it; ``examples_scale`` scales the profile's example
    budget (batch claims draw few, costly cases); ``engine`` names what the conclusion runs.
    """

    id: str
    title: str
    statement: str
    latex: str
    provenance: str
    hypotheses: st.SearchStrategy
    conclusion: Callable[[Any], Check]
    engine: str = "static"
    confirm: Callable[[Any], Check] | None = None
    replay: Callable[[Any], str] | None = None
    examples_scale: float = 1.0
    mutants: tuple[Mutant, ...] = ()
    assumptions: str = ""
    inconclusive_limit: float = 0.25
    frontier: Any = None
    shrink: bool = True  # False for costly batch cases: a failing (κ, seed) is reported as found

    def __post_init__(self) -> None:
        if self.provenance not in PROVENANCES:
            raise ValueError(f"entry {self.id}: provenance {self.provenance!r} not in {PROVENANCES}")
        if "." not in self.id:
            raise ValueError(f"entry id {self.id!r} must look like 'group.name'")
        if not callable(self.conclusion):
            raise TypeError(f"entry {self.id}: conclusion is not callable")
        if not isinstance(self.hypotheses, st.SearchStrategy):
            raise TypeError(f"entry {self.id}: hypotheses must be a Hypothesis strategy")

    @property
    def group(self) -> str:
        """The part of the id before the first dot."""
        return self.id.split(".", 1)[0]
