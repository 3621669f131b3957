"""The exact identities of DESIGN.md as Hypothesis properties, checked in mpmath at 60 digits."""

from __future__ import annotations

import mpmath
import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

from lrbias.claims.strategies import coordinates, family_specs, points, step_sizes
from lrbias.gd import identities, objective
from lrbias.losses.families import get_family


@pytest.mark.parametrize("name", sorted(identities.IDENTITIES))
@given(spec=family_specs(), point=points(1e-2, 1e2), h=step_sizes(1e-4, 10.0))
def test_one_step_identity(name, spec, point, h):
    fam = get_family(spec)
    holds, rel = identities.check(identities.IDENTITIES[name], fam, *point, h)
    assert holds, f"{name} fails for {spec} at (x, y, h) = ({point[0]!r}, {point[1]!r}, {h!r}): rel {rel:.3g}"


@pytest.mark.parametrize("name", sorted(identities.MINIMISER_IDENTITIES))
@given(spec=family_specs(), t=coordinates(1e-2, 1e2))
def test_hessian_spectrum_at_minimisers(name, spec, t):
    fam = get_family(spec)
    holds, rel = identities.check(identities.MINIMISER_IDENTITIES[name], fam, t, 0.0, 0.0)
    assert holds, f"{name} fails for {spec} at t = {t!r}: rel {rel:.3g}"


@given(spec=family_specs(), x=coordinates(1e-2, 1e2), h=step_sizes(1e-4, 10.0), sign=st.sampled_from([1, -1]))
def test_invariant_lines(spec, x, h, sign):
    """y = x and y = -x are invariant: a step from them stays on them (exactly, any precision)."""
    fam = get_family(spec)
    with mpmath.workdps(60):
        xm = mpmath.mpf(x)
        xn, yn = objective.gd_step(fam, xm, sign * xm, mpmath.mpf(h), backend="mpmath")
        assert yn == sign * xn
    xf, yf = objective.gd_step(fam, x, sign * x, h, backend="numpy")
    assert yf == sign * xf


@given(spec=family_specs(include_nonsmooth=False), point=points(0.1, 3.0))
def test_gradient_and_hessian_match_numerical_derivatives(spec, point):
    """∇f and ∇²f against mpmath's numerical differentiation of f = ℓ(xy) at 50 digits."""
    fam = get_family(spec)
    with mpmath.workdps(50):
        x, y = (mpmath.mpf(v) for v in point)

        def f(a, b):
            return fam.mp.loss(a * b)

        gx, gy = objective.gradient(fam, x, y, backend="mpmath")
        H = objective.hessian(fam, x, y, backend="mpmath")
        numeric = [mpmath.diff(f, (x, y), order) for order in ((1, 0), (0, 1), (2, 0), (1, 1), (0, 2))]
        for exact, approx in zip((gx, gy, H.xx, H.xy, H.yy), numeric, strict=True):
            assert abs(exact - approx) <= mpmath.mpf(10) ** -25 * (1 + abs(approx))


def _wrong_balancing(family, x, y, h):
    """A deliberately wrong identity: d⁺ = d (1 − h ℓ′²) (h instead of h²)."""
    g, xn, yn = identities._step(family, x, y, h)
    d = x * x - y * y
    return xn * xn - yn * yn, d * (1 - h * g * g), abs(d) * (1 + h * h * g * g) + xn * xn + yn * yn


def _wrong_sharpness(family, t, _a, _b):
    """A deliberately wrong spectrum: λ_max = 2ℓ″(1) at every minimiser (true only at |x| = |y| = 1)."""
    _lo, hi = objective.hessian_eigenvalues(family, t, 1 / t, backend="mpmath")
    return hi, 2 * family.mp.d2(mpmath.mpf(1)), abs(hi)


MUTANT_SETTINGS = settings(max_examples=500, deadline=None, database=None,
                           suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize(("mutant", "draw"), [
    (_wrong_balancing, st.tuples(family_specs(), points(1e-2, 1e2), step_sizes(1e-4, 10.0))),
    (_wrong_sharpness, st.tuples(family_specs(), st.tuples(coordinates(1e-2, 1e2), st.just(0.0)),
                                 st.just(0.0))),
])
def test_mutants_are_caught(mutant, draw):
    """The same checker finds a counterexample to each wrong identity within a few examples."""

    def violates(case):
        spec, point, h = case
        holds, _ = identities.check(mutant, get_family(spec), point[0], point[1], h)
        return not holds

    counterexample = find(draw, violates, settings=MUTANT_SETTINGS)
    assert violates(counterexample)


@given(point=points(1e-2, 1e2))
def test_reduced_coordinates_lie_on_the_cone_at_every_point(point):
    """q² = d² + 4s² for every (x, y), GD or not: the engine's reduction, tested here, not a catalogue claim
    (the former entry exact.cone said nothing about GD)."""
    with mpmath.workdps(60):
        r = objective.to_reduced(mpmath.mpf(point[0]), mpmath.mpf(point[1]))
        assert abs(r.q * r.q - r.d * r.d - 4 * r.s * r.s) <= mpmath.mpf(10) ** -48 * r.q * r.q
