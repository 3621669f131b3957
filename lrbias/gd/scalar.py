"""One-trajectory engines: mpmath at any precision (with ``auto`` precision) and arb balls.

Both step one run in one loop (``_walk``, over a ``_Kind`` of number) and ask
:func:`lrbias.gd.rules.decide` at every step, as the batched engine does for many: the same
rules, schedule and reason texts.  What the kinds differ in are the loop's hooks: arb skips the
periodic rule and has a precision guard; each engine builds its own record.  mpmath: ``run_mp(..., dps)`` at a
fixed precision; ``run_auto`` doubles the precision until two successive precisions agree on
the outcome and on the final point.  arb: every step is a ball enclosure and a rule holds only
when it holds for the whole ball; when the enclosure's relative radius passes
``max_rel_radius`` the run stops with outcome ``precision-lost`` at that step, never with a
number that the ball does not support.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import mpmath

from lrbias.errors import InvalidArgument
from lrbias.gd import objective, rules
from lrbias.gd.outcome import Outcome, RunRecord, Settings, check_start, rise_ratio
from lrbias.gd.vectorised import run_batch
from lrbias.losses.families import Derivatives, Family

AUTO_START_DPS = 25
AUTO_MAX_DPS = 1600


def _record(family: Family, x0: float, y0: float, h: float, oc: Outcome, reason: str, steps: int,
            x: Any, y: Any, fmax_ratio: float | None, fmax_step: int, precision: str,
            period: int | None = None, extra: dict | None = None) -> RunRecord:
    xf = float(x) if x is not None and oc != Outcome.DIVERGED else None
    yf = float(y) if y is not None and oc != Outcome.DIVERGED else None
    sharp = ratio = imb = gap2 = None
    if xf is not None and yf is not None and math.isfinite(xf) and math.isfinite(yf):
        with mpmath.workdps(max(mpmath.mp.dps, 30)):
            _, hi = objective.hessian_eigenvalues(family, mpmath.mpf(x), mpmath.mpf(y), backend="mpmath")
            sharp = float(hi)
        ratio = sharp * h / 2
        imb, gap2 = xf * xf - yf * yf, (xf - yf) ** 2
    return RunRecord(x0=x0, y0=y0, h=h, C=h * (x0 * x0 + y0 * y0), outcome=str(oc), reason=reason,
                     steps=steps, x=xf, y=yf, sharpness=sharp, ratio=ratio, imbalance=imb, gap2=gap2,
                     fmax_ratio=fmax_ratio, fmax_step=fmax_step, period=period, precision=precision,
                     extra=extra or {})


@dataclass(frozen=True)
class _Kind:
    """What the one scalar loop (:func:`_walk`) needs of a kind of number: its rule operations,
    the constructor from a float (exact for binary floats), the family's callables, whether the
    periodic rule is tested, a number as a float for trajectories, and an optional guard that
    ends the run as ``precision-lost`` (called every step with the point and whether a rule fired).
    """

    ops: rules.Ops
    num: Callable[[float], Any]
    funcs: Derivatives
    periodic: bool
    to_float: Callable[[Any], float]
    lost: Callable[[Any, Any, bool], bool] | None = None


@dataclass(frozen=True)
class _Walk:
    """How one scalar run ended: outcome, step, period (0 if none), last point, f0 and the loss maximum."""

    outcome: Outcome
    steps: int
    period: int
    x: Any
    y: Any
    f0: Any
    fmax: Any
    fmax_step: int
    trajectory: list[list[float]] | None


def _walk(kind: _Kind, x0: float, y0: float, h: float, st: Settings) -> _Walk:
    """GD from (x0, y0) with step h in ``kind``'s numbers until a rule (or the guard) decides: the
    one step loop of the scalar engines, at the precision in force at the call."""
    d1, loss, num, ops = kind.funcs.d1, kind.funcs.loss, kind.num, kind.ops
    periodic, lost, to_float = kind.periodic, kind.lost, kind.to_float
    one = num(1)
    l1, curvature = loss(one), kind.funcs.d2(one)
    lim = rules.Limits.of(st, num, q0=float(x0) * float(x0) + float(y0) * float(y0))
    x, y, hn = num(x0), num(y0), num(h)
    f0 = loss(x * y) - l1
    fmax, fmax_step = f0, 0
    snap: tuple[Any, Any, int] | None = None
    prev = (x, y)
    traj: list[list[float]] | None = [] if st.record_every else None
    oc, period = Outcome.UNDECIDED, 0
    t = 0
    for t in range(st.max_steps + 1):
        s = x * y
        g = d1(s)
        if t > 0:
            f = loss(s) - l1
            if f > fmax:
                fmax, fmax_step = f, t
        check, window = rules.due(t, st)
        window = window and periodic
        decided: list[tuple[Outcome, Any, int]] = []
        if check or window:
            state = rules.State(x, y, s, g, x * x + y * y, hn, curvature, snap, prev)
            decided = rules.decide(ops, lim, t, check, window, state)
        if lost is not None and lost(x, y, bool(decided)):
            oc = Outcome.PRECISION_LOST
            break
        if traj is not None and t % st.record_every == 0:
            _append_finite(traj, to_float(x), to_float(y))
        if decided:
            oc, _, period = decided[0]
            break
        if t == st.max_steps:
            break
        if rules.snapshot_due(t):  # also the saddle rule's reference, so taken by every kind
            snap = (x, y, t)
        if periodic:
            prev = (x, y)
        hg = hn * g
        x, y = x - hg * y, y - hg * x
    return _Walk(oc, t, period, x, y, f0, fmax, fmax_step, traj)


def run_mp(family: Family, x0: float, y0: float, h: float, dps: int = 50,
           settings: Settings | None = None) -> RunRecord:
    """GD in mpmath at ``dps`` decimal digits (the start and h are taken as exact binary floats)."""
    st = settings or Settings()
    check_start(x0, y0, h)
    if not (isinstance(dps, int) and 15 <= dps <= 100_000):
        raise InvalidArgument(f"precision of {dps} digits is invalid; accepted: 15..100000")
    with mpmath.workdps(dps):
        kind = _Kind(ops=rules.MPMATH, num=mpmath.mpf, funcs=family.mp, periodic=True, to_float=float)
        w = _walk(kind, x0, y0, h, st)
        rec = _record(family, x0, y0, h, w.outcome, rules.reason(w.outcome, w.steps, w.period, st.max_steps),
                      w.steps, w.x, w.y, rise_ratio(w.fmax, w.f0), w.fmax_step, f"mp:{dps}", w.period or None)
        rec.trajectory = w.trajectory
        return rec


def _append_finite(traj: list[list[float]], x: float, y: float) -> None:
    """Record (x, y) unless a coordinate is beyond float range (as the batched engine drops them)."""
    if math.isfinite(x) and math.isfinite(y):
        traj.append([x, y])


def agree(a: RunRecord, b: RunRecord, rtol: float = 1e-8) -> bool:
    """Whether two runs of one start reach the same verdict.

    Same outcome always; periodic runs also the same period; converged and periodic runs also
    the same final point to ``rtol`` (relative to 1 + |x| + |y|).  The last point of an
    undecided or diverged run is not a verdict (after a spent budget on a chaotic orbit it
    differs at every precision), so it is not compared.
    """
    if a.outcome != b.outcome or a.period != b.period:
        return False
    if a.outcome not in (str(Outcome.CONVERGED), str(Outcome.PERIODIC)):
        return True
    if a.x is None or b.x is None or a.y is None or b.y is None:
        return a.x is None and b.x is None
    scale = 1 + abs(a.x) + abs(a.y)
    return abs(a.x - b.x) <= rtol * scale and abs(a.y - b.y) <= rtol * scale


def run_auto(family: Family, x0: float, y0: float, h: float, settings: Settings | None = None,
             start_dps: int = AUTO_START_DPS, max_dps: int = AUTO_MAX_DPS) -> RunRecord:
    """Run at start_dps, 2·start_dps, … until two successive precisions agree (then report the higher).

    If they never agree up to ``max_dps``, the result is ``undecided`` with the reason saying so.
    """
    previous = run_mp(family, x0, y0, h, start_dps, settings)
    seen = {str(start_dps): previous.outcome}
    dps = start_dps
    while dps * 2 <= max_dps:
        dps *= 2
        current = run_mp(family, x0, y0, h, dps, settings)
        seen[str(dps)] = current.outcome
        if agree(previous, current):
            current.precision = f"auto:{dps // 2}/{dps}"
            current.extra["agreed_at_digits"] = [dps // 2, dps]
            return current
        previous = current
    previous.extra["precision_disagreement"] = True
    previous.extra["outcome_by_digits"] = seen
    previous.outcome = str(Outcome.UNDECIDED)
    previous.reason = (f"precisions {start_dps}..{dps} digits did not agree on the outcome or the "
                       f"final point: no verdict")
    previous.precision = f"auto:>{dps}"
    return previous


def run_arb(family: Family, x0: float, y0: float, h: float, bits: int = 256,
            settings: Settings | None = None, max_rel_radius: float = 1e-6) -> RunRecord:
    """GD in python-flint ball arithmetic at ``bits`` of precision.

    The rules diverged / converged / stalled are those of :mod:`lrbias.gd.rules` with certain
    comparisons (:data:`lrbias.gd.rules.ARB`): one holds only when it holds for the whole
    enclosure, and such a verdict stands whatever the ball's width.  Otherwise this engine's own
    precision check applies: a ball whose relative radius exceeds ``max_rel_radius`` ends the run
    as ``precision-lost`` at that step, with no final point.  A recorded trajectory holds the ball
    midpoints up to the last step whose balls were still within ``max_rel_radius``.  Periodic
    orbits are not searched for (a ball can never prove that x_t equals x_(t-p), and the long
    horizons where cycles settle blow the balls up): this is the short-horizon rigorous tier, and
    a long run ends ``precision-lost`` or ``undecided``, never with a wrong verdict.
    """
    st = settings or Settings()
    check_start(x0, y0, h)
    if not (isinstance(bits, int) and 53 <= bits <= 1_000_000):
        raise InvalidArgument(f"arb precision of {bits} bits is invalid; accepted: 53..1000000")
    import flint

    old = flint.ctx.prec
    flint.ctx.prec = bits
    try:
        guard = _Enclosure(bits, max_rel_radius)
        kind = _Kind(ops=rules.ARB, num=flint.arb, funcs=family.arb, periodic=False,
                     to_float=lambda v: float(v.mid()), lost=guard.lost)
        w = _walk(kind, x0, y0, h, st)
        x, y, oc = w.x, w.y, w.outcome
        radius = max(_rel_radius(x), _rel_radius(y))
        if oc == Outcome.PRECISION_LOST:
            why = rules.reason(oc, w.steps, None, st.max_steps, enclosure=guard.radius, limit=max_rel_radius,
                               bits=bits)
        else:
            why = rules.reason(oc, w.steps, None, st.max_steps, enclosure=radius)
        ok = oc in (Outcome.CONVERGED, Outcome.UNDECIDED)
        ratio = float((w.fmax / w.f0).mid()) if ok and w.f0 > 0 else None
        rec = _record(family, x0, y0, h, oc, why, w.steps, x.mid() if ok else None,
                      y.mid() if ok else None, ratio, w.fmax_step, f"arb:{bits}",
                      extra={"final_relative_radius": radius,
                             "min_accuracy_bits": int(guard.min_bits),
                             "final_x": x.str(radius=True) if ok else None,
                             "final_y": y.str(radius=True) if ok else None})
        rec.trajectory = w.trajectory
        return rec
    finally:
        flint.ctx.prec = old


class _Enclosure:
    """arb's precision guard: a run whose balls' relative radius passes ``max_rel_radius`` (at a
    step where no rule fired) is lost; it also keeps the least relative accuracy seen, in bits."""

    def __init__(self, bits: int, max_rel_radius: float) -> None:
        self.limit = max_rel_radius
        self.need_bits = math.ceil(-math.log2(max_rel_radius))  # below this the radius is measured
        self.min_bits = bits
        self.radius = 0.0   # the last radius measured: the reason's figure when the run is lost

    def lost(self, x: Any, y: Any, decided: bool) -> bool:
        """Whether the run is lost at this step (the guard of :class:`_Kind`)."""
        acc = min(x.rel_accuracy_bits(), y.rel_accuracy_bits())
        self.min_bits = min(self.min_bits, acc)
        if not decided and acc < self.need_bits:
            self.radius = max(_rel_radius(x), _rel_radius(y))
            return self.radius > self.limit
        return False


PRECISION_KINDS = ("float64", "quad", "mp", "auto", "arb")


def run_one(family: Family, x0: float, y0: float, h: float, kind: str = "float64", value: int = 0,
            settings: Settings | None = None) -> RunRecord:
    """One run on the engine named by ``kind``: 'float64' or 'quad' (the batched engine on one start),
    'mp' (``value`` digits), 'auto' (adaptive mpmath) or 'arb' (``value`` bits)."""
    if kind in ("float64", "quad"):
        backend = "numpy" if kind == "float64" else "quad"
        return run_batch(family, [x0], [y0], h=[h], settings=settings, backend=backend).records()[0]
    if kind == "mp":
        return run_mp(family, x0, y0, h, value, settings)
    if kind == "auto":
        return run_auto(family, x0, y0, h, settings)
    if kind == "arb":
        return run_arb(family, x0, y0, h, value, settings)
    raise InvalidArgument(f"engine {kind!r} is unknown; accepted: {', '.join(PRECISION_KINDS)}")


def _rel_radius(v: Any) -> float:
    """Radius over |midpoint| of an arb ball, computed in arb (no float overflow for huge balls); ∞ when
    the ball is unbounded or straddles 0 with a nonzero radius."""
    mid, rad = abs(v.mid()), v.rad()
    if not (mid.is_finite() and rad.is_finite()):
        return math.inf
    if rad == 0:
        return 0.0
    if mid == 0:
        return math.inf
    return float((rad / mid).mid())
