"""Binding tests of ``lrbias.gd.certificate.escape`` (issue 27): the divergence certificate pinned whole on fixed
balls (both sides, a quintic ℓ′), every reason it gives for refusing, the exact helpers (Taylor shift, mirroring,
the dyadic σ, the growth bound) at their branches, the trial values of ρ̄ and the float pre-check at their
boundaries.  The pinned escapes are checked by an independent 60-digit mpmath run from the balls' centres:
each step multiplies |s| by at least the proven rate and the state stays in the region E."""

from __future__ import annotations

from fractions import Fraction

import mpmath
import pytest

flint = pytest.importorskip("flint")
arb = flint.arb

from lrbias.gd.certificate.escape import (  # noqa: E402
    SIGMA_BITS,
    SIGMA_MAX,
    TRY_ABOVE,
    TRY_SLOPE,
    Escape,
    GrowthBound,
    _dyadic_below,
    _mirrored,
    _rho_candidates,
    escape_certificate,
    growth_bound,
    no_escape_reason,
    slope_polynomial,
    taylor_shift,
    worth_trying,
)
from lrbias.gd.certificate.intervals import upper  # noqa: E402
from lrbias.losses.families import get_family  # noqa: E402

SQUARE, POWER3 = get_family("square"), get_family("power:b=3")
CASES = {
    "square+": (SQUARE, 0.5, 10.0, 10.1),
    "square-": (SQUARE, 0.5, 10.0, -10.1),
    "power3+": (POWER3, 0.01, 2.0, 2.0),
}


def _balls(x, y, rad=2.0**-40):
    bx, by = arb(x, rad), arb(y, rad)
    return bx * by, bx * bx + by * by


PINNED = {
    "square+": Escape(
        step=4,
        side=1,
        sigma=100.99999237060547,
        rho_bar=2.8353209148700614e-05,
        c=0.0002386395115086233,
        rate=2400.9939553574986,
        slope=49.999996185302734,
        K=2.103290303848645,
        s_entry=(100.99999999998168, 101.00000000001829),
        W_entry=2.7114630199493432e-05,
        growth="l'(s) >= 13107199/131072 + 1*(s - 13238271/131072) for s >= 13238271/131072 (exact Taylor coefficients of l' at the point: those of degree >= 2 are >= 0)",  # noqa: E501
    ),
    "square-": Escape(
        step=4,
        side=-1,
        sigma=100.99999237060547,
        rho_bar=2.8300637810721976e-05,
        c=0.00023333587168441802,
        rate=2499.993845037212,
        slope=50.999996185302734,
        K=2.060400004638673,
        s_entry=(100.99999999998168, 101.00000000001829),
        W_entry=2.706211891410525e-05,
        growth="-l'(s) >= 13369343/131072 + 1*(-s - 13238271/131072) for -s >= 13238271/131072 (exact Taylor coefficients of l' at the point: those of degree >= 2 are >= 0)",  # noqa: E501
    ),
    "power3+": Escape(
        step=4,
        side=1,
        sigma=3.999999761581421,
        rho_bar=2.0251059912813263e-12,
        c=5.540647060709405e-13,
        rate=3537.8682353913314,
        slope=60.479981803896194,
        K=0.06838013648330259,
        s_entry=(3.9999999999963616, 4.000000000003639),
        W_entry=1.0480108969253883e-12,
        growth="l'(s) >= 3925375244057673658541385926918012925/649037107316853453566312041152512 + 1180994514579011000590978252815/154742504910672534362390528*(s - 16777215/4194304) for s >= 16777215/4194304 (exact Taylor coefficients of l' at the point: those of degree >= 2 are >= 0)",  # noqa: E501
    ),
}


def test_constants():
    assert (TRY_ABOVE, TRY_SLOPE, SIGMA_BITS, SIGMA_MAX) == (2.0, 2.0, 24, 2.0**60)


