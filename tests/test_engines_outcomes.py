"""Outcomes of the batched float64 engine against a scalar reference loop and known orbits.

The reference loop below applies the decision rules of :class:`Settings` one python float at a
time; the batched engine (chunks, compaction, masks) must reproduce it exactly.
"""

from __future__ import annotations

import json
import math
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrbias.gd import Outcome, Settings, run_batch, run_mp
from lrbias.gd.outcome import rise_ratio
from lrbias.gd.rules import PERIOD_CHECK_EVERY
from lrbias.losses.families import Derivatives, get_family

SQUARE = get_family("square")
LOGCOSH = get_family("logcosh")


def reference(fam, x0: float, y0: float, h: float,
              st: Settings) -> tuple[str, int, float | None, float | None]:
    """(outcome, step, x, y) of one run by the documented rules, in python floats."""
    x, y, h = float(x0), float(y0), float(h)
    snap, snap_t = None, -1
    bound = min(st.bound * max(1.0, x * x + y * y), 1.7976931348623157e308)  # scaled by the start (issue 26)
    prev = (x, y)
    for t in range(st.max_steps + 1):
        s = x * y
        g = float(fam.np.d1(np.array([s]))[0])
        q = x * x + y * y
        check = t % st.check_every == 0 or t == st.max_steps
        if check and (not (q <= bound) or not math.isfinite(g)):
            return "diverged", t, None, None
        if check and abs(s - 1) < st.tol and abs(g) < st.tol and 0 < h * fam.curvature * q < 2:
            return "converged", t, x, y
        if check and t % PERIOD_CHECK_EVERY == 0 and q < st.tol**2 and t > 0 \
                and abs(x) <= abs(snap[0]) and abs(y) <= abs(snap[1]):  # attracted by the saddle
            return "undecided", t, x, y
        if snap is not None and 2 <= t - snap_t <= st.period_max and abs(s - 1) >= st.tol \
                and st.tol**2 <= q <= bound and abs(x - snap[0]) <= st.period_rtol * abs(x) \
                and abs(y - snap[1]) <= st.period_rtol * abs(y) and (x, y) != prev:  # a moving orbit
            return "periodic", t, x, y
        if t == st.max_steps:
            return "undecided", t, x, y
        if t % PERIOD_CHECK_EVERY == 0:
            snap, snap_t = (x, y), t
        hg = h * g
        prev = (x, y)
        x, y = x - hg * y, y - hg * x
    raise AssertionError("unreachable")


def mismatches(fam_run, fam_ref, x0, y0, h, st: Settings) -> list[int]:
    """Indices where the batched engine (on ``fam_run``) differs from the reference (on ``fam_ref``)."""
    res = run_batch(fam_run, x0, y0, h=h, settings=st, chunk_size=5)
    bad = []
    for i, rec in enumerate(res.records()):
        oc, t, x, y = reference(fam_ref, x0[i], y0[i], h[i], st)
        same = rec.outcome == oc and rec.steps == t
        if same and x is not None and oc == "converged":
            same = abs(rec.x - x) <= 1e-12 * (1 + abs(x)) and abs(rec.y - y) <= 1e-12 * (1 + abs(y))
        if not same:
            bad.append(i)
    return bad


MIXED_X0 = np.array([2.0, 1.7, -1.3, 0.4, 3.0, 1.0, 0.9, 2.5, -0.7, 1.2, 1.3, 2.0])
MIXED_Y0 = np.array([0.3, 0.4, 1.3, 2.2, 3.1, 1.0, -0.5, 0.1, -2.0, 1.2, 1.3, 0.3])
MIXED_H = np.array([0.05, 0.3, 0.2, 0.12, 0.9, 0.6, 0.25, 0.45, 0.08, 0.7, 1.1, 0.0004])


@pytest.mark.parametrize("spec", ["square", "logcosh", "softplus-pair:a=0.5"])
def test_batched_equals_reference_on_a_mixed_set(spec):
    """Converged, diverged, periodic, stalled and budget-spent runs, chunked and compacted."""
    fam = get_family(spec)
    st_ = Settings(max_steps=3000)
    assert mismatches(fam, fam, MIXED_X0, MIXED_Y0, MIXED_H, st_) == []
    if spec == "square":
        res = run_batch(fam, MIXED_X0, MIXED_Y0, h=MIXED_H, settings=st_)
        outcomes = {str(Outcome(o)) for o in res.outcome}
        assert outcomes == {"converged", "diverged", "periodic", "undecided"}


