"""Binding tests of lrbias/gd/certificate/periodic.py (issue 27): the GD map and its Jacobian on exact balls,
the Schur–Cohn stability test at each of its boundaries (an unstable or undecided cycle is never called
stable), the Krawczyk proof's refusals (a fixed point handed in with a period, a 2-cycle handed in as a
4-cycle, a singular candidate), attraction, and the period guess at its tolerance and its largest period.
The Krawczyk inclusion and the attraction proof's eigenbasis are tested on matrices and maps without the
GD map's symmetry (every cycle of GD on l(xy) has x^2 = y^2, which hides a wrong coordinate or row there)."""

from __future__ import annotations

import pytest

flint = pytest.importorskip("flint")
arb = flint.arb

from lrbias.gd.certificate.intervals import Enclosure  # noqa: E402
from lrbias.gd.certificate.periodic import (  # noqa: E402
    _eigenbasis,
    _inverse,
    _jacobian,
    _krawczyk_inside,
    _map_p,
    _matmul,
    _stability,
    attracted,
    certify_cycle,
    gd_step,
    period_guess,
)
from lrbias.gd.certificate.records import PERIOD_MAX, Cycle  # noqa: E402
from lrbias.losses.families import get_family  # noqa: E402

SQUARE = get_family("square")          # l'(s) = s - 1, l'' = 1: every figure below is exact
LOGCOSH = get_family("logcosh")
CYCLE_START = (1.0490339373411115, 1.0490339373660473, 3.3 / 3.25)   # a float run's 2-cycle (kappa = 3.3)


def _m(rows):
    return [[arb(v) for v in row] for row in rows]


def _floats(m):
    return [[float(v.mid()) for v in row] for row in m]


def test_gd_step_and_jacobian_exact():
    d1, d2 = SQUARE.arb.d1, SQUARE.arb.d2
    x, y = gd_step(d1, arb("0.5"), arb(2), arb(3))          # s = 6, l' = 5, h l' = 2.5
    assert (float(x.mid()), float(y.mid())) == (2 - 7.5, 3 - 5)
    J = _jacobian(d1, d2, arb("0.5"), arb(2), arb(3))      # off = -h(l' + l'' s) = -5.5
    assert _floats(J) == [[1 - 0.5 * 9, -5.5], [-5.5, 1 - 0.5 * 4]]


def test_matmul_of_non_symmetric_matrices():
    assert _floats(_matmul(_m([[1, 2], [3, 4]]), _m([[5, 6], [7, 8]]))) == [[19, 22], [43, 50]]


def test_map_p_composes_the_map_and_the_chain_rule():
    d1, d2, h = SQUARE.arb.d1, SQUARE.arb.d2, arb("0.1")
    x1, y1 = gd_step(d1, h, arb(2), arb(3))
    x2, y2 = gd_step(d1, h, x1, y1)
    fx, fy, J = _map_p(d1, d2, h, arb(2), arb(3), 2, True)
    assert (float(fx.mid()), float(fy.mid())) == (float(x2.mid()), float(y2.mid()))
    expected = _matmul(_jacobian(d1, d2, h, x1, y1), _jacobian(d1, d2, h, arb(2), arb(3)))
    assert _floats(J) == _floats(expected)
    assert _floats(_map_p(d1, d2, h, arb(2), arb(3), 2, False)[2]) == [[1, 0], [0, 1]]


def test_inverse():
    assert _inverse([[2.0, 1.0], [1.0, 1.0]]) == [[1.0, -1.0], [-1.0, 2.0]]
    assert _inverse([[1.0, 2.0], [2.0, 4.0]]) is None
    assert _inverse([[1e300, 0.0], [0.0, 1e300]]) is None       # det overflows: no inverse trusted


@pytest.mark.parametrize(("rows", "verdict", "why"), [
    ([[0.5, 0.3], [-0.2, 0.1]], "stable", "trace 0.6, det 0.11: inside"),
    ([[0, -1], [1, 0]], "undecided", "det = 1 exactly: on the circle (a rotation)"),
    ([[0, -1.5], [1, 0]], "unstable", "det 1.5 > 1, trace 0"),
    ([[0.5, 0], [0, 1]], "undecided", "trace = 1 + det exactly: a multiplier 1"),
    ([[0.5, 0], [0, 1.25]], "unstable", "trace 1.75 > 1 + det = 1.625"),
    ([[2.5, 0], [0, 0.2]], "unstable", "det 0.5 < 1 but trace 2.7 > 1.5"),
    ([[-0.5, 0], [0, -1.25]], "unstable", "trace -1.75: |trace| > 1 + det"),
    ([[-0.5, 0], [0, -0.25]], "stable", "trace -0.75, det 0.125"),
])
def test_schur_cohn_at_each_boundary(rows, verdict, why):
    assert _stability(_m(rows))[0] == verdict, why


