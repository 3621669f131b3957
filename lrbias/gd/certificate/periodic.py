"""Periodic orbits: the GD map and its Jacobian on balls, the Krawczyk proof of a p-cycle with its
stability (Schur–Cohn), and the proof that a run is attracted to a proven stable cycle.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from lrbias.gd.certificate.intervals import Enclosure, flint_module, upper
from lrbias.gd.certificate.records import PERIOD_MAX, START_BITS, Cycle
from lrbias.losses.families import Family, get_family

# -- the GD map and its Jacobian on balls ------------------------------------------------------

def gd_step(d1: Callable[[Any], Any], h: Any, x: Any, y: Any) -> tuple[Any, Any]:
    hg = h * d1(x * y)
    return x - hg * y, y - hg * x


def _jacobian(d1: Callable[[Any], Any], d2: Callable[[Any], Any], h: Any, x: Any, y: Any) -> list[list[Any]]:
    s = x * y
    g, c = d1(s), d2(s)
    off = -h * (g + c * s)
    return [[1 - h * c * y * y, off], [off, 1 - h * c * x * x]]


def _matmul(a: list[list[Any]], b: list[list[Any]]) -> list[list[Any]]:
    return [[a[i][0] * b[0][j] + a[i][1] * b[1][j] for j in range(2)] for i in range(2)]


def _map_p(d1: Callable, d2: Callable, h: Any, x: Any, y: Any, p: int, jac: bool) -> tuple[Any, Any, Any]:
    """F^p on balls (x, y) and, if asked, an enclosure of D(F^p) over the box."""
    arb = flint_module().arb
    J = [[arb(1), arb(0)], [arb(0), arb(1)]]
    for _ in range(p):
        if jac:
            J = _matmul(_jacobian(d1, d2, h, x, y), J)
        x, y = gd_step(d1, h, x, y)
    return x, y, J


def _inverse(a: list[list[float]]) -> list[list[float]] | None:
    det = a[0][0] * a[1][1] - a[0][1] * a[1][0]
    if det == 0 or not math.isfinite(det):
        return None
    return [[a[1][1] / det, -a[0][1] / det], [-a[1][0] / det, a[0][0] / det]]


def _stability(J: list[list[Any]]) -> tuple[str, str]:
    """Schur–Cohn on the 2×2 enclosure: both multipliers in the open unit disc iff |det| < 1 and
    |tr| < 1 + det; one outside the closed disc when |det| > 1 or |tr| > 1 + det."""
    tr = J[0][0] + J[1][1]
    det = J[0][0] * J[1][1] - J[0][1] * J[1][0]
    text = f"trace {tr.str(5, radius=True)}, det {det.str(5, radius=True)}"
    if abs(det) < 1 and abs(tr) < 1 + det:
        return "stable", text
    if abs(det) > 1 or abs(tr) > 1 + det:
        return "unstable", text
    return "undecided", text


def _krawczyk_inside(Z: tuple[Any, Any], c: tuple[float, float], G0: tuple[Any, Any],
                     DG: list[list[Any]], C: list[list[float]]) -> list[Any] | None:
    """The Krawczyk image K(Z) = c − C·G(c) + (I − C·DG(Z))(Z − c) when it lies in the interior of the
    box Z in both coordinates (then G has exactly one zero in Z), else None.

    G0 encloses G(c), DG encloses DG over Z, and C is any float matrix (the inverse of DG's midpoint
    makes K small).  Any map: this is where the proof's soundness rests, so it is tested on maps
    without the GD map's symmetry.
    """
    arb = flint_module().arb
    Cb = [[arb(v) for v in row] for row in C]
    dz = (Z[0] - c[0], Z[1] - c[1])
    K = []
    for i in range(2):
        k = arb(c[i]) - (Cb[i][0] * G0[0] + Cb[i][1] * G0[1])
        for j in range(2):
            row = (1 if i == j else 0) - (Cb[i][0] * DG[0][j] + Cb[i][1] * DG[1][j])
            k = k + row * dz[j]
        K.append(k)
    if Z[0].contains_interior(K[0]) and Z[1].contains_interior(K[1]):
        return K
    return None


def certify_cycle(family: Family | str, x: float, y: float, h: float, period: int,
                  radius: float = 1e-10, bits: int = START_BITS) -> tuple[Cycle | None, str]:
    """Prove a period-``period`` cycle of GD near (x, y) by the Krawczyk test on G = F^p − id.

    Newton steps on G (midpoints) refine (x, y); then for the box Z = z̃ ± r the Krawczyk image
    K(Z) = z̃ − C·G(z̃) + (I − C·DG(Z))(Z − z̃) (C the inverse of DG at z̃) lies in the interior of
    Z — so G has exactly one zero in Z — and F^d(Z) misses Z for each proper divisor d of p (so
    the period is exactly p).  Stability comes from the enclosure of D(F^p) over Z.
    """
    fam = get_family(family) if isinstance(family, str) else family
    flint = flint_module()
    arb = flint.arb
    old = flint.ctx.prec
    flint.ctx.prec = bits
    try:
        d1, d2 = fam.arb.d1, fam.arb.d2
        hb = arb(h)
        zx, zy = arb(x), arb(y)
        for _ in range(30):   # Newton on midpoints (no claim rests on this)
            fx, fy, J = _map_p(d1, d2, hb, zx, zy, period, True)
            G = [float((fx - zx).mid()), float((fy - zy).mid())]
            A = [[float(J[i][j].mid()) - (i == j) for j in range(2)] for i in range(2)]
            inv = _inverse(A)
            if inv is None:
                return None, "D(F^p) - I is singular at the candidate"
            dx = inv[0][0] * G[0] + inv[0][1] * G[1]
            dy = inv[1][0] * G[0] + inv[1][1] * G[1]
            zx, zy = arb(float(zx.mid()) - dx), arb(float(zy.mid()) - dy)
            if abs(dx) + abs(dy) <= 1e-15 * (1 + abs(float(zx.mid())) + abs(float(zy.mid()))):
                break
        cx, cy = float(zx.mid()), float(zy.mid())
        r = radius * (1 + abs(cx) + abs(cy))
        for _ in range(8):
            Z = (arb(cx, r), arb(cy, r))
            gx, gy, _ = _map_p(d1, d2, hb, arb(cx), arb(cy), period, False)
            G0 = (gx - cx, gy - cy)
            _, _, JZ = _map_p(d1, d2, hb, Z[0], Z[1], period, True)
            A = [[float(JZ[i][j].mid()) - (i == j) for j in range(2)] for i in range(2)]
            C = _inverse(A)
            if C is None:
                return None, "D(F^p) - I is singular on the box"
            DG = [[JZ[i][j] - (1 if i == j else 0) for j in range(2)] for i in range(2)]
            Kz = _krawczyk_inside(Z, (cx, cy), G0, DG, C)
            if Kz is not None:
                for d in range(1, period):
                    if period % d == 0:
                        fx, fy, _ = _map_p(d1, d2, hb, Z[0], Z[1], d, False)
                        if fx.overlaps(Z[0]) and fy.overlaps(Z[1]):
                            return None, f"the box may hold a point of period {d}"
                stab, text = _stability(JZ)
                return Cycle(period, Enclosure.of(Kz[0].intersection(Z[0])),
                             Enclosure.of(Kz[1].intersection(Z[1])), stab, text), ""
            r *= 4
        return None, f"the Krawczyk test failed on every box tried (period {period})"
    finally:
        flint.ctx.prec = old


def _eigenbasis(a: list[list[float]]) -> list[list[float]]:
    """The unit eigenvectors of the real 2×2 matrix ``a`` as columns, larger eigenvalue first; the
    identity when the eigenvalues are complex or equal.

    Each eigenvector spans the kernel of a − λI, read off either row: (a01, λ − a00) or (λ − a11, a10).
    The longer of the two is taken (one of them vanishes when a row of a − λI does, as for a diagonal a).
    Any invertible basis keeps the attraction proof sound; an eigenbasis makes its contraction norm small.
    """
    tr, det = a[0][0] + a[1][1], a[0][0] * a[1][1] - a[0][1] * a[1][0]
    disc = tr * tr / 4 - det
    if not disc > 0:
        return [[1.0, 0.0], [0.0, 1.0]]
    cols = []
    for lm in (tr / 2 + math.sqrt(disc), tr / 2 - math.sqrt(disc)):
        u, w = (a[0][1], lm - a[0][0]), (lm - a[1][1], a[1][0])
        v = u if math.hypot(*u) >= math.hypot(*w) else w
        n = math.hypot(*v)
        cols.append((v[0] / n, v[1] / n))
    return [[cols[0][0], cols[1][0]], [cols[0][1], cols[1][1]]]


def attracted(fam: Family, h: Any, x: Any, y: Any, cycle: Cycle) -> bool:
    """Whether the ball (x, y) provably converges to ``cycle`` under F^p.

    With P the eigenvector matrix of D(F^p) at the cycle's midpoint (the identity when complex)
    and N(z) = ‖P⁻¹(z − z̃)‖∞, take U = {N ≤ r} containing the ball.  By the mean value theorem
    F^p(z) ∈ F^p(z̃) + J_U (z − z̃) with J_U enclosing D(F^p) over the hull of U; if
    P⁻¹(F^p(z̃) − z̃) + (P⁻¹ J_U P)[−r, r]² ⊂ [−r, r]² and ‖P⁻¹ J_U P‖∞ < 1, F^p maps U into itself
    as a contraction for N, so the ball's points converge to the unique fixed point of F^p in U,
    the cycle point (which lies in U, being in the Krawczyk box inside it when r is large enough).
    """
    arb = flint_module().arb
    d1, d2, p = fam.arb.d1, fam.arb.d2, cycle.period
    cx, cy = cycle.x.mid, cycle.y.mid
    _, _, J0 = _map_p(d1, d2, h, arb(cx), arb(cy), p, True)
    P = _eigenbasis([[float(J0[i][j].mid()) for j in range(2)] for i in range(2)])
    Pinv_f = _inverse(P)
    if Pinv_f is None:
        return False
    Pb = [[arb(v) for v in row] for row in P]
    detP = Pb[0][0] * Pb[1][1] - Pb[0][1] * Pb[1][0]
    Pinv = [[Pb[1][1] / detP, -Pb[0][1] / detP], [-Pb[1][0] / detP, Pb[0][0] / detP]]

    def to_w(u: Any, v: Any) -> tuple[Any, Any]:
        return Pinv[0][0] * u + Pinv[0][1] * v, Pinv[1][0] * u + Pinv[1][1] * v

    wx, wy = to_w(x - cx, y - cy)
    r0 = max(upper(abs(wx)), upper(abs(wy)), cycle.x.width + cycle.y.width)
    for r in (2 * r0, 8 * r0, 64 * r0):
        box = arb(0, r)
        hx = arb(cx) + Pb[0][0] * box + Pb[0][1] * box   # the hull of U
        hy = arb(cy) + Pb[1][0] * box + Pb[1][1] * box
        _, _, JU = _map_p(d1, d2, h, hx, hy, p, True)
        B = _matmul(Pinv, _matmul(JU, Pb))
        norm = max(upper(abs(B[i][0]) + abs(B[i][1])) for i in range(2))
        if not norm < 1:
            continue
        fx, fy, _ = _map_p(d1, d2, h, arb(cx), arb(cy), p, False)
        c0, c1 = to_w(fx - cx, fy - cy)
        img = [c0 + B[0][0] * box + B[0][1] * box, c1 + B[1][0] * box + B[1][1] * box]
        if box.contains(img[0]) and box.contains(img[1]):
            # U must also hold the Krawczyk box, so the fixed point found is the cycle point
            kx, ky = to_w(arb(cycle.x.mid, cycle.x.width) - cx, arb(cycle.y.mid, cycle.y.width) - cy)
            return box.contains(kx) and box.contains(ky)
    return False



def period_guess(mids: list[tuple[float, float]]) -> int | None:
    """The least p ≤ PERIOD_MAX with mids[k] ≈ mids[k + p] (to 1e-9) for k < p."""
    zx, zy = mids[0]
    scale = 1 + abs(zx) + abs(zy)
    for p in range(1, PERIOD_MAX + 1):
        if all(abs(mids[k][0] - mids[k + p][0]) + abs(mids[k][1] - mids[k + p][1]) <= 1e-9 * scale
               for k in range(p)):
            return p
    return None
