"""The stopping rules of every GD engine, stated once.

Every engine steps (x, y) ← (x − hℓ′(s)y, y − hℓ′(s)x), s = xy, q = x² + y², and asks
:func:`decide` which runs the rules settle at step t.  In order (the first rule that holds
decides a run):

1. **diverged** — q beyond ``bound`` × max(1, q₀) (:func:`run_bound`: the bound scales with the
   start, so every accepted start, up to |x0|, |y0| ~ 1e154, begins well inside it), or ℓ′(s) not
   finite.  |s| ≤ q/2, so the bound on q bounds s as well;
2. **converged** — |s − 1| < tol and |ℓ′(s)| < tol at a *stable* minimiser: 0 < h·ℓ″(1)·q < 2
   (q is the sharpness of f at a minimiser over ℓ″(1));
3. **stalled at the saddle** — q < tol² and attracted there (neither |x| nor |y| grew since the
   last snapshot, PERIOD_CHECK_EVERY steps ago); (0, 0) is a fixed point, so the run ends undecided;
4. **returned** (periodic) — back within ``period_rtol`` (relative, per coordinate) of the
   snapshot p steps ago, 2 ≤ p ≤ ``period_max``, off the minimisers (|s − 1| ≥ tol), off the
   saddle and inside the bound, and a cycle rather than a slowly decaying oscillation: the
   distance to the snapshot is at most CYCLE_CONTRAST times the distance moved by the last step,
   which must be positive: a run whose step is below the resolution of its numbers is *frozen*
   (x − hℓ′(s)y == x), not periodic; it ends undecided, and the tiers escalate it to quad or mpmath.

Schedule (:func:`due`): rules 1–2 at every ``check_every``-th step and at the last one, rule 3
at those of them that are positive multiples of PERIOD_CHECK_EVERY (never at step 0: a start
near the saddle with a huge h leaves it in one step); a snapshot is taken every
PERIOD_CHECK_EVERY steps (after the rules, :func:`snapshot_due`) and rule 4 is tested at
2..period_max steps after it.
A run still live after the last step is undecided (budget spent).  :func:`reason` is the one
wording of every outcome.

The rules are written against an :class:`Ops` of one kind of number: numpy arrays and torch
tensors (one namespace through ``array_api_compat``; masks), mpmath numbers and arb balls
(python bools).  Comparisons are *certain*: ``beyond(a, b)`` holds when a > b is sure, for
floats ``not a <= b`` (so NaN counts as beyond: an overflow diverges), for arb balls the whole
ball above b; ``less(a, b)`` and ``within(a, b)`` when a < b, a ≤ b is sure (never for NaN;
for arb the whole ball).
So an arb verdict is one the enclosure proves.  The arb engine adds its own precision check
and does not search for periodic orbits (see :func:`lrbias.gd.scalar.run_arb`).
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import array_api_compat.numpy as xp_numpy
import mpmath
import numpy as np

from lrbias.gd.outcome import Outcome, Settings

PERIOD_CHECK_EVERY = 128   # snapshot interval of the periodic search; stall tests at its multiples
COMPACT_EVERY = 64         # batched engines: drop decided runs from the arrays at least this often
CYCLE_CONTRAST = 1e-6      # periodic only if |z_t − z_(t−p)| <= this × |z_t − z_(t−1)|


@dataclass(frozen=True)
class Ops:
    """The operations the rules use, for one kind of number (see the module docstring)."""

    name: str
    abs: Callable[[Any], Any]
    isfinite: Callable[[Any], Any]      # False only where the value is certainly not finite
    and_: Callable[[Any, Any], Any]
    or_: Callable[[Any, Any], Any]
    not_: Callable[[Any], Any]
    beyond: Callable[[Any, Any], Any]   # certainly a > b (floats: not a <= b, NaN included)
    less: Callable[[Any, Any], Any]     # certainly a < b (floats: a < b, NaN excluded)
    within: Callable[[Any, Any], Any]   # certainly a <= b (floats: a <= b, NaN excluded)
    any: Callable[[Any], bool]          # whether any entry holds (a python bool)


def array_ops(xp: Any, name: str) -> Ops:
    """Ops on the arrays of an array-API namespace ``xp`` (array_api_compat's numpy or torch)."""
    return Ops(name=name, abs=xp.abs, isfinite=xp.isfinite, and_=xp.logical_and, or_=xp.logical_or,
               not_=xp.logical_not, beyond=lambda a, b: xp.logical_not(a <= b), less=operator.lt,
               within=operator.le, any=_any_method)


def _any_method(mask: Any) -> bool:
    """``mask.any()``, a method of numpy arrays and torch tensors alike; measured faster than the
    namespace functions (1000 bools: 1.5 µs against 4.0 µs for np.any, 6.5 µs for array_api_compat's torch any)."""
    return bool(mask.any())


def _and(a: bool, b: bool) -> bool:
    return bool(a and b)


def _or(a: bool, b: bool) -> bool:
    return bool(a or b)


def _not_beyond(a: Any, b: Any) -> bool:
    return not a <= b


def _arb_isfinite(a: Any) -> bool:
    """False only for a ball that is certainly not a finite real (an exact ±∞).

    A ball of infinite radius is unknown, not infinite: it is the precision check's business.
    """
    return bool(a.is_finite() or a.is_nan() or not a.rad() == 0)


NUMPY = array_ops(xp_numpy, "numpy")
MPMATH = Ops(name="mpmath", abs=abs, isfinite=mpmath.isfinite, and_=_and, or_=_or, not_=operator.not_,
             beyond=_not_beyond, less=operator.lt, within=operator.le, any=bool)
ARB = Ops(name="arb", abs=abs, isfinite=_arb_isfinite, and_=_and, or_=_or, not_=operator.not_,
          beyond=operator.gt, less=operator.lt, within=operator.le, any=bool)


@functools.cache
def torch_ops() -> Ops:
    """Ops on torch tensors (imports torch on first use)."""
    import array_api_compat.torch as xp_torch

    return array_ops(xp_torch, "torch")


FLOAT_MAX = 1.7976931348623157e308


def run_bound(bound: float, q0: Any) -> Any:
    """The divergence bound of a run from q0 = x0² + y0²: ``bound`` × max(1, q0), at most the largest float.

    A fixed bound would call a start beyond it "diverged" at step 0 (issue 26: (1e16, 1e-16) sits on
    a stable minimiser); scaled by the start, diverged means "grew ``bound``-fold", and q overflowing
    to ∞ (beyond the largest float) still diverges.  Elementwise for arrays, with python floats as is.
    """
    if isinstance(q0, float | int):
        return min(bound * max(1.0, float(q0)), FLOAT_MAX)
    with np.errstate(over="ignore"):
        scaled = q0 * bound
    return scaled.clip(bound, FLOAT_MAX) if hasattr(scaled, "clip") else min(max(scaled, bound), FLOAT_MAX)


@dataclass(frozen=True)
class Limits:
    """The thresholds of :class:`Settings` as numbers of the engine's kind (floats, mpf, arb)."""

    tol: Any
    bound: Any
    rtol: Any
    saddle_q: Any   # tol²

    @classmethod
    def of(cls, st: Settings, num: Callable[[float], Any] = float, q0: float = 0.0) -> Limits:
        """``st``'s thresholds converted by ``num`` (tol² is computed in that kind), the bound for a
        start with x0² + y0² = ``q0`` (:func:`run_bound`)."""
        tol = num(st.tol)
        return cls(tol=tol, bound=num(run_bound(st.bound, q0)), rtol=num(st.period_rtol), saddle_q=tol * tol)


def due(t: int, st: Settings) -> tuple[bool, bool]:
    """(check, window) at step t: whether rules 1–3 and rule 4 are tested (see the schedule).

    The window is counted from the last snapshot (period_max <= 64 < PERIOD_CHECK_EVERY).
    """
    return t % st.check_every == 0 or t == st.max_steps, 2 <= t % PERIOD_CHECK_EVERY <= st.period_max


def next_due(t: int, st: Settings) -> int:
    """The first step after t at which a rule is tested (:func:`due`), or the last step: how far a
    fused kernel may run without the rules looking."""
    u = t + 1
    while u < st.max_steps and not any(due(u, st)):
        u += 1
    return u


def snapshot_due(t: int) -> bool:
    """Whether the periodic search takes its snapshot at step t (after the rules)."""
    return t % PERIOD_CHECK_EVERY == 0


def diverged(ops: Ops, lim: Limits, q: Any, g: Any) -> Any:
    """Rule 1: q beyond the bound, or ℓ′(s) not finite."""
    return ops.or_(ops.beyond(q, lim.bound), ops.not_(ops.isfinite(g)))


def converged(ops: Ops, lim: Limits, s: Any, g: Any, q: Any, h: Any, curvature: Any) -> Any:
    """Rule 2: |s − 1| < tol and |ℓ′(s)| < tol, at a stable minimiser 0 < h·ℓ″(1)·q < 2."""
    near = ops.less(ops.abs(s - 1), lim.tol)
    if not ops.any(near):   # the common case: skip the rest
        return near
    hs = h * curvature * q
    return ops.and_(ops.and_(near, ops.less(ops.abs(g), lim.tol)), ops.and_(ops.less(0, hs), ops.less(hs, 2)))


def stalled(ops: Ops, lim: Limits, q: Any, x: Any = None, y: Any = None,
            back: tuple[Any, ...] | None = None) -> Any:
    """Rule 3: q < tol², at the saddle (0, 0), and attracted by it: neither |x| nor |y| grew since the
    snapshot ``back`` (a run leaving the saddle along its unstable direction, e.g. from (1e-60, 1e-60),
    is not stalled however small it still is)."""
    near = ops.less(q, lim.saddle_q)
    if back is None or x is None or y is None or not ops.any(near):
        return near
    return ops.and_(near, ops.and_(ops.within(ops.abs(x), ops.abs(back[0])), ops.within(ops.abs(y), ops.abs(back[1]))))


def returned(ops: Ops, lim: Limits, x: Any, y: Any, s: Any, q: Any, back: tuple[Any, Any],
             prev: tuple[Any, Any]) -> Any:
    """Rule 4: (x, y) back at the snapshot ``back`` as a cycle; ``prev`` is the state one step ago."""
    dx, dy = ops.abs(x - back[0]), ops.abs(y - back[1])
    close = ops.and_(ops.within(dx, lim.rtol * ops.abs(x)), ops.within(dy, lim.rtol * ops.abs(y)))
    moved = ops.abs(x - prev[0]) + ops.abs(y - prev[1])
    # a frozen run (its step below the numbers' resolution: x − hℓ′y == x) is no orbit: it stays undecided
    cycle = ops.and_(ops.less(0, moved), ops.within(dx + dy, CYCLE_CONTRAST * moved))
    away = ops.and_(ops.within(lim.tol, ops.abs(s - 1)),  # not at a minimiser, not at the saddle, bounded
                    ops.and_(ops.within(lim.saddle_q, q), ops.within(q, lim.bound)))
    return ops.and_(ops.and_(close, cycle), away)


@dataclass(slots=True)
class State:
    """What the rules read at step t: the point, s, ℓ′(s), q, the step size and ℓ″(1).

    ``snap`` is the periodic snapshot (x, y, step) or None, ``prev`` the state one step ago;
    both are needed only when the periodic window is open.
    """

    x: Any
    y: Any
    s: Any
    g: Any
    q: Any
    h: Any
    curvature: Any
    snap: tuple[Any, Any, int] | None = None
    prev: tuple[Any, Any] | None = None


def decide(ops: Ops, lim: Limits, t: int, check: bool, window: bool, state: State,
           live: Any = True) -> list[tuple[Outcome, Any, int]]:
    """The runs the rules settle at step t: (outcome, mask, period) per rule that fired, in order.

    ``check``/``window`` come from :func:`due`.  Each mask holds only runs that are ``live`` and
    not taken by an earlier rule; for scalar kinds ``live`` is True and at most one entry
    returns.  ``period`` is 0 except for PERIODIC.  Runs still live after the last step are
    the engine's to end as UNDECIDED.
    """
    s = state
    fired: list[tuple[Outcome, Any, int]] = []
    if check:
        fired.append((Outcome.DIVERGED, diverged(ops, lim, s.q, s.g), 0))
        fired.append((Outcome.CONVERGED, converged(ops, lim, s.s, s.g, s.q, s.h, s.curvature), 0))
        if t > 0 and t % PERIOD_CHECK_EVERY == 0:  # never before a step: the first one may leave the saddle
            fired.append((Outcome.UNDECIDED, stalled(ops, lim, s.q, s.x, s.y, s.snap), 0))
    if window and s.snap is not None and s.prev is not None:
        fired.append((Outcome.PERIODIC, returned(ops, lim, s.x, s.y, s.s, s.q, s.snap[:2], s.prev), t - s.snap[2]))
    out: list[tuple[Outcome, Any, int]] = []
    for outcome, mask, period in fired:
        if ops.any(mask):
            mask = ops.and_(mask, live)
            if ops.any(mask):
                out.append((outcome, mask, period))
                live = ops.and_(live, ops.not_(mask))
    return out


def reason(outcome: Outcome, steps: int, period: int | None, max_steps: int, *,
           enclosure: float | None = None, limit: float | None = None, bits: int | None = None) -> str:
    """The one wording of how a run ended.

    An undecided run that stopped before ``max_steps`` stalled at the saddle; one that reached
    it spent the budget.  arb runs pass ``enclosure`` (the final relative radius), and for
    ``precision-lost`` also ``limit`` (max_rel_radius) and ``bits``.
    """
    if outcome == Outcome.PRECISION_LOST:
        if enclosure is None or limit is None:
            return f"enclosure too wide at step {steps}: no verdict"
        return (f"enclosure relative radius {enclosure:.3g} passed {limit:g} at step {steps}"
                + (f" ({bits} bits)" if bits is not None else "") + ": no verdict")
    text = {
        Outcome.CONVERGED: f"|s-1| and |l'(s)| under tolerance at a stable minimiser after {steps} steps",
        Outcome.DIVERGED: f"left the bounded region (x² + y² beyond the bound, or l'(s) not finite) at step {steps}",
        Outcome.PERIODIC: f"orbit of period {period} detected at step {steps}",
        Outcome.UNDECIDED: (f"step budget of {max_steps} spent" if steps >= max_steps else
                            f"stalled at the saddle (0, 0) at step {steps}: x² + y² under tol²"),
    }[outcome]
    if enclosure is not None:
        text += f" (the whole enclosure; relative radius {enclosure:.2g})"
    return text