def test_an_enclosure_across_the_boundary_is_undecided_and_the_text_is_whole():
    J = [[arb("0.5", 1e-10), arb("0.3")], [arb("-0.2"), arb("0.1")]]
    assert _stability(J) == ("stable", "trace [0.60000 +/- 4e-10], det [0.11000 +/- 1e-10]")
    wide = [[arb(0, 0.01), arb(-1)], [arb(1), arb(0)]]         # det in [1 - 0.0001, 1 + 0.0001]
    assert _stability(wide)[0] == "undecided"


def test_a_two_cycle_is_proven_stable_and_its_refusals():
    x, y, h = CYCLE_START
    cycle, why = certify_cycle(LOGCOSH, x, y, h, 2)
    assert why == "" and cycle.period == 2 and cycle.stability == "stable"
    assert cycle.x.lo <= cycle.x.hi and cycle.x.hi - cycle.x.lo < 1e-14
    assert cycle.multipliers.startswith("trace [1.8546") and ", det [0.85742" in cycle.multipliers
    assert certify_cycle("logcosh", x, y, h, 2)[0] == cycle                      # a spec or a Family
    assert certify_cycle(LOGCOSH, x, y, h, 4) == (None, "the box may hold a point of period 2")
    assert certify_cycle(LOGCOSH, x, y, h, 1) == (None, "D(F^p) - I is singular on the box")
    assert certify_cycle(LOGCOSH, 1.0, 1.0, 0.5, 2) == (None, "D(F^p) - I is singular at the candidate")


def test_certify_cycle_restores_the_precision():
    old = flint.ctx.prec
    certify_cycle(LOGCOSH, *CYCLE_START, 2, bits=200)
    assert flint.ctx.prec == old


def test_attraction_near_and_far():
    x, y, h = CYCLE_START
    cycle, _ = certify_cycle(LOGCOSH, x, y, h, 2)
    assert attracted(LOGCOSH, arb(h), arb(x, 1e-12), arb(y, 1e-12), cycle)
    assert not attracted(LOGCOSH, arb(h), arb("1.3"), arb("0.6"), cycle)
    wrong = Cycle(2, cycle.x, cycle.y, "stable", "")
    assert not attracted(LOGCOSH, arb(h * 0.5), arb(x, 1e-12), arb(y, 1e-12), wrong)   # no cycle at this h


def test_period_guess_at_its_tolerance_and_largest_period():
    def orbit(p, n, wobble=0.0):
        return [(1.0 + (k % p) + (wobble if k >= p else 0.0), 2.0) for k in range(n)]

    n = 2 * PERIOD_MAX + 2
    assert period_guess(orbit(1, n)) == 1
    assert period_guess(orbit(3, n)) == 3
    assert period_guess(orbit(PERIOD_MAX, n)) == PERIOD_MAX == 16
    assert period_guess(orbit(PERIOD_MAX + 1, n)) is None
    scale = 1 + 1.0 + 2.0
    assert period_guess(orbit(3, n, wobble=0.9e-9 * scale)) == 3        # within 1e-9 of the scale
    assert period_guess(orbit(3, n, wobble=1.1e-9 * scale)) is None
    at_origin = [(0.0, 0.0), (1e-9, 0.0)] * (PERIOD_MAX + 1)   # scale 1: a distance of exactly 1e-9 is within
    assert period_guess(at_origin) == 1
    assert period_guess([(0.0, 0.0), (2e-9, 0.0)] * (PERIOD_MAX + 1)) == 2


@pytest.mark.parametrize(("dx", "dy", "radius"), [(1, 1, 8.3398771129e-05), (1, -1, 8.3398771129e-05),
                                                  (1, 0, 1.6679754226e-04)])
def test_the_attraction_proof_reaches_as_far_as_its_norm_allows(dx, dy, radius):
    """The farthest proven start from the cycle point along three directions (bisected with this code and
    pinned): inside by 4 % it is proven attracted, outside by 4 % not.  A basis inverse taken with a wrong
    determinant (Pinv = a·P⁻¹ with a < 1) shrinks every image and "proves" starts ~30x farther out."""
    x, y, h = CYCLE_START
    cycle, _ = certify_cycle(LOGCOSH, x, y, h, 2)
    cx, cy = cycle.x.mid, cycle.y.mid
    assert attracted(LOGCOSH, arb(h), arb(cx + 0.96 * radius * dx), arb(cy + 0.96 * radius * dy), cycle)
    assert not attracted(LOGCOSH, arb(h), arb(cx + 1.04 * radius * dx), arb(cy + 1.04 * radius * dy), cycle)


