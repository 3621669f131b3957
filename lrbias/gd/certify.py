"""Certified verdicts: computer-assisted proofs about one GD run on f(x, y) = ℓ(xy).

The run is followed in arb ball arithmetic (python-flint) from the exact binary start, with the
precision raised (the run restarted at twice the bits) whenever an enclosure's relative radius
passes ``2^-RADIUS_BITS``, up to ``max_bits``.  At a stride the *tail certificate* is tried on
the current balls (DESIGN.md, "Certified verdicts", has the statement and its proof): a box
B = {|s − 1| ≤ ε, |q − q_c| ≤ δ} on which, with ℓ″ enclosed over the whole interval
[1 − ε, 1 + ε],

    ρ ≥ sup_B |1 − h m q + h² m² (s − 1) s|,   K ≥ sup_B |m| · |h² m (s − 1) q − 4 h s|,

ρ < 1, |s_T − 1| ≤ ε and q_T ± K|s_T − 1|/(1 − ρ) ⊂ [q_c − δ, q_c + δ].  Then every later
iterate stays in B, s_t → 1 geometrically, and the limit's q∞, sharpness ℓ″(1)q∞, ratio
S∞h/2, imbalance x∞² − y∞² and point (x∞, y∞) are enclosed.  Every inequality is decided in
ball arithmetic (a comparison holds only when it holds for the whole ball), so an answer of
``certified converged`` is a proof; anything undecided is ``not certified`` with the reason.

Periodic orbits: :func:`certify_cycle` proves a period-p cycle by the Krawczyk test on
F^p(z) − z over a box, with its stability from an enclosure of the Jacobian of F^p over the box
(Schur–Cohn conditions); :func:`certify` reports ``certified periodic`` when, besides, the
run's ball enters a neighbourhood of the cycle that F^p maps into itself as a contraction (so
the run converges to the cycle).  Divergence is not certified (no escape region is proven).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lrbias.errors import LrbiasError
from lrbias.gd.outcome import check_start
from lrbias.gd.rules import run_bound
from lrbias.losses.families import Family, get_family

CONVERGED = "certified converged"
PERIODIC = "certified periodic"
NOT_CERTIFIED = "not certified"

RADIUS_BITS = 64          # an enclosure wider than 2^-64 (relative) triggers more precision
START_BITS = 128
DEFAULT_MAX_BITS = 4096
DEFAULT_MAX_STEPS = 200_000
DEFAULT_WIDTH = 1e-12     # stop once the ratio enclosure is this narrow (relative to the ratio)
TRY_BELOW = 0.5           # tail certificates are tried once |s − 1| < TRY_BELOW
ESCAPE = 1e12             # |s| or q beyond this × max(1, q0): the run is left (divergence is not certified)
PERIOD_MAX = 16


def _flint() -> Any:
    try:
        import flint
    except ImportError:  # pragma: no cover - python-flint is a dependency of the certify path
        raise LrbiasError("certify needs python-flint: pip install 'lrbias[flint]'") from None
    return flint


# -- exact float bounds of balls -------------------------------------------------------------

def upper(b: Any) -> float:
    """A Python float u with u ≥ every point of the ball b (proven by an arb comparison)."""
    arb = _flint().arb
    if not b.is_finite():
        return math.inf
    u = float(b.mid()) + float(b.rad())
    while not arb(u) >= b:
        u = math.nextafter(u, math.inf) + abs(u) * 2.0 ** -50
    return u


def lower(b: Any) -> float:
    """A Python float v with v ≤ every point of the ball b (proven by an arb comparison)."""
    arb = _flint().arb
    if not b.is_finite():
        return -math.inf
    v = float(b.mid()) - float(b.rad())
    while not arb(v) <= b:
        v = math.nextafter(v, -math.inf) - abs(v) * 2.0 ** -50
    return v


@dataclass(frozen=True)
class Enclosure:
    """A proven interval [lo, hi] (outward-rounded floats) and the arb ball it came from."""

    lo: float
    hi: float
    ball: str

    @classmethod
    def of(cls, b: Any) -> Enclosure:
        return cls(lower(b), upper(b), b.str(radius=True))

    @property
    def width(self) -> float:
        return self.hi - self.lo

    @property
    def mid(self) -> float:
        return (self.lo + self.hi) / 2

    def contains(self, value: float) -> bool:
        return self.lo <= value <= self.hi

    def as_dict(self) -> dict[str, Any]:
        return {"lo": self.lo, "hi": self.hi, "ball": self.ball}


@dataclass(frozen=True)
class Tail:
    """The data of a tail certificate at step T: the box (ε, q-centre, δ) and the proven bounds
    ρ, K, e ≥ |s_T − 1| (all exact floats), as the proof in DESIGN.md uses them."""

    step: int
    eps: float
    q_centre: float
    delta: float
    rho: float
    K: float
    e: float
    curvature_bound: float  # M ≥ sup |ℓ″| over [1 − ε, 1 + ε]


@dataclass(frozen=True)
class Cycle:
    """A proven period-p cycle: the Krawczyk box, the enclosed point, the stability verdict."""

    period: int
    x: Enclosure
    y: Enclosure
    stability: str          # "stable", "unstable" or "undecided"
    multipliers: str        # the trace/determinant enclosures of D(F^p) on the box


@dataclass(frozen=True)
class Certificate:
    """What :func:`certify` proved about the GD run from (x0, y0) with step h on ``spec``.

    ``outcome`` is ``certified converged``, ``certified periodic`` or ``not certified`` (then
    ``reason`` says why).  For a converged run: ``step`` is T (the step of the tail certificate
    used), ``ratio`` encloses S∞h/2, ``sharpness`` S∞ = ℓ″(1)(x∞² + y∞²), ``imbalance``
    x∞² − y∞², ``x``/``y`` the limit point, ``tail`` the box and bounds.  For a periodic run:
    ``cycle``.  ``catapult``: the first step where ℓ(s_t) > ℓ(s_0) is proven and a proven lower
    bound of the rise (ℓ(s_t) − ℓ(1)) / (ℓ(s_0) − ℓ(1)), or None.  ``bits`` is the precision the
    proof used and ``seconds`` the wall time.
    """

    outcome: str
    spec: str
    x0: float
    y0: float
    h: float
    reason: str
    bits: int
    seconds: float
    steps_followed: int
    step: int | None = None
    ratio: Enclosure | None = None
    sharpness: Enclosure | None = None
    imbalance: Enclosure | None = None
    x: Enclosure | None = None
    y: Enclosure | None = None
    tail: Tail | None = None
    cycle: Cycle | None = None
    catapult: dict[str, Any] | None = None
    balls: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def certified(self) -> bool:
        return self.outcome != NOT_CERTIFIED

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (the arb balls as strings)."""
        out: dict[str, Any] = {"outcome": self.outcome, "spec": self.spec, "x0": self.x0, "y0": self.y0,
                               "h": self.h, "C": self.h * (self.x0 ** 2 + self.y0 ** 2), "reason": self.reason,
                               "bits": self.bits, "seconds": self.seconds,
                               "steps_followed": self.steps_followed, "step": self.step}
        for name in ("ratio", "sharpness", "imbalance", "x", "y"):
            enc = getattr(self, name)
            out[name] = enc.as_dict() if enc is not None else None
        out["catapult"] = self.catapult
        out["tail"] = vars(self.tail) if self.tail is not None else None
        if self.cycle is not None:
            c = self.cycle
            out["cycle"] = {"period": c.period, "x": c.x.as_dict(), "y": c.y.as_dict(),
                            "stability": c.stability, "multipliers": c.multipliers}
        else:
            out["cycle"] = None
        return out


