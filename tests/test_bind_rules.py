"""Bindings for lrbias/gd/rules.py: every comparison of the four rules at its boundary on both sides
(exact binary fractions, so each boundary is met exactly), the schedule (:func:`due`, :func:`next_due`,
:func:`snapshot_due`) at the step before, at and after each edge, the bound's scaling and cap, the
order and masking of :func:`decide`, and every wording of :func:`reason`.

Written against the survivors of mutmut on this module (``python -m mutants.tool run lrbias/gd/rules.py``).
"""

from __future__ import annotations

import math
import sys

import flint
import mpmath
import numpy as np
import pytest

from lrbias.gd import rules
from lrbias.gd.outcome import Outcome, Settings
from lrbias.gd.rules import ARB, MPMATH, NUMPY, Limits, State

A = np.array
TOL, SADDLE, BOUND = 0.25, 0.0625, 100.0
LIM = Limits(tol=TOL, bound=BOUND, rtol=2.0 ** -10, saddle_q=SADDLE)


def test_ops_names_and_the_certain_comparisons_of_each_kind():
    """Binds the Ops' names and beyond/less/within/isfinite/and/or/any per kind (NaN counts as beyond for floats)."""
    assert (NUMPY.name, MPMATH.name, ARB.name) == ("numpy", "mpmath", "arb")
    assert NUMPY.beyond(A([1.0, 2.0, np.nan]), 1.0).tolist() == [False, True, True]
    assert NUMPY.less(A([0.5, 1.0]), 1.0).tolist() == [True, False]
    assert NUMPY.within(A([1.0, 1.5]), 1.0).tolist() == [True, False]
    assert NUMPY.any(A([False, True])) is True and NUMPY.any(A([False, False])) is False
    assert MPMATH.beyond(mpmath.nan, 1) is True and MPMATH.beyond(mpmath.mpf(1), 1) is False
    assert MPMATH.beyond(mpmath.mpf(2), 1) is True
    assert MPMATH.and_(1, 2) is True and MPMATH.and_(1, 0) is False
    assert MPMATH.or_(0, 2) is True and MPMATH.or_(0, 0) is False
    assert ARB.isfinite(flint.arb(1)) is True
    assert ARB.isfinite(flint.arb("inf")) is False and ARB.isfinite(flint.arb("-inf")) is False
    assert ARB.isfinite(flint.arb("nan")) is True
    assert ARB.isfinite(flint.arb(0, math.inf)) is True   # unknown, not infinite
    assert ARB.isfinite(flint.arb(math.inf, 1)) is True


def test_run_bound_scales_from_one_and_caps_at_the_largest_float():
    """Binds run_bound: bound × max(1, q0) for floats, ints, arrays, mpf; capped at FLOAT_MAX, no overflow warning."""
    assert rules.FLOAT_MAX == sys.float_info.max
    assert rules.run_bound(8.0, 0.5) == 8.0 and rules.run_bound(8.0, 1.0) == 8.0
    assert rules.run_bound(8.0, 1.5) == 12.0 and rules.run_bound(8.0, 3) == 24.0
    assert rules.run_bound(1e12, 1e300) == sys.float_info.max
    with np.errstate(over="raise"):
        got = rules.run_bound(8.0, A([0.5, 1.0, 1.5, 1e308]))
    assert got.tolist() == [8.0, 8.0, 12.0, sys.float_info.max]
    assert rules.run_bound(8.0, mpmath.mpf(0.5)) == 8.0 and rules.run_bound(8.0, mpmath.mpf(1.5)) == 12.0
    assert rules.run_bound(8.0, mpmath.mpf("1e400")) == sys.float_info.max


def test_limits_of_settings():
    """Binds Limits.of: tol, bound scaled by q0 (default: the bare bound), rtol, tol² computed in the kind."""
    st = Settings(tol=0.25, bound=8.0, period_rtol=2.0 ** -20)
    lim = Limits.of(st)
    assert (lim.tol, lim.bound, lim.rtol, lim.saddle_q) == (0.25, 8.0, 2.0 ** -20, 0.0625)
    assert Limits.of(st, q0=1.5).bound == 12.0
    m = Limits.of(st, mpmath.mpf, q0=3.0)
    assert isinstance(m.saddle_q, mpmath.mpf) and isinstance(m.bound, mpmath.mpf) and m.bound == 24


