"""Following one run in arb balls and deciding what is proven about it: :func:`certify`.

The run is followed in (s, q, d) coordinates (:class:`State`), the precision doubled whenever a
ball grows too wide, the tail certificate tried every step near the minimisers (every
``TAIL_STRIDE`` steps after ``TAIL_EVERY_STEP_TRIES`` tries), the periodic proof every
``PERIODIC_STRIDE`` steps, and the escape (divergence) certificate at every step where |s| is large
and |hℓ′(s)| ≥ 2 (float pre-check), for families whose ℓ′ is a polynomial.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from lrbias.errors import InvalidArgument
from lrbias.gd.certificate.escape import escape_certificate, no_escape_reason, worth_trying
from lrbias.gd.certificate.intervals import Enclosure, flint_module, lower, upper
from lrbias.gd.certificate.periodic import attracted, certify_cycle, gd_step, period_guess
from lrbias.gd.certificate.records import (
    CONVERGED,
    DEFAULT_MAX_BITS,
    DEFAULT_MAX_STEPS,
    DEFAULT_WIDTH,
    DIVERGED,
    ESCAPE,
    NOT_CERTIFIED,
    PERIOD_MAX,
    PERIODIC,
    RADIUS_BITS,
    START_BITS,
    TRY_BELOW,
    Certificate,
)
from lrbias.gd.certificate.tail import SOUND, Soundness, limit_enclosures, tail_certificate
from lrbias.gd.outcome import check_start
from lrbias.gd.rules import run_bound
from lrbias.losses.families import Family, get_family

TAIL_EVERY_STEP_TRIES = 32   # the first 32 tail attempts are made at every step, then every TAIL_STRIDE
TAIL_STRIDE = 8
PERIODIC_STRIDE = 64         # the periodic proof is tried every 64 steps (from step 64) before a tail proof


def _too_wide(x: Any, y: Any, need: int) -> bool:
    """Whether the balls' radii exceed 2^-need relative to the size of the point."""
    scale = 1 + abs(float(x.mid())) + abs(float(y.mid()))
    return float(x.rad()) + float(y.rad()) > 2.0 ** -need * scale



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
        raise InvalidArgument(f"max bits {max_bits!r} is invalid; accepted: an integer in {START_BITS}..1000000")
    if not (isinstance(max_steps, int) and max_steps >= 1):
        raise InvalidArgument(f"max steps {max_steps!r} is invalid; accepted: an integer >= 1")
    if not (0 < width < 1):
        raise InvalidArgument(f"width {width} is invalid; accepted: 0 < width < 1")
    if fam.smoothness not in ("C-inf", "C1"):
        return Certificate(NOT_CERTIFIED, fam.spec, x0, y0, h,
                           f"the smoothness of {fam.spec} is {fam.smoothness}: the tail argument needs "
                           "l' absolutely continuous (C1 with a piecewise l'')", 0, 0.0, 0)
    flint = flint_module()
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
                    "steps": payload["steps"], "reason": f"{payload['why']} at the maximum of {bits} bits"}
            first_eps = payload.get("first_tail_eps")
            payload = {**payload, "catapult": rise.result(),
                       "max_rise_upper": rise.upper_with_tail(first_eps) if first_eps is not None else None}
            return _make(fam, x0, y0, h, bits, time.perf_counter() - started, payload)
    finally:
        flint.ctx.prec = old


def _make(fam: Family, x0: float, y0: float, h: float, bits: int, seconds: float, p: dict[str, Any]) -> Certificate:
    enc = {k: Enclosure.of(v) for k, v in p.get("limits", {}).items() if k != "q"}
    return Certificate(p.get("outcome", NOT_CERTIFIED), fam.spec, x0, y0, h, p.get("reason", ""), bits,
                       seconds, p["steps"], p.get("step"), enc.get("ratio"), enc.get("sharpness"),
                       enc.get("imbalance"), enc.get("x"), enc.get("y"), p.get("tail"), p.get("cycle"),
                       p.get("catapult"), p.get("escape"), p.get("max_rise_upper"), dict(p.get("limits", {})))


class State:
    """The run in the coordinates where balls do not blow up: s = xy, q = x² + y², d = x² − y²
    and the signs of x and y (every ball).  In (x, y) the Jacobian's absolute values have
    spectral radius above 1 along the valley of minimisers, so naive balls grow exponentially
    even while the run converges; in (s, q) the Jacobian is nearly triangular there
    ([[1 − hS, −hℓ′], [−4hℓ″s, 1]] to first order) and the mean-value form keeps the radii flat.
    """

    def __init__(self, x0: float, y0: float) -> None:
        arb = flint_module().arb
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
        arb = flint_module().arb
        s, q, d = self.s, self.q, self.d
        g = d1(s)
        hg = h * g
        # the signs: x⁺ = x(1 − 2hgs/(q + d)), y⁺ = y(1 − 2hgs/(q − d)); from x = 0 exactly, x⁺ = −hg·y
        before = {"sx": self.sx, "sy": self.sy}
        for name, other, den in (("sx", "sy", q + d), ("sy", "sx", q - d)):
            sign = getattr(self, name)
            if sign == 0:
                if before[other] == 0 or hg.is_zero():   # at the saddle, or at a zero of l': it stays at 0
                    continue
                if not (hg > 0 or hg < 0):
                    return False
                setattr(self, name, -before[other] if hg > 0 else before[other])
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
        arb = flint_module().arb
        self.loss = fam.arb.loss
        self.l1 = self.loss(arb(1))
        self.f0 = self.loss(s0) - self.l1
        self.step: int | None = None
        self.rise = 1.0 if self.f0 > 0 else None
        self.rise_upper: float | None = 1.0 if self.f0 > 0 else None   # an upper bound of the largest rise so far

    def watch(self, t: int, s: Any) -> None:
        if self.rise is None or t == 0:   # step 0 is the start: its rise is 1 exactly (the initial bounds)
            return
        f = self.loss(s) - self.l1
        if self.rise_upper is not None:
            self.rise_upper = max(self.rise_upper, upper(f / self.f0))
        if f > self.f0:
            if self.step is None:
                self.step = t
            self.rise = max(self.rise, lower(f / self.f0))

    def upper_with_tail(self, eps: float) -> float | None:
        """An upper bound of the largest rise over the whole run, given a tail certificate with the box
        |s − 1| ≤ eps from the last step watched on: after it s_t stays in [1 − eps, 1 + eps]."""
        if self.rise_upper is None:
            return None
        arb = flint_module().arb
        return max(self.rise_upper, upper((self.loss(arb(1, eps)) - self.l1) / self.f0))

    def result(self) -> dict[str, Any] | None:
        return None if self.step is None else {"step": self.step, "rise_lower": self.rise}


