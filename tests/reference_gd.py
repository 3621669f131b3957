"""An independent float64 reference for GD on f(x, y) = ℓ(xy): a deliberately simple loop.

Written apart from the engine (lrbias.gd): its own derivative formulas (by hand, not from the
sympy families), its own start sampler (the `unbalanced` distribution as documented: |x0| uniform
in [0.05, 1], |y0| uniform in [3, 10], one common sign), its own decision rules (converged: |s − 1|
and |ℓ′(s)| below 1e-10 at a stable minimiser, hℓ″(1)(x² + y²) < 2; diverged: x² + y² beyond 1e12
or not finite; anything else after the budget: open).  It imports nothing from lrbias, so a drift
of the engine (its step, its rules, its sampler, its statistics) shows as a disagreement with it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


def _softplus_pair(a: float) -> tuple[Callable[[np.ndarray], np.ndarray], float]:
    # ℓ = (softplus(u) + softplus(−u))^a, u = s − 1; softplus(u) + softplus(−u) = |u| + 2 log1p(e^−|u|)
    def d1(s: np.ndarray) -> np.ndarray:
        u = s - 1
        pair = np.abs(u) + 2 * np.log1p(np.exp(-np.abs(u)))
        return a * pair ** (a - 1) * np.tanh(u / 2)    # d/du of the pair is tanh(u/2)
    return d1, a * (2 * math.log(2)) ** (a - 1) / 2


DERIVATIVES: dict[str, tuple[Callable[[np.ndarray], np.ndarray], float]] = {
    "softplus-pair:a=1/2": _softplus_pair(0.5),
    "logcosh": (lambda s: np.tanh(s - 1), 1.0),
    "square": (lambda s: s - 1, 1.0),
    "power:b=3": (lambda s: -6 * s * s * (1 - s**3), 18.0),
}
"""ℓ′ and ℓ″(1) per family, by hand."""


def unbalanced(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n starts: |x0| ~ U[0.05, 1], |y0| ~ U[3, 10], a common random sign."""
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(0.05, 1.0, n), rng.uniform(3.0, 10.0, n)
    sign = np.where(rng.random(n) < 0.5, -1.0, 1.0)
    return sign * x, sign * y


@dataclass(frozen=True)
class Reference:
    """Counts of a reference sweep: runs, converged, converged at the edge (κ > 2, S∞h/2 ≥ band), open."""

    runs: int
    converged: int
    at_edge: int
    open: int
    median_ratio: float | None


def reference_sweep(spec: str, kappa: float, n: int, seed: int, steps: int, band: float = 0.95) -> Reference:
    """Run n unbalanced starts with h = κ/(ℓ″(1)(x0² + y0²)) for up to ``steps`` steps, one step at a time."""
    d1, curvature = DERIVATIVES[spec]
    x, y = unbalanced(n, seed)
    h = kappa / (curvature * (x * x + y * y))
    live = np.arange(n)
    ratio = np.full(n, np.nan)
    converged = np.zeros(n, bool)
    for t in range(1, steps + 1):
        with np.errstate(over="ignore", invalid="ignore"):   # a diverging run overflows: decided below
            g = d1(x * y)
            x, y = x - h * g * y, y - h * g * x
        if t % 8 and t != steps:
            continue
        with np.errstate(invalid="ignore", over="ignore"):
            s, q = x * y, x * x + y * y
            gone = ~np.isfinite(q) | (q > 1e12)
            done = ~gone & (np.abs(s - 1) < 1e-10) & (np.abs(d1(s)) < 1e-10) & (h * curvature * q < 2)
        converged[live[done]] = True
        ratio[live[done]] = curvature * q[done] * h[done] / 2     # S∞ = ℓ″(1)(x² + y²) at a minimiser
        keep = ~(gone | done)
        x, y, h, live = x[keep], y[keep], h[keep], live[keep]
        if not live.size:
            break
    at_edge = int(np.sum(converged & (ratio >= band))) if kappa > 2 else 0
    return Reference(n, int(converged.sum()), at_edge, int(live.size),
                     float(np.median(ratio[converged])) if converged.any() else None)


def wilson(k: int, n: int, z: float) -> tuple[float, float]:
    """The Wilson score interval of a share k/n at ``z`` standard errors."""
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def difference_interval(k1: int, n1: int, k2: int, n2: int, z: float) -> tuple[float, float]:
    """Newcombe's interval for p1 − p2 from the two Wilson intervals (his method 10)."""
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = wilson(k1, n1, z)
    l2, u2 = wilson(k2, n2, z)
    d = p1 - p2
    return d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