@pytest.mark.parametrize("name", list(CASES))
def test_escape_pinned(name):
    fam, h, x, y = CASES[name]
    assert escape_certificate(fam, arb(h), *_balls(x, y), 4) == (PINNED[name], "")


@pytest.mark.parametrize("name", list(CASES))
def test_the_pinned_escape_holds_along_the_run(name):
    """GD from the centre at 60 digits: s̃ ≥ σ, W = r + c/s̃ ≤ ρ̄ at every step, and s̃ grows by ≥ rate."""
    fam, h, x, y = CASES[name]
    e = PINNED[name]
    with mpmath.workdps(60):
        x, y, h = mpmath.mpf(x), mpmath.mpf(y), mpmath.mpf(h)
        for _ in range(4):
            s, q = x * y, x * x + y * y
            st = e.side * s
            dominant, other = ((q + 2 * s) / 2, (q - 2 * s) / 2) if e.side > 0 else ((q - 2 * s) / 2, (q + 2 * s) / 2)
            assert st >= e.sigma and other / dominant + mpmath.mpf(e.c) / st <= e.rho_bar
            g = s - 1 if fam is SQUARE else 6 * s**5 - 6 * s**2
            x, y = x - h * g * y, y - h * g * x
            assert e.side * x * y >= e.rate * st


def test_escape_region_and_dict():
    e = PINNED["square+"]
    assert e.region() == (
        "s >= 100.99999237060547 and (q - 2s)/(q + 2s) + 0.0002386395115086233/s <= 2.8353209148700614e-05"
    )
    assert PINNED["square-"].region() == (
        "s <= -100.99999237060547 and (q + 2s)/(q - 2s) + 0.00023333587168441802/|s| <= 2.8300637810721976e-05"
    )
    d = e.as_dict()
    assert d == {
        "step": 4,
        "side": "s -> +inf",
        "region": e.region(),
        "sigma": e.sigma,
        "rho_bar": e.rho_bar,
        "c": e.c,
        "rate": e.rate,
        "slope": e.slope,
        "K": e.K,
        "s_entry": {"lo": e.s_entry[0], "hi": e.s_entry[1]},
        "W_entry": e.W_entry,
        "growth": e.growth,
    }
    assert PINNED["square-"].as_dict()["side"] == "s -> -inf"


@pytest.mark.parametrize(
    ("fam", "h", "s", "q", "why"),
    [
        (SQUARE, 0.5, arb("inf"), arb(3), "s or q is not finite"),
        (SQUARE, 0.5, arb(5), arb("nan"), "s or q is not finite"),
        (SQUARE, 0.5, arb(0, 1), arb(3), "the sign of s is not decided"),
        (SQUARE, 0.5, arb(5), arb(3, 20), "the dominant component is not proven positive"),
        (SQUARE, 0.01, *_balls(10.0, 10.1), "the slope bound h*l' at sigma is not above 2 (V <= 1)"),
        (SQUARE, 0.5, *_balls(1.0, 30.0), "lambda is not proven increasing in v for rho_bar = 0.9"),
        (SQUARE, 0.05, *_balls(10.0, 12.0), "W = r + c/|s| <= 0.266694 is not below rho_bar = 0.25"),
        (
            get_family("logcosh"),
            0.5,
            *_balls(10.0, 10.1),
            "l' of logcosh is not a polynomial in s: no escape region "
            "is proven (DESIGN.md, 'Divergence certificates', bounded l')",
        ),
    ],
)
def test_every_refusal_says_why(fam, h, s, q, why):
    assert escape_certificate(fam, arb(h), s, q, 0) == (None, why)


def test_a_negative_side_needs_the_dominant_of_its_own_side():
    """s < 0 swaps the roles: B = (q − 2s)/2 dominates; with q's ball reaching below 2|s| it is not proven."""
    assert escape_certificate(SQUARE, arb(0.5), arb(-5), arb(3, 20), 0) == (
        None,
        "the dominant component is not proven positive",
    )