def _follow(fam: Family, x0: float, y0: float, h: float, bits: int, max_steps: int, width: float,
            soundness: Soundness, rise: _Rise | None = None) -> tuple[str, dict[str, Any]]:
    """One attempt at ``bits``: ("done", payload) or ("more-bits", payload with any proof so far)."""
    arb = flint_module().arb
    d1, d2 = fam.arb.d1, fam.arb.d2
    hb = arb(h)
    curvature = d2(arb(1))
    z = State(x0, y0)
    rise = rise or _Rise(fam, z.s)
    best: dict[str, Any] | None = None
    last_why = "|s - 1| never fell below 0.5"
    next_try, tries = 0, 0
    escape_why = no_escape_reason(fam) or "the run never entered an escape region"
    can_escape = not no_escape_reason(fam)
    t = 0
    bound = run_bound(ESCAPE, x0 * x0 + y0 * y0)  # scaled by the start, as the engines' bound (issue 26)
    for t in range(max_steps + 1):
        s, q = z.s, z.q
        if not (s.is_finite() and q.is_finite()) or _too_wide(s, q, RADIUS_BITS):
            return "more-bits", {"steps": t, "best": best, "why": (
                f"the enclosure's radius grew past 2^-{RADIUS_BITS} (relative) at step {t}")}
        if best is None and can_escape and worth_trying(fam, h, float(s.mid())):
            esc, escape_why = escape_certificate(fam, hb, s, q, t)
            if esc is not None:
                return "done", {"outcome": DIVERGED, "steps": t, "step": t, "escape": esc, "reason": (
                    f"in the escape region {esc.region()} from step {t}: |s| grows by >= {esc.rate:.6g} per step")}
        if abs(s) > bound or q > bound:
            why = (f"the run is proven to leave the box |s|, q <= {bound:g} at step {t}; divergence is not "
                   f"certified ({escape_why})")
            return "done", best or {"steps": t, "reason": why}
        if best is None:
            rise.watch(t, s)
        if t >= next_try and abs(s - 1) < TRY_BELOW:
            tries += 1
            tail, why = tail_certificate(d2, hb, s, q, t, soundness)
            next_try = t + (1 if tries < TAIL_EVERY_STEP_TRIES else TAIL_STRIDE)
            if tail is None:
                last_why = why
                if (s - 1).is_zero():
                    return "done", {"steps": t, "reason": (
                        f"the run sits exactly at a minimiser from step {t} on, and it is linearly "
                        f"unstable ({why}): any perturbation leaves it; not certified as convergence")}
            else:
                limits = limit_enclosures(tail, hb, z, curvature)
                if limits:
                    # the box of the *first* tail certificate bounds s after the last step the rise watched
                    first_eps = best["first_tail_eps"] if best else tail.eps
                    best = {"outcome": CONVERGED, "steps": t, "step": t, "tail": tail, "limits": limits,
                            "reason": "", "first_tail_eps": first_eps}
                    ratio = limits["ratio"]
                    if upper(ratio) - lower(ratio) <= width * abs(float(ratio.mid())):
                        return "done", best
                    next_try = t + TAIL_STRIDE
        if best is None and t >= PERIODIC_STRIDE and t % PERIODIC_STRIDE == 0:
            done = try_periodic(fam, hb, z, t, bits)
            if done is not None:
                return "done", done
        if t == max_steps:
            break
        if not z.step(d1, d2, hb):
            return "more-bits", {"steps": t, "best": best, "why": (
                f"the sign of x or y at step {t + 1} is not decided (the ball holds 0)")}
    if best is not None:
        return "done", best
    return "done", {"steps": t, "reason": f"budget of {max_steps} steps spent without a proof "
                    f"(last tail attempt: {last_why})"}


def try_periodic(fam: Family, h: Any, z: State, t: int, bits: int) -> dict[str, Any] | None:
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
        cx, cy = gd_step(d1, h, cx, cy)
    p = period_guess(mids)
    if p is None or p == 1:
        return None
    cycle, _ = certify_cycle(fam, mids[0][0], mids[0][1], float(h.mid()), p, bits=bits)
    if cycle is None or cycle.stability != "stable":
        return None
    if not attracted(fam, h, x, y, cycle):
        return None
    return {"outcome": PERIODIC, "steps": t, "step": t, "cycle": cycle,
            "reason": f"converges to a proven stable {p}-cycle ({cycle.multipliers})"}