# -- the tail certificate ----------------------------------------------------------------------

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
    arb = _flint().arb
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
    arb = _flint().arb
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


# -- the GD map and its Jacobian on balls ------------------------------------------------------

def _step(d1: Callable[[Any], Any], h: Any, x: Any, y: Any) -> tuple[Any, Any]:
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
    arb = _flint().arb
    J = [[arb(1), arb(0)], [arb(0), arb(1)]]
    for _ in range(p):
        if jac:
            J = _matmul(_jacobian(d1, d2, h, x, y), J)
        x, y = _step(d1, h, x, y)
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


def certify_cycle(family: Family | str, x: float, y: float, h: float, period: int,
                  radius: float = 1e-10, bits: int = START_BITS) -> tuple[Cycle | None, str]:
    """Prove a period-``period`` cycle of GD near (x, y) by the Krawczyk test on G = F^p − id.

    Newton steps on G (midpoints) refine (x, y); then for the box Z = z̃ ± r the Krawczyk image
    K(Z) = z̃ − C·G(z̃) + (I − C·DG(Z))(Z − z̃) (C the inverse of DG at z̃) lies in the interior of
    Z — so G has exactly one zero in Z — and F^d(Z) misses Z for each proper divisor d of p (so
    the period is exactly p).  Stability comes from the enclosure of D(F^p) over Z.
    """
    fam = get_family(family) if isinstance(family, str) else family
    flint = _flint()
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
            Cb = [[arb(v) for v in row] for row in C]
            DG = [[JZ[i][j] - (1 if i == j else 0) for j in range(2)] for i in range(2)]
            dz = (Z[0] - cx, Z[1] - cy)
            Kz = []
            for i in range(2):
                k = arb(cx if i == 0 else cy) - (Cb[i][0] * G0[0] + Cb[i][1] * G0[1])
                for j in range(2):
                    row = (1 if i == j else 0) - (Cb[i][0] * DG[0][j] + Cb[i][1] * DG[1][j])
                    k = k + row * dz[j]
                Kz.append(k)
            if Z[0].contains_interior(Kz[0]) and Z[1].contains_interior(Kz[1]):
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