def test_taylor_shift_and_mirror():
    assert taylor_shift([Fraction(1), Fraction(2), Fraction(3)], Fraction(2)) == [17, 14, 3]
    assert taylor_shift([Fraction(5)], Fraction(3)) == [5]
    assert taylor_shift([Fraction(0), Fraction(0), Fraction(0), Fraction(1)], Fraction(1, 2)) == [
        Fraction(1, 8),
        Fraction(3, 4),
        Fraction(3, 2),
        1,
    ]
    poly = slope_polynomial(POWER3)  # 6s⁵ − 6s²
    assert _mirrored(poly, 1) == [0, 0, -6, 0, 0, 6]
    assert _mirrored(poly, -1) == [0, 0, 6, 0, 0, 6]  # −ℓ′(−t) = 6t⁵ + 6t²


def test_growth_bound_at_each_branch():
    assert growth_bound(SQUARE, -1, Fraction(2)) == (GrowthBound(-1, Fraction(2), Fraction(3), Fraction(1)), "")
    assert growth_bound(SQUARE, 1, Fraction(2)) == (GrowthBound(1, Fraction(2), Fraction(1), Fraction(1)), "")
    assert growth_bound(POWER3, 1, Fraction(1, 2)) == (None, "l'' is not positive at side*sigma = 0.5")
    assert growth_bound(POWER3, 1, Fraction(1, 4)) == (
        None,
        "side*l'(side*(sigma + t)) has a negative Taylor coefficient at sigma = 0.25",
    )
    assert growth_bound(SQUARE, 1, Fraction(1))[0] == GrowthBound(1, Fraction(1), Fraction(0), Fraction(1))


def test_growth_bound_text():
    assert (
        GrowthBound(1, Fraction(2), Fraction(3), Fraction(1, 2)).text()
        == "l'(s) >= 3 + 1/2*(s - 2) for s >= 2 (exact Taylor coefficients of l' at the point: those of degree >= 2 are >= 0)"  # noqa: E501
    )
    assert (
        GrowthBound(-1, Fraction(2), Fraction(3), Fraction(1)).text().startswith("-l'(s) >= 3 + 1*(-s - 2) for -s >= 2")
    )


def _stand_in(spec, slope):
    """What slope_polynomial reads of a family (its spec, ℓ′ and symbol): the registry refuses a loss whose
    ℓ′ falls to −∞ (its minimiser is not global), so that reason is reached by a stand-in."""
    import types

    import sympy as sp

    s = sp.Symbol("s")
    return types.SimpleNamespace(spec=spec, symbol=s, derivative=lambda k: slope(s))


@pytest.mark.parametrize(
    ("fam", "why"),
    [
        (
            get_family("expr:(s-1)**2*sqrt(2)/2"),
            "l' of expr:(s-1)**2*sqrt(2)/2 has coefficients outside Q (EX): no escape region is proven",
        ),
        (_stand_in("falls", lambda s: 1 - s**3), "l' of falls does not grow to +inf as s -> +inf: no escape region"),
        (_stand_in("flat", lambda s: 2 + 0 * s), "l' of flat does not grow to +inf as s -> +inf: no escape region"),
    ],
)
def test_slope_polynomial_reasons(fam, why):
    assert slope_polynomial(fam) == why and no_escape_reason(fam) == why
    assert no_escape_reason(SQUARE) == ""


def test_dyadic_below():
    d = _dyadic_below(1 / 3)
    assert d == Fraction(5592405, 16777216) and d <= 1 / 3
    assert _dyadic_below(1.0) == 1 and _dyadic_below(2.0**-30) == Fraction(1, 2**30)
    assert _dyadic_below(3.0) == 3
    assert _dyadic_below(1 + 2.0**-30) == 1  # 24 significant bits


