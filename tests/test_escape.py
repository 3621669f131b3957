"""Divergence certificates (lrbias.gd.escape): every escape region checked against an independent
mpmath run of GD in (x, y), the growth bound against exact expansion, and the region's drift
term shown to be needed."""

from __future__ import annotations

from fractions import Fraction

import mpmath
import pytest
import sympy as sp
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from lrbias.gd.certificate import escape
from lrbias.gd.certificate.escape import escape_certificate, growth_bound, taylor_shift
from lrbias.losses.families import get_family

flint = pytest.importorskip("flint")

DPS = 400   # the runs below grow like s^(2^t): 400 digits keep (q - 2s)/(q + 2s) exact enough for 6 steps


def arb_run(spec: str, x0: float, y0: float, h: float, steps: int, bits: int = 128):
    """(s_t, q_t) balls for t = 0..steps, GD followed in arb in (x, y) (short horizons only)."""
    fam = get_family(spec)
    old = flint.ctx.prec
    flint.ctx.prec = bits
    try:
        x, y, hb = flint.arb(x0), flint.arb(y0), flint.arb(h)
        out = []
        for _ in range(steps + 1):
            out.append((x * y, x * x + y * y))
            g = hb * fam.arb.d1(x * y)
            x, y = x - g * y, y - g * x
        return out
    finally:
        flint.ctx.prec = old


def first_escape(spec: str, x0: float, y0: float, h: float, steps: int = 12, **kw):
    fam = get_family(spec)
    old = flint.ctx.prec
    flint.ctx.prec = 128
    try:
        for t, (s, q) in enumerate(arb_run(spec, x0, y0, h, steps)):
            if not (s.is_finite() and q.is_finite()):
                return None, "not finite"
            cert, why = escape_certificate(fam, flint.arb(h), s, q, t, **kw)
            if cert is not None:
                return cert, ""
        return None, why
    finally:
        flint.ctx.prec = old


def mp_run(spec: str, x0: float, y0: float, h: float, steps: int):
    """(s, A, B) per step of GD in (x, y) in mpmath at DPS digits: A = (x + y)^2/2, B = (x - y)^2/2."""
    fam = get_family(spec)
    out = []
    with mpmath.workdps(DPS):
        x, y, hm = mpmath.mpf(x0), mpmath.mpf(y0), mpmath.mpf(h)
        for _ in range(steps + 1):
            out.append((x * y, (x + y) ** 2 / 2, (x - y) ** 2 / 2))
            g = hm * fam.mp.d1(x * y)
            x, y = x - g * y, y - g * x
    return out


def region_violations(cert, run, after: int = 6) -> list[str]:
    """Where the mpmath run breaks the certificate: outside E or growing slower than the rate."""
    bad = []
    with mpmath.workdps(DPS):
        for k in range(after + 1):
            t = cert.step + k
            s, A, B = run[t]
            st_ = cert.side * s
            r = B / A if cert.side > 0 else A / B
            if k == 0 and not cert.s_entry[0] <= float(st_) <= cert.s_entry[1]:
                bad.append(f"step {t}: s = {mpmath.nstr(s, 17)} outside the entry enclosure")
            if st_ < cert.sigma:
                bad.append(f"step {t}: side*s = {mpmath.nstr(st_, 8)} < sigma")
            if r > cert.rho_bar or r + mpmath.mpf(cert.c) / st_ > cert.rho_bar:
                bad.append(f"step {t}: W = {mpmath.nstr(r + mpmath.mpf(cert.c) / st_, 8)} > rho_bar")
            if k < after:
                s_next = cert.side * run[t + 1][0]
                if s_next < mpmath.mpf(cert.rate) * st_:
                    bad.append(f"step {t}: growth {mpmath.nstr(s_next / st_, 8)} < rate {cert.rate}")
    return bad


def test_issue_example_square_is_certified_with_region_and_entry_step():
    x0, y0, C = 0.5, 6.0, 4.5
    h = C / (x0 * x0 + y0 * y0)
    cert, why = first_escape("square", x0, y0, h)
    assert cert is not None, why
    assert cert.step == 4 and cert.side == 1 and cert.rate > 1
    doc = cert.as_dict()
    assert doc["step"] == 4 and "s >=" in doc["region"] and doc["growth"].startswith("l'(s) >=")
    run = mp_run("square", x0, y0, h, cert.step + 6)
    assert region_violations(cert, run) == []
    assert abs(run[cert.step + 6][0]) > mpmath.mpf(10) ** 100   # and it does blow up


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=st.sampled_from(["square", "power:b=1", "power:b=3", "quartic", "expr:(s-1)**2/2 + (s-1)**4"]),
       x0=st.floats(-3.0, 3.0), y0=st.floats(-8.0, 8.0), kappa=st.floats(1.0, 12.0))