ST = Settings(max_steps=1003, check_every=8, period_max=8)


@pytest.mark.parametrize(("t", "want"), [
    (0, (True, False)), (1, (False, False)), (2, (False, True)), (7, (False, True)), (8, (True, True)),
    (9, (False, False)), (16, (True, False)), (127, (False, False)), (128, (True, False)),
    (129, (False, False)), (130, (False, True)), (136, (True, True)), (137, (False, False)),
    (1000, (True, False)), (1002, (False, False)), (1003, (True, False)), (1005, (False, False)),
])
def test_due_at_each_edge_of_the_schedule(t, want):
    """Binds due: check at multiples of check_every and at max_steps only; window 2..period_max after a snapshot."""
    assert rules.due(t, ST) == want


def test_next_due_and_snapshot_due():
    """Binds next_due (the first due step after t, or the last step) and snapshot_due (multiples of 128)."""
    assert [rules.next_due(t, ST) for t in (0, 1, 2, 8, 9, 120, 126, 128, 136)] == [2, 2, 3, 16, 16, 128, 128, 130,
                                                                                     144]
    assert rules.next_due(1000, ST) == 1003 and rules.next_due(999, ST) == 1000
    assert rules.next_due(1010, ST) == 1011
    assert [rules.snapshot_due(t) for t in (0, 1, 64, 127, 128, 129, 256)] == [True, False, False, False, True,
                                                                               False, True]


def test_diverged_beyond_the_bound_or_a_non_finite_slope():
    """Binds rule 1: q > bound (equal is inside), NaN q diverges, ℓ′ ±inf or NaN diverges."""
    q = A([100.0, np.nextafter(100.0, 200.0), np.nan, 1.0, 1.0, 1.0, 1.0])
    g = A([0.0, 0.0, 0.0, np.inf, -np.inf, np.nan, 5.0])
    assert rules.diverged(NUMPY, LIM, q, g).tolist() == [False, True, True, True, True, True, False]
    assert rules.diverged(MPMATH, LIM, mpmath.mpf(100), mpmath.mpf(0)) is False
    assert rules.diverged(MPMATH, LIM, mpmath.mpf(101), mpmath.mpf(0)) is True


def test_converged_each_condition_at_its_boundary():
    """Binds rule 2: |s − 1| < tol, |ℓ′| < tol (strict, both signs) and 0 < h·ℓ″(1)·q < 2 (strict)."""
    one = np.ones(12)
    s = A([1.25, 0.75, 1.125, 0.875, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0])
    g = A([0.0, 0.0, 0.0, 0.0, 0.25, -0.25, 0.125, -0.125, 0.0, 0.0, 0.0, 0.0])
    q = A([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 2.0, 1.75, -1.0])
    got = rules.converged(NUMPY, LIM, s, g, q, one * 0.5, one * 2.0)   # h·ℓ″(1)·q = q
    assert got.tolist() == [False, False, True, True, False, False, True, True, False, False, True, False]
    far = rules.converged(NUMPY, LIM, A([1.25, 3.0]), A([0.0, 0.0]), A([1.0, 1.0]), 0.5, 2.0)
    assert far.tolist() == [False, False]
    assert rules.converged(MPMATH, LIM, mpmath.mpf(1), 0, 1, 0.5, 2) is True
    assert rules.converged(MPMATH, LIM, mpmath.mpf(1), 0, 4, 0.5, 2) is False
    assert rules.converged(MPMATH, LIM, mpmath.mpf(2), 0, 1, 0.5, 2) is False