def test_an_unstable_two_cycle_off_the_diagonal_whole():
    """Square loss, h = 1: (1, −1) ↔ (−1, 1) exactly (s = −1, hl'(s) = −2).  x and y differ, so a proof that
    mixed up the coordinates (one box's component for the other's) cannot pass."""
    cycle, why = certify_cycle("square", 1.0, -1.0, 1.0, 2)
    assert why == "" and cycle == Cycle(
        2, Enclosure(0.9999999999999999, 1.0000000000000002, "[1.00000000000000000 +/- 1.22e-18]"),
        Enclosure(-1.0000000000000002, -0.9999999999999999, "[-1.00000000000000000 +/- 1.22e-18]"),
        "unstable", "trace [18.000 +/- 5e-8], det [81.000 +/- 4e-7]")


def test_the_saddle_is_a_fixed_point_never_a_two_cycle():
    """(0, 0) is an isolated fixed point: handed in with period 2 the Krawczyk test passes on F² − id, and only
    the check of the divisor d = 1 refuses it; with period 1 it is proven, and unstable."""
    assert certify_cycle("square", 0.0, 0.0, 0.5, 2) == (None, "the box may hold a point of period 1")
    cycle, why = certify_cycle("square", 0.0, 0.0, 0.5, 1)
    assert why == "" and (cycle.period, cycle.stability) == (1, "unstable")
    assert cycle.x.contains(0.0) and cycle.y.contains(0.0) and cycle.x.hi < 1e-29
    assert cycle.multipliers == "trace [2.0000 +/- 1e-9], det [0.75000 +/- 1e-10]"


def test_the_stable_cycles_enclosures_pinned():
    cycle, _ = certify_cycle(LOGCOSH, *CYCLE_START, 2)
    assert (cycle.x, cycle.y) == (Enclosure(1.0490339373535789, 1.0490339373535797, "[1.049033937353579 +/- 5.31e-16]"),
                                  Enclosure(1.0490339373535789, 1.0490339373535797, "[1.049033937353579 +/- 5.31e-16]"))


S = 0.5 ** 0.5


@pytest.mark.parametrize(("a", "P"), [
    ([[3.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, -1.0]]),        # diagonal: one row of a - lambda*I vanishes
    ([[1.0, 0.0], [0.0, 3.0]], [[0.0, -1.0], [1.0, 0.0]]),        # larger eigenvalue first
    ([[1.0, 2.0], [2.0, 1.0]], [[S, S], [S, -S]]),                # a tie of the two rows: the first row's form
    ([[2.0, 3.0], [0.0, 1.0]], [[1.0, 3 / 10 ** 0.5], [0.0, -1 / 10 ** 0.5]]),
    ([[2.0, 0.0], [3.0, 1.0]], [[1 / 10 ** 0.5, 0.0], [3 / 10 ** 0.5, 1.0]]),   # the longer form, by 3 to 1
    ([[1.0, 1.0], [2.0 ** -40, 1.0]],                             # discriminant 2^-40 > 0, exactly
     [[1 / (1 + 2.0 ** -40) ** 0.5, 1 / (1 + 2.0 ** -40) ** 0.5],
      [2.0 ** -20 / (1 + 2.0 ** -40) ** 0.5, -(2.0 ** -20) / (1 + 2.0 ** -40) ** 0.5]]),
])
def test_eigenbasis_whole(a, P):
    got = _eigenbasis(a)
    assert [v for row in got for v in row] == pytest.approx([v for row in P for v in row], abs=1e-15)


@pytest.mark.parametrize("a", [
    [[0.0, -1.0], [1.0, 0.0]],           # complex eigenvalues
    [[1.0, 1.0], [0.0, 1.0]],            # a double eigenvalue, discriminant exactly 0
    [[2.0, 0.0], [0.0, 2.0]],
    [[float("nan"), 0.0], [0.0, 1.0]],   # a non-finite Jacobian
])
def test_eigenbasis_is_the_identity_without_two_real_eigenvalues(a):
    assert _eigenbasis(a) == [[1.0, 0.0], [0.0, 1.0]]


