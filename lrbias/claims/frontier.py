"""Validity frontiers: the range of the learning-rate knob over which a claim was observed to hold.

For each family, the claim's predicate is evaluated on a coarse grid of κ (κ = C·ℓ″(1) =
h·ℓ″(1)·(x0² + y0²), the step measured against the 2/L threshold of the start's norm, so
κ > 2 is "large learning rate"), then every transition between a holding and a failing grid
point is refined by bisection.  The result says where the claim holds and where it breaks.
A batch claim's frontier is a statement about its start distribution, so a frontier is scanned
for each start distribution it names (``starts``; the first is the entry's own).
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from lrbias.claims.profiles import Profile
from lrbias.errors import InvalidArgument
from lrbias.verdict import Check, Verdict

Predicate = Callable[..., Check]
"""(spec, κ, n, seed, starts) -> Check."""
Mapper = Callable[[Callable[[Any], Any], list[Any]], list[Any]]


@dataclass(frozen=True)
class Frontier:
    """How to scan one claim: families, κ range, batch predicate (spec, κ, n, seed, starts), start distributions."""

    families: tuple[str, ...]
    lo: float
    hi: float
    predicate: Predicate
    grid: int = 7
    log_scale: bool = True
    parameter: str = "kappa"
    starts: tuple[str, ...] = ("box",)

    def __post_init__(self) -> None:
        """Refuse a scan that cannot run, when it is declared rather than after the search."""
        bad_range = not (0 < self.lo < self.hi) if self.log_scale else not (self.lo < self.hi)
        if bad_range or not all(math.isfinite(v) for v in (self.lo, self.hi)):
            raise InvalidArgument(f"frontier range [{self.lo}, {self.hi}] is empty, not finite or not positive; "
                                  "accepted: finite 0 < lo < hi (lo < hi on a linear scale)")
        if not (isinstance(self.grid, int) and self.grid >= 2):
            raise InvalidArgument(f"frontier grid {self.grid!r} is invalid; accepted: an integer >= 2")

    def compute(self, profile: Profile, seed: int = 0, mapper: Mapper | None = None) -> dict[str, Any]:
        """Scan every family; JSON-safe summary with grid points, holding ranges and boundaries.

        ``mapper(fn, items)`` (e.g. a Dask client's map, see lrbias.gd.scaleout) scans the families in
        parallel; each family's scan is deterministic, so the result does not depend on it.
        """
        task = functools.partial(family_frontier, self, profile, seed)
        items = [(name, spec) for name in self.starts for spec in self.families]
        results = mapper(task, items) if mapper is not None else [task(item) for item in items]
        by_starts: dict[str, dict[str, Any]] = {name: {} for name in self.starts}
        for (name, spec), result in zip(items, results, strict=True):
            by_starts[name][spec] = result
        return {
            "parameter": self.parameter,
            "range": [self.lo, self.hi],
            "starts": self.starts[0],
            "families": by_starts[self.starts[0]],
            "by_starts": by_starts,
        }


def family_frontier(frontier: Frontier, profile: Profile, seed: int, item: tuple[str, str]) -> dict[str, Any]:
    """One (start distribution, family) frontier (a picklable task for a parallel mapper)."""
    starts, spec = item
    return find_frontier(lambda k: frontier.predicate(spec, k, profile.frontier_starts, seed, starts),
                         frontier.lo, frontier.hi, frontier.grid, profile.frontier_steps, frontier.log_scale)


def _grid(lo: float, hi: float, n: int, log_scale: bool) -> list[float]:
    if n < 2:
        return [lo]
    if log_scale:
        a, b = math.log(lo), math.log(hi)
        return [math.exp(a + (b - a) * i / (n - 1)) for i in range(n)]
    return [lo + (hi - lo) * i / (n - 1) for i in range(n)]


def find_frontier(predicate: Callable[[float], Check], lo: float, hi: float, grid: int = 7,
                  steps: int = 8, log_scale: bool = True) -> dict[str, Any]:
    """Evaluate ``predicate`` on a grid over [lo, hi] and bisect each pass/fail transition.

    Returns ``points`` ([κ, verdict, margin] sorted by κ), ``holds_on`` (maximal κ ranges whose
    evaluated points all passed), and ``boundaries`` (each refined transition as
    [last κ that passed, first κ that failed] or the reverse, with its width).
    Inconclusive points break a holding range and are never counted as passes (nor as fails: a
    bisection stops at one).  ``point_counts`` gives, per evaluated κ whose check reports them, the
    runs, the open (undecided) runs' share, the budget reached and its cap.
    """
    if not (0 < lo < hi) if log_scale else not lo < hi:
        raise InvalidArgument(f"frontier range [{lo}, {hi}] is empty or not positive")
    evaluated: dict[float, Check] = {}

    def evaluate(k: float) -> Check:
        if k not in evaluated:
            evaluated[k] = predicate(k)
        return evaluated[k]

    points = _grid(lo, hi, grid, log_scale)
    for k in points:
        evaluate(k)
    boundaries = []
    for a, b in itertools.pairwise(points):
        va, vb = evaluate(a).verdict, evaluate(b).verdict
        if Verdict.INCONCLUSIVE in (va, vb) or va == vb:
            continue
        left, right = a, b
        for _ in range(steps):
            mid = math.sqrt(left * right) if log_scale else (left + right) / 2
            vm = evaluate(mid).verdict
            if vm == Verdict.INCONCLUSIVE:
                break
            if vm == va:
                left = mid
            else:
                right = mid
        boundaries.append({"from": str(va), "to": str(vb), "between": [left, right], "width": right - left})
    ordered = sorted(evaluated.items())
    holds_on: list[list[float]] = []
    current: list[float] | None = None
    for k, check in ordered:
        if check.verdict == Verdict.PASS:
            if current is None:
                current = [k, k]
            current[1] = k
        else:
            if current is not None:
                holds_on.append(current)
            current = None
    if current is not None:
        holds_on.append(current)
    return {
        "points": [[k, str(c.verdict), c.margin if math.isfinite(c.margin) else None] for k, c in ordered],
        "holds_on": holds_on,
        "boundaries": boundaries,
        "point_counts": [{"kappa": k, **{key: c.detail[key] for key in COUNTS if key in c.detail}}
                         for k, c in ordered if "runs" in c.detail],
    }


COUNTS = ("runs", "undecided", "undecided_share", "steps", "budget_cap", "stopped")
"""The population figures a frontier point carries from its check (batch predicates report them)."""


def _directed(value: float, digits: int, rounding: str) -> str:
    """``value`` rounded to ``digits`` significant digits in the direction ``rounding`` (a decimal
    mode), after float noise is rounded off at 12 digits (15.999999999999998 floors to 16)."""
    if not math.isfinite(value):
        return f"{value:g}"
    x = Decimal(f"{value:.12g}")
    r = x.quantize(Decimal(1).scaleb(x.adjusted() - digits + 1), rounding=rounding)
    return f"{float(r):.{digits + 1}g}"


def _ends(lo: float, hi: float, digits: int) -> tuple[str, str]:
    """lo rounded up and hi rounded down, with the fewest significant digits (at least ``digits``)
    that keep them apart: a printed range never claims more than the range (2.004 prints as
    '2.01', never '2', which would claim κ = 2)."""
    for d in range(digits, 13):
        a, b = _directed(lo, d, ROUND_CEILING), _directed(hi, d, ROUND_FLOOR)
        if float(a) < float(b) or (lo == hi and a == b):
            return a, b
    return repr(lo), repr(hi)


def merge_ranges(ranges: Sequence[Sequence[float]], digits: int = 3) -> str:
    """'[2.01, 3.5] ∪ [5, 8]': each range's ends rounded inwards and kept apart (see :func:`_ends`;
    [2.004, 3.5] prints as '[2.01, 3.5]', [3.0101, 3.0149] as '[3.011, 3.014]'), or 'nowhere'."""
    parts = ["[{}, {}]".format(*_ends(lo, hi, digits)) for lo, hi in ranges]
    return " ∪ ".join(parts) or "nowhere"
