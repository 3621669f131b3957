"""Exact 2-D quantities: backends agree, shapes broadcast, closed forms hold."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from hypothesis import given

from lrbias.claims.strategies import family_specs, points, step_sizes
from lrbias.gd import objective as obj
from lrbias.losses.families import get_family


@given(spec=family_specs(), point=points(1e-2, 1e2), h=step_sizes())
def test_numpy_step_matches_mpmath(spec, point, h):
    fam = get_family(spec)
    x, y = point
    xn, yn = obj.gd_step(fam, np.float64(x), np.float64(y), h)
    with mpmath.workdps(40):
        xm, ym = obj.gd_step(fam, mpmath.mpf(x), mpmath.mpf(y), mpmath.mpf(h))
        g = fam.mp.d1(mpmath.mpf(x) * mpmath.mpf(y))
        scale = abs(mpmath.mpf(x)) + abs(h * g * y) + abs(mpmath.mpf(y)) + abs(h * g * x)
        # float64 evaluation of ℓ′(xy): relative error of the product xy propagates through ℓ″
        cond = abs(fam.mp.d2(mpmath.mpf(x) * mpmath.mpf(y)) * x * y) + abs(g) if fam.is_c2 else abs(g) + 1
        tol = 1e-12 * scale + 1e-13 * h * cond * (abs(x) + abs(y))
        assert abs(xn - xm) <= tol and abs(yn - ym) <= tol


def test_broadcasting_and_shapes():
    fam = get_family("softplus-pair:a=0.5")
    x = np.linspace(0.5, 2, 6).reshape(2, 3)
    y = np.full((2, 3), 0.7)
    xn, yn = obj.gd_step(fam, x, y, 0.3)
    assert xn.shape == yn.shape == (2, 3)
    lo, hi = obj.hessian_eigenvalues(fam, x, y)
    assert lo.shape == hi.shape == (2, 3) and np.all(hi >= lo)
    r = obj.reduced_step(fam, *obj.to_reduced(x, y), 0.3)
    np.testing.assert_allclose(r.d, xn**2 - yn**2, rtol=1e-12, atol=1e-14)


def test_sharpness_at_flattest_minimiser():
    for spec in ["square", "softplus-pair:a=0.5", "power:b=3"]:
        fam = get_family(spec)
        assert obj.sharpness(fam, 1.0, 1.0) == pytest.approx(2 * fam.curvature, rel=1e-14)
        assert obj.sharpness_at_minimiser(fam, 1.0, 1.0) == pytest.approx(2 * fam.curvature)
        assert obj.stability_threshold(fam) == pytest.approx(1 / fam.curvature)


def test_learning_rate_scaling():
    assert obj.learning_rate(4.0, 1.0, 3.0) == pytest.approx(0.4)


def test_arb_step_encloses_mpmath():
    flint = pytest.importorskip("flint")
    fam = get_family("logcosh")
    xb, yb = obj.gd_step(fam, flint.arb(2), flint.arb("0.3"), flint.arb("0.25"))
    with mpmath.workdps(40):
        xm, ym = obj.gd_step(fam, mpmath.mpf(2), mpmath.mpf("0.3"), mpmath.mpf("0.25"))
    assert xb.contains(flint.arb(mpmath.nstr(xm, 30))) or xb.overlaps(flint.arb(mpmath.nstr(xm, 30)))
    assert yb.overlaps(flint.arb(mpmath.nstr(ym, 30)))


def test_unknown_backend():
    with pytest.raises(ValueError, match="accepted: numpy, mpmath, arb"):
        obj.loss(get_family("square"), 1.0, 1.0, backend="jax")


def test_sharpness_at_minimiser_off_the_flattest_point():
    """Off (1, 1) the closed form ℓ″(1)(x² + y²) differs from ℓ″(1)·2xy; it equals λ_max there."""
    for spec in ["square", "softplus-pair:a=0.5", "logcosh"]:
        fam = get_family(spec)
        for t in (0.25, 3.0):
            x, y = t, 1 / t
            expected = fam.curvature * (t * t + 1 / (t * t))
            assert obj.sharpness_at_minimiser(fam, x, y) == pytest.approx(expected, rel=1e-14)
            assert obj.sharpness(fam, x, y) == pytest.approx(expected, rel=1e-10)