def test_stalled_near_the_saddle_and_attracted():
    """Binds rule 3: q < tol² (strict); with a snapshot, |x| <= |back x|, |y| <= |back y| (equal allowed, signs off)."""
    q = A([SADDLE, 0.03125, 0.03125, 0.03125, 0.03125, 0.03125])
    assert rules.stalled(NUMPY, LIM, q).tolist() == [False, True, True, True, True, True]
    x = A([0.1, 0.1, -0.1, 0.1, 0.1, 0.1])
    y = A([0.1, 0.1, 0.1, -0.1, 0.2, 0.1])
    back = (A([0.1, -0.1, 0.1, 0.1, 0.1, 0.05]), A([0.1, 0.1, -0.1, 0.1, 0.1, 0.1]))
    assert rules.stalled(NUMPY, LIM, q, x, y, back).tolist() == [False, True, True, True, False, False]
    grew = A([1.0]), A([1.0])
    near = A([0.03125])
    assert rules.stalled(NUMPY, LIM, near, grew[0], grew[1], None).tolist() == [True]
    assert rules.stalled(NUMPY, LIM, near, None, grew[1], (A([0.0]), A([0.0]))).tolist() == [True]
    assert rules.stalled(NUMPY, LIM, near, grew[0], None, (A([0.0]), A([0.0]))).tolist() == [True]
    assert rules.stalled(NUMPY, LIM, near, grew[0], grew[1], (A([0.0]), A([0.0]))).tolist() == [False]
    assert rules.stalled(NUMPY, LIM, A([1.0]), grew[0], grew[1], (A([2.0]), A([2.0]))).tolist() == [False]
    assert rules.stalled(MPMATH, LIM, 0.03125, 0.5, 0.5, (0.0, 0.0)) is False


def _ret(x, y, s=2.0, q=5.0, back=None, prev=None, lim=LIM):
    back = back if back is not None else (x, y)
    prev = prev if prev is not None else (x - 4096.0, y)
    return bool(rules.returned(MPMATH, lim, x, y, s, q, back, prev))


def test_returned_close_to_the_snapshot_per_coordinate_relative():
    """Binds rule 4's closeness: |x − back x| <= rtol·|x| and the same for y (equal allowed, |x| of a negative x)."""
    assert _ret(2.0, 1.0) is True
    assert _ret(2.0, 1.0, back=(2.0 - 2.0 ** -9, 1.0)) is True       # dx = rtol·|x|
    assert _ret(2.0, 1.0, back=(2.0 + 2.0 ** -9, 1.0)) is True
    assert _ret(2.0, 1.0, back=(2.0 - 2.0 ** -8, 1.0)) is False      # dx = 2·rtol·|x| (still a cycle)
    assert _ret(-2.0, 1.0, back=(-2.0 + 2.0 ** -9, 1.0)) is True
    assert _ret(2.0, 1.0, back=(2.0, 1.0 - 2.0 ** -10)) is True       # dy = rtol·|y|
    assert _ret(2.0, 1.0, back=(2.0, 1.0 - 2.0 ** -9)) is False
    assert _ret(2.0, -1.0, back=(2.0, -1.0 + 2.0 ** -10)) is True
    assert _ret(-2.0, -1.0, back=(-2.0, -1.0 - 2.0 ** -10)) is True


def test_returned_is_a_cycle_not_a_frozen_or_slowly_decaying_run():
    """Binds rule 4's cycle test: the last step moved (> 0), and |dx| + |dy| <= CYCLE_CONTRAST × the move (equal)."""
    assert rules.CYCLE_CONTRAST == 1e-6
    assert _ret(2.0, 1.0, prev=(2.0, 1.0)) is False                  # frozen: moved 0
    assert _ret(2.0, 1.0, prev=(2.0, 1.0 - 2.0 ** -30)) is True        # moved in y only
    assert _ret(2.0, 1.0, prev=(2.0 + 2.0 ** -30, 1.0)) is True        # moved in x only, the other way
    m = 2.0 ** 20
    d = rules.CYCLE_CONTRAST * m
    wide = Limits(tol=TOL, bound=1e9, rtol=1.0, saddle_q=SADDLE)
    at = dict(s=2.0, q=5.0, lim=wide)
    assert _ret(2 * d, 1.0, back=(d, 1.0), prev=(2 * d, 1.0 - m), **at) is True
    assert _ret(2 * d, 1.0, back=(np.nextafter(d, 0.0), 1.0), prev=(2 * d, 1.0 - m), **at) is False
    assert _ret(1.0, 2 * d, back=(1.0, d), prev=(1.0 - m, 2 * d), **at) is True
    assert _ret(1.0, 2 * d, back=(1.0, np.nextafter(d, 0.0)), prev=(1.0 - m, 2 * d), **at) is False
    half = d / 2
    assert _ret(2 * d, 1.0, back=(2 * d - half, 1.0 - half), prev=(2 * d, 1.0 - m), **at) is True
    assert _ret(2 * d, 1.0, back=(d, 1.0 - 2.0 ** -20), prev=(2 * d, 1.0 - m), **at) is False  # dx − dy would pass
    # the move adds both coordinates: each alone is too small
    assert _ret(2 * d, 1.0, back=(d, 1.0), prev=(2 * d - m / 2, 1.0 - m / 2), **at) is True


