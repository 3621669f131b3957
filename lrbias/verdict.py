"""Verdicts: what deciding one case of a claim yields (the bottom of the claims layer).

A conclusion maps one drawn case to a :class:`Check`: a tri-state :class:`Verdict` and a
*margin*, how far the case was from failing (positive: holds with that much room; negative:
violated by that much).  The runner drives its search toward small margins.  Detectors below the
claims layer (``lrbias.nn.phenomena``) return the same type, so this module imports nothing
from lrbias.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["PROVENANCES", "Check", "Verdict", "fail", "holds", "inconclusive", "passed"]


class Verdict(enum.StrEnum):
    """pass, fail or inconclusive; inconclusive is never counted as a pass."""

    PASS = "pass"
    FAIL = "fail"
    INCONCLUSIVE = "inconclusive"


PROVENANCES = ("exact", "paper", "reconstructed")
"""``exact``: an identity that must hold to working precision; ``paper``: a qualitative claim of
the paper; ``reconstructed``: our quantitative form of a paper claim (the constants are ours)."""


@dataclass(frozen=True)
class Check:
    """The outcome of a conclusion on one case: verdict, margin and the measured figures.

    A NaN margin means "not measured": it becomes -∞ for a failure and +∞ otherwise, so a NaN
    never hides a failure from the search nor counts as a near miss.
    """

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
    """pass if ``condition`` else fail, with the same margin."""
    return (passed if condition else fail)(margin, **detail)