@given(st.lists(st.tuples(st.floats(-3, 3), st.floats(-3, 3), st.floats(0.01, 3.0)), min_size=1,
                max_size=12), st.sampled_from([1, 8, 32]))
@settings(max_examples=30, deadline=None)
def test_batched_equals_reference_property(starts, every):
    x0, y0, kappa = (np.array(v) for v in zip(*starts, strict=True))
    far = np.abs(x0) + np.abs(y0) > 0.05
    x0, y0 = np.where(far, x0, 1.0), np.where(far, y0, 0.5)
    h = kappa / (LOGCOSH.curvature * (x0 * x0 + y0 * y0))
    st_ = Settings(max_steps=1500, check_every=every)
    assert mismatches(LOGCOSH, LOGCOSH, x0, y0, h, st_) == []


def test_the_reference_property_catches_a_wrong_engine():
    """A mutant whose ℓ′ is 0.1 % too large is caught by the same comparison."""
    np_ = LOGCOSH.np
    mutant = SimpleNamespace(spec="mutant", min_value=LOGCOSH.min_value, curvature=LOGCOSH.curvature,
                             np=Derivatives(np_.loss, lambda s: 1.001 * np_.d1(s), np_.d2, np_.d3))
    bad = mismatches(mutant, LOGCOSH, MIXED_X0, MIXED_Y0, MIXED_H, Settings(max_steps=3000))
    assert len(bad) >= 3


def test_square_small_C_converges_with_monotone_loss_and_balancing():
    res = run_batch(SQUARE, [2.5, 0.4], [0.2, 3.0], C=0.3, settings=Settings(record_every=1))
    for rec in res.records():
        assert rec.outcome == "converged" and rec.fmax_step == 0
        traj = np.array(rec.trajectory)
        loss = (1 - traj[:, 0] * traj[:, 1]) ** 2 / 2
        assert np.all(np.diff(loss) <= 0)
        assert abs(rec.imbalance) < abs(rec.x0**2 - rec.y0**2)
        assert rec.ratio <= 1


@given(st.floats(0.2, 3.0), st.floats(0.01, 1.0))
@settings(max_examples=20, deadline=None)
def test_start_on_y_equals_minus_x_never_reaches_the_minimisers(x0, kappa):
    h = kappa / (SQUARE.curvature * 2 * x0 * x0)
    rec = run_batch(SQUARE, [x0], [-x0], h=h, settings=Settings(max_steps=2000)).records()[0]
    assert rec.outcome != "converged"
    if rec.x is not None:
        assert rec.y == -rec.x and rec.x * rec.y <= 0
    mp = run_mp(SQUARE, x0, -x0, h, 30, Settings(max_steps=300))
    assert mp.outcome != "converged"


def test_saddle_stall_is_undecided_with_its_reason():
    rec = run_batch(SQUARE, [1.0], [-1.0], h=0.1).records()[0]
    assert rec.outcome == "undecided" and "saddle" in rec.reason and rec.steps < 20_000


@given(st.sampled_from(["square", "logcosh", "softplus-pair:a=0.5", "pseudo-huber"]),
       st.floats(1.0001, 4.0), st.floats(-3, 3), st.floats(-3, 3))
@settings(max_examples=40, deadline=None)
def test_h_above_one_over_curvature_never_converges(spec, factor, x0, y0):
    fam = get_family(spec)
    h = factor / fam.curvature
    res = run_batch(fam, [x0], [y0], h=h, settings=Settings(max_steps=2000))
    assert res.outcome[0] != int(Outcome.CONVERGED)