@example(spec="power:b=1", x0=0.1388935335189938, y0=6.103515625e-05, kappa=2.070866672103273)  # s left
# the float range by step 10; intervals.lower looped for ever on the ball (inf - inf = nan)
def test_every_escape_region_holds_along_the_mpmath_run(spec, x0, y0, kappa):
    fam = get_family(spec)
    q0 = x0 * x0 + y0 * y0
    if q0 < 1e-3:
        return
    h = kappa / (fam.curvature * q0)
    cert, _ = first_escape(spec, x0, y0, h, steps=10)
    if cert is None:
        return
    run = mp_run(spec, x0, y0, h, cert.step + 4)
    assert region_violations(cert, run, after=4) == []


def test_the_drift_term_is_needed():
    """With c = 0 (the box {s >= sigma, r <= rho_bar}) a certificate is issued that mpmath refutes:
    r grows every step, so the box is left; the sound region on the same start holds."""
    x0, y0, C = 0.5, 6.0, 4.5
    h = C / (x0 * x0 + y0 * y0)
    run = mp_run("square", x0, y0, h, 12)
    unsound, _ = first_escape("square", x0, y0, h, unsound_no_drift=True)
    assert unsound is not None and unsound.c == 0
    assert region_violations(unsound, run), "the unsound region was not refuted"
    sound, _ = first_escape("square", x0, y0, h)
    assert sound is not None and region_violations(sound, run) == []


def test_bounded_slope_families_get_no_escape_and_say_why():
    for spec in ("softplus-pair:a=1", "softplus-pair:a=0.5", "logcosh", "pseudo-huber", "huber:delta=1"):
        fam = get_family(spec)
        why = escape.no_escape_reason(fam)
        assert "not a polynomial" in why, spec
        with _prec(128):
            cert, reason = escape_certificate(fam, flint.arb(0.5), flint.arb(1e6), flint.arb(3e6), 0)
        assert cert is None and reason == why
    assert escape.no_escape_reason(get_family("quartic")) == ""


class _prec:
    def __init__(self, bits: int) -> None:
        self.bits = bits

    def __enter__(self) -> None:
        self.old = flint.ctx.prec
        flint.ctx.prec = self.bits

    def __exit__(self, *exc: object) -> None:
        flint.ctx.prec = self.old


@settings(max_examples=40, deadline=None)
@given(coeffs=st.lists(st.integers(-50, 50), min_size=1, max_size=7),
       num=st.integers(-400, 400), den=st.integers(1, 64))
def test_taylor_shift_is_exact(coeffs, num, den):
    t = sp.Symbol("t")
    sigma = Fraction(num, den)
    p = sum(c * t ** k for k, c in enumerate(coeffs))
    want = sp.Poly(sp.expand(p.subs(t, t + sp.Rational(num, den))), t).all_coeffs()[::-1] if p != 0 else [0]
    got = taylor_shift([Fraction(c) for c in coeffs], sigma)
    want = [Fraction(int(sp.Rational(c).p), int(sp.Rational(c).q)) for c in want]
    got = got[:len(got) - next((i for i, c in enumerate(reversed(got)) if c != 0), len(got))] or [Fraction(0)]
    assert got == want


def test_growth_bound_binds_where_l_double_prime_changes_sign():
    # power:b=3: l'(s) = 6s^5 - 6s^2, l''(s) = 30s^4 - 12s, zero at s^3 = 2/5
    fam = get_family("power:b=3")
    root = (2 / 5) ** (1 / 3)
    above, _ = growth_bound(fam, 1, Fraction(root + 1e-9))
    below, why_below = growth_bound(fam, 1, Fraction(root - 1e-9))
    assert above is not None and below is None and "l''" in why_below
    # the bound it proves holds on a grid (mpmath, 50 digits), and on the mirrored side too
    for side, sigma in ((1, Fraction(root + 1e-9)), (-1, Fraction(1, 2)), (-1, Fraction(3))):
        b, why = growth_bound(fam, side, sigma)
        assert b is not None, why
        with mpmath.workdps(50):
            for k in range(200):
                tt = mpmath.mpf(k) ** 2 / 50
                sv = side * (mpmath.mpf(b.sigma.numerator) / b.sigma.denominator + tt)
                lhs = side * fam.mp.d1(sv)
                rhs = mpmath.mpf(b.c0.numerator) / b.c0.denominator + mpmath.mpf(b.c1.numerator) / b.c1.denominator * tt
                assert lhs >= rhs - mpmath.mpf(10) ** -40 * (1 + abs(lhs))


def test_undecided_balls_give_no_certificate():
    fam = get_family("square")
    with _prec(128):
        cert, why = escape_certificate(fam, flint.arb(0.1), flint.arb(0, 1), flint.arb(50), 3)
        assert cert is None and "sign of s" in why
        # a ball of s wide enough that W <= rho_bar is not decided for all of it
        cert, why = escape_certificate(fam, flint.arb(4.5 / 36.25), flint.arb(302.12, 300), flint.arb(946.08), 4)
        assert cert is None