def test_rho_candidates():
    assert _rho_candidates(0.1, 1.0, 100.0, 50.0) == [
        0.10937879945908874,
        0.1562554287972696,
        0.3125118555945392,
        0.25,
        0.5,
        0.75,
        0.9,
        0.99,
    ]
    assert _rho_candidates(0.1, 100.0, 1.0, 3.0) == [0.25, 0.5, 0.75, 0.9, 0.99]  # kappa >= 1: only the fixed ones
    assert _rho_candidates(0.8, 0.0, 1.0, 3.0) == [0.8400000000010001, 0.9, 0.99]  # only those above r, below 1
    assert _rho_candidates(0.99, 0.0, 1.0, 3.0) == []
    assert _rho_candidates(0.5, 0.0, 1.0, 3.0)[:1] == [0.5 * 1.05 + 1e-12]
    assert _rho_candidates(0.25, 0.0, 1.0, 3.0) == [
        0.25 * 1.05 + 1e-12,
        0.25 * 1.5 + 1e-9,
        0.25 * 3 + 1e-6,
        0.5,
        0.75,
        0.9,
        0.99,
    ]


def test_worth_trying_boundaries():
    assert not worth_trying(SQUARE, 10.0, 1.999)
    assert worth_trying(SQUARE, 2.0, 2.0)  # |s| = 2 = TRY_ABOVE and h·ℓ′(2) = 2 = TRY_SLOPE
    assert not worth_trying(SQUARE, 1.99, 2.0)
    assert worth_trying(SQUARE, 1.0, -1.0e3) and not worth_trying(SQUARE, 0.001, -100.0)
    assert not worth_trying(SQUARE, 1.0, float("inf")) and not worth_trying(SQUARE, 1.0, float("nan"))
    assert not worth_trying(get_family("logcosh"), 100.0, 50.0)
    assert worth_trying(POWER3, 1e-300, 1e200)  # ℓ′ overflows to inf: worth a try


# ---- the survivors of the first mutation run, each killed where it binds ---------------------------------


@pytest.mark.parametrize(
    ("s", "q", "why"),
    [
        (arb(0), arb(3), "the sign of s is not decided"),  # a ball touching 0 is neither > 0 nor < 0
        (arb(0, 0.5), arb(3), "the sign of s is not decided"),
        (arb(0.5), arb(3), "the slope bound h*l' at sigma is not above 2 (V <= -2.5)"),  # 0 < s <= 1 has a side
        (arb(5), arb(-10), "the dominant component is not proven positive"),  # dominant exactly 0
        (arb(2) ** -2000, arb(3), "side*s is not proven positive"),  # s > 0, but below every positive float
    ],
)
def test_the_sign_and_positivity_checks_at_their_boundaries(s, q, why):
    assert escape_certificate(SQUARE, arb(5), s, q, 0) == (None, why)


def test_a_dominant_component_below_one_is_enough():
    assert escape_certificate(SQUARE, arb(50), arb(0.25), arb(1), 0) == (
        None,
        "the slope bound h*l' at sigma is not above 2 (V <= -37.5)",
    )


def test_mirrored_keeps_rational_coefficients():
    poly = slope_polynomial(get_family("expr:(s-1)**2/3"))  # l' = 2s/3 - 2/3
    assert _mirrored(poly, 1) == [Fraction(-2, 3), Fraction(2, 3)]
    assert _mirrored(poly, -1) == [Fraction(2, 3), Fraction(2, 3)]