def test_returned_only_away_from_minimisers_and_saddle_and_inside_the_bound():
    """Binds rule 4's 'away': |s − 1| >= tol, tol² <= q <= bound (all equalities allowed)."""
    assert _ret(2.0, 1.0, s=1.25) is True and _ret(2.0, 1.0, s=0.75) is True
    assert _ret(2.0, 1.0, s=1.125) is False and _ret(2.0, 1.0, s=0.875) is False
    assert _ret(2.0, 1.0, q=SADDLE) is True and _ret(2.0, 1.0, q=0.03125) is False
    assert _ret(2.0, 1.0, q=BOUND) is True and _ret(2.0, 1.0, q=np.nextafter(BOUND, 200.0)) is False
    got = rules.returned(NUMPY, LIM, A([2.0, 2.0]), A([1.0, 1.0]), A([2.0, 1.0]), A([5.0, 5.0]),
                         (A([2.0, 2.0]), A([1.0, 1.0])), (A([1.0, 1.0]), A([1.0, 1.0])))
    assert got.tolist() == [True, False]


def _state(**kw):
    base = dict(x=A([2.0]), y=A([1.0]), s=A([2.0]), g=A([0.0]), q=A([5.0]), h=0.5, curvature=2.0)
    base.update(kw)
    return State(**base)


def test_decide_order_masks_and_periods():
    """Binds decide: rules 1–2 when checked, rule 3 only at positive multiples of 128, rule 4 in the window with a
    snapshot and a previous state; each mask holds only live runs not taken earlier; period = t − snapshot step."""
    # run 0 diverges (q beyond) and would converge too; run 1 converges; run 2 nothing
    st = _state(s=A([1.0, 1.0, 2.0]), g=A([0.0, 0.0, 0.0]), q=A([200.0, 1.0, 5.0]),
                x=A([1.0, 1.0, 2.0]), y=A([1.0, 1.0, 1.0]))
    out = rules.decide(NUMPY, LIM, 8, True, False, st, live=A([True, True, True]))
    assert [(o, m.tolist(), p) for o, m, p in out] == [(Outcome.DIVERGED, [True, False, False], 0),
                                                      (Outcome.CONVERGED, [False, True, False], 0)]
    out = rules.decide(NUMPY, LIM, 8, True, False, st, live=A([False, True, True]))
    assert [(o, m.tolist(), p) for o, m, p in out] == [(Outcome.CONVERGED, [False, True, False], 0)]
    assert rules.decide(NUMPY, LIM, 8, True, False, st, live=A([False, False, True])) == []
    assert rules.decide(NUMPY, LIM, 8, False, False, st) == []
    # the saddle: tested at 128, 256, never at 0 or 64
    sad = _state(x=A([0.0]), y=A([0.0]), s=A([0.0]), q=A([0.0]), snap=(A([0.0]), A([0.0]), 0))
    for t, want in ((0, []), (64, []), (128, [Outcome.UNDECIDED]), (256, [Outcome.UNDECIDED])):
        assert [o for o, _, _ in rules.decide(NUMPY, LIM, t, True, False, sad)] == want
    assert rules.decide(NUMPY, LIM, 128, False, False, sad) == []
    # periodic: in the window, with snapshot and previous state
    per = _state(snap=(A([2.0]), A([1.0]), 128), prev=(A([1.0]), A([1.0])))
    out = rules.decide(NUMPY, LIM, 131, False, True, per)
    assert [(o, m.tolist(), p) for o, m, p in out] == [(Outcome.PERIODIC, [True], 3)]
    assert rules.decide(NUMPY, LIM, 131, False, False, per) == []
    assert rules.decide(NUMPY, LIM, 131, False, True, _state(snap=per.snap)) == []
    assert rules.decide(NUMPY, LIM, 131, False, True, _state(prev=per.prev)) == []
    assert rules.decide(NUMPY, LIM, 131, True, True, per, live=A([False])) == []
    # scalar kind: at most one entry, the first rule that holds
    out = rules.decide(MPMATH, LIM, 8, True, False, State(x=1, y=1, s=mpmath.mpf(1), g=mpmath.inf, q=2, h=0.5,
                                                           curvature=2))
    assert [(o, m, p) for o, m, p in out] == [(Outcome.DIVERGED, True, 0)]


