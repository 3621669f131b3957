"""Degree of regularity: dor(ℓ) = lim_{|s|→∞} log(ℓ(s) − ℓ(1)) / log|s|, the larger tail.

This is our operational reading of the paper's "degree of regularity" (small dor = good
regularity; DESIGN.md).  It is computed symbolically (a sympy limit per tail) where sympy
manages within a time budget, and otherwise numerically: a least-squares slope of
log(ℓ(s) − ℓ(1)) against log|s| on a far grid (|s| = 1e8 … 1e48, mpmath at 40 digits, so no
overflow), with an error estimate from the change of slope between the near and far halves.
We use the excess loss ℓ(s) − ℓ(1) so that the logarithm is defined for every family (ℓ(1) is
not always 0); for a growing loss it gives the same limit as log ℓ(s).
"""

from __future__ import annotations

import functools
import math
from dataclasses import asdict, dataclass, field
from typing import Any

import mpmath
import sympy as sp

from lrbias.errors import InvalidArgument, LrbiasError, NumberRangeError, RunError, short
from lrbias.losses.budget import time_limit
from lrbias.losses.families import Family
from lrbias.losses.symbolic import to_elementary

T = sp.Symbol("t", positive=True)
SYMBOLIC_TIMEOUT_S = 20.0
NUMERIC_TIMEOUT_S = 30.0
NUMERIC_EXPONENTS = tuple(8.0 + 2.5 * k for k in range(17))  # |s| = 10^8 ... 10^48
NEAR_EXPONENTS = tuple(2.0 + 0.5 * k for k in range(21))      # |s| = 10^2 ... 10^12, where far out cannot be evaluated


@dataclass(frozen=True)
class DorResult:
    """A degree of regularity with its provenance.

    ``value``: the dor (float); ``exact``: its exact form as text when symbolic, else None;
    ``method``: 'symbolic' or 'numeric'; ``error``: estimated absolute error (0 when symbolic);
    ``tails``: the growth exponent of each tail ('+inf', '-inf'); ``note``: why a fallback.
    """

    value: float
    exact: str | None
    method: str
    error: float
    tails: dict[str, float] = field(default_factory=dict)
    note: str = ""

    def as_dict(self) -> dict:
        """JSON-safe dictionary."""
        return asdict(self)

    def describe(self, spec: str) -> str:
        """Human-readable account of the result."""
        if self.method == "symbolic":
            head = f"dor({spec}) = {self.exact}  (symbolic: sympy limit of log(l(s)-l(1))/log|s|)"
        else:
            head = (f"dor({spec}) = {self.value:.4f} +/- {self.error:.2g}  (numeric: log-log fit of "
                    "l(s)-l(1) on |s| in [1e8, 1e48], mpmath 40 digits)")
        tails = ", ".join(f"s -> {k}: {v:.6g}" for k, v in self.tails.items())
        lines = [head, f"  tails: {tails}"]
        if self.note:
            lines.append(f"  note: {self.note}")
        return "\n".join(lines)


def _far_branches(expr: sp.Expr) -> sp.Expr:
    """Replace each Piecewise in t by the branch that holds for large t (tested at t = 10^30).

    sympy's limit does not handle Piecewise; every built-in breakpoint is far below 10^30.
    """
    far = sp.Integer(10) ** 30

    def pick(pw: sp.Piecewise) -> sp.Expr:
        for value, cond in pw.args:
            if bool(cond.subs(T, far)):
                return value
        raise InvalidArgument("no Piecewise branch holds far out")

    return expr.replace(lambda e: isinstance(e, sp.Piecewise), pick)


def symbolic_dor(family: Family, timeout: float = SYMBOLIC_TIMEOUT_S) -> DorResult:
    """dor by sympy limits on both tails; raises LrbiasError if sympy cannot decide in time."""
    s = family.symbol
    elementary = to_elementary(family.expr)
    excess = elementary - elementary.subs(s, 1)
    tails: dict[str, sp.Expr] = {}
    try:
        with time_limit(timeout):
            for name, g in (("+inf", excess.subs(s, T)), ("-inf", excess.subs(s, -T))):
                g = _far_branches(g)
                tails[name] = sp.limit(sp.log(g) / sp.log(T), T, sp.oo)
    except TimeoutError:
        raise InvalidArgument(f"sympy could not find the limit within {timeout:g} s") from None
    except (NotImplementedError, ValueError, TypeError, RecursionError) as exc:
        raise InvalidArgument(f"sympy could not find the limit: {type(exc).__name__}") from None
    for name, value in tails.items():
        if not (value.is_real and value.is_finite):
            raise InvalidArgument(f"sympy gave a non-finite limit {value} on the {name} tail")
    best = max(tails.values(), key=lambda v: float(v))
    return DorResult(float(best), str(sp.nsimplify(best)), "symbolic", 0.0,
                     {k: float(v) for k, v in tails.items()})