def test_rho_candidates_where_their_constants_bind():
    # |s| below 1 is not floored at 1
    assert _rho_candidates(0.1, 0.01, 0.5, 50.0)[:3] == [0.11413870915221527, 0.1630552997874504, 0.32611159757490077]
    # (V − 1)²/2 floored at 1 + 1e-9 (V = 2) and not floored (V = 3)
    assert _rho_candidates(0.1, 0.01, 1.0, 2.0) == [0.25, 0.5, 0.75, 0.9, 0.99]
    assert _rho_candidates(0.1, 0.01, 1.0, 3.0)[:3] == [0.11413043478360871, 0.16304347926086957, 0.3260879565217391]
    # kappa exactly 1 (4 · 1/8 / 1 / (1 − 1/2)) and 1.5 with r = 0: only the fixed candidates
    assert _rho_candidates(0.1, 0.125, 1.0, 3.0) == [0.25, 0.5, 0.75, 0.9, 0.99]
    assert _rho_candidates(0.0, 0.1875, 1.0, 3.0) == [0.25, 0.5, 0.75, 0.9, 0.99]
    # a candidate exactly 1 is not in (r, 1)
    r = (1 - 1e-6) / 3
    assert r * 3 + 1e-6 == 1.0 and 1.0 not in _rho_candidates(r, 0.0, 1.0, 3.0)


# ---- the checks inside the ρ̄ loop at their boundaries: a grid of exact (s, q) balls, square loss, h = 1/2 ----
# s = 7 gives V = 3 exactly (2(V − 1) = 4 = 4ρ̄/(1 − ρ̄) at ρ̄ = 1/2: not proven increasing), s = 7.5 gives V = 3.25
# (just increasing, then λ < 1); s = 20 escapes with a first, a computed and a later candidate.  Each entry is the
# refusal's reason or the escape's (rho_bar, rate, c, K, slope, W_entry).

GRID = {
    (7.0, 16.0): "the growth factor is not above 1 for rho_bar = 0.25",
    (7.0, 30.0): "lambda is not proven increasing in v for rho_bar = 0.5",
    (7.0, 40.0): "lambda is not proven increasing in v for rho_bar = 0.5",
    (7.0, 60.0): "lambda is not proven increasing in v for rho_bar = 0.75",
    (7.0, 100.0): "lambda is not proven increasing in v for rho_bar = 0.9",
    (7.5, 17.0): "the growth factor is not above 1 for rho_bar = 0.25",
    (7.5, 30.0): "the growth factor is not above 1 for rho_bar = 0.5",
    (7.5, 40.0): "the growth factor is not above 1 for rho_bar = 0.5",
    (7.5, 60.0): "lambda is not proven increasing in v for rho_bar = 0.75",
    (7.5, 100.0): "lambda is not proven increasing in v for rho_bar = 0.75",
    (8.0, 18.0): "W = r + c/|s| <= 1.57882 is not below rho_bar = 0.25",
    (8.0, 30.0): "the growth factor is not above 1 for rho_bar = 0.5",
    (8.0, 40.0): "the growth factor is not above 1 for rho_bar = 0.5",
    (8.0, 60.0): "lambda is not proven increasing in v for rho_bar = 0.75",
    (8.0, 100.0): "lambda is not proven increasing in v for rho_bar = 0.75",
    (9.0, 20.0): "W = r + c/|s| <= 0.663743 is not below rho_bar = 0.25",
    (9.0, 30.0): "the growth factor is not above 1 for rho_bar = 0.5",
    (9.0, 40.0): "the growth factor is not above 1 for rho_bar = 0.5",
    (9.0, 60.0): "lambda is not proven increasing in v for rho_bar = 0.75",
    (9.0, 100.0): "lambda is not proven increasing in v for rho_bar = 0.75",
    (12.0, 26.0): "W = r + c/|s| <= 0.334397 is not below rho_bar = 0.25",
    (12.0, 30.0): "W = r + c/|s| <= 0.405508 is not below rho_bar = 0.25",
    (12.0, 40.0): "the growth factor is not above 1 for rho_bar = 0.5",
    (12.0, 60.0): "the growth factor is not above 1 for rho_bar = 0.5",
    (12.0, 100.0): "lambda is not proven increasing in v for rho_bar = 0.75",
    (13.0, 28.0): "W = r + c/|s| <= 0.292037 is not below rho_bar = 0.25",
    (13.0, 30.0): "W = r + c/|s| <= 0.326429 is not below rho_bar = 0.25",
    (13.0, 40.0): "W = r + c/|s| <= 0.467121 is not below rho_bar = 0.25",
    (13.0, 60.0): "the growth factor is not above 1 for rho_bar = 0.5",
    (13.0, 100.0): "lambda is not proven increasing in v for rho_bar = 0.75",
    (20.0, 42.0): (
        0.05578559274064835,
        70.00490343311145,
        0.5953142813503997,
        2.629757785467129,
        9.5,
        0.054155957969959014,
    ),
    (20.0, 40.0): (1e-12, 72.24999999996196, 1.0666666666666751e-11, 2.629757785467129, 9.5, 5.333333333333376e-13),
    (20.0, 60.0): (
        0.45744186046611646,
        40.211423060308086,
        4.934560568452322,
        2.629757785467129,
        9.5,
        0.44672802842261616,
    ),
    (20.0, 100.0): "lambda is not proven increasing in v for rho_bar = 0.980233",
}