def test_eigenbasis_diagonalises_non_symmetric_matrices():
    """A P = P diag(lambda1, lambda2) with unit columns and lambda1 > lambda2, on matrices of either row's
    dominance (|a01| > |a10| and the reverse), checked against numpy's eigenvalues."""
    import numpy as np
    rng = np.random.default_rng(27)
    seen = 0
    for _ in range(400):
        a = rng.normal(size=(2, 2)) * rng.choice([1.0, 1e-3, 1e3], size=(2, 2))
        lam = np.linalg.eigvals(a)
        if (np.iscomplexobj(lam) and np.any(lam.imag != 0)) or abs(lam[0] - lam[1]) < 1e-6 * np.abs(a).max():
            continue
        P = np.array(_eigenbasis(a.tolist()))
        lam = np.sort(lam.real)[::-1]
        assert np.allclose(np.linalg.norm(P, axis=0), 1.0, atol=1e-12)
        assert np.allclose(a @ P, P * lam, atol=1e-9 * np.abs(a).max())
        seen += 1
    assert seen > 200


def _linear_problem(M, zstar, c, r, centre=None):
    """G(z) = M (z - z*) on the box centre +- r (default: c +- r): G(c) and DG as balls."""
    centre = c if centre is None else centre
    Z = (arb(centre[0], r), arb(centre[1], r))
    G0 = tuple(sum(arb(M[i][j]) * (arb(c[j]) - zstar[j]) for j in range(2)) for i in range(2))
    return Z, G0, _m(M)


def test_krawczyk_needs_both_coordinates_inside():
    """x's image inside and y's not (and the reverse): no proof.  An `or` would prove a zero of G in a box
    from one coordinate only."""
    c, r = (1.001, 0.999), 0.01
    Z, G0, DG = _linear_problem([[1.0, 0.0], [0.0, 2.0]], (1, 1), c, r)
    K = _krawczyk_inside(Z, c, G0, DG, [[1.0, 0.0], [0.0, 0.5]])   # C = DG^-1: K(Z) is the zero (1, 1)
    assert K is not None and [(float(k.mid()), float(k.rad())) for k in K] == [(1.0, 0.0), (1.0, 0.0)]
    assert _krawczyk_inside(Z, c, G0, DG, [[1.0, 0.0], [0.0, 1.0]]) is None   # K_y = 2 - c_y +- r: not inside
    Z, G0, DG = _linear_problem([[2.0, 0.0], [0.0, 1.0]], (1, 1), c, r)
    assert _krawczyk_inside(Z, c, G0, DG, [[1.0, 0.0], [0.0, 1.0]]) is None   # K_x not inside, K_y is


def test_krawczyk_image_of_a_non_symmetric_map_against_floats():
    """K(Z) = c - C G(c) + (I - C M)(Z - c) for G = M (z - z*), M and C non-symmetric, c off the box's
    centre: midpoints and radii against the float formula (a row or column of C or M mixed up, or Z - c
    subtracted, moves them)."""
    import numpy as np
    M = np.array([[2.0, 1.0], [0.5, 3.0]])
    C = np.linalg.inv(M) + np.array([[0.01, -0.02], [0.03, 0.005]])
    zstar, c, r = np.array([0.3, -0.7]), np.array([0.3004, -0.6993]), 1e-3
    centre = np.array([0.3002, -0.6996])
    Z, G0, DG = _linear_problem(M.tolist(), zstar.tolist(), c.tolist(), r, centre.tolist())
    K = _krawczyk_inside(Z, (float(c[0]), float(c[1])), G0, DG, C.tolist())
    assert K is not None
    mid = c - C @ (M @ (c - zstar)) + (np.eye(2) - C @ M) @ (centre - c)
    rad = np.abs(np.eye(2) - C @ M) @ np.array([r, r])
    assert [float(k.mid()) for k in K] == pytest.approx(mid.tolist(), abs=1e-14)
    assert [float(k.rad()) for k in K] == pytest.approx(rad.tolist(), rel=1e-9)
    assert all(k.contains(float(z)) for k, z in zip(K, zstar, strict=True))


def test_the_box_grows_fourfold_eight_times():
    """The Krawczyk boxes are radius * (1 + |x| + |y|) * 4^k for k < 8.  Newton leaves the float midpoint
    about 1e-16 off the cycle, so a box must reach about that far: from radius 1.5e-21 only the eighth
    box does (4^7 = 16384), from a quarter of it none does (a ninth box, a fivefold growth, or a radius
    reset would prove it)."""
    x, y, h = CYCLE_START
    cycle, why = certify_cycle(LOGCOSH, x, y, h, 2, radius=1.52587890625e-21)
    assert cycle is not None and why == ""
    assert certify_cycle(LOGCOSH, x, y, h, 2, radius=1.52587890625e-21 / 4) == (
        None, "the Krawczyk test failed on every box tried (period 2)")