def _attracted(fam: Family, h: Any, x: Any, y: Any, cycle: Cycle) -> bool:
    """Whether the ball (x, y) provably converges to ``cycle`` under F^p.

    With P the eigenvector matrix of D(F^p) at the cycle's midpoint (the identity when complex)
    and N(z) = ‖P⁻¹(z − z̃)‖∞, take U = {N ≤ r} containing the ball.  By the mean value theorem
    F^p(z) ∈ F^p(z̃) + J_U (z − z̃) with J_U enclosing D(F^p) over the hull of U; if
    P⁻¹(F^p(z̃) − z̃) + (P⁻¹ J_U P)[−r, r]² ⊂ [−r, r]² and ‖P⁻¹ J_U P‖∞ < 1, F^p maps U into itself
    as a contraction for N, so the ball's points converge to the unique fixed point of F^p in U,
    the cycle point (which lies in U, being in the Krawczyk box inside it when r is large enough).
    """
    arb = _flint().arb
    d1, d2, p = fam.arb.d1, fam.arb.d2, cycle.period
    cx, cy = cycle.x.mid, cycle.y.mid
    _, _, J0 = _map_p(d1, d2, h, arb(cx), arb(cy), p, True)
    a = [[float(J0[i][j].mid()) for j in range(2)] for i in range(2)]
    tr, det = a[0][0] + a[1][1], a[0][0] * a[1][1] - a[0][1] * a[1][0]
    disc = tr * tr / 4 - det
    P = [[1.0, 0.0], [0.0, 1.0]]
    if disc > 0:
        lam = [tr / 2 + math.sqrt(disc), tr / 2 - math.sqrt(disc)]
        cols = []
        for lm in lam:
            v = (a[0][1], lm - a[0][0]) if abs(a[0][1]) > abs(a[1][0]) else (lm - a[1][1], a[1][0])
            n = math.hypot(*v)
            cols.append((v[0] / n, v[1] / n) if n > 0 else (1.0, 0.0))
        P = [[cols[0][0], cols[1][0]], [cols[0][1], cols[1][1]]]
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


# -- following the run -------------------------------------------------------------------------

def _too_wide(x: Any, y: Any, need: int) -> bool:
    """Whether the balls' radii exceed 2^-need relative to the size of the point."""
    scale = 1 + abs(float(x.mid())) + abs(float(y.mid()))
    return float(x.rad()) + float(y.rad()) > 2.0 ** -need * scale


def _period_guess(mids: list[tuple[float, float]]) -> int | None:
    """The least p ≤ PERIOD_MAX with mids[k] ≈ mids[k + p] (to 1e-9) for k < p."""
    zx, zy = mids[0]
    scale = 1 + abs(zx) + abs(zy)
    for p in range(1, PERIOD_MAX + 1):
        if all(abs(mids[k][0] - mids[k + p][0]) + abs(mids[k][1] - mids[k + p][1]) <= 1e-9 * scale
               for k in range(p)):
            return p
    return None