@pytest.mark.parametrize(("s", "q"), list(GRID))
def test_the_rho_bar_loop_on_a_grid(s, q):
    e, why = escape_certificate(SQUARE, arb(0.5), arb(s), arb(q), 1)
    got = (e.rho_bar, e.rate, e.c, e.K, e.slope, e.W_entry) if e is not None else why
    assert got == GRID[s, q]


def test_the_slope_bound_at_two_and_the_ratio_at_one():
    assert escape_certificate(SQUARE, arb(0.5), arb(5), arb(30), 1) == (
        None,
        "the slope bound h*l' at sigma is not above 2 (V <= 2)",
    )  # V = 2 exactly
    assert escape_certificate(SQUARE, arb(0.625), arb(5), arb(30), 1) == (
        None,
        "lambda is not proven increasing in v for rho_bar = 0.75",
    )  # V = 2.5 passes
    assert escape_certificate(SQUARE, arb(5), arb(5), arb(10, 10), 1) == (
        None,
        "the ratio of the components is not below 1 (r <= 1)",
    )
    assert escape_certificate(SQUARE, arb(5), arb(5), arb(10, 15), 1) == (
        None,
        "the ratio of the components is not below 1 (r <= 3)",
    )


def test_the_second_bound_of_k_binds_on_the_negative_side_with_a_large_step():
    """Side −1 of the square loss: c0 = σ + 1, c1 = 1; with h = 2 the term (1/γ)·V/(V − 1) exceeds
    σ/(V − 1)·V/(V − 1), so K = V/(2(V − 1))."""
    e, _ = escape_certificate(SQUARE, arb(2), *_balls(10.0, -10.1), 1)
    assert e.K == 0.5024630543723312 and e.slope == 203.99998474121094
    assert e.K >= e.slope / (2 * (e.slope - 1))


def test_the_unsound_shortcut_drops_the_drift():
    e, _ = escape_certificate(SQUARE, arb(0.5), *_balls(10.0, 10.1), 4, unsound_no_drift=True)
    assert (e.c, e.rho_bar, e.rate) == (0.0, 2.5989456896754237e-05, 2400.9944281336047)


# ---- the survivors of the second run -------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _fresh_slope_memo():
    """slope_polynomial memoises per spec: clear it so each test computes (a memo filled by an earlier test
    would hide a wrong computation)."""
    from lrbias.gd.certificate import escape

    escape._SLOPES.clear()
    yield
    escape._SLOPES.clear()


def test_slope_polynomials_computed_afresh():
    assert str(slope_polynomial(SQUARE)) == "Poly(s - 1, s, domain='ZZ')"
    assert str(slope_polynomial(POWER3)) == "Poly(6*s**5 - 6*s**2, s, domain='ZZ')"
    assert slope_polynomial(get_family("logcosh")).startswith("l' of logcosh is not a polynomial in s")
    assert slope_polynomial(SQUARE) is slope_polynomial(SQUARE)  # then memoised


