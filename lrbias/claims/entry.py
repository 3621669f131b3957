"""Catalogue entries: a claim as hypotheses (what Hypothesis draws) and a conclusion (a predicate).

The two callables a claim is made of are typed by the protocols :class:`Conclusion` (one case →
:class:`~lrbias.verdict.Check`) and, for claims over batched sweeps, :class:`Statistic`
(one :class:`~lrbias.gd.BatchResult` → a Check and the rows that decided it).

Profiles are explicit.  An entry's ``hypotheses`` is either a Hypothesis strategy or a function
``Profile -> strategy``; the runner calls :func:`resolve` with the profile it was given.  A
claim whose cases depend on the budget (a batch claim sizes its sweep from the profile) draws
that size *into the case*, so a conclusion stays a pure function of its case and a reported
counterexample replays alone, without knowing which profile found it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from hypothesis import strategies as st

from lrbias.claims.profiles import Profile
from lrbias.errors import InvalidArgument
from lrbias.verdict import PROVENANCES, Check

if TYPE_CHECKING:
    from lrbias.claims.frontier import Frontier
    from lrbias.gd import BatchResult

__all__ = ["Conclusion", "Entry", "Hypotheses", "Mutant", "Statistic", "SweepCheck", "resolve"]


class Conclusion(Protocol):
    """Decides one drawn case of a claim.

    Called with a case exactly as the entry's hypotheses drew it; returns a
    :class:`~lrbias.verdict.Check`: ``pass`` with a positive margin (how far the case was
    from failing), ``fail`` with a negative one, or ``inconclusive`` with a reason (an undecided
    run, a precision that did not settle).  It must be deterministic in the case (no ambient
    state: the search replays and shrinks cases), must not raise for a valid case, and should
    make its margin continuous in the case so that ``target()`` can steer the search toward
    failures.  The same protocol types an entry's ``confirm`` (re-deciding a case at high
    precision) and a mutant's wrong conclusion.
    """

    def __call__(self, case: Any, /) -> Check:
        """The verdict on ``case``, with its margin and measured figures."""
        ...


class Statistic(Protocol):
    """Decides a claim on one batched sweep (a :class:`~lrbias.gd.BatchResult`).

    Returns ``(check, rows)``: the Check of the statistic on the whole batch (for example "at
    least 90% of the runs converged", margin = share − 0.9) and the indices of the runs that
    decide it, most decisive first (the runs that did not converge, the runs nearest the
    median).  Before a batch counterexample is reported, those rows are re-run at high precision
    (:func:`lrbias.claims.sweeps.precise_batch`) and the statistic is evaluated again.  It must
    only read the batch: sweeps are cached and shared between claims (their arrays are
    read-only).
    """

    def __call__(self, batch: BatchResult, /) -> tuple[Check, np.ndarray]:
        """The Check on ``batch`` and its deciding rows."""
        ...


SweepCheck = Callable[[Sequence["BatchResult"]], Check]
"""A check over several sweeps of one case (:func:`lrbias.claims.statistical.compared_claim`)."""

Hypotheses = st.SearchStrategy | Callable[[Profile], st.SearchStrategy]
"""A strategy of cases, or a function of the profile returning one (for cases sized by the budget)."""


def resolve(hypotheses: Hypotheses, profile: Profile) -> st.SearchStrategy:
    """The strategy ``hypotheses`` stands for under ``profile``."""
    return hypotheses if isinstance(hypotheses, st.SearchStrategy) else hypotheses(profile)


def _check_hypotheses(owner: str, hypotheses: object) -> None:
    if not (isinstance(hypotheses, st.SearchStrategy) or callable(hypotheses)):
        raise InvalidArgument(f"{owner}: hypotheses must be a Hypothesis strategy or a function Profile -> strategy")


@dataclass(frozen=True)
class Mutant:
    """A deliberately wrong variant of an entry (an altered constant or inequality).

    The catalogue's search must find a counterexample to it: that is what shows the entry's
    check can fail.  ``conclusion`` replaces the entry's conclusion; ``hypotheses`` (a strategy
    or a function of the profile) optionally replaces its hypotheses; ``confirm`` re-decides a
    counterexample at high precision.  For a claim built from a statistic
    (:func:`lrbias.claims.statistical.batch_claim`), give the wrong ``statistic`` instead of a
    conclusion: the builder decides it on the claim's sweeps.
    """

    name: str
    description: str
    conclusion: Conclusion | None = None
    hypotheses: Hypotheses | None = None
    confirm: Conclusion | None = None
    statistic: SweepCheck | Statistic | None = None
    certify: Callable[[Any], dict] | None = None

    def __post_init__(self) -> None:
        if (self.conclusion is None) == (self.statistic is None):
            raise InvalidArgument(f"mutant {self.name}: give exactly one of conclusion and statistic")
        if not callable(self.conclusion if self.conclusion is not None else self.statistic):
            raise InvalidArgument(f"mutant {self.name}: {'conclusion' if self.statistic is None else 'statistic'} "
                            "is not callable")
        if self.hypotheses is not None:
            _check_hypotheses(f"mutant {self.name}", self.hypotheses)


@dataclass(frozen=True)
class Entry:
    """One claim of the catalogue.

    ``id`` is stable (``group.short-name``); ``provenance`` is one of
    :data:`~lrbias.verdict.PROVENANCES`.  ``hypotheses`` draws cases (a strategy, or a
    function of the profile returning one); ``conclusion(case)`` decides one;
    ``confirm(case)`` re-decides a counterexample at high precision (mpmath) before it is
    reported; ``replay(case)`` gives a one-line command that reproduces it; ``examples_scale``
    scales the profile's example budget (batch claims draw few, costly cases); ``engine`` names
    what the conclusion runs; ``frontier`` (a :class:`~lrbias.claims.frontier.Frontier`) scans
    where the claim holds; ``shrink`` is False for costly cases (a failing case is reported as
    found, not shrunk).

    The vacuity audit: ``fails_if`` says, in words, what input would make the conclusion fail
    (tests/test_vacuity.py builds one per entry); ``rival`` is a nearby plausible but false
    statement (a :class:`Mutant` with its own ``confirm``) that the search must refute with a
    confirmed counterexample.  ``certify(case)`` (on an entry or a mutant) proves a failing case's
    single-run fact in ball arithmetic: it returns ``{"tier": "certified", "how": ..., ...}`` or
    ``{"tier": <weaker tier>, "reason": ...}`` (None: the entry's cases are not single-run facts).
    ``starts`` names the start distribution of an entry that runs GD
    from drawn starts (:mod:`lrbias.claims.starts`; None: no such runs) and ``restart(name)``
    rebuilds the entry for another one.  ``rebudget(case, factor)`` decides a case with the step
    budget multiplied by ``factor`` (None: the conclusion has no step budget); the runner uses it
    to call a budget-sensitive verdict inconclusive.  ``near``: a margin below it counts as
    having come near the boundary (an entry whose search never did is flagged weakly tested); None
    where a margin is not a distance to a boundary (an exact identity's digits of room).
    ``known_finding``: why the claim is known not to hold as stated (non-empty: a recorded known
    finding; ``lrbias check`` then exits 0 on its failure and 1 if it passes, as pytest's strict xfail).
    ``figures``: names of the report's figures that illustrate the claim (a name ending in ``*``
    stands for every figure whose name starts with what precedes it); a
    :class:`~lrbias.claims.group.Group` fills in its own for entries that declare none.
    """

    id: str
    title: str
    statement: str
    latex: str
    provenance: str
    hypotheses: Hypotheses
    conclusion: Conclusion
    engine: str = "static"
    confirm: Conclusion | None = None
    replay: Callable[[Any], str] | None = None
    examples_scale: float = 1.0
    mutants: tuple[Mutant, ...] = ()
    assumptions: str = ""
    inconclusive_limit: float = 0.25
    frontier: Frontier | None = None
    shrink: bool = True
    fails_if: str = ""
    rival: Mutant | None = None
    starts: str | None = None
    restart: Callable[[str], Entry] | None = None
    rebudget: Callable[[Any, int], Check] | None = None
    near: float | None = 0.05
    known_finding: str = ""
    figures: tuple[str, ...] = ()
    certify: Callable[[Any], dict] | None = None

    def __post_init__(self) -> None:
        if self.provenance not in PROVENANCES:
            raise InvalidArgument(f"entry {self.id}: provenance {self.provenance!r} not in {PROVENANCES}")
        if "." not in self.id:
            raise InvalidArgument(f"entry id {self.id!r} must look like 'group.name'")
        if not callable(self.conclusion):
            raise InvalidArgument(f"entry {self.id}: conclusion is not callable")
        _check_hypotheses(f"entry {self.id}", self.hypotheses)
        for m in (*self.mutants, *((self.rival,) if self.rival is not None else ())):
            if m.conclusion is None:
                raise InvalidArgument(f"entry {self.id}: mutant {m.name} has a statistic and no conclusion; "
                                "build the entry with batch_claim, which decides statistics on its sweeps")

    @property
    def group(self) -> str:
        """The part of the id before the first dot."""
        return self.id.split(".", 1)[0]