def certify(family: Family | str, x0: float, y0: float, h: float, *, max_bits: int = DEFAULT_MAX_BITS,
            max_steps: int = DEFAULT_MAX_STEPS, width: float = DEFAULT_WIDTH,
            soundness: Soundness = SOUND) -> Certificate:
    """Prove what the GD run from (x0, y0) with step h does, or say why no proof was found.

    ``family`` is a :class:`~lrbias.losses.families.Family` or a spec; it needs an arb backend
    (every family built by :func:`~lrbias.losses.families.get_family` has one).  x0, y0 and h
    are taken as exact binary floats.  ``width``: once converged is proven, the run is followed
    further until the ratio enclosure is narrower than ``width`` × ratio (or the budget ends).
    ``soundness`` is for tests only (see :class:`Soundness`).
    """
    fam = get_family(family) if isinstance(family, str) else family
    check_start(x0, y0, h)
    if not (isinstance(max_bits, int) and START_BITS <= max_bits <= 1_000_000):
        raise LrbiasError(f"max bits {max_bits!r} is invalid; accepted: an integer in {START_BITS}..1000000")
    if not (isinstance(max_steps, int) and max_steps >= 1):
        raise LrbiasError(f"max steps {max_steps!r} is invalid; accepted: an integer >= 1")
    if not (0 < width < 1):
        raise LrbiasError(f"width {width} is invalid; accepted: 0 < width < 1")
    if fam.smoothness not in ("C-inf", "C1"):
        return Certificate(NOT_CERTIFIED, fam.spec, x0, y0, h,
                           f"the smoothness of {fam.spec} is {fam.smoothness}: the tail argument needs "
                           "l' absolutely continuous (C1 with a piecewise l'')", 0, 0.0, 0)
    flint = _flint()
    arb = flint.arb
    started = time.perf_counter()
    old = flint.ctx.prec
    bits = START_BITS
    try:
        while True:
            flint.ctx.prec = bits
            rise = _Rise(fam, arb(x0) * arb(y0))
            kind, payload = _follow(fam, x0, y0, h, bits, max_steps, width, soundness, rise)
            if kind == "more-bits" and bits * 2 <= max_bits:
                bits *= 2
                continue
            if kind == "more-bits":
                payload = payload["best"] or {
                    "steps": payload["steps"],
                    "reason": (f"the enclosure's radius grew past 2^-{RADIUS_BITS} (relative) at "
                               f"step {payload['steps']} at the maximum of {bits} bits")}
            payload = {**payload, "catapult": rise.result()}
            return _make(fam, x0, y0, h, bits, time.perf_counter() - started, payload)
    finally:
        flint.ctx.prec = old


def _make(fam: Family, x0: float, y0: float, h: float, bits: int, seconds: float, p: dict[str, Any]) -> Certificate:
    enc = {k: Enclosure.of(v) for k, v in p.get("limits", {}).items() if k != "q"}
    return Certificate(p.get("outcome", NOT_CERTIFIED), fam.spec, x0, y0, h, p.get("reason", ""), bits,
                       seconds, p["steps"], p.get("step"), enc.get("ratio"), enc.get("sharpness"),
                       enc.get("imbalance"), enc.get("x"), enc.get("y"), p.get("tail"), p.get("cycle"),
                       p.get("catapult"), dict(p.get("limits", {})))


class _State:
    """The run in the coordinates where balls do not blow up: s = xy, q = x² + y², d = x² − y²
    and the signs of x and y (every ball).  In (x, y) the Jacobian's absolute values have
    spectral radius above 1 along the valley of minimisers, so naive balls grow exponentially
    even while the run converges; in (s, q) the Jacobian is nearly triangular there
    ([[1 − hS, −hℓ′], [−4hℓ″s, 1]] to first order) and the mean-value form keeps the radii flat.
    """

    def __init__(self, x0: float, y0: float) -> None:
        arb = _flint().arb
        x, y = arb(x0), arb(y0)
        self.s, self.q, self.d = x * y, x * x + y * y, (x - y) * (x + y)
        self.sx, self.sy = _sign(x0), _sign(y0)

    def point(self) -> tuple[Any, Any] | None:
        """Balls of (x, y) from (q, d) and the signs, or None where a sign is 0 (x or y is 0)."""
        if self.sx == 0 or self.sy == 0:
            return None
        ax, ay = ((self.q + self.d) / 2).sqrt(), ((self.q - self.d) / 2).sqrt()
        return self.sx * ax, self.sy * ay

    def step(self, d1: Callable[[Any], Any], d2: Callable[[Any], Any], h: Any) -> bool:
        """One GD step; False when a sign of x or y is not decided by the balls."""
        arb = _flint().arb
        s, q, d = self.s, self.q, self.d
        g = d1(s)
        hg = h * g
        # the signs: x⁺ = x(1 − 2hgs/(q + d)), y⁺ = y(1 − 2hgs/(q − d))
        for name, den in (("sx", q + d), ("sy", q - d)):
            sign = getattr(self, name)
            if sign == 0:
                continue
            f = 1 - 2 * hg * s / den
            if f > 0:
                continue
            if f < 0:
                setattr(self, name, -sign)
            else:
                return False
        # (s, q) by the mean-value form around the midpoint
        sm, qm = arb(s.mid()), arb(q.mid())
        gm = d1(sm)
        hgm = h * gm
        one = 1 + hgm * hgm
        s_mid, q_mid = sm * one - hgm * qm, qm * one - 4 * hgm * sm
        c = d2(s)
        hc = h * c
        a11 = 1 + hg * hg + 2 * hg * hc * s - hc * q
        a12 = -hg
        a21 = 2 * hg * hc * q - 4 * hc * s - 4 * hg
        a22 = 1 + hg * hg
        ds, dq = s - sm, q - qm
        self.s = s_mid + a11 * ds + a12 * dq
        self.q = q_mid + a21 * ds + a22 * dq
        self.d = d * (1 - hg * hg)
        return True


