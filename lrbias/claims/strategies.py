"""Hypothesis strategies for the 2-D problem: family specs, parameters, points, learning rates.

Composable values in the Hypothesis style: ``family_specs()`` draws a spec string over every
built-in family with its parameters across their ranges; ``points()`` draws bounded, nonzero
coordinates spread over magnitudes; ``step_sizes()`` draws h.  Floats are always bounded
(unbounded draws produce 1e308 artefacts).
"""

from __future__ import annotations

from fractions import Fraction

from hypothesis import strategies as st

PARAMETER_FREE = ("square", "pseudo-huber", "logcosh", "quartic")


@st.composite
def softplus_pair_specs(draw: st.DrawFn, max_denominator: int = 16) -> str:
    """softplus-pair:a=p/q with 0 < a <= 1 (exact rationals, so mpmath sees the exact a)."""
    q = draw(st.integers(1, max_denominator))
    p = draw(st.integers(1, q))
    return f"softplus-pair:a={Fraction(p, q).numerator}/{Fraction(p, q).denominator}"


def power_specs(max_b: int = 7) -> st.SearchStrategy[str]:
    """power:b=b for odd b in 1..max_b."""
    return st.sampled_from([f"power:b={b}" for b in range(1, max_b + 1, 2)])


@st.composite
def huber_specs(draw: st.DrawFn) -> str:
    """huber:delta=p/q with delta in [1/8, 4]."""
    delta = draw(st.fractions(min_value=Fraction(1, 8), max_value=4, max_denominator=8))
    return f"huber:delta={delta.numerator}/{delta.denominator}"


def family_specs(include_nonsmooth: bool = True) -> st.SearchStrategy[str]:
    """A spec of any built-in family, parameters drawn across their accepted ranges."""
    options = [softplus_pair_specs(), power_specs(), st.sampled_from(PARAMETER_FREE)]
    if include_nonsmooth:
        options.append(huber_specs())
    return st.one_of(*options)


def magnitudes(lo: float = 1e-3, hi: float = 1e3) -> st.SearchStrategy[float]:
    """Positive floats spread over magnitudes: linear near the bottom, log-uniform up to hi."""
    return st.one_of(
        st.floats(lo, 10.0, allow_nan=False, allow_infinity=False),
        st.integers(-3, 3).flatmap(lambda e: st.floats(10.0 ** e, 10.0 ** (e + 1))).filter(
            lambda v: lo <= v <= hi
        ),
    )


@st.composite
def coordinates(draw: st.DrawFn, lo: float = 1e-3, hi: float = 1e3) -> float:
    """A nonzero coordinate with |value| in [lo, hi] and a random sign."""
    value = draw(magnitudes(lo, hi))
    return value if draw(st.booleans()) else -value


def points(lo: float = 1e-3, hi: float = 1e3) -> st.SearchStrategy[tuple[float, float]]:
    """A point (x, y) with both coordinates nonzero and bounded in magnitude."""
    return st.tuples(coordinates(lo, hi), coordinates(lo, hi))


def step_sizes(lo: float = 1e-4, hi: float = 10.0) -> st.SearchStrategy[float]:
    """A learning rate h > 0, log-spread between lo and hi."""
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def tail_arguments(max_abs: float = 1e6) -> st.SearchStrategy[float]:
    """Arguments s of ℓ: near the minimiser s = 1, moderate, and far tails up to |s| = max_abs."""
    near = st.floats(1 - 1e-3, 1 + 1e-3)
    moderate = st.floats(-30, 30, allow_nan=False)
    far = st.floats(30, max_abs).flatmap(lambda v: st.sampled_from([v, -v]))
    return st.one_of(near, moderate, far)


GOOD = st.one_of(softplus_pair_specs(), st.sampled_from(["logcosh", "pseudo-huber", "huber:delta=1"]))
"""Specs of good regularity (dor ≤ 1): softplus-pair with any a in (0, 1], logcosh, pseudo-Huber, Huber."""