def test_reason_every_wording():
    """Binds reason: each outcome's sentence, the budget/stall split at max_steps, and the arb suffixes."""
    assert rules.reason(Outcome.CONVERGED, 5, None, 10) == \
        "|s-1| and |l'(s)| under tolerance at a stable minimiser after 5 steps"
    assert rules.reason(Outcome.DIVERGED, 5, None, 10) == \
        "left the bounded region (x² + y² beyond the bound, or l'(s) not finite) at step 5"
    assert rules.reason(Outcome.PERIODIC, 5, 3, 10) == "orbit of period 3 detected at step 5"
    assert rules.reason(Outcome.UNDECIDED, 10, None, 10) == "step budget of 10 spent"
    assert rules.reason(Outcome.UNDECIDED, 11, None, 10) == "step budget of 10 spent"
    assert rules.reason(Outcome.UNDECIDED, 9, None, 10) == \
        "stalled at the saddle (0, 0) at step 9: x² + y² under tol²"
    assert rules.reason(Outcome.CONVERGED, 5, None, 10, enclosure=0.001234) == \
        ("|s-1| and |l'(s)| under tolerance at a stable minimiser after 5 steps"
         " (the whole enclosure; relative radius 0.0012)")
    assert rules.reason(Outcome.PRECISION_LOST, 7, None, 10) == "enclosure too wide at step 7: no verdict"
    wide = "enclosure too wide at step 7: no verdict"
    assert rules.reason(Outcome.PRECISION_LOST, 7, None, 10, enclosure=0.5) == wide
    assert rules.reason(Outcome.PRECISION_LOST, 7, None, 10, limit=0.5) == "enclosure too wide at step 7: no verdict"
    assert rules.reason(Outcome.PRECISION_LOST, 7, None, 10, enclosure=0.12345, limit=0.01) == \
        "enclosure relative radius 0.123 passed 0.01 at step 7: no verdict"
    assert rules.reason(Outcome.PRECISION_LOST, 7, None, 10, enclosure=0.12345, limit=0.01, bits=128) == \
        "enclosure relative radius 0.123 passed 0.01 at step 7 (128 bits): no verdict"


def test_array_ops_built_afresh_for_numpy():
    """Binds array_ops itself (the module's NUMPY is built at import, before a mutant is chosen): each field."""
    import array_api_compat.numpy as xp

    ops = rules.array_ops(xp, "numpy-again")
    assert ops.name == "numpy-again"
    assert ops.abs(A([-2.0, 3.0])).tolist() == [2.0, 3.0]
    assert ops.isfinite(A([1.0, np.inf, np.nan])).tolist() == [True, False, False]
    assert ops.and_(A([True, True, False]), A([True, False, False])).tolist() == [True, False, False]
    assert ops.or_(A([True, False, False]), A([False, True, False])).tolist() == [True, True, False]
    assert ops.not_(A([True, False])).tolist() == [False, True]
    assert ops.beyond(A([0.5, 1.0, 2.0, np.nan]), 1.0).tolist() == [False, False, True, True]
    assert ops.less(A([0.5, 1.0, 2.0, np.nan]), 1.0).tolist() == [True, False, False, False]
    assert ops.within(A([0.5, 1.0, 2.0, np.nan]), 1.0).tolist() == [True, True, False, False]
    assert ops.any(A([False, True])) is True and ops.any(A([False, False])) is False


def test_decide_passes_the_point_and_the_snapshot_to_the_stall_rule():
    """Binds decide's call of rule 3 with x, y and the snapshot: a run near the saddle whose |x| (or |y|) grew
    since the snapshot is leaving it, not stalled; one that shrank in both is stalled."""
    snap = (A([0.01, 0.01, 0.01]), A([0.01, 0.01, 0.01]), 0)
    st = _state(x=A([0.02, 0.005, 0.005]), y=A([0.005, 0.02, 0.005]), s=A([1e-4, 1e-4, 2.5e-5]),
                q=A([4.25e-4, 4.25e-4, 5e-5]), snap=snap)
    out = rules.decide(NUMPY, LIM, 128, True, False, st)
    assert [(o, m.tolist(), p) for o, m, p in out] == [(Outcome.UNDECIDED, [False, False, True], 0)]