def _sign(v: float) -> int:
    return (v > 0) - (v < 0)


class _Rise:
    """The catapult, proven: the first step t with ℓ(s_t) > ℓ(s_0) for the whole ball, and a lower
    bound of the largest rise (ℓ(s_t) − ℓ(1)) / (ℓ(s_0) − ℓ(1)) over the steps watched."""

    def __init__(self, fam: Family, s0: Any) -> None:
        arb = _flint().arb
        self.loss = fam.arb.loss
        self.l1 = self.loss(arb(1))
        self.f0 = self.loss(s0) - self.l1
        self.step: int | None = None
        self.rise = 1.0 if self.f0 > 0 else None

    def watch(self, t: int, s: Any) -> None:
        if self.rise is None:
            return
        f = self.loss(s) - self.l1
        if f > self.f0:
            if self.step is None:
                self.step = t
            self.rise = max(self.rise, lower(f / self.f0))

    def result(self) -> dict[str, Any] | None:
        return None if self.step is None else {"step": self.step, "rise_lower": self.rise}


def _follow(fam: Family, x0: float, y0: float, h: float, bits: int, max_steps: int, width: float,
            soundness: Soundness, rise: _Rise | None = None) -> tuple[str, dict[str, Any]]:
    """One attempt at ``bits``: ("done", payload) or ("more-bits", payload with any proof so far)."""
    arb = _flint().arb
    d1, d2 = fam.arb.d1, fam.arb.d2
    hb = arb(h)
    curvature = d2(arb(1))
    z = _State(x0, y0)
    rise = rise or _Rise(fam, z.s)
    best: dict[str, Any] | None = None
    last_why = "|s - 1| never fell below 0.5"
    next_try, tries = 0, 0
    t = 0
    escape = run_bound(ESCAPE, x0 * x0 + y0 * y0)  # scaled by the start, as the engines' bound
    for t in range(max_steps + 1):
        s, q = z.s, z.q
        if not (s.is_finite() and q.is_finite()) or _too_wide(s, q, RADIUS_BITS):
            return "more-bits", {"steps": t, "best": best}
        if abs(s) > escape or q > escape:
            why = (f"the run leaves every bounded region (|s| or q > {escape:g} at step {t}); "
                   "divergence is not certified")
            return "done", best or {"steps": t, "reason": why}
        if best is None:
            rise.watch(t, s)
        if t >= next_try and abs(s - 1) < TRY_BELOW:
            tries += 1
            tail, why = tail_certificate(d2, hb, s, q, t, soundness)
            next_try = t + (1 if tries < 32 else 8)
            if tail is None:
                last_why = why
                if (s - 1).is_zero():
                    return "done", {"steps": t, "reason": (
                        f"the run sits exactly at a minimiser from step {t} on, and it is linearly "
                        f"unstable ({why}): any perturbation leaves it; not certified as convergence")}
            else:
                limits = limit_enclosures(tail, hb, z, curvature)
                if limits:
                    best = {"outcome": CONVERGED, "steps": t, "step": t, "tail": tail, "limits": limits,
                            "reason": ""}
                    ratio = limits["ratio"]
                    if upper(ratio) - lower(ratio) <= width * abs(float(ratio.mid())):
                        return "done", best
                    next_try = t + 8
        if best is None and t >= 64 and t % 64 == 0:
            done = _try_periodic(fam, hb, z, t, bits)
            if done is not None:
                return "done", done
        if t == max_steps:
            break
        if not z.step(d1, d2, hb):
            return "more-bits", {"steps": t, "best": best}
    if best is not None:
        return "done", best
    return "done", {"steps": t, "reason": f"budget of {max_steps} steps spent without a proof "
                    f"(last tail attempt: {last_why})"}


