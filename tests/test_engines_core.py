"""GD engines: known trajectories, agreement across engines, artefact check, bad input."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrbias.errors import LrbiasError
from lrbias.gd import (
    Outcome,
    Settings,
    agree,
    float_artefact_check,
    run_arb,
    run_auto,
    run_batch,
    run_mp,
)
from lrbias.gd import step_loop as batched_module
from lrbias.losses.families import get_family

SQUARE = get_family("square")


def test_square_small_C_converges_monotonically():
    res = run_batch(SQUARE, [2.0], [0.3], C=0.2, settings=Settings(record_every=1))
    rec = res.records()[0]
    assert rec.outcome == "converged" and rec.fmax_ratio == 1.0 and rec.fmax_step == 0
    traj = np.array(rec.trajectory)
    loss = (traj[:, 0] * traj[:, 1] - 1) ** 2 / 2
    assert np.all(np.diff(loss) <= 1e-15)


@pytest.mark.parametrize("h", [0.01, 0.1, 0.5])
def test_start_on_y_equals_minus_x_never_reaches_minimisers(h):
    res = run_batch(SQUARE, [1.3], [-1.3], h=h, settings=Settings(max_steps=3000))
    rec = res.records()[0]
    assert rec.outcome != "converged"
    if rec.x is not None:
        assert rec.y == -rec.x


@given(st.floats(1.05, 3.0), st.floats(0.3, 3.0), st.floats(0.3, 3.0))
@settings(max_examples=40, deadline=None)
def test_h_above_one_over_curvature_never_converges(factor, x0, y0):
    fam = get_family("softplus-pair:a=0.5")
    h = factor / fam.curvature
    res = run_batch(fam, [x0], [y0], h=h, settings=Settings(max_steps=3000))
    assert res.outcome[0] != int(Outcome.CONVERGED)


def test_period_two_orbit_is_detected():
    """Square loss on the invariant diagonal x = y = t: t⁺ = t(1 − h(t² − 1)).

    The fixed point t = 1 has multiplier 1 − 2h, unstable for h > 1; at h = 1.1 the orbit settles
    on a stable 2-cycle (period doubling), which both engines must report as periodic, p = 2.
    """
    res = run_batch(SQUARE, [1.1], [1.1], h=1.1, settings=Settings(max_steps=5000))
    rec = res.records()[0]
    assert rec.outcome == "periodic" and rec.period == 2
    mp = run_mp(SQUARE, 1.1, 1.1, 1.1, 40, Settings(max_steps=5000))
    assert mp.outcome == "periodic" and mp.period == 2


def _scalar_reference(fam, x0, y0, h, steps, every=8):
    x, y = x0, y0
    for t in range(steps + 1):
        s = x * y
        g = float(fam.np.d1(np.array(s)))
        check = t % every == 0 or t == steps
        if check and abs(s - 1) < 1e-10 and abs(g) < 1e-10:
            return "converged", t, x, y
        if check and not (abs(s) <= 1e12 and x * x + y * y <= 1e12):
            return "diverged", t, None, None
        x, y = x - h * g * y, y - h * g * x
    return "undecided", steps, x, y


def test_batched_matches_scalar_reference_loop():
    fam = get_family("logcosh")
    rng = np.random.default_rng(3)
    x0, y0 = rng.uniform(0.5, 3, 40), rng.uniform(0.5, 3, 40)
    h = rng.uniform(0.05, 1.2, 40) / (x0**2 + y0**2)
    res = run_batch(fam, x0, y0, h=h, settings=Settings(max_steps=4000))
    for i, rec in enumerate(res.records()):
        oc, t, x, y = _scalar_reference(fam, x0[i], y0[i], h[i], 4000)
        if oc == "converged":
            assert rec.outcome == "converged" and rec.steps == t
            assert abs(rec.x - x) <= 1e-12 * (1 + abs(x)) and abs(rec.y - y) <= 1e-12 * (1 + abs(y))


def test_a_wrong_engine_is_caught(monkeypatch):
    """A mutant engine (step h/2 instead of h) no longer matches the reference loop."""
    fam = get_family("logcosh")
    real = batched_module.run_chunk

    def halved(family, x0, y0, h, st, out, backend, track_max=True):
        return real(family, x0, y0, h / 2, st, out, backend, track_max)

    monkeypatch.setattr(batched_module, "run_chunk", halved)
    res = run_batch(fam, [1.7], [0.4], h=0.3, settings=Settings(max_steps=4000))
    oc, t, x, _ = _scalar_reference(fam, 1.7, 0.4, 0.3, 4000)
    assert oc == "converged"
    assert res.steps[0] != t or abs(res.x[0] - x) > 1e-9


BENIGN = st.tuples(st.sampled_from(["square", "logcosh", "softplus-pair:a=0.5", "pseudo-huber"]),
                   st.floats(0.5, 2.5), st.floats(0.5, 2.5), st.floats(0.05, 1.0))


@given(BENIGN)
@settings(max_examples=25, deadline=None)
def test_float_mpmath_and_arb_agree_on_benign_starts(case):
    spec, x0, y0, kappa = case
    fam = get_family(spec)
    h = kappa / (fam.curvature * (x0 * x0 + y0 * y0))
    st_ = Settings(max_steps=3000)
    flt = run_batch(fam, [x0], [y0], h=h, settings=st_).records()[0]
    mp = run_mp(fam, x0, y0, h, 40, st_)
    assert flt.outcome == mp.outcome
    if flt.outcome == "converged":
        assert abs(flt.x - mp.x) <= 1e-7 * (1 + abs(mp.x))
    ball = run_arb(fam, x0, y0, h, 256, st_)
    assert ball.outcome in (mp.outcome, "precision-lost"), ball.reason
    if ball.outcome == "converged":
        assert abs(ball.x - mp.x) <= 1e-9 * (1 + abs(mp.x))


def test_arb_reports_blow_up_instead_of_a_number():
    fam = get_family("softplus-pair:a=0.5")
    rec = run_arb(fam, 3.0, 0.4, 4.11572, 64, Settings(max_steps=2000))
    assert rec.outcome == "precision-lost" and rec.x is None and "step" in rec.reason


def test_auto_precision_agrees_with_itself():
    rec = run_auto(get_family("logcosh"), 2.0, 0.3, 0.4)
    assert rec.outcome == "converged" and rec.precision.startswith("auto:")
    assert agree(rec, run_mp(get_family("logcosh"), 2.0, 0.3, 0.4, 200))


def test_artefact_check_flags_a_near_invariant_start():
    """A start 1e-17 (relative) off y = −x: float64 rounds it onto the line, mpmath does not."""
    fam = get_family("square")
    x0 = 1.0
    y0 = -(1.0 - 2**-53)  # off the line by one ulp: a genuinely different start
    res = run_batch(fam, [x0, 2.0], [y0, 0.5], h=[0.3, 0.2], settings=Settings(max_steps=3000))
    report = float_artefact_check(fam, res, limit=10)
    assert report.reasons["near-invariant-line"] == 1
    assert report.checked >= 1
    precise = run_mp(fam, x0, y0, 0.3, 60, Settings(max_steps=3000))
    flipped = {f["index"] for f in report.flips}
    assert (precise.outcome != res.records()[0].outcome) == (0 in flipped)


def test_records_have_no_nan():
    res = run_batch(SQUARE, [3.0, 1.0], [2.0, 0.5], C=[20.0, 0.5])
    for rec in res.records():
        for value in rec.as_dict().values():
            assert not (isinstance(value, float) and math.isnan(value))
    assert res.records()[0].outcome == "diverged" and res.records()[0].x is None


def test_compaction_does_not_change_results():
    rng = np.random.default_rng(5)
    fam = get_family("softplus-pair:a=1")
    x0, y0 = rng.uniform(0.5, 3, 500), rng.uniform(0.5, 3, 500)
    a = run_batch(fam, x0, y0, C=3.0, settings=Settings(max_steps=3000))
    b = run_batch(fam, x0, y0, C=3.0, settings=Settings(max_steps=3000), chunk_size=7)
    assert np.array_equal(a.outcome, b.outcome) and np.array_equal(a.steps, b.steps)
    np.testing.assert_array_equal(np.nan_to_num(a.x), np.nan_to_num(b.x))


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"x0": [1.0], "y0": [float("nan")], "h": 0.1}, "y0 contains nan"),
    ({"x0": [1.0], "y0": [1.0], "h": -0.1}, "h = -0.1 is invalid"),
    ({"x0": [1.0], "y0": [1.0], "h": 0.1, "C": 1.0}, "exactly one of h and C"),
    ({"x0": [1e200], "y0": [1.0], "C": 1.0}, "overflows"),
])
def test_bad_input(kwargs, message):
    with pytest.raises(LrbiasError, match=message):
        run_batch(SQUARE, **kwargs)
    with pytest.raises(LrbiasError, match="steps = 0"):
        Settings(max_steps=0)
    with pytest.raises(LrbiasError, match="digits is invalid"):
        run_mp(SQUARE, 1.0, 1.0, 0.1, 5)


def test_mpmath_precision_is_restored():
    before = mpmath.mp.dps
    run_mp(SQUARE, 1.5, 0.5, 0.1, 80)
    assert mpmath.mp.dps == before


def test_an_unstable_minimiser_is_not_called_converged():
    """Start a hair off the minimiser (1, 1) of the square loss at h = 1.5: hS = 3 > 2, so it is an
    unstable fixed point; the run must leave it, never stop there as converged (every engine's rule)."""
    square = get_family("square")
    fast = run_batch(square, [1 + 1e-12], [1.0], h=[1.5], settings=Settings(max_steps=2000)).records()[0]
    precise = run_mp(square, 1 + 1e-12, 1.0, 1.5, 40, Settings(max_steps=2000))
    for rec in (fast, precise):
        assert rec.outcome != "converged", rec.reason
        assert rec.steps > 0
    stable = run_mp(square, 1 + 1e-12, 1.0, 0.5, 40, Settings(max_steps=2000))
    assert stable.outcome == "converged" and stable.steps == 0
