"""The float-artefact check, adaptive precision and the arb tier: honest about what float64 gets wrong."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrbias.gd import (
    Outcome,
    Settings,
    agree,
    float_artefact_check,
    run_arb,
    run_auto,
    run_batch,
    run_mp,
    scalar,
    suspects,
    tiers,
)
from lrbias.losses.families import get_family

LOGCOSH = get_family("logcosh")
# One ulp (2^-53) off the invariant line y = −x: the float64 run rounds onto the line and
# stalls at the saddle (0, 0); in exact arithmetic the offset grows and the run converges.
FLOAT_WRONG = (1.0, -(1.0 - 2.0**-53), 0.2)
ST = Settings(max_steps=5000)


def _batch_with_the_float_artefact():
    x0, y0, h = FLOAT_WRONG
    return run_batch(LOGCOSH, [2.0, x0, 1.5], [0.3, y0, 0.2], h=[0.1, h, 0.3], settings=ST)


def test_float64_is_wrong_on_the_constructed_start():
    x0, y0, h = FLOAT_WRONG
    flt = run_batch(LOGCOSH, [x0], [y0], h=h, settings=ST).records()[0]
    precise = run_mp(LOGCOSH, x0, y0, h, 50, ST)
    assert flt.outcome == "undecided" and "saddle" in flt.reason
    assert precise.outcome == "converged"


def test_artefact_check_flags_the_float_artefact():
    batch = _batch_with_the_float_artefact()
    report = float_artefact_check(LOGCOSH, batch, budget_s=None)
    assert report.reasons["near-invariant-line"] == 1
    assert report.flipped == [1]
    flip = report.flips[0]
    assert flip["float64"] == "undecided" and flip["precise"] == "converged"
    assert report.agreements + len(report.flips) + report.inconclusive == report.checked
    assert report.skipped == report.suspects - report.checked


def test_a_check_that_reruns_at_float_precision_is_caught(monkeypatch):
    """Mutant: the 'precise' re-runs (quad and mpmath) are float64 again; the flip disappears, so
    the test above fails."""
    def float_batch(family, x0, y0, h, st):
        return run_batch(family, list(x0), list(y0), h=list(h), settings=st).records()

    def float_again(family, x0, y0, h, st, start_dps, max_dps):
        return run_batch(family, [float(x0)], [float(y0)], h=float(h), settings=st).records()[0]

    monkeypatch.setattr(tiers, "run_quad", float_batch)
    monkeypatch.setattr(tiers, "run_auto", float_again)
    report = float_artefact_check(LOGCOSH, _batch_with_the_float_artefact(), budget_s=None)
    assert report.flipped != [1]


def test_time_budget_skips_instead_of_agreeing():
    report = float_artefact_check(LOGCOSH, _batch_with_the_float_artefact(), budget_s=0.0)
    assert report.checked == 0 and report.agreements == 0 and report.skipped == report.suspects >= 1


def test_suspect_kinds():
    batch = run_batch(LOGCOSH, [2.0, 1.5, 0.8385232861484226], [0.3, 0.2, -4.429785619735312],
                      h=[0.1, 0.3, 1.4157732046059344], settings=ST)
    masks = suspects(batch)
    assert masks["huge-transient"].tolist() == [False, False, True]
    near_cap = dataclasses.replace(batch, sharpness=2 * (1 - 1e-4) / batch.h)
    assert suspects(near_cap)["ratio-near-1"].tolist() == [True, True, False]


def test_auto_precision_reports_disagreement_as_undecided(monkeypatch):
    calls = []

    def flaky(family, x0, y0, h, dps, settings=None):
        calls.append(dps)
        rec = run_mp(family, x0, y0, h, 30, settings)
        rec.outcome = "converged" if len(calls) % 2 else "periodic"
        return rec

    monkeypatch.setattr(scalar, "run_mp", flaky)
    rec = run_auto(LOGCOSH, 2.0, 0.3, 0.1, ST, start_dps=25, max_dps=200)
    assert calls == [25, 50, 100, 200]
    assert rec.outcome == "undecided" and "did not agree" in rec.reason


def test_auto_precision_agrees_and_says_where():
    rec = run_auto(LOGCOSH, 2.0, 0.3, 0.1, ST)
    assert rec.outcome == "converged" and rec.extra["agreed_at_digits"] == [25, 50]
    assert agree(rec, run_mp(LOGCOSH, 2.0, 0.3, 0.1, 120, ST))


BENIGN = st.tuples(st.sampled_from(["square", "logcosh", "softplus-pair:a=0.5", "pseudo-huber"]),
                   st.floats(0.3, 2.5), st.floats(-2.5, 2.5).filter(lambda v: abs(v) > 0.2),
                   st.floats(0.05, 0.95))


@given(BENIGN)
@settings(max_examples=20, deadline=None)
def test_three_engines_agree_or_arb_says_it_lost_precision(case):
    spec, x0, y0, kappa = case
    fam = get_family(spec)
    h = kappa / (fam.curvature * (x0 * x0 + y0 * y0))
    st_ = Settings(max_steps=2000)
    flt = run_batch(fam, [x0], [y0], h=h, settings=st_).records()[0]
    mp = run_mp(fam, x0, y0, h, 40, st_)
    assert agree(flt, mp, 1e-7), (flt.reason, mp.reason)
    ball = run_arb(fam, x0, y0, h, 128, st_)
    if ball.outcome == "precision-lost":
        assert ball.x is None and ball.ratio is None and "at step" in ball.reason
    else:
        assert agree(ball, mp, 1e-9), (ball.reason, mp.reason)


def test_arb_blow_up_is_reported_at_its_step_not_as_a_number():
    fam = get_family("softplus-pair:a=1")
    rec = run_arb(fam, 2.0, 0.3, 0.9, 64, Settings(max_steps=5000))
    assert rec.outcome == str(Outcome.PRECISION_LOST) and rec.x is None and rec.sharpness is None
    step = int(rec.reason.split("at step ")[1].split()[0])
    assert step == rec.steps and 0 < step < 5000
    more = run_arb(fam, 2.0, 0.3, 0.9, 512, Settings(max_steps=5000))
    assert more.outcome == "converged" and more.extra["final_relative_radius"] < 1e-6


@pytest.mark.parametrize(("call", "message"), [
    (lambda: run_arb(LOGCOSH, 1.0, 1.0, 0.1, 20), "bits"),
    (lambda: run_mp(LOGCOSH, 1.0, 1.0, 0.1, 10), "digits"),
    (lambda: run_mp(LOGCOSH, float("inf"), 1.0, 0.1), "x0 = inf"),
    (lambda: run_arb(LOGCOSH, 1.0, 1.0, -0.1), "h = -0.1"),
])
def test_bad_precision_and_start(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_float_batch_arrays_use_nan_only_as_the_documented_sentinel():
    batch = run_batch(get_family("square"), np.array([3.0, 1.0]), np.array([2.0, 0.5]), C=[20.0, 0.5])
    assert np.isnan(batch.x[0]) and batch.outcome[0] == int(Outcome.DIVERGED)
    assert all(v is None or v == v for v in batch.records(0)[0].as_dict().values())


def test_every_engine_records_the_same_decimated_trajectory():
    st_ = Settings(max_steps=2000, record_every=4)
    flt = run_batch(LOGCOSH, [2.0], [0.3], h=0.1, settings=st_).records()[0]
    mp = run_mp(LOGCOSH, 2.0, 0.3, 0.1, 40, st_)
    ball = run_arb(LOGCOSH, 2.0, 0.3, 0.1, 256, st_)
    assert flt.steps == mp.steps == ball.steps
    assert len(flt.trajectory) == len(mp.trajectory) == len(ball.trajectory) == flt.steps // 4 + 1
    np.testing.assert_allclose(flt.trajectory, mp.trajectory, rtol=1e-10)
    np.testing.assert_allclose(ball.trajectory, mp.trajectory, rtol=1e-14)


@pytest.mark.parametrize(("spec", "c_range"), [("softplus-pair:a=0.5", (2, 6)), ("logcosh", (1, 4)),
                                               ("square", (0.5, 3))])
def test_float_and_mpmath_agree_on_a_seeded_random_sweep(spec, c_range):
    """Every verdict of a random sweep (all outcomes occur) survives 40 digits."""
    from lrbias.gd.sampling import Range, knob_values, starts_box

    fam = get_family(spec)
    x, y = starts_box(80, Range(0.3, 4), Range(0.3, 4), seed=11, random_signs=True)
    C = knob_values(80, Range(*c_range), seed=11)
    st_ = Settings(max_steps=4000)
    batch = run_batch(fam, x, y, C=C, settings=st_, seed=11)
    assert batch.shares()["converged"] > 0.5
    flips = [i for i, rec in enumerate(batch.records())
             if not agree(rec, run_mp(fam, rec.x0, rec.y0, rec.h, 40, st_), 1e-6)]
    assert flips == []


def test_agree_compares_outcome_period_and_the_final_point():
    """Two records of one start agree only on the same outcome, period and (when converged or
    periodic) final point to rtol; the last point of a diverged or undecided run is not compared."""
    rec = run_mp(LOGCOSH, 2.0, 0.3, 0.1, 30, ST)
    assert rec.outcome == "converged" and agree(rec, rec)
    moved_x = dataclasses.replace(rec, x=rec.x * (1 + 1e-6))
    moved_y = dataclasses.replace(rec, y=rec.y * (1 + 1e-6))
    assert not agree(rec, moved_x) and not agree(rec, moved_y)
    assert agree(rec, dataclasses.replace(rec, x=rec.x * (1 + 1e-12)))
    assert not agree(rec, dataclasses.replace(rec, outcome="periodic", period=2))
    undecided = dataclasses.replace(rec, outcome="undecided")
    assert agree(undecided, dataclasses.replace(undecided, x=rec.x + 5.0))
    assert not agree(rec, dataclasses.replace(rec, x=None, y=None))


def test_arb_on_a_diverging_start_reports_divergence():
    """The ball engine proves divergence (every point of the enclosure beyond the bound): no final point."""
    square = get_family("square")
    rec = run_arb(square, 3.0, 2.0, 20 / 13, 256, Settings(max_steps=3000))
    assert rec.outcome == "diverged", rec.reason
    assert rec.reason.startswith("left the bounded region") and "whole enclosure" in rec.reason
    assert rec.x is None and rec.y is None and rec.ratio is None
    assert rec.extra["final_x"] is None
