"""The tail certificate: once |s − 1| is small, a box the run provably never leaves (ρ < 1), and
the enclosures of the limit it implies (DESIGN.md, "Certified verdicts", has the proof).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lrbias.gd.certificate.intervals import flint_module, upper
from lrbias.gd.certificate.records import Tail


@dataclass(frozen=True)
class Soundness:
    """Where the bounds ρ and K take their sup.  The defaults are the proof's (over the box, ℓ″
    over [1 − ε, 1 + ε]); the other settings exist only so that tests can show that the
    unsound shortcuts are caught: ``rho_at_point`` bounds ρ and K at (s_T, q_T) and ℓ″(s_T)
    only; ``curvature_at_one`` uses ℓ″(1) in place of ℓ″ over the interval."""

    rho_at_point: bool = False
    curvature_at_one: bool = False


SOUND = Soundness()


def tail_certificate(d2: Callable[[Any], Any], h: Any, s_T: Any, q_T: Any, step: int,
                     soundness: Soundness = SOUND) -> tuple[Tail | None, str]:
    """Try the tail certificate on the balls s_T, q_T (at the arb precision in force).

    Returns (Tail, "") when every inequality holds for the whole balls, else (None, why).
    """
    arb = flint_module().arb
    dev = abs(s_T - 1)
    if not dev.is_finite():
        return None, "s_T is not finite"
    e = upper(dev)
    eps = max(e, 2.0 ** -1000)
    J = arb(1, eps)
    if not J.contains(s_T):  # pragma: no cover - true by construction; kept as a check
        return None, "s_T outside [1 - eps, 1 + eps]"
    m = d2(J)                          # encloses ℓ″ over the whole interval [1 − ε, 1 + ε]
    if soundness.curvature_at_one:
        m = d2(arb(1))
    elif soundness.rho_at_point:
        m = d2(s_T)
    M = upper(abs(m))
    qc = float(q_T.mid())
    delta = upper(abs(q_T - qc)) * 2 + abs(qc) * 2.0 ** -60
    rho = K = math.inf
    for _ in range(6):
        S = s_T if soundness.rho_at_point else J
        Q = q_T if soundness.rho_at_point else arb(qc, delta)
        rho_ball = abs(1 - h * m * Q + h * h * m * m * (S - 1) * S)
        K_ball = abs(m) * abs(h * h * m * (S - 1) * Q - 4 * h * S)
        rho, K = upper(rho_ball), upper(K_ball)
        if not rho < 1:
            return None, f"rho >= 1 on the box (rho <= {rho:.6g})"
        R = upper(arb(K) * arb(e) / (1 - arb(rho)))
        need = q_T + arb(0, R)
        if soundness.rho_at_point or Q.contains(need):
            # report the radii of the balls actually used (arb rounds a radius up)
            return Tail(step, float(J.rad()), qc, float(arb(qc, delta).rad()), rho, K, e, M), ""
        delta = max(2 * delta, 2 * upper(abs(need - qc)))
    return None, f"q drifts out of every box tried (rho <= {rho:.6g}, K <= {K:.6g})"


def limit_enclosures(tail: Tail, h: Any, z: Any, curvature: Any) -> dict[str, Any]:
    """The enclosures of the limit implied by a tail certificate on the state ``z`` at step T
    (DESIGN.md, "Certified verdicts", steps 3-5); empty when the imbalance bound fails."""
    arb = flint_module().arb
    rho, K, e, M = (arb(v) for v in (tail.rho, tail.K, tail.e, tail.curvature_bound))
    R = upper(K * e / (1 - rho))
    q_T, d_T = z.q, z.d
    q_inf = q_T + arb(0, R)
    U = upper(h * h * M * M * e * e / (1 - rho * rho))
    if not U < 1:
        return {}
    d_inf = d_T * (1 - arb(U) * arb(0.5, 0.5))   # the product Π(1 − u_t) lies in [1 − U, 1]
    qmax = upper(arb(tail.q_centre, tail.delta))
    W = upper(h * M * e * arb(qmax).sqrt() / (1 - rho))  # Σ |x_{t+1} − x_t| ≤ W, the same for y
    sharp = curvature * q_inf
    out = {"q": q_inf, "sharpness": sharp, "ratio": sharp * h / 2, "imbalance": d_inf}
    xy = z.point()
    if xy is not None:
        # (x_t) moves by at most W in all after T: the limit is x_T ± W (the same for y)
        out["x"], out["y"] = xy[0] + arb(0, W), xy[1] + arb(0, W)
    return out