def numeric_dor(family: Family, timeout: float = NUMERIC_TIMEOUT_S) -> DorResult:
    """dor by a log-log least-squares fit far out, with an error estimate.

    Bounded: RunError when it takes longer than ``timeout`` seconds, NumberRangeError (naming the
    spec) when the loss grows too fast for mpmath to evaluate far out.
    """
    try:
        with time_limit(timeout):
            return _numeric_dor(family)
    except TimeoutError:
        raise RunError(f"the numeric dor of {short(family.spec)} did not finish within {timeout:g} s") from None
    except NumberRangeError as exc:
        raise NumberRangeError(f"the numeric dor of {short(family.spec)} failed: {exc}") from None


def _numeric_dor(family: Family) -> DorResult:
    tails: dict[str, float] = {}
    errors: dict[str, float] = {}
    notes = []
    with mpmath.workdps(40):
        floor = family.mp.loss(mpmath.mpf(1))
        for name, sign in (("+inf", 1), ("-inf", -1)):
            xs, ys, stop = _tail_points(family, floor, sign, NUMERIC_EXPONENTS)
            if stop is not None and len(xs) < 4:  # evaluable only nearer in: fit a denser grid there
                nearer = tuple(k for k in NEAR_EXPONENTS if k < stop[0])
                xs, ys, _ = _tail_points(family, floor, sign, nearer)
                if len(xs) < 4:
                    raise NumberRangeError(f"{stop[1]} at |s| = 1e{stop[0]:g} on the {name} tail (a numeric dor "
                                           f"needs l(s) - l(1) at 4 or more |s| >= 1e{NEAR_EXPONENTS[0]:g}; "
                                           "too few points before it)")
            if stop is not None and xs:
                notes.append(f"the {name} tail fitted only up to |s| = 1e{xs[-1] / math.log(10):.3g} "
                             f"({stop[1]} further out)")
            if len(xs) < 4:
                tails[name], errors[name] = 0.0, 0.0
                notes.append(f"l(s) - l(1) is not positive far out on the {name} tail: exponent 0")
                continue
            half = len(xs) // 2
            slope_all = _slope(xs, ys)
            slope_near, slope_far = _slope(xs[:half + 1], ys[:half + 1]), _slope(xs[half:], ys[half:])
            tails[name] = slope_far
            errors[name] = abs(slope_far - slope_near) + abs(slope_far - slope_all)
    best = max(tails, key=lambda k: tails[k])
    return DorResult(tails[best], None, "numeric", errors[best], tails, "; ".join(notes))


def _tail_points(family: Family, floor: Any, sign: int, exponents: tuple[float, ...]
                 ) -> tuple[list[float], list[float], tuple[float, str] | None]:
    """(log|s|, log(l(s) - l(1))) at |s| = 10^k for ``exponents`` until one cannot be evaluated (its
    exponent and why), points with a non-positive excess skipped."""
    xs: list[float] = []
    ys: list[float] = []
    for k in exponents:
        s_val = sign * mpmath.power(10, k)
        try:
            excess = family.mp.loss(s_val) - floor
        except NumberRangeError as exc:
            return xs, ys, (k, str(exc))
        if excess > 0:
            xs.append(float(mpmath.log(abs(s_val))))
            ys.append(float(mpmath.log(excess)))
    return xs, ys, None


def _slope(xs: list[float], ys: list[float]) -> float:
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    return sxy / sxx if sxx > 0 else math.nan


@functools.lru_cache(maxsize=128)
def _cached(spec: str, method: str) -> DorResult:
    from lrbias.losses.families import get_family

    family = get_family(spec)
    if method == "numeric":
        return numeric_dor(family)
    try:
        return symbolic_dor(family)
    except LrbiasError as exc:
        if method == "symbolic":
            raise
        fallback = numeric_dor(family)
        return DorResult(fallback.value, None, "numeric", fallback.error, fallback.tails,
                         f"symbolic failed ({exc}); " + fallback.note if fallback.note
                         else f"symbolic failed ({exc})")


def degree_of_regularity(family: Family, method: str = "auto") -> DorResult:
    """dor of ``family``: method 'auto' (symbolic, else numeric), 'symbolic' or 'numeric'."""
    if method not in ("auto", "symbolic", "numeric"):
        raise InvalidArgument(f"unknown dor method {method!r}; accepted: auto, symbolic, numeric")
    return _cached(family.spec, method)
