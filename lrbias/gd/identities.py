"""The exact one-step identities of GD on f(x, y) = ℓ(xy), as checkable residuals.

Each identity returns (lhs, rhs, scale) in mpmath at the working precision: ``lhs`` computed
from the GD map itself, ``rhs`` from the closed form, ``scale`` the size of the terms, so that
``|lhs - rhs| <= 10^-(dps - guard) * scale`` is the test.  They hold for every loss whatever
the paper's constants are (provenance ``exact`` in DESIGN.md).
"""

from __future__ import annotations

from collections.abc import Callable

import mpmath

from lrbias.gd import objective as obj
from lrbias.losses.families import Family

Residual = tuple[mpmath.mpf, mpmath.mpf, mpmath.mpf]
Identity = Callable[[Family, mpmath.mpf, mpmath.mpf, mpmath.mpf], Residual]


def _step(family: Family, x, y, h):
    g = family.mp.d1(x * y)
    xn, yn = obj.gd_step(family, x, y, h, backend="mpmath")
    return g, xn, yn


def balancing(family: Family, x, y, h) -> Residual:
    """d⁺ = d (1 − h² ℓ′(s)²), d = x² − y²."""
    g, xn, yn = _step(family, x, y, h)
    d = x * x - y * y
    rhs = d * (1 - h * h * g * g)
    return xn * xn - yn * yn, rhs, abs(d) * (1 + h * h * g * g) + abs(xn * xn) + abs(yn * yn)


def product_update(family: Family, x, y, h) -> Residual:
    """s⁺ = s (1 + h² ℓ′²) − h ℓ′ q, via the reduced map."""
    g, xn, yn = _step(family, x, y, h)
    r = obj.to_reduced(x, y)
    rhs = obj.reduced_step(family, r.s, r.d, r.q, h, backend="mpmath").s
    return xn * yn, rhs, abs(r.s) * (1 + h * h * g * g) + abs(h * g * r.q) + abs(xn * yn)


def norm_update(family: Family, x, y, h) -> Residual:
    """q⁺ = q (1 + h² ℓ′²) − 4 h ℓ′ s, via the reduced map."""
    g, xn, yn = _step(family, x, y, h)
    r = obj.to_reduced(x, y)
    rhs = obj.reduced_step(family, r.s, r.d, r.q, h, backend="mpmath").q
    return xn * xn + yn * yn, rhs, r.q * (1 + h * h * g * g) + abs(4 * h * g * r.s)


def reduced_balancing(family: Family, x, y, h) -> Residual:
    """The reduced map's d⁺ equals x⁺² − y⁺² of the GD map."""
    _, xn, yn = _step(family, x, y, h)
    r = obj.to_reduced(x, y)
    rhs = obj.reduced_step(family, r.s, r.d, r.q, h, backend="mpmath").d
    return xn * xn - yn * yn, rhs, xn * xn + yn * yn


def invariant_q(family: Family, x, y, h) -> Residual:
    """q² = d² + 4 s² after a step (the reduced coordinates stay on their cone)."""
    _, xn, yn = _step(family, x, y, h)
    r = obj.to_reduced(xn, yn)
    return r.q * r.q, r.d * r.d + 4 * r.s * r.s, r.q * r.q


def hessian_at_minimiser(family: Family, t, _unused, __unused) -> Residual:
    """At (t, 1/t) on xy = 1, λ_max(∇²f) = ℓ″(1)(x² + y²) (and λ_min = 0, checked separately)."""
    x, y = t, 1 / t
    lo, hi = obj.hessian_eigenvalues(family, x, y, backend="mpmath")
    return hi, family.mp.d2(mpmath.mpf(1)) * (x * x + y * y), abs(hi) + abs(lo)


def hessian_null_at_minimiser(family: Family, t, _unused, __unused) -> Residual:
    """At (t, 1/t) on xy = 1, λ_min(∇²f) = 0."""
    lo, hi = obj.hessian_eigenvalues(family, t, 1 / t, backend="mpmath")
    return lo, mpmath.mpf(0), abs(hi)


IDENTITIES: dict[str, Identity] = {
    "balancing": balancing,
    "product-update": product_update,
    "norm-update": norm_update,
    "reduced-balancing": reduced_balancing,
    "cone": invariant_q,
}
MINIMISER_IDENTITIES: dict[str, Identity] = {
    "hessian-max-at-minimiser": hessian_at_minimiser,
    "hessian-null-at-minimiser": hessian_null_at_minimiser,
}


def relative_residual(res: Residual) -> mpmath.mpf:
    """|lhs − rhs| / scale (0 when both sides vanish)."""
    lhs, rhs, scale = res
    diff = abs(lhs - rhs)
    if diff == 0:
        return mpmath.mpf(0)
    return diff / scale if scale > 0 else mpmath.inf


def check(identity: Identity, family: Family, x: float, y: float, h: float,
          dps: int = 60, guard: int = 12) -> tuple[bool, float]:
    """Evaluate one identity at ``dps`` digits; (holds, relative residual as a float).

    Holds means the relative residual is below 10^-(dps - guard): far below any float64
    rounding, so a float-sized error cannot pass and rounding cannot fake a failure.
    """
    with mpmath.workdps(dps):
        res = identity(family, mpmath.mpf(x), mpmath.mpf(y), mpmath.mpf(h))
        rel = relative_residual(res)
        return bool(rel <= mpmath.mpf(10) ** (guard - dps)), float(rel)
