"""Float bounds of arb balls (lrbias.gd.certificate.intervals): proven, and found in bounded work
for every ball, the ones beyond the float range and the ones whose float guess starts on the
wrong side included (both once looped for ever: a hang in the escape certificate)."""

from __future__ import annotations

import math

import pytest

from lrbias.gd.certificate.intervals import lower, upper

flint = pytest.importorskip("flint")

BALLS = {
    "zero-centred, lower end just below 0": "1 +/- 1",          # float guess 0, true end -1.9e-9
    "tiny radius about 0": "0 +/- 1e-30",                      # guess 0, end -1e-30
    "third": "0.333333333333333333333333 +/- 1e-20",
    "exact zero": "0",
    "subnormal": "7.36e-332 +/- 1e-337",
}


def _balls():
    out = {k: flint.arb(v) for k, v in BALLS.items()}
    big = flint.arb(10) ** 400
    out["beyond the float range"] = big
    out["beyond the float range, negative"] = -big
    out["beyond the float range, wide"] = big * flint.arb("1 +/- 0.5")   # mid - rad was inf - inf = nan
    return out


@pytest.mark.parametrize("name", list(_balls()))
def test_bounds_are_proven_and_tight_where_floats_reach(name):
    b = _balls()[name]
    lo, hi = lower(b), upper(b)   # a hang fails by the per-test timeout, with this test's name
    assert flint.arb(lo) <= b and flint.arb(hi) >= b
    for end, bound in ((b.lower(), lo), (b.upper(), hi)):
        if abs(float(end)) < 1e300:   # representable: the bound is within a few ulps of the end
            assert abs(bound - float(end)) <= 4 * math.ulp(float(end)) + 1e-323, (name, bound, float(end))


def test_ends_beyond_the_float_range():
    big = flint.arb(10) ** 400
    assert lower(big) == 1.7976931348623157e308 and upper(big) == math.inf
    assert lower(-big) == -math.inf and upper(-big) == -1.7976931348623157e308
    assert lower(flint.arb("inf")) == -math.inf and upper(flint.arb("nan")) == math.inf