def _two_cycle(h: float) -> tuple[float, float]:
    """The 2-cycle t1 → t2 → t1 of t ↦ t − h(t² − 1)t (ℓ = (s − 1)²/2 on x = y = t), t > 0."""
    t = np.polynomial.Polynomial([0, 1 + h, 0, -h])
    roots = (t(t) - np.polynomial.Polynomial([0, 1])).roots()
    real = sorted(r.real for r in roots if abs(r.imag) < 1e-9 and r.real > 0 and abs(r.real - 1) > 1e-6)
    pair = [r for r in real if abs(t(t(r)) - r) < 1e-9 and abs(t(r) - r) > 1e-6 and t(r) > 0]
    assert len(pair) == 2
    return pair[0], pair[1]


def test_period_two_orbit_of_the_square_loss_is_detected():
    h = 1.1  # beyond the period-doubling of the fixed point t = 1 (multiplier 1 − 2h < −1)
    t1, t2 = _two_cycle(h)
    deriv = (1 + h - 3 * h * t1 * t1) * (1 + h - 3 * h * t2 * t2)
    assert abs(deriv) < 1  # a stable 2-cycle: GD from nearby on the diagonal is attracted to it
    res = run_batch(SQUARE, [1.3], [1.3], h=h).records()[0]
    assert res.outcome == "periodic" and res.period == 2
    assert min(abs(res.x - t1), abs(res.x - t2)) < 1e-9 and res.x == res.y
    mp = run_mp(SQUARE, 1.3, 1.3, h, 40)
    assert mp.outcome == "periodic" and mp.period == 2
    assert min(abs(mp.x - t1), abs(mp.x - t2)) < 1e-9


def test_divergence_and_json_safety():
    res = run_batch(SQUARE, [3.0, 1.0], [2.0, 0.5], C=[20.0, 0.5], seed=11)
    div, conv = res.records()
    assert div.outcome == "diverged" and div.x is None and div.sharpness is None and "step" in div.reason
    assert conv.outcome == "converged"
    for rec in (div, conv):
        json.dumps(rec.as_dict(), allow_nan=False)
    assert res.seed == 11 and abs(sum(res.shares().values()) - 1) < 1e-12
    assert np.isnan(res.x[0]) and res.outcome.dtype == np.int8


def test_budget_spent_is_undecided():
    rec = run_batch(LOGCOSH, [2.0], [0.3], h=0.05, settings=Settings(max_steps=3)).records()[0]
    assert rec.outcome == "undecided" and rec.steps == 3 and "budget" in rec.reason


def test_trajectory_is_decimated_and_only_on_request():
    res = run_batch(LOGCOSH, [2.0, 1.5], [0.3, 0.2], h=0.1)
    assert res.trajectory is None and res.records()[0].trajectory is None
    res = run_batch(LOGCOSH, [2.0, 1.5], [0.3, 0.2], h=0.1, settings=Settings(record_every=5))
    for rec in res.records():
        assert len(rec.trajectory) == rec.steps // 5 + 1
        assert rec.trajectory[0] == [rec.x0, rec.y0]


def test_catapult_is_recorded_with_its_step():
    fam = get_family("softplus-pair:a=0.5")
    rec = run_batch(fam, [3.0], [0.4], C=37.7).records()[0]
    assert rec.outcome == "converged" and rec.fmax_ratio > 1 and rec.fmax_step > 0


@pytest.mark.slow
def test_a_million_start_sweep_stays_under_a_gibibyte():
    import tracemalloc

    from lrbias.gd.sampling import Range, knob_values, starts_box

    fam = get_family("softplus-pair:a=1")
    x, y = starts_box(1_000_000, Range(0.5, 4), Range(0.5, 4), seed=2, random_signs=True)
    C = knob_values(1_000_000, Range(2, 6), seed=2)
    tracemalloc.start()
    try:
        res = run_batch(fam, x, y, C=C, settings=Settings(max_steps=5000))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2**30 and res.trajectory is None
    assert abs(sum(res.shares().values()) - 1) < 1e-12


def test_rise_ratio_from_a_start_at_a_minimiser():
    """f_max / f0 of the excess loss: ∞ when only the start is at a minimiser, 1 when both are."""
    assert rise_ratio(0.5, 0.25) == 2.0
    assert rise_ratio(0.5, 0.0) == math.inf and rise_ratio(0.0, 0.0) == 1.0
    arr = rise_ratio(np.array([0.5, 0.5, 0.0]), np.array([0.25, 0.0, 0.0]))
    assert list(arr) == [2.0, math.inf, 1.0]
