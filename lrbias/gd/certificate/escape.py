"""Divergence certificates: a proven escape region for GD on ℓ(xy) when ℓ′ grows without bound.

In a = (x + y)/√2, b = (x − y)/√2 one GD step is diagonal: a⁺ = (1 − u)a, b⁺ = (1 + u)b with
u = hℓ′(s).  So A = a² = (q + 2s)/2 and B = b² = (q − 2s)/2 obey A⁺ = (1 − u)²A, B⁺ = (1 + u)²B
exactly (s = (A − B)/2, q = A + B).  On the side s → +∞ (``side`` = +1) A dominates, on the side
s → −∞ (``side`` = −1) B does; with |s| written σ-side as s̃ = side·s, v = side·hℓ′(s), P the
dominant and R the other component and r = R/P, one step gives

    s̃⁺ = λ s̃,   λ = (v − 1)² − 4vr/(1 − r),      r⁺ = r ((v + 1)/(v − 1))².

The escape region (DESIGN.md, "Divergence certificates", has the proof) is

    E = {s̃ ≥ σ,  W := r + c/s̃ ≤ ρ̄}

with σ > 0, ρ̄ < 1 and c chosen so that GD maps E into itself and s̃ grows by at least a proven
factor Λ > 1 per step.  It needs a linear lower bound ℓ′(σ + t)·side ≥ c₀ + c₁t (t ≥ 0), proven
here for a polynomial ℓ′ by the signs of the exact Taylor coefficients of ℓ′ at σ (sympy, rational
arithmetic).  Every other inequality is decided in arb ball arithmetic (python-flint) for the
whole ball.  Families whose ℓ′ is not a polynomial get no escape region (and for a bounded ℓ′ none
of this kind exists; DESIGN.md says why).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import sympy as sp

from lrbias.gd.certificate.intervals import flint_module, lower, upper
from lrbias.losses.families import Family

TRY_ABOVE = 2.0        # escape is tried once |s| ≥ TRY_ABOVE and |hℓ′(s)| ≥ TRY_SLOPE (midpoints)
TRY_SLOPE = 2.0
SIGMA_BITS = 24        # σ is a dyadic rational with this many significant bits, ≤ the ball's lower end
SIGMA_MAX = 2.0 ** 60  # and at most this (any σ ≤ |s_T| is valid; a huge σ only costs exact arithmetic)


@dataclass(frozen=True)
class GrowthBound:
    """side·ℓ′(side·(σ + t)) ≥ c0 + c1·t for every t ≥ 0 (exact rationals), proven by the Taylor
    coefficients of the polynomial side·ℓ′(side·(σ + t)) in t: all of degree ≥ 2 are ≥ 0."""

    side: int
    sigma: Fraction
    c0: Fraction
    c1: Fraction

    def text(self) -> str:
        """The bound in words, with how it was proven."""
        lhs, var = ("l'(s)", "s") if self.side > 0 else ("-l'(s)", "-s")
        return (f"{lhs} >= {self.c0} + {self.c1}*({var} - {self.sigma}) for {var} >= {self.sigma} "
                "(exact Taylor coefficients of l' at the point: those of degree >= 2 are >= 0)")


@dataclass(frozen=True)
class Escape:
    """A proven escape: from step ``step`` on, the run stays in
    E = {side·s ≥ sigma, r + c/(side·s) ≤ rho_bar} and |s_{t+1}| ≥ rate·|s_t|.

    ``r`` is B/A = (q − 2s)/(q + 2s) for side +1 and its reciprocal for side −1; ``slope`` is the
    proven lower bound V of side·hℓ′(s) over E; ``K`` bounds sup s̃·v/(v − 1)² over E.  All floats
    are exact binary numbers proven to bound what they name (sigma, rho_bar exactly; rate from
    below; c, K from above; slope from below).  ``s_entry``/``W_entry`` are proven intervals at
    the entry step."""

    step: int
    side: int
    sigma: float
    rho_bar: float
    c: float
    rate: float
    slope: float
    K: float
    s_entry: tuple[float, float]
    W_entry: float
    growth: str

    def region(self) -> str:
        """The region in words (s = xy, q = x² + y²)."""
        if self.side > 0:
            return (f"s >= {self.sigma!r} and (q - 2s)/(q + 2s) + {self.c!r}/s <= {self.rho_bar!r}")
        return (f"s <= -{self.sigma!r} and (q + 2s)/(q - 2s) + {self.c!r}/|s| <= {self.rho_bar!r}")

    def as_dict(self) -> dict[str, Any]:
        return {"step": self.step, "side": "s -> +inf" if self.side > 0 else "s -> -inf",
                "region": self.region(), "sigma": self.sigma, "rho_bar": self.rho_bar, "c": self.c,
                "rate": self.rate, "slope": self.slope, "K": self.K,
                "s_entry": {"lo": self.s_entry[0], "hi": self.s_entry[1]}, "W_entry": self.W_entry,
                "growth": self.growth}


_SLOPES: dict[str, sp.Poly | str] = {}


def slope_polynomial(fam: Family) -> sp.Poly | str:
    """ℓ′ as a polynomial in s with rational coefficients, or the reason there is none."""
    if fam.spec in _SLOPES:
        return _SLOPES[fam.spec]
    d1 = sp.expand(fam.derivative(1))
    out: sp.Poly | str
    if not d1.is_polynomial(fam.symbol):
        out = (f"l' of {fam.spec} is not a polynomial in s: no escape region is proven (DESIGN.md, "
               "'Divergence certificates', bounded l')")
    else:
        poly = sp.Poly(d1, fam.symbol)
        if poly.domain not in (sp.ZZ, sp.QQ):
            out = f"l' of {fam.spec} has coefficients outside Q ({poly.domain}): no escape region is proven"
        elif poly.degree() < 1 or poly.LC() <= 0:
            out = f"l' of {fam.spec} does not grow to +inf as s -> +inf: no escape region"
        else:
            out = poly
    _SLOPES[fam.spec] = out
    return out


def growth_bound(fam: Family, side: int, sigma: Fraction) -> tuple[GrowthBound | None, str]:
    """The proven linear lower bound of side·ℓ′ beyond side·σ (see :class:`GrowthBound`)."""
    poly = slope_polynomial(fam)
    if isinstance(poly, str):
        return None, poly
    coeffs = taylor_shift(_mirrored(poly, side), sigma)   # ascending powers of t
    coeffs += [Fraction(0)] * (2 - len(coeffs))
    if any(c < 0 for c in coeffs[2:]):
        return None, f"side*l'(side*(sigma + t)) has a negative Taylor coefficient at sigma = {float(sigma):.6g}"
    if coeffs[1] <= 0:
        return None, f"l'' is not positive at side*sigma = {side * float(sigma):.6g}"
    return GrowthBound(side, sigma, coeffs[0], coeffs[1]), ""


def _mirrored(poly: sp.Poly, side: int) -> list[Fraction]:
    """Ascending coefficients of side·ℓ′(side·t) (exact)."""
    asc = [Fraction(int(c.p), int(c.q)) for c in reversed(poly.all_coeffs())]
    return asc if side > 0 else [c if k % 2 else -c for k, c in enumerate(asc)]


def taylor_shift(coeffs: list[Fraction], sigma: Fraction) -> list[Fraction]:
    """Ascending coefficients of p(σ + t) in t from those of p (repeated synthetic division, exact)."""
    a = list(coeffs)
    n = len(a)
    for i in range(n - 1):
        for k in range(n - 2, i - 1, -1):
            a[k] += sigma * a[k + 1]
    return a


def _dyadic_below(v: float) -> Fraction:
    """An exact dyadic rational ≤ v with SIGMA_BITS significant bits (v > 0)."""
    m, e = math.frexp(v)
    return Fraction(math.floor(m * 2 ** SIGMA_BITS)) * Fraction(2) ** (e - SIGMA_BITS)


def _arb_q(v: Fraction) -> Any:
    flint = flint_module()
    return flint.arb(flint.fmpq(v.numerator, v.denominator))


def escape_certificate(fam: Family, h: Any, s: Any, q: Any, step: int, *,
                       unsound_no_drift: bool = False) -> tuple[Escape | None, str]:
    """Try to prove that the run whose state at ``step`` is in the balls (s, q) escapes.

    ``h``, ``s`` and ``q`` are arb balls at the precision in force.  Returns (Escape, "") when
    every condition of the escape theorem holds for the whole balls, else (None, why).
    ``unsound_no_drift`` (tests only) drops the drift term c/|s| of the region, so the tests
    can show that a box {|s| >= sigma, r <= rho_bar} is refuted by mpmath.
    """
    arb = flint_module().arb
    if not (s.is_finite() and q.is_finite()):
        return None, "s or q is not finite"
    if s > 0:
        side = 1
    elif s < 0:
        side = -1
    else:
        return None, "the sign of s is not decided"
    st = side * s
    dominant, other = (q + 2 * s) / 2, (q - 2 * s) / 2
    if side < 0:
        dominant, other = other, dominant
    if not dominant > 0:   # the other component is ≥ 0 exactly (a square); its ball may reach below 0
        return None, "the dominant component is not proven positive"
    r = other / dominant
    lo = lower(st)
    if not lo > 0:
        return None, "side*s is not proven positive"
    sigma = _dyadic_below(min(lo, SIGMA_MAX))
    bound, why = growth_bound(fam, side, sigma)
    if bound is None:
        return None, why
    sig = _arb_q(sigma)
    c0, c1 = _arb_q(bound.c0), _arb_q(bound.c1)
    V = h * c0                       # v ≥ w(s̃) = h(c0 + c1(s̃ − σ)) ≥ V on s̃ ≥ σ
    gamma = h * c1
    if not V > 2:   # the growth factor (V − 1)² − 4Vρ̄/(1 − ρ̄) exceeds 1 only if V > 2
        return None, f"the slope bound h*l' at sigma is not above 2 (V <= {upper(V):.6g})"
    # sup over s̃ ≥ σ of s̃·v/(v − 1)² ≤ max(σ/(V − 1), 1/γ)·V/(V − 1)   (DESIGN.md)
    K = upper(sig / (V - 1) * V / (V - 1))
    K = max(K, upper(1 / gamma * V / (V - 1)))
    r_hi = upper(r)
    if not r_hi < 1:
        return None, f"the ratio of the components is not below 1 (r <= {r_hi:.6g})"
    first = ""
    for rho_bar in _rho_candidates(r_hi, 0.0 if unsound_no_drift else K, float(lo), float(V.mid())):
        rb = arb(rho_bar)
        frac = rb / (1 - rb)
        if not 2 * (V - 1) > 4 * frac:
            first = first or f"lambda is not proven increasing in v for rho_bar = {rho_bar:.6g}"
            continue
        lam = (V - 1) * (V - 1) - 4 * V * frac
        rate = lower(lam)
        if not rate > 1:
            first = first or f"the growth factor is not above 1 for rho_bar = {rho_bar:.6g}"
            continue
        c = 0.0 if unsound_no_drift else upper(4 * rb * arb(K) / (1 - 1 / arb(rate)))
        W = r + arb(c) / st
        if not st >= sig:  # pragma: no cover - σ ≤ lower(st) by construction; kept as a check
            return None, "s below sigma"
        if W <= rb:
            growth = bound.text()
            return Escape(step, side, float(sigma), rho_bar, c, rate, lower(V), K, (lo, upper(st)),
                          upper(W), growth), ""
        first = first or f"W = r + c/|s| <= {upper(W):.6g} is not below rho_bar = {rho_bar:.6g}"
    return None, first or f"no rho_bar in (r, 1) to try (r <= {r_hi:.6g})"


def _rho_candidates(r_hi: float, K: float, s_lo: float, V: float) -> list[float]:
    """A few trial values of ρ̄ in (r, 1), the float estimate of the best first (no claim rests
    on them: each is checked in arb)."""
    kappa = 4 * K / max(s_lo, 1e-300) / (1 - 1 / max((V - 1) ** 2 / 2, 1.0 + 1e-9))
    out = []
    if kappa < 1:
        best = r_hi / (1 - kappa)
        out += [best * 1.05 + 1e-12, best * 1.5 + 1e-9, best * 3 + 1e-6]
    out += [0.25, 0.5, 0.75, 0.9, 0.99]
    seen: list[float] = []
    for v in out:
        if r_hi < v < 1 and v not in seen:
            seen.append(v)
    return seen


def worth_trying(fam: Family, h: float, s_mid: float) -> bool:
    """A float pre-check (no claim rests on it): |s| is large and |hℓ′(s)| ≥ TRY_SLOPE."""
    if abs(s_mid) < TRY_ABOVE or not math.isfinite(s_mid):
        return False
    if isinstance(slope_polynomial(fam), str):
        return False
    try:
        g = float(fam.np.d1(s_mid))
    except (OverflowError, ValueError, FloatingPointError):
        return True
    return not math.isfinite(g) or abs(h * g) >= TRY_SLOPE


def no_escape_reason(fam: Family) -> str:
    """Why a divergent-looking run of ``fam`` cannot get an escape certificate ("" if it can)."""
    poly = slope_polynomial(fam)
    return poly if isinstance(poly, str) else ""


__all__ = ["Escape", "GrowthBound", "escape_certificate", "growth_bound", "no_escape_reason",
           "slope_polynomial", "worth_trying"]