def _try_periodic(fam: Family, h: Any, z: _State, t: int, bits: int) -> dict[str, Any] | None:
    """At step t, guess a period from the next float steps and try the cycle proof and attraction."""
    d1 = fam.arb.d1
    xy = z.point()
    if xy is None:
        return None
    x, y = xy
    mids: list[tuple[float, float]] = []
    cx, cy = x, y
    for _ in range(2 * PERIOD_MAX + 1):
        mids.append((float(cx.mid()), float(cy.mid())))
        cx, cy = _step(d1, h, cx, cy)
    p = _period_guess(mids)
    if p is None or p == 1:
        return None
    cycle, _ = certify_cycle(fam, mids[0][0], mids[0][1], float(h.mid()), p, bits=bits)
    if cycle is None or cycle.stability != "stable":
        return None
    if not _attracted(fam, h, x, y, cycle):
        return None
    return {"outcome": PERIODIC, "steps": t, "step": t, "cycle": cycle,
            "reason": f"converges to a proven stable {p}-cycle ({cycle.multipliers})"}


def certify_sweep_sample(spec: str, n: int, ranges: Any, seed: int, chunk_size: int, settings: Any, k: int,
                         max_steps: int = DEFAULT_MAX_STEPS, max_bits: int = DEFAULT_MAX_BITS) -> dict[str, Any]:
    """Certify the first ``k`` starts of a sweep (the same starts and C as ``lrbias sweep`` draws,
    chunk by chunk): their float64 outcome shares beside their certified shares, the certified
    share of the float-converged ones, the time per certificate and every row."""
    from lrbias.gd.scaleout import chunk_sample, plan_chunks, run_chunk

    if not (isinstance(k, int) and 1 <= k <= n):
        raise LrbiasError(f"--certify {k!r} is invalid; accepted: an integer, 1 <= K <= n = {n}")
    rows: list[dict[str, Any]] = []
    for chunk in plan_chunks(n, chunk_size, seed):
        if len(rows) >= k:
            break
        x0, y0, C = chunk_sample(chunk, ranges)
        batch = run_chunk(spec, chunk, ranges, settings)
        for i, rec in enumerate(batch.records()):
            if len(rows) >= k:
                break
            h = float(C[i] / (x0[i] * x0[i] + y0[i] * y0[i]))
            cert = certify(spec, float(x0[i]), float(y0[i]), h, max_steps=max_steps, max_bits=max_bits)
            rows.append({"x0": float(x0[i]), "y0": float(y0[i]), "C": float(C[i]), "h": h, "float": rec.outcome,
                         "certified": cert.outcome, "ratio": cert.ratio.as_dict() if cert.ratio else None,
                         "bits": cert.bits, "seconds": cert.seconds, "reason": cert.reason})
    outcomes = sorted({r["float"] for r in rows})
    float_shares = {o: sum(r["float"] == o for r in rows) / len(rows) for o in outcomes}
    cert_shares = {o: sum(r["certified"] == o for r in rows) / len(rows) for o in (CONVERGED, PERIODIC, NOT_CERTIFIED)}
    conv = [r for r in rows if r["float"] == "converged"]
    times = sorted(r["seconds"] for r in rows if r["certified"] != NOT_CERTIFIED)
    return {"k": len(rows), "float_shares": float_shares, "certified_shares": cert_shares,
            "float_converged": len(conv),
            "certified_of_float_converged": (sum(r["certified"] == CONVERGED for r in conv) / len(conv)
                                             if conv else None),
            "median_seconds": times[len(times) // 2] if times else None, "rows": rows}


__all__ = ["CONVERGED", "NOT_CERTIFIED", "PERIODIC", "Certificate", "Cycle", "Enclosure", "Soundness",
           "Tail", "certify", "certify_cycle", "certify_sweep_sample", "limit_enclosures", "lower",
           "tail_certificate", "upper"]
