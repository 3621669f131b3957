"""Binding tests of ``lrbias.gd.certificate.intervals`` (issue 27): the float bounds of balls at their exact
cases (an exact ball, a ball whose end is not a float, a non-finite ball, a NaN start of the outward search)
and the Enclosure's inclusive ends, width, midpoint and dictionary."""

from __future__ import annotations

import math

import pytest

flint = pytest.importorskip("flint")
arb = flint.arb

from lrbias.gd.certificate.intervals import Enclosure, _outward, flint_module, lower, upper  # noqa: E402


def test_flint_module_is_python_flint():
    assert flint_module() is flint


def test_exact_balls_give_their_own_ends():
    assert (lower(arb(3)), upper(arb(3))) == (3.0, 3.0)
    b = arb(1, 0.5)   # arb keeps a radius in 30 bits, rounded up: the ends are floats just outside 0.5 and 1.5
    assert (lower(b), upper(b)) == (float(b.lower()), float(b.upper()))
    assert 0.5 - 2.0 ** -28 < lower(b) <= 0.5 and 1.5 <= upper(b) < 1.5 + 2.0 ** -28
    assert (lower(arb(-2.0 ** -1074)), upper(arb(-2.0 ** -1074))) == (-2.0 ** -1074, -2.0 ** -1074)


def test_an_end_between_floats_rounds_outward_tightly():
    third = arb(1) / 3                      # its ends are not floats
    lo, hi = lower(third), upper(third)
    assert arb(lo) <= third and arb(hi) >= third        # proven bounds of the whole ball
    assert 0 < hi - lo <= 4 * math.ulp(1 / 3)            # a few floats wide, no more


def test_non_finite_balls():
    assert upper(arb("inf")) == math.inf and lower(arb("inf")) == -math.inf
    assert upper(arb("nan")) == math.inf and lower(arb("nan")) == -math.inf
    assert upper(arb(0, math.inf)) == math.inf


def test_outward_search():
    """A NaN start returns the direction; a start that already holds is kept; one that does not moves out by a
    doubling step until it holds; at ±inf the search ends there."""
    assert _outward(math.nan, lambda a: False, math.inf) == math.inf
    assert _outward(math.nan, lambda a: False, -math.inf) == -math.inf
    assert _outward(1.0, lambda a: True, math.inf) == 1.0
    target = arb(1) + arb(2) ** -40
    v = _outward(1.0, lambda a: a >= target, math.inf)
    assert v >= 1 + 2.0 ** -40 and v - (1 + 2.0 ** -40) <= 2.0 ** -40    # doubling overshoots by < the gap
    assert _outward(1.0, lambda a: False, math.inf) == math.inf            # never holds: ends at +inf
    assert _outward(-1.0, lambda a: False, -math.inf) == -math.inf


def test_enclosure():
    b = arb(2, 0.5)
    e = Enclosure.of(b)
    assert (e.lo, e.hi) == (lower(b), upper(b)) and e.ball == b.str(radius=True)
    assert (e.width, e.mid) == (e.hi - e.lo, (e.lo + e.hi) / 2)
    assert e.contains(e.lo) and e.contains(e.hi) and not e.contains(math.nextafter(e.hi, 3))
    assert not e.contains(math.nextafter(e.lo, 0)) and not e.contains(math.nan)
    assert e.as_dict() == {"lo": e.lo, "hi": e.hi, "ball": e.ball}
    exact = Enclosure(1.5, 2.5, "b")
    assert (exact.width, exact.mid) == (1.0, 2.0)