def test_growth_bound_accepts_zero_and_small_higher_coefficients():
    """quartic: l' = (s − 1) + (s − 1)³; at σ = 1 the t² coefficient is 0, at σ = 5/4 it is 3/4: both ≥ 0."""
    quartic = get_family("quartic")
    assert growth_bound(quartic, 1, Fraction(1)) == (GrowthBound(1, Fraction(1), Fraction(0), Fraction(1)), "")
    assert growth_bound(quartic, 1, Fraction(5, 4)) == (
        GrowthBound(1, Fraction(5, 4), Fraction(17, 64), Fraction(19, 16)),
        "",
    )


def test_growth_bound_refuses_a_zero_slope():
    """l' = s³ − 3s: l'' = 3s² − 3 is 0 at σ = 1 (the t² and t³ coefficients 3 and 1 are fine)."""
    assert growth_bound(_stand_in("cubic", lambda s: s**3 - 3 * s), 1, Fraction(1)) == (
        None,
        "l'' is not positive at side*sigma = 1",
    )


def test_a_later_rho_bar_candidate_can_succeed():
    """s = 16, q = 96, h = 1: the first candidate (0.760...) fails, the fixed 0.75 succeeds."""
    e, why = escape_certificate(SQUARE, arb(1.0), arb(16.0), arb(96.0), 1)
    assert why == "" and e.rho_bar == 0.75


def test_rho_candidates_floor_of_the_growth_term():
    """V = 2, r = 0: the floor 1 + 1e-9 makes kappa huge (no computed candidate); below 1 it would be negative."""
    assert _rho_candidates(0.0, 0.01, 1.0, 2.0) == [0.25, 0.5, 0.75, 0.9, 0.99]


def test_a_ratio_whose_upper_bound_rounds_to_one_is_refused_as_such():
    """r = (q − 2s)/(q + 2s) = 1 − 40/2⁶⁵ (at 128 bits a ball below 1): its float upper bound is 1.0 exactly,
    which is not below 1."""
    from flint import arb, ctx

    old = ctx.prec
    ctx.prec = 128
    try:
        r = (arb(2.0 ** 65) - 20) / (arb(2.0 ** 65) + 20)
        assert r < 1 and upper(r) == 1.0
        assert escape_certificate(get_family("square"), arb(1), arb(10), arb(2.0 ** 65), 4) == \
            (None, "the ratio of the components is not below 1 (r <= 1)")
    finally:
        ctx.prec = old


@pytest.mark.parametrize(("spec", "h", "s", "s_rad", "q", "q_rad", "rho_bar"), [
    # the first candidate ρ̄ fails "λ increasing in v"; a later, smaller one proves the escape
    ("power:b=3", 0.5262234526227084, 3.438639991682811, 1.4576623345754636e-06, 262.1154226552121,
     5.333278526833656e-09, 0.99),
    # the first candidate fails "growth factor above 1"; a later one proves the escape (both sides of s)
    ("power:b=3", 7.617363273781259, -1.6249588057677549, 1.9623719411679812e-10, 106.9024094825333,
     1.5774747517264697e-08, 0.99),
    ("power:b=5", 0.0015076578169613147, 2.439288174088894, 0.009123968994050989, 41.39825581953653,
     2.9180475401134336e-08, 0.9),
])
def test_a_failed_candidate_does_not_end_the_search(spec, h, s, s_rad, q, q_rad, rho_bar):
    """Found by sampling starts (the ρ̄ candidates are not in increasing order: the computed ones first)."""
    from flint import arb

    cert, why = escape_certificate(get_family(spec), arb(h), arb(s, s_rad), arb(q, q_rad), 5)
    assert why == "" and cert.rho_bar == rho_bar and cert.side == (1 if s > 0 else -1)
