"""Exact quantities of the 2-D problem f(x, y) = ℓ(xy) and one step of gradient descent.

Every function works on python floats, numpy float64 arrays (elementwise, any broadcastable
shapes), mpmath numbers and python-flint arb balls: pass ``backend`` explicitly or let it be
inferred from the type of ``x``.  Conventions (DESIGN.md): s = xy, q = x² + y², d = x² − y²,
learning rate h = C / (x0² + y0²), sharpness at a minimiser S = ℓ″(1)(x² + y²).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import mpmath
import numpy as np

from lrbias.errors import InvalidArgument
from lrbias.losses.families import Derivatives, Family

Number = Any  # float | np.ndarray | mpmath.mpf | flint.arb


class Reduced(NamedTuple):
    """The reduced coordinates (s, d, q) = (xy, x² − y², x² + y²)."""

    s: Number
    d: Number
    q: Number


class Hessian(NamedTuple):
    """Entries of the symmetric 2×2 Hessian [[xx, xy], [xy, yy]]."""

    xx: Number
    xy: Number
    yy: Number


def infer_backend(x: Number) -> str:
    """'mpmath', 'arb' or 'numpy' according to the type of x."""
    if isinstance(x, (mpmath.mpf, mpmath.mpc)):
        return "mpmath"
    if type(x).__module__.startswith("flint"):
        return "arb"
    return "numpy"


def derivatives(family: Family, x: Number, backend: str | None = None) -> Derivatives:
    """The family's ℓ, ℓ′, ℓ″, ℓ‴ for the backend of x."""
    backend = backend or infer_backend(x)
    if backend == "numpy":
        return family.np
    if backend == "mpmath":
        return family.mp
    if backend == "arb":
        return family.arb
    raise InvalidArgument(f"unknown backend {backend!r}; accepted: numpy, mpmath, arb")


def _sqrt(v: Number, backend: str) -> Number:
    if backend == "numpy":
        return np.sqrt(v)
    if backend == "mpmath":
        return mpmath.sqrt(v)
    return v.sqrt()


def learning_rate(C: Number, x0: Number, y0: Number) -> Number:
    """The paper's scaling h = C / (x0² + y0²)."""
    return C / (x0 * x0 + y0 * y0)


def to_reduced(x: Number, y: Number) -> Reduced:
    """(s, d, q) = (xy, x² − y², x² + y²)."""
    return Reduced(x * y, x * x - y * y, x * x + y * y)


def loss(family: Family, x: Number, y: Number, backend: str | None = None) -> Number:
    """f(x, y) = ℓ(xy)."""
    return derivatives(family, x, backend).loss(x * y)


def gradient(family: Family, x: Number, y: Number, backend: str | None = None) -> tuple[Number, Number]:
    """∇f = ℓ′(xy) (y, x)."""
    g = derivatives(family, x, backend).d1(x * y)
    return g * y, g * x


def hessian(family: Family, x: Number, y: Number, backend: str | None = None) -> Hessian:
    """∇²f = ℓ″(s) [[y², xy], [xy, x²]] + ℓ′(s) [[0, 1], [1, 0]]."""
    der = derivatives(family, x, backend)
    s = x * y
    g1, g2 = der.d1(s), der.d2(s)
    return Hessian(g2 * y * y, g2 * s + g1, g2 * x * x)


def hessian_eigenvalues(family: Family, x: Number, y: Number,
                        backend: str | None = None) -> tuple[Number, Number]:
    """(λ_min, λ_max) of ∇²f, from the closed form for a symmetric 2×2 matrix."""
    backend = backend or infer_backend(x)
    H = hessian(family, x, y, backend)
    mean = (H.xx + H.yy) / 2
    half = (H.xx - H.yy) / 2
    radius = _sqrt(half * half + H.xy * H.xy, backend)
    return mean - radius, mean + radius


def sharpness(family: Family, x: Number, y: Number, backend: str | None = None) -> Number:
    """λ_max(∇²f(x, y)), the sharpness at any point."""
    return hessian_eigenvalues(family, x, y, backend)[1]


def sharpness_at_minimiser(family: Family, x: Number, y: Number) -> Number:
    """S = ℓ″(1)(x² + y²): the nonzero Hessian eigenvalue at a point of xy = 1."""
    return family.curvature * (x * x + y * y)


def gd_step(family: Family, x: Number, y: Number, h: Number,
            backend: str | None = None) -> tuple[Number, Number]:
    """One GD step: x⁺ = x − h ℓ′(xy) y, y⁺ = y − h ℓ′(xy) x."""
    g = derivatives(family, x, backend).d1(x * y)
    return x - h * g * y, y - h * g * x


def reduced_step(family: Family, s: Number, d: Number, q: Number, h: Number,
                 backend: str | None = None) -> Reduced:
    """The exact GD update in (s, d, q) coordinates.

    d⁺ = d(1 − h²ℓ′²), s⁺ = s(1 + h²ℓ′²) − hℓ′q, q⁺ = q(1 + h²ℓ′²) − 4hℓ′s.
    """
    g = derivatives(family, s, backend).d1(s)
    hg = h * g
    hg2 = hg * hg
    return Reduced(s * (1 + hg2) - hg * q, d * (1 - hg2), q * (1 + hg2) - 4 * hg * s)


def stability_threshold(family: Family) -> float:
    """Largest h for which some minimiser is linearly stable: h < 2 / (2ℓ″(1)) = 1/ℓ″(1)."""
    return 1.0 / family.curvature
